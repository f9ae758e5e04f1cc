import Effects
import Foundation

/// Renders Calendly's UTC instants in the customer's IANA time zone.
///
/// Only the zone offset comes from Foundation's tz database; calendar math and formatting are done
/// here, so output is identical on every platform and fast enough for the simulator.
public struct LocalTime: Sendable, Hashable {
    public let zoneIdentifier: String
    private let zone: TimeZone

    /// Falls back to UTC for an unknown identifier, so a bad zone can never block an offer.
    public init(zoneIdentifier: String) {
        if let zone = TimeZone(identifier: zoneIdentifier) {
            self.zone = zone
            self.zoneIdentifier = zoneIdentifier
        } else {
            self.zone = TimeZone(secondsFromGMT: 0)!
            self.zoneIdentifier = "UTC"
        }
    }

    public static func isKnownZone(_ identifier: String) -> Bool { TimeZone(identifier: identifier) != nil }

    public func offsetSeconds(at instant: Instant) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant.secondsSince1970)))
    }

    public struct Components: Hashable, Sendable {
        public var date: CivilDate
        public var hour: Int
        public var minute: Int
        public var weekday: Int
        public var offsetSeconds: Int
    }

    public func components(of instant: Instant) -> Components {
        let offset = offsetSeconds(at: instant)
        let local = instant.secondsSince1970 + Int64(offset)
        let date = CivilDate(daysSince1970: local.floorDiv(86_400))
        let secondsOfDay = Int(local.floorMod(86_400))
        return Components(date: date, hour: secondsOfDay / 3600, minute: secondsOfDay / 60 % 60, weekday: date.weekday, offsetSeconds: offset)
    }

    static let weekdayShort = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let weekdayLong = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let monthShort = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let monthLong = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

    /// "GMT+7", "GMT-4", "GMT+10:30", "GMT".
    public static func offsetLabel(_ seconds: Int) -> String {
        if seconds == 0 { return "GMT" }
        let sign = seconds < 0 ? "-" : "+"
        let magnitude = abs(seconds)
        let hours = magnitude / 3600
        let minutes = magnitude / 60 % 60
        return minutes == 0 ? "GMT\(sign)\(hours)" : "GMT\(sign)\(hours):\(minutes.padded(2))"
    }

    /// "Thu 26 Nov, 09:30" — at most 17 characters, fits WhatsApp's 24-character row title.
    public func shortLabel(_ instant: Instant) -> String {
        let c = components(of: instant)
        return "\(Self.weekdayShort[c.weekday]) \(c.date.day) \(Self.monthShort[c.date.month - 1]), \(c.hour.padded(2)):\(c.minute.padded(2))"
    }

    /// "Thursday 26 November 2026, 09:30 (Asia/Jakarta, GMT+7)" for the confirmation card.
    public func longLabel(_ instant: Instant) -> String {
        let c = components(of: instant)
        return "\(Self.weekdayLong[c.weekday]) \(c.date.day) \(Self.monthLong[c.date.month - 1]) \(c.date.year), "
            + "\(c.hour.padded(2)):\(c.minute.padded(2)) (\(zoneIdentifier), \(Self.offsetLabel(c.offsetSeconds)))"
    }

    /// "Asia/Jakarta, GMT+7" at the given instant (offsets change across DST).
    public func zoneLabel(at instant: Instant) -> String {
        "\(zoneIdentifier), \(Self.offsetLabel(offsetSeconds(at: instant)))"
    }
}
