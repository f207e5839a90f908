import AzureStorage
import Foundation

/// The paging parameters of a List Queues, List Containers or List Blobs request, and the
/// `EnumerationResults` header that echoes them.
struct ListingRequest: Sendable {
    /// Azure returns at most this many entries per page, whatever `maxresults` asks.
    static let pageLimit = 5000

    let prefix: String
    let marker: String
    /// `maxresults` as sent (echoed back), default 5000.
    let requestedLimit: Int
    /// Entries to return in this page.
    var limit: Int { min(requestedLimit, Self.pageLimit) }
    /// The `include` list, e.g. `metadata`.
    let includes: Set<String>
    private let request: StorageHTTPRequest

    init(_ request: StorageHTTPRequest) throws(StorageServiceError) {
        self.request = request
        prefix = request.query["prefix"] ?? ""
        marker = request.query["marker"] ?? ""
        requestedLimit = Int(try request.integer("maxresults", in: 1...Int64.max, default: Int64(Self.pageLimit)) ?? Int64(Self.pageLimit))
        includes = Set((request.query["include"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    /// `http://{host}/{account}/`, as the service saw it addressed.
    var serviceEndpoint: String {
        "http://\(request.header("host") ?? "127.0.0.1")/\(request.account)/"
    }

    /// Opens `EnumerationResults` and echoes the parameters the client sent.
    func openEnumeration(_ writer: inout StorageXMLWriter, attributes: [(String, String)] = []) {
        writer.open("EnumerationResults", attributes: [("ServiceEndpoint", serviceEndpoint)] + attributes)
        if request.query["prefix"] != nil { writer.element("Prefix", prefix) }
        if request.query["marker"] != nil { writer.element("Marker", marker) }
        if request.query["maxresults"] != nil { writer.element("MaxResults", String(requestedLimit)) }
    }
}
