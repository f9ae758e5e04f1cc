import Core
import Effects

/// A customer's free-text reply to an open slot offer. Input: one byte choosing the offer's size
/// (0–10 slots, the channels' maximum) and time zone, then the reply as typed.
enum ReplyTarget {
    static let zones = [LocalTime(zoneIdentifier: "Asia/Jakarta"), LocalTime(zoneIdentifier: "America/New_York")]
    static let firstSlot = Instant(secondsSince1970: 1_780_000_000)

    static func run(_ input: [UInt8]) {
        let shape = Int(input.first ?? 0)
        let offer = SlotOffer(number: 1 + shape % 3, slots: (0..<(shape % 11)).map { Slot(start: firstSlot + .minutes(Int64(45 * $0))) })
        let time = zones[(shape >> 4) % zones.count]
        let reply = String(decoding: input.dropFirst(), as: UTF8.self)

        switch ReplyParser.meaning(of: reply, offer: offer, time: time) {
        case .slot(let index): check(offer.slots.indices.contains(index), "slot \(index) of \(offer.slots.count) for \(reply.debugDescription)")
        case .manageBooking, .unclear: break
        }
        _ = ReplyParser.mentionsManaging(reply)
        // Each slot's row id (what a list tap sends) still means that slot.
        if let last = offer.slots.indices.last {
            check(ReplyParser.meaning(of: offer.rowID(last), offer: offer, time: time) == .slot(index: last), "row id not understood")
        }
    }
}
