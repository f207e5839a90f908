import AzureStorage
import Foundation

/// The body of Set Container ACL and Set Queue ACL: Azure's `SignedIdentifiers` document.
enum AccessPolicyBody {
    /// Permission letters a policy may hold (Azure's, for containers and for queues).
    static let containerLetters = Set("racwdxyltmeopi")
    static let queueLetters = Set("raup")

    /// Reads and checks the policies: at most five, unique identifiers of 1…64 characters,
    /// valid times and permission letters. An empty body removes every policy.
    static func read(_ request: StorageHTTPRequest, service: SASResource.Service) async throws -> [StoredAccessPolicy] {
        let body = try await collectBody(request.request, limit: 64 * 1024)
        guard body.readableBytes > 0 else { return [] }
        let policies: [StoredAccessPolicy]
        do {
            policies = try StoredAccessPolicy.parse(try StorageXMLReader.parse(body.readableBytesView))
        } catch let error as StorageXMLError {
            throw StorageServiceError.invalidXML(error.description)
        } catch {
            throw StorageServiceError.invalidXML("\(error)")
        }
        guard policies.count <= StoredAccessPolicy.maximumCount else {
            throw StorageServiceError.invalidXML("\(policies.count) signed identifiers; a container or queue holds at most \(StoredAccessPolicy.maximumCount) stored access policies")
        }
        guard Set(policies.map(\.id)).count == policies.count else {
            throw StorageServiceError.invalidXML("two signed identifiers have the same <Id>")
        }
        let letters = service == .blob ? containerLetters : queueLetters
        for policy in policies {
            if let permissions = policy.permissions, !permissions.allSatisfy(letters.contains) {
                throw StorageServiceError(
                    400, .invalidXmlNodeValue,
                    "The value for one of the XML nodes is not in the correct format: <Permission>\(permissions.prefix(32))</Permission> of policy '\(policy.id)'; use the letters \(String(letters.sorted()))."
                )
            }
        }
        return policies
    }
}
