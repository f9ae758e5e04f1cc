import Effects

/// A webhook signed with Calendly's key whose body could not be read (issue 10). It is acknowledged so
/// Calendly does not retry it into a disabled subscription, and kept — bounded in size, count
/// (`Retention.deadLetterCap`) and age (`Retention.deadLetterLifetime`) — for an operator to look at.
public struct WebhookDeadLetter: Codable, Sendable, Hashable {
    /// Why it could not be read (`WebhookPayload.Problem.reason`, e.g. `missing_field:payload.uri`).
    public var reason: String
    public var receivedAt: Instant
    /// The raw body, at most `WebhookIntake.maxBodyBytes` of it.
    public var body: [UInt8]

    public init(reason: String, receivedAt: Instant, body: [UInt8]) {
        self.reason = reason
        self.receivedAt = receivedAt
        self.body = Array(body.prefix(WebhookIntake.maxBodyBytes))
    }
}
