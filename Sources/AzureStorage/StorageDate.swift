package import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two date formats of the storage protocols: RFC 1123 (`x-ms-date`, `Last-Modified`, message
/// times) and ISO 8601 UTC (SAS `st`/`se`). Hand-written on `gmtime_r`/`timegm`: these run on every
/// request, and Foundation's date formatters are far slower and not `Sendable`.
package enum StorageDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 29 Nov 2026 00:19:03 GMT`
    package static func rfc1123(_ date: Date) -> String {
        var seconds = time_t(floor(date.timeIntervalSince1970))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    /// Parses `Sun, 29 Nov 2026 00:19:03 GMT` (the weekday is not checked). `nil` if malformed.
    package static func parseRFC1123(_ text: some StringProtocol) -> Date? {
        if let date = parseCanonicalRFC1123(text) { return date }
        let fields = text.split(separator: " ")
        guard fields.count == 6, fields[0].hasSuffix(","), fields[5] == "GMT" || fields[5] == "UTC",
              let day = Int(fields[1]), (1...31).contains(day),
              let month = months.firstIndex(of: String(fields[2])),
              let year = Int(fields[3]), (1601...9999).contains(year)
        else { return nil }
        let clock = fields[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        return make(year: year, month: month, day: day, hour: hour, minute: minute, second: second, fraction: 0)
    }

    /// The exact 29-byte form every client sends (`Sun, 29 Nov 2026 00:19:03 GMT`), read from the
    /// bytes with no allocation: it is parsed for every request (x-ms-date) and every message
    /// time. `nil` for anything else, which the general path then reads.
    private static func parseCanonicalRFC1123(_ text: some StringProtocol) -> Date? {
        text.utf8.withContiguousStorageIfAvailable { bytes -> Date? in
            guard bytes.count == 29, bytes[3] == 0x2C, bytes[4] == 0x20, bytes[7] == 0x20, bytes[11] == 0x20,
                  bytes[16] == 0x20, bytes[19] == 0x3A, bytes[22] == 0x3A, bytes[25] == 0x20,
                  bytes[26] == 0x47, bytes[27] == 0x4D, bytes[28] == 0x54  // GMT
            else { return nil }
            func number(_ start: Int, _ count: Int) -> Int? {
                var value = 0
                for offset in start..<(start + count) {
                    let byte = bytes[offset]
                    guard byte >= 0x30, byte <= 0x39 else { return nil }
                    value = value * 10 + Int(byte - 0x30)
                }
                return value
            }
            let monthKey = (Int(bytes[8]) << 16) | (Int(bytes[9]) << 8) | Int(bytes[10])
            guard let day = number(5, 2), let year = number(12, 4), let hour = number(17, 2),
                  let minute = number(20, 2), let second = number(23, 2),
                  let month = monthKeys.firstIndex(of: monthKey),
                  (1...31).contains(day), (1601...9999).contains(year), hour <= 23, minute <= 59, second <= 60,
                  day <= daysIn(month: month + 1, year: year)
            else { return nil }
            let days = daysFromCivil(year: year, month: month + 1, day: day)
            return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3_600 + minute * 60 + second))
        } ?? nil
    }

    /// The month abbreviations as 24-bit keys, for comparing three bytes at once.
    private static let monthKeys: [Int] = months.map { name in name.utf8.reduce(0) { ($0 << 8) | Int($1) } }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `2026-11-29T01:19:04Z` (whole seconds, as the SDKs emit for SAS).
    package static func iso8601(_ date: Date) -> String {
        var seconds = time_t(floor(date.timeIntervalSince1970))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// ISO 8601 UTC with seven fractional digits, as Azure writes times in XML bodies
    /// (`2026-11-29T01:19:04.0000000Z`); the fraction is always zero here.
    static func iso8601Fraction(_ date: Date) -> String {
        String(iso8601(date).dropLast()) + ".0000000Z"
    }

    /// Parses ISO 8601 UTC as SAS uses it: `YYYY-MM-DD`, `YYYY-MM-DDThh:mmZ`,
    /// `YYYY-MM-DDThh:mm:ssZ` or with fractional seconds. `nil` if malformed.
    package static func parseISO8601(_ text: some StringProtocol) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == 0x2D, bytes[7] == 0x2D,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        if bytes.count == 10 {
            return make(year: year, month: month - 1, day: day, hour: 0, minute: 0, second: 0, fraction: 0)
        }
        guard bytes.count >= 17, bytes[10] == 0x54, bytes[13] == 0x3A, bytes.last == 0x5A,
              let hour = number(11, 2), let minute = number(14, 2), hour <= 23, minute <= 59
        else { return nil }
        var second = 0
        var fraction = 0.0
        if bytes.count > 17 {
            guard bytes[16] == 0x3A, let parsed = number(17, 2), parsed <= 60 else { return nil }
            second = parsed
            let rest = bytes[19..<(bytes.count - 1)]
            if !rest.isEmpty {
                guard rest.first == 0x2E, rest.count >= 2, rest.count <= 10,
                      rest.dropFirst().allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                      let value = Double("0" + String(decoding: rest, as: UTF8.self))
                else { return nil }
                fraction = value
            }
        } else if bytes.count != 17 {
            return nil
        }
        return make(year: year, month: month - 1, day: day, hour: hour, minute: minute, second: second, fraction: fraction)
    }

    private static func make(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, fraction: Double) -> Date? {
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        guard parts.tm_mday == Int32(day) else { return nil }  // timegm normalised an invalid day (Feb 30)
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    private static func two(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
