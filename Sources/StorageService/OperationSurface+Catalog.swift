/// The operations the built-in service serves, each with what it acts on. Azure's REST reference
/// lists more for most of them; docs/storage.md says which and how they are refused.
extension OperationSurface {
    private static let conditions: Set<String> = conditionalHeaders
    private static let blobProperties: Set<String> = [
        "x-ms-blob-cache-control", "x-ms-blob-content-disposition", "x-ms-blob-content-encoding",
        "x-ms-blob-content-language", "x-ms-blob-content-md5", "x-ms-blob-content-type",
    ]
    private static let listing: Set<String> = ["prefix", "marker", "maxresults", "include"]

    // MARK: Blob service

    static let listContainers = OperationSurface("List Containers", query: listing)
    static let getAccountInformation = OperationSurface("Get Account Information")

    // MARK: Container

    static let createContainer = OperationSurface("Create Container", headers: ["x-ms-blob-public-access"], metadata: true)
    static let getContainerProperties = OperationSurface("Get Container Properties")
    static let getContainerMetadata = OperationSurface("Get Container Metadata")
    static let deleteContainer = OperationSurface("Delete Container", headers: ["if-modified-since", "if-unmodified-since"])
    /// Azure serves only `If-Modified-Since` here.
    static let setContainerMetadata = OperationSurface("Set Container Metadata", headers: ["if-modified-since"], metadata: true)
    static let getContainerACL = OperationSurface("Get Container ACL")
    static let setContainerACL = OperationSurface(
        "Set Container ACL", headers: ["if-modified-since", "if-unmodified-since", "x-ms-blob-public-access"]
    )
    static let listBlobs = OperationSurface("List Blobs", query: listing.union(["delimiter"]))

    // MARK: Blob

    static let putBlob = OperationSurface(
        "Put Blob", headers: conditions.union(blobProperties).union(["content-md5", "x-ms-blob-type"]), metadata: true
    )
    static let putBlock = OperationSurface("Put Block", headers: ["content-md5"], query: ["blockid"])
    static let putBlockList = OperationSurface("Put Block List", headers: conditions.union(blobProperties).union(["content-md5"]), metadata: true)
    static let getBlob = OperationSurface("Get Blob", headers: conditions.union(["x-ms-range", "range", "x-ms-range-get-content-md5"]))
    static let getBlobProperties = OperationSurface("Get Blob Properties", headers: conditions)
    static let getBlobMetadata = OperationSurface("Get Blob Metadata", headers: conditions)
    static let setBlobMetadata = OperationSurface("Set Blob Metadata", headers: conditions, metadata: true)
    static let setBlobProperties = OperationSurface("Set Blob Properties", headers: conditions.union(blobProperties))
    static let deleteBlob = OperationSurface("Delete Blob", headers: conditions)

    // MARK: Queue service

    static let listQueues = OperationSurface("List Queues", query: listing)
    static let createQueue = OperationSurface("Create Queue", metadata: true)
    static let deleteQueue = OperationSurface("Delete Queue")
    static let getQueueMetadata = OperationSurface("Get Queue Metadata")
    static let setQueueMetadata = OperationSurface("Set Queue Metadata", metadata: true)
    static let getQueueACL = OperationSurface("Get Queue ACL")
    static let setQueueACL = OperationSurface("Set Queue ACL")
    static let putMessage = OperationSurface("Put Message", query: ["visibilitytimeout", "messagettl"])
    static let getMessages = OperationSurface("Get Messages", query: ["numofmessages", "visibilitytimeout", "peekonly"])
    static let peekMessages = OperationSurface("Peek Messages", query: ["numofmessages", "peekonly"])
    static let clearMessages = OperationSurface("Clear Messages")
    static let deleteMessage = OperationSurface("Delete Message", query: ["popreceipt"])
    static let updateMessage = OperationSurface("Update Message", query: ["popreceipt", "visibilitytimeout"])
}
