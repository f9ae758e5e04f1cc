import Effects
import Interpreters
import Logging

/// What the callback deliverer did, as metrics and log lines: conversation and seq only — never the
/// message (customer text), the URL (it may carry the platform's token) or the secret.
struct MessageCallbackReport: Sendable {
    let metrics: Metrics
    let logger: Logger

    static let help = "Callback POSTs of outbox messages to MESSAGE_CALLBACK_URL by outcome (delivered, retry, abandoned after 24 h)"

    func observe(_ outcome: MessageCallback<SQLiteStore>.Outcome) {
        switch outcome {
        case .delivered(let conversation, let seq, let attempts):
            metrics.increment("calendly_message_callbacks_total", labels: ["outcome": "delivered"], help: Self.help)
            logger.debug("message callback delivered", metadata: ["conversation": "\(conversation)", "seq": "\(seq)", "attempts": "\(attempts)"])
        case .deferred(let conversation, let seq, let attempts, let failure, let next):
            metrics.increment("calendly_message_callbacks_total", labels: ["outcome": "retry"], help: Self.help)
            logger.warning("message callback failed; will retry", metadata: ["conversation": "\(conversation)", "seq": "\(seq)", "attempts": "\(attempts)",
                                                                               "failure": "\(failure)", "next": "\(next)"])
        case .abandoned(let conversation, let seq, let attempts, let failure):
            metrics.increment("calendly_message_callbacks_total", labels: ["outcome": "abandoned"], help: Self.help)
            logger.error("message callback given up after 24 h (still readable at GET …/messages)",
                         metadata: ["conversation": "\(conversation)", "seq": "\(seq)", "attempts": "\(attempts)", "failure": "\(failure)"])
        }
    }
}
