import Core
import Effects

/// A webhook body (read before and after the signature check, so any bytes reach it).
enum WebhookPayloadTarget {
    static func run(_ input: [UInt8]) {
        let parsed = WebhookPayload.parse(input)
        check(parsed == WebhookPayload.parse(input), "parsing the same body twice disagreed")
        switch parsed {
        case .success(.invitee(let notice)):
            // The fields the core keys on are never empty (an empty URI would merge unrelated bookings).
            check(!notice.invitee.rawValue.isEmpty && !notice.event.rawValue.isEmpty && !notice.eventType.rawValue.isEmpty,
                  "an invitee notice with an empty URI")
        case .success(.unsupported), .failure:
            break
        }
    }
}
