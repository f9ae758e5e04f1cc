import Effects
import Foundation
import Interpreters

/// The JSON body POSTed to `MESSAGE_CALLBACK_URL` for one outbox message: the conversation id as the caller
/// named it (no account namespace) plus the account, so a multi-tenant platform can route it, the message's
/// `seq` (the same cursor as `GET …/messages?after=SEQ`, so a platform that also polls can de-duplicate) and
/// the message in the API's own shape.
struct MessageCallbackBody: Encodable, Sendable {
    var accountId: String
    var conversationId: String
    var seq: Int64
    var message: MessageDTO

    init(_ outbox: OutboxMessage) {
        let raw = outbox.conversation.rawValue
        // Conversation ids are "<account>:<id>"; account ids never contain ':' (Gate.validID).
        accountId = String(raw.prefix { $0 != ":" })
        conversationId = RuntimeRoutes.rawID(outbox.conversation)
        seq = outbox.seq
        message = MessageDTO(outbox.message.content)
    }

    static func encode(_ outbox: OutboxMessage) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(MessageCallbackBody(outbox))).map(Array.init) ?? []
    }
}
