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

    /// `include` values Azure defines for List Containers, List Blobs and List Queues.
    static let containerIncludes: Set<String> = ["metadata", "deleted", "system"]
    static let blobIncludes: Set<String> = [
        "metadata", "copy", "deleted", "snapshots", "uncommittedblobs", "versions", "tags",
        "immutabilitypolicy", "legalhold", "deletedwithversions", "permissions",
    ]
    static let queueIncludes: Set<String> = ["metadata"]

    /// Reads the paging parameters. Of the `include` values only `metadata` is served: a value
    /// Azure defines is 501 NotImplemented (the answer would lack what was asked for), any
    /// other 400 InvalidQueryParameterValue, as on Azure.
    init(_ request: StorageHTTPRequest, includes known: Set<String>) throws(StorageServiceError) {
        self.request = request
        prefix = request.query["prefix"] ?? ""
        marker = request.query["marker"] ?? ""
        requestedLimit = Int(try request.integer("maxresults", in: 1...Int64.max, default: Int64(Self.pageLimit)) ?? Int64(Self.pageLimit))
        let values = (request.query["include"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        includes = Set(values)
        for value in values where value != "metadata" && !value.isEmpty {
            guard known.contains(value) else {
                throw .invalidQuery("include", String(value.prefix(64)), "use a comma-separated list of \(known.sorted().joined(separator: ", "))")
            }
            throw .notImplemented("include=\(value) on listings (only include=metadata is served); list without it")
        }
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
