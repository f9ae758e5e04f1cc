/// Where the customer is talking; decides how slots are rendered.
public enum Channel: String, Codable, Sendable, Hashable, CaseIterable {
    /// WhatsApp: interactive list message (≤10 rows, title ≤24, description ≤72, button ≤20).
    case whatsapp
    /// Web chat widget: quick-reply buttons.
    case webchat
    /// Any channel without interactive messages: numbered text list, reply with the number.
    case text
}

public struct ListRow: Codable, Sendable, Hashable {
    public var id: String
    public var title: String
    public var description: String
    public init(id: String, title: String, description: String) { self.id = id; self.title = title; self.description = description }
}

public struct ChoiceButton: Codable, Sendable, Hashable {
    public var id: String
    public var label: String
    public init(id: String, label: String) { self.id = id; self.label = label }
}

public struct ConfirmationCard: Codable, Sendable, Hashable {
    public var eventName: String
    /// Date and time in the customer's zone, e.g. "Thu 26 Nov 2026, 09:30 (GMT+7)".
    public var when: String
    public var detailsURL: String
    public var message: String
    public init(eventName: String, when: String, detailsURL: String, message: String) {
        self.eventName = eventName; self.when = when; self.detailsURL = detailsURL; self.message = message
    }
}

public enum MessageContent: Codable, Sendable, Hashable {
    case text(String)
    case interactiveList(body: String, button: String, rows: [ListRow])
    case buttons(body: String, buttons: [ChoiceButton])
    case confirmationCard(ConfirmationCard)
}

/// One message for the customer, in the order the conversation must show them.
public struct ChannelMessage: Codable, Sendable, Hashable {
    public var conversation: ConversationID
    public var content: MessageContent
    public init(conversation: ConversationID, content: MessageContent) { self.conversation = conversation; self.content = content }
}
