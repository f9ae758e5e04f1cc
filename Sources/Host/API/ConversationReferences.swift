import Crypto
import Effects
import Foundation

/// The opaque conversation reference a fallback link carries in `utm_content` (issue 6 item 4): an
/// HMAC of the (account-namespaced) conversation id under a key derived from the host's secret, so the
/// link names no id and cannot be forged or enumerated; the store maps it back.
struct ConversationReferences: Sendable {
    private let key: SymmetricKey

    init(secret: [UInt8]) {
        // A key of its own (domain-separated from the platform-token key it is derived from).
        let derived = HMAC<SHA256>.authenticationCode(for: Data("calendly-action/fallback-attribution".utf8), using: SymmetricKey(data: secret))
        key = SymmetricKey(data: Data(derived))
    }

    /// 24 hex characters (96 bits): short enough for a link, far too many to guess.
    func reference(for conversation: ConversationID) -> ConversationReference {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(conversation.rawValue.utf8), using: key)
        return ConversationReference(Data(mac).prefix(12).map { String(format: "%02x", $0) }.joined())
    }
}
