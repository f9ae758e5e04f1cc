import Core
import Effects
import Foundation
import Interpreters

/// Unique, correctly signed `invitee.created` deliveries prepared before a wrk run, one per line:
/// `<Calendly-Webhook-Signature value>\t<body>`. Bodies are single-line JSON (no tab or newline), each
/// about a different invitee, so dedupe never short-circuits a delivery. Signed at `at`: a file must be
/// used within `WebhookSignature.tolerance` (3 minutes) of it.
enum SignedWebhookFile {
    static func body(index: Int, prefix: String, eventType: String) -> String {
        let event = "https://api.calendly.com/scheduled_events/\(prefix)E\(index)"
        let invitee = "\(event)/invitees/\(prefix)I\(index)"
        return #"{"created_at":"2026-11-25T02:00:00.000000Z","event":"invitee.created","payload":{"#
            + #""cancel_url":"https://calendly.com/cancellations/\#(prefix)I\#(index)","email":"bench.\#(prefix).\#(index)@example.com","#
            + #""event":"\#(event)","reschedule_url":"https://calendly.com/reschedulings/\#(prefix)I\#(index)","rescheduled":false,"#
            + #""scheduled_event":{"event_type":"\#(eventType)","start_time":"2026-11-30T09:00:00.000000Z","uri":"\#(event)"},"uri":"\#(invitee)"}}"#
    }

    /// The file's text for `count` deliveries; `prefix` keeps several files' invitees apart.
    static func lines(count: Int, prefix: String, eventType: String, key: [UInt8], at: Instant) -> String {
        let signature = WebhookSignature(key: key, hmac: CryptoHMAC.sha256)
        var text = ""
        text.reserveCapacity(count * 700)
        for index in 0..<max(0, count) {
            let body = body(index: index, prefix: prefix, eventType: eventType)
            text += signature.header(for: Array(body.utf8), at: at) + "\t" + body + "\n"
        }
        return text
    }

    static func write(to path: String, count: Int, prefix: String, eventType: String, key: [UInt8], at: Instant) throws {
        try lines(count: count, prefix: prefix, eventType: eventType, key: key, at: at).write(toFile: path, atomically: false, encoding: .utf8)
    }
}
