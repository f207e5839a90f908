/// What a sign-in asks the camera to see: one of the person's own objects on the account's device
/// when they have any, else one of the account's classes.
struct SecondFactorChallenge: Sendable, Equatable {
    /// The class, or the person's name for their object.
    var className: String
    /// Confidence (class) or similarity (object) in percent.
    var threshold: Double
    /// The personal object's template (nil: a class challenge).
    var templateId: String?

    /// Draws a challenge at random; nil when the account has neither objects nor classes.
    static func draw(
        account: UserAccount, objects: [PersonalObject], objectThreshold: Double,
        using generator: inout some RandomNumberGenerator
    ) -> SecondFactorChallenge? {
        let usable = objects.filter { $0.deviceId == account.deviceId && $0.username.caseInsensitiveCompare(account.username) == .orderedSame }
        if let object = usable.randomElement(using: &generator) {
            return SecondFactorChallenge(className: object.name, threshold: objectThreshold, templateId: object.templateId)
        }
        guard let className = account.classes.randomElement(using: &generator) else { return nil }
        return SecondFactorChallenge(className: className, threshold: account.threshold, templateId: nil)
    }

    /// Draws with the system's random number generator.
    static func draw(account: UserAccount, objects: [PersonalObject], objectThreshold: Double) -> SecondFactorChallenge? {
        var generator = SystemRandomNumberGenerator()
        return draw(account: account, objects: objects, objectThreshold: objectThreshold, using: &generator)
    }
}
