/// What the admin pages need from the hub and storage beyond ``VerificationBackend``: the devices
/// with their twins, and the agents' dead-letter queues. ``AzureVerificationBackend`` has both
/// (the hub's service REST API and the Queue client); without it the pages say so.
protocol AdminBackend: Sendable {
    /// Every device in the hub's registry (at most `limit`), with its modules and reported twin.
    func deviceReports(limit: Int) async throws(VerificationBackendError) -> [DeviceReport]

    /// The dead-letter queue of `deviceId`'s agent (and the requests queue it goes back to), or nil
    /// when the backend has no storage account to reach queues with.
    func deadLetterQueue(forDevice deviceId: String) -> DeadLetterQueue?
}
