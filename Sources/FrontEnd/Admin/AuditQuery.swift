import Foundation

/// The audit page's filters and page, read from its query string: who, how it ended, between
/// which days (UTC), and which page of ``pageSize`` events, newest first.
///
/// Parsing never fails: a value that does not parse is dropped and named in ``problems``, so the
/// page still shows (unfiltered by it) and says what was ignored.
struct AuditQuery: Equatable, Sendable {
    static let pageSize = 50
    /// Pages past this are refused (offsets stay cheap; narrow the filters instead).
    static let maximumPage = 1000

    var username: String?
    var outcome: String?
    /// From the start of this day (UTC).
    var from: Date?
    /// Up to the end of this day (UTC).
    var to: Date?
    /// 1-based.
    var page = 1
    /// The filters that were given but not understood.
    var problems: [String] = []

    init(username: String? = nil, outcome: String? = nil, from: Date? = nil, to: Date? = nil, page: Int = 1) {
        self.username = username
        self.outcome = outcome
        self.from = from
        self.to = to
        self.page = page
    }

    /// Reads `user`, `outcome`, `from`, `to` (YYYY-MM-DD) and `page`.
    init(parameters: [String: String]) {
        func field(_ name: String) -> String? {
            guard let value = parameters[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        if let user = field("user") {
            if user.count <= 64 { username = user } else { problems.append("user name (longer than 64 characters)") }
        }
        if let outcome = field("outcome") {
            if outcome.count <= 40, outcome.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }) {
                self.outcome = outcome
            } else {
                problems.append("outcome (letters, digits and - only)")
            }
        }
        if let text = field("from") {
            if let day = Self.day(text) { from = day } else { problems.append("from date (use YYYY-MM-DD)") }
        }
        if let text = field("to") {
            if let day = Self.day(text) { to = day.addingTimeInterval(86_400) } else { problems.append("to date (use YYYY-MM-DD)") }
        }
        if let text = field("page") {
            if let number = Int(text), (1...Self.maximumPage).contains(number) { page = number } else { problems.append("page (1 to \(Self.maximumPage))") }
        }
    }

    /// Events skipped before this page.
    var offset: Int { (page - 1) * Self.pageSize }

    /// `2026-12-02` at 00:00 UTC, or nil.
    static func day(_ text: String) -> Date? {
        guard text.count == 10 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              parts[0].count == 4, (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let components = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date
    }

    /// `YYYY-MM-DD` of `date` (UTC), for the form's fields.
    static func dayText(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The query string of this query at another page (for the paging links).
    func queryString(page: Int) -> String {
        var items: [URLQueryItem] = []
        if let username { items.append(URLQueryItem(name: "user", value: username)) }
        if let outcome { items.append(URLQueryItem(name: "outcome", value: outcome)) }
        if let from { items.append(URLQueryItem(name: "from", value: Self.dayText(from))) }
        if let to { items.append(URLQueryItem(name: "to", value: Self.dayText(to.addingTimeInterval(-86_400)))) }
        items.append(URLQueryItem(name: "page", value: String(page)))
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery ?? ""
    }
}
