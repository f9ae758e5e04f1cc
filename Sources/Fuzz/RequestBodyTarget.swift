import Core
import Effects
import Foundation

/// The JSON bodies of the host's API (Host/API/APITypes.swift, compiled into this module through the
/// symlink in Host/), decoded as RequestBody.decode does, then the checks the routes apply next.
/// Input: a byte choosing the route's body type, then the body.
enum RequestBodyTarget {
    static func run(_ input: [UInt8]) {
        let body = Data(input.dropFirst())
        switch Int(input.first ?? 0) % 3 {
        case 0:
            guard let offer = try? JSONDecoder().decode(OfferRequest.self, from: body) else { return }
            // The offer route takes the zone only when known; the conversation then renders in it.
            if LocalTime.isKnownZone(offer.timeZone) { _ = LocalTime(zoneIdentifier: offer.timeZone).zoneLabel(at: Instant(secondsSince1970: 1_780_000_000)) }
            _ = ChannelLimits.maxSlots(offer.channel)
        case 1:
            guard let reply = try? JSONDecoder().decode(ReplyRequest.self, from: body) else { return }
            _ = (reply.text?.count, reply.rowId?.count)
        default:
            guard let draft = try? JSONDecoder().decode(ActionDraft.self, from: body) else { return }
            // State is stored as JSON (SQLiteStore's encoder settings) and read back: an accepted draft must survive it.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let stored = try? encoder.encode(draft)
            check(stored.flatMap { try? JSONDecoder().decode(ActionDraft.self, from: $0) } == draft, "an accepted draft does not survive storage")
        }
    }
}
