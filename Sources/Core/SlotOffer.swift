import Effects

/// The slots one offer showed the customer, in the order shown. The offer number makes row ids of an
/// older offer recognisable as stale after a re-offer.
public struct SlotOffer: Codable, Sendable, Hashable {
    public var number: Int
    public var slots: [Slot]
    public init(number: Int, slots: [Slot]) { self.number = number; self.slots = slots }

    public func rowID(_ index: Int) -> String { "o\(number)s\(index + 1)" }

    public func index(ofRowID id: String) -> Int? {
        slots.indices.first { rowID($0) == id }
    }
}

/// Channel limits (WhatsApp Cloud API interactive list; web chat button bar; readable text list).
public enum ChannelLimits {
    public static func maxSlots(_ channel: Channel) -> Int {
        switch channel {
        case .whatsapp: return 10
        case .webchat: return 6
        case .text: return 6
        }
    }
    public static let rowTitle = 24
    public static let rowDescription = 72
    public static let listButton = 20
    public static let listBody = 1024
    public static let buttonLabel = 20
}

/// Turns an offer into the channel's message: interactive list, buttons, or a numbered text list.
public enum OfferRenderer {
    public static func render(_ offer: SlotOffer, channel: Channel, eventName: String, durationMinutes: Int, time: LocalTime) -> MessageContent {
        let intro = Copy.slotsIntro(eventName: eventName, zoneLabel: time.zoneLabel(at: offer.slots.first?.start ?? Instant(millisecondsSince1970: 0)))
        switch channel {
        case .whatsapp:
            let rows = offer.slots.enumerated().map { index, slot in
                ListRow(
                    id: offer.rowID(index),
                    title: truncate(time.shortLabel(slot.start), to: ChannelLimits.rowTitle),
                    description: truncate("\(durationMinutes) min · \(time.zoneLabel(at: slot.start))", to: ChannelLimits.rowDescription)
                )
            }
            return .interactiveList(body: truncate(intro, to: ChannelLimits.listBody), button: truncate(Copy.listButton, to: ChannelLimits.listButton), rows: rows)
        case .webchat:
            let buttons = offer.slots.enumerated().map { index, slot in
                ChoiceButton(id: offer.rowID(index), label: truncate(time.shortLabel(slot.start), to: ChannelLimits.buttonLabel))
            }
            return .buttons(body: intro, buttons: buttons)
        case .text:
            var lines = [intro]
            for (index, slot) in offer.slots.enumerated() { lines.append("\(index + 1). \(time.shortLabel(slot.start))") }
            lines.append(Copy.textListInstruction)
            return .text(lines.joined(separator: "\n"))
        }
    }

    /// Truncates on a character boundary, marking the cut with an ellipsis.
    public static func truncate(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}
