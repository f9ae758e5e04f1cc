import Core
import Effects
import Foundation

/// The host API's JSON shapes (documented in openapi.json). Kept apart from the core's types so
/// the wire format is deliberate and stable.
struct OfferRequest: Decodable, Sendable {
    var agentId: String
    var channel: Channel
    var timeZone: String
    /// Known contact/conversation fields, e.g. {"contact.email": "a@b.co", "contact.name": "Ana"}.
    /// Absent is fine; `null` is a wrong type (openapi.json: an object when present).
    var contact: [String: String]?

    enum CodingKeys: String, CodingKey { case agentId, channel, timeZone, contact }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        agentId = try container.decode(String.self, forKey: .agentId)
        channel = try container.decode(Channel.self, forKey: .channel)
        timeZone = try container.decode(String.self, forKey: .timeZone)
        contact = container.contains(.contact) ? try container.decode([String: String].self, forKey: .contact) : nil
    }
}

/// Exactly one of `text` or `rowId`, each a string when present: `"text": null` is a wrong type, not
/// an absent field (openapi.json states it as `oneOf`).
struct ReplyRequest: Decodable, Sendable {
    var text: String?
    var rowId: String?

    enum CodingKeys: String, CodingKey { case text, rowId }

    init(text: String? = nil, rowId: String? = nil) { self.text = text; self.rowId = rowId }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        text = container.contains(.text) ? try container.decode(String.self, forKey: .text) : nil
        rowId = container.contains(.rowId) ? try container.decode(String.self, forKey: .rowId) : nil
    }
}

struct MessageDTO: Codable, Sendable, Equatable {
    var type: String
    var text: String?
    var body: String?
    var button: String?
    var rows: [ListRow]?
    var buttons: [ChoiceButton]?
    var card: ConfirmationCard?
    /// The message's place in the conversation's outbox (`GET …/messages?after=SEQ`); absent in a request's own answer.
    var seq: Int64?

    init(_ content: MessageContent, seq: Int64? = nil) {
        self.seq = seq
        switch content {
        case .text(let text): type = "text"; self.text = text
        case .interactiveList(let body, let button, let rows): type = "interactive_list"; self.body = body; self.button = button; self.rows = rows
        case .buttons(let body, let buttons): type = "buttons"; self.body = body; self.buttons = buttons
        case .confirmationCard(let card): type = "confirmation_card"; self.card = card
        }
    }
}

struct ConversationResponse: Encodable, Sendable {
    var conversationId: String
    var state: String
    var messages: [MessageDTO]
    /// On `GET …/messages`: the cursor to pass as `after` next time (the last message's seq, or the `after` given).
    var lastSeq: Int64?
}

struct ErrorBody: Encodable, Sendable {
    var error: String
    var message: String
    var field: String?
}

struct ConnectResponse: Encodable, Sendable { var authorizeUrl: String }

struct ConnectionView: Encodable, Sendable {
    var status: String
    var message: String
    var accountEmail: String?
    var organization: String?
    var lastError: String?
    /// Why the connection is `error` or `disconnected` (e.g. `refresh_rejected`: Calendly refused the grant).
    var reason: String?
}

struct EventTypeView: Encodable, Sendable {
    var uri: String
    var name: String
    var durationMinutes: Int
    var customQuestions: [String]
}

struct EventTypeListView: Encodable, Sendable {
    var status: String
    var message: String?
    var items: [EventTypeView]
    var totalMatches: Int
    var fetchedAt: String?
}

struct ActionView: Encodable, Sendable {
    var draft: ActionDraft
    var eventType: EventTypeView
    var savedAt: String
    var runnable: Bool
    /// Why the agent does not offer booking (a `NotOfferedReason`, e.g. `plan_insufficient`); absent when runnable.
    var notRunnableReason: String?
    /// The required questions the chat asks the customer (issue 12 "save is honest").
    var askedInChat: [AskedQuestion]
    /// Set when Calendly refused a booking for its answers: the admin should review the action.
    var needsReview: ReviewView?

    struct ReviewView: Encodable, Sendable { var reason: String; var since: String }

    init(_ saved: SavedAction, notRunnable reason: NotOfferedReason?) {
        draft = saved.draft
        eventType = EventTypeView(saved.eventType)
        savedAt = saved.savedAt.iso8601
        runnable = reason == nil
        notRunnableReason = reason?.rawValue
        askedInChat = saved.askedInChat
        needsReview = saved.needsReview.map { ReviewView(reason: $0.reason, since: $0.at.iso8601) }
    }
}

struct AgentCalendlyView: Encodable, Sendable {
    var connection: ConnectionView
    var action: ActionView?
    var eventTypes: EventTypeListView
}

extension ConnectionView {
    init(_ connection: Connection) {
        let status: String
        var reason: String?
        switch connection.phase {
        case .notConnected: status = "not_connected"
        case .connecting, .exchangingCode, .loadingUser: status = "connecting"
        case .connected, .refreshing: status = "connected"
        case .failed(let why): status = "error"; reason = why
        case .disconnected(let why): status = "disconnected"; reason = why
        }
        self.init(status: status, message: connection.statusLine, accountEmail: connection.account?.email,
                  organization: connection.account?.organization.rawValue, lastError: connection.lastError, reason: reason)
    }
}

extension EventTypeView {
    init(_ eventType: EventType) {
        self.init(uri: eventType.uri.rawValue, name: eventType.name, durationMinutes: eventType.durationMinutes,
                  customQuestions: eventType.customQuestions.filter(\.enabled).sorted { $0.position < $1.position }.map(\.name))
    }
}

extension EventTypeListView {
    init(_ config: ActionConfig, query: String) {
        let status: String
        switch config.status {
        case .notLoaded: status = "not_loaded"
        case .loading: status = "loading"
        case .loaded: status = "loaded"
        case .empty: status = "empty"
        case .refreshFailed: status = "refresh_failed"
        case .failedWithoutCache: status = "error"
        case .planInsufficient: status = "plan_insufficient"
        }
        let page = config.page(matching: query)
        self.init(status: status, message: config.statusLine, items: page.items.map(EventTypeView.init), totalMatches: page.totalMatches,
                  fetchedAt: config.cache?.fetchedAt.iso8601)
    }
}
