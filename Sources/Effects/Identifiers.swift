/// Typed identifiers. Each is a thin wrapper over a string so that an agent id can never be passed
/// where a conversation id is expected; all encode as a bare JSON string.
public protocol StringIdentifier: RawRepresentable, Hashable, Comparable, Codable, Sendable,
    ExpressibleByStringLiteral, CustomStringConvertible where RawValue == String
{
    init(rawValue: String)
}

extension StringIdentifier {
    public init(_ value: String) { self.init(rawValue: value) }
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An AI Agent of the platform; a Calendly connection and an action config belong to one.
public struct AgentID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
/// A platform (tenant) account; agents belong to accounts.
public struct AccountID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
/// A customer conversation on some channel.
public struct ConversationID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
/// Correlates an effect with the input that carries its result (DESIGN §7 "results are inputs").
public struct RequestID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
/// The idempotency key of one booking attempt, derived from (conversation, attempt).
public struct BookingKey: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
/// Identity of one webhook delivery, used to drop repeats.
public struct DeliveryID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
/// An opaque handle to tokens held by the token vault; the core never sees a token itself.
public struct TokenReference: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
/// The OAuth `state` parameter of one connect attempt, handed in by the host.
public struct OAuthState: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
/// A Calendly resource URI (user, organization, event type, scheduled event, invitee).
public struct CalendlyURI: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
