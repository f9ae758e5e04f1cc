/// An opaque reference to one conversation, put in the static link's `utm_content` so a booking made
/// through the link can be traced back. The host derives it with a keyed hash, so it reveals no id and
/// no customer data; the core only carries it.
public struct ConversationReference: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Safe to put in a URL query and a webhook field unescaped: 8–64 letters, digits, '-' or '_'.
    public var isWellFormed: Bool {
        (8...64).contains(rawValue.utf8.count) && rawValue.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }
    }
}

/// The UTM parameters Calendly echoes back in an invitee's `tracking` (only the ones the core reads).
public struct BookingTracking: Codable, Sendable, Hashable {
    public var utmSource: String?
    public var utmContent: String?
    public init(utmSource: String?, utmContent: String?) { self.utmSource = utmSource; self.utmContent = utmContent }
}

/// A conversation handed the customer the attributed static link: remembered so that the later
/// `invitee.created` carrying the same `utm_content` maps back to it.
public struct FallbackOffer: Codable, Sendable, Hashable {
    public var reference: ConversationReference
    public var agent: AgentID
    public var conversation: ConversationID
    public var eventType: CalendlyURI
    public var offeredAt: Instant

    public init(reference: ConversationReference, agent: AgentID, conversation: ConversationID, eventType: CalendlyURI, offeredAt: Instant) {
        self.reference = reference; self.agent = agent; self.conversation = conversation; self.eventType = eventType; self.offeredAt = offeredAt
    }
}
