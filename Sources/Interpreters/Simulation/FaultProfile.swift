import Effects

/// How hostile the simulated world is. Probabilities are per Calendly call unless noted.
public struct FaultProfile: Sendable, Hashable, Codable {
    public enum Kind: String, CaseIterable, Sendable, Codable {
        case latency, timeout, serverError, rateLimit, lostResponse, crash, duplicateWebhook, reorderWebhook, externalBookings, cancellations, revokedGrants,
             disabledSubscriptions, forgedWebhooks
    }

    public var name: String
    /// Extra latency added to a call, uniformly up to this many milliseconds (base is 20–200 ms).
    public var latencySpreadMs: Int64
    /// The call reaches Calendly but the reply comes after the budget (read: timeout; write: outcome unknown).
    public var timeout: Double
    public var serverError: Double
    /// A 5xx returned *after* Calendly booked (ambiguous, as real load balancers do).
    public var serverErrorAfterBooking: Double
    public var rateLimit: Double
    /// The booking is made, the reply is lost.
    public var lostResponse: Double
    /// The process dies right before dispatching a Calendly call (state recovered from the store).
    public var crash: Double
    public var duplicateWebhook: Double
    /// Webhook latency spread in ms (large values reorder created/canceled and beat booking replies).
    public var webhookSpreadMs: Int64
    /// Other people booking the same event types from Calendly's page (availability changes under us).
    public var externalBookingsPerConversation: Double
    public var cancellation: Double
    /// Per agent: the Calendly user revokes the service's grant during the run (set on the named profiles).
    public var revokedGrants: Double = 0
    /// Per organization: Calendly disables its webhook subscription during the run (as after 24 h of failed
    /// deliveries); nothing is sent to it until the periodic check re-creates it.
    public var disabledSubscriptions: Double = 0
    /// Per webhook Calendly sends: a forgery (or garbage) reaches the intake just before it.
    public var forgedWebhooks: Double = 0

    public init(name: String, latencySpreadMs: Int64, timeout: Double, serverError: Double, serverErrorAfterBooking: Double, rateLimit: Double,
                lostResponse: Double, crash: Double, duplicateWebhook: Double, webhookSpreadMs: Int64, externalBookingsPerConversation: Double,
                cancellation: Double) {
        self.name = name; self.latencySpreadMs = latencySpreadMs; self.timeout = timeout; self.serverError = serverError
        self.serverErrorAfterBooking = serverErrorAfterBooking; self.rateLimit = rateLimit; self.lostResponse = lostResponse; self.crash = crash
        self.duplicateWebhook = duplicateWebhook; self.webhookSpreadMs = webhookSpreadMs
        self.externalBookingsPerConversation = externalBookingsPerConversation; self.cancellation = cancellation
    }

    public static let quiet = FaultProfile(name: "none", latencySpreadMs: 0, timeout: 0, serverError: 0, serverErrorAfterBooking: 0, rateLimit: 0,
                                          lostResponse: 0, crash: 0, duplicateWebhook: 0, webhookSpreadMs: 0, externalBookingsPerConversation: 0, cancellation: 0)
    public static let `default` = FaultProfile(name: "default", latencySpreadMs: 600, timeout: 0.01, serverError: 0.01, serverErrorAfterBooking: 0.003, rateLimit: 0.005,
                                               lostResponse: 0.01, crash: 0.0005, duplicateWebhook: 0.05, webhookSpreadMs: 5_000, externalBookingsPerConversation: 0.3, cancellation: 0.03)
        .with(revokedGrants: 0.02).with(disabledSubscriptions: 0.05, forgedWebhooks: 0.01)
    public static let harsh = FaultProfile(name: "harsh", latencySpreadMs: 4_000, timeout: 0.08, serverError: 0.06, serverErrorAfterBooking: 0.03, rateLimit: 0.04,
                                           lostResponse: 0.08, crash: 0.003, duplicateWebhook: 0.3, webhookSpreadMs: 60_000, externalBookingsPerConversation: 1.0, cancellation: 0.1)
        .with(revokedGrants: 0.1).with(disabledSubscriptions: 0.3, forgedWebhooks: 0.05)

    public func with(revokedGrants: Double) -> FaultProfile { var copy = self; copy.revokedGrants = revokedGrants; return copy }
    public func with(disabledSubscriptions: Double, forgedWebhooks: Double) -> FaultProfile {
        var copy = self; copy.disabledSubscriptions = disabledSubscriptions; copy.forgedWebhooks = forgedWebhooks; return copy
    }

    public static func named(_ name: String) -> FaultProfile? {
        switch name {
        case "none": return .quiet
        case "default": return .default
        case "harsh": return .harsh
        default: return nil
        }
    }

    /// The same profile with one kind of fault switched off (used to shrink a failing schedule).
    public func without(_ kind: Kind) -> FaultProfile {
        var copy = self
        switch kind {
        case .latency: copy.latencySpreadMs = 0
        case .timeout: copy.timeout = 0
        case .serverError: copy.serverError = 0; copy.serverErrorAfterBooking = 0
        case .rateLimit: copy.rateLimit = 0
        case .lostResponse: copy.lostResponse = 0
        case .crash: copy.crash = 0
        case .duplicateWebhook: copy.duplicateWebhook = 0
        case .reorderWebhook: copy.webhookSpreadMs = 0
        case .externalBookings: copy.externalBookingsPerConversation = 0
        case .cancellations: copy.cancellation = 0
        case .revokedGrants: copy.revokedGrants = 0
        case .disabledSubscriptions: copy.disabledSubscriptions = 0
        case .forgedWebhooks: copy.forgedWebhooks = 0
        }
        copy.name += "-\(kind.rawValue)"
        return copy
    }
}
