import Effects
import Foundation

/// Which Calendly event types this product may book (PRD §5 non-goals, S02 AC-1, NEG-3, NEG-4).
public struct EligibilityPolicy: Codable, Sendable, Hashable {
    /// Secret event types are hidden from the public Calendly page but bookable by link; an admin
    /// may deliberately reserve one for the bot, so it is an explicit opt-in.
    public var allowSecret: Bool
    public init(allowSecret: Bool = false) { self.allowSecret = allowSecret }

    public func ineligibility(_ eventType: EventType) -> String? {
        if !eventType.active { return "inactive" }
        if eventType.kind != .solo { return "group" }
        if let pooling = eventType.poolingType {
            switch pooling {
            case .roundRobin: return "round_robin"
            case .collective: return "collective"
            case .multiPool: return "multi_pool"
            }
        }
        if eventType.bookingMethod != .instant { return "poll" }
        if eventType.isPaid { return "paid" }
        if eventType.secret && !allowSecret { return "secret" }
        return nil
    }

    public func isEligible(_ eventType: EventType) -> Bool { ineligibility(eventType) == nil }
}

/// The eligibility defaults, decided once (issue 11 defect 6; the wire decoder used to decide them).
/// What Calendly left out or sent unreadable lands where it is safe: a missing field takes Calendly's
/// documented default (no `kind` is a one-on-one, no `pooling_type` is none, no `booking_method` is
/// instant, no `is_paid` / `secret` is false), but an *unreadable* or unknown value lands on the
/// ineligible side (a new pooling type is never taken for solo, an unreadable `is_paid` is paid). An
/// event type whose `active` is missing or unreadable is not offered.
extension EventType {
    public var active: Bool {
        get { facts.active ?? false }
        set { facts.active = newValue; facts.unreadable.removeAll { $0 == .active } }
    }

    public var kind: EventTypeKind {
        get {
            if facts.isUnreadable(.kind) { return .group }
            guard let kind = facts.kind else { return .solo }
            return EventTypeKind(rawValue: kind) ?? .group
        }
        set { facts.kind = newValue.rawValue; facts.unreadable.removeAll { $0 == .kind } }
    }

    public var poolingType: PoolingType? {
        get {
            if facts.isUnreadable(.poolingType) { return .multiPool }
            return facts.poolingType.map { PoolingType(rawValue: $0) ?? .multiPool }
        }
        set { facts.poolingType = newValue?.rawValue; facts.unreadable.removeAll { $0 == .poolingType } }
    }

    public var secret: Bool {
        get { facts.isUnreadable(.secret) || facts.secret == true }
        set { facts.secret = newValue; facts.unreadable.removeAll { $0 == .secret } }
    }

    public var bookingMethod: BookingMethod {
        get {
            if facts.isUnreadable(.bookingMethod) { return .poll }
            return facts.bookingMethod.map { BookingMethod(rawValue: $0) ?? .poll } ?? .instant
        }
        set { facts.bookingMethod = newValue.rawValue; facts.unreadable.removeAll { $0 == .bookingMethod } }
    }

    public var isPaid: Bool {
        get { facts.isUnreadable(.isPaid) || facts.isPaid == true }
        set { facts.isPaid = newValue; facts.unreadable.removeAll { $0 == .isPaid } }
    }
}

/// The eligible event types of a connected account, searchable, showing at most 25 at a time (S02 AC-4).
public struct EventTypeCatalog: Codable, Sendable, Hashable {
    public static let visibleLimit = 25
    /// Eligible types sorted by name (then URI, so equal names stay in a stable order).
    public private(set) var eventTypes: [EventType]

    public init(from fetched: [EventType], policy: EligibilityPolicy) {
        eventTypes = fetched.filter(policy.isEligible).sorted {
            let left = EventTypeCatalog.fold($0.name), right = EventTypeCatalog.fold($1.name)
            return left != right ? left < right : $0.uri < $1.uri
        }
    }

    public struct Page: Equatable, Sendable {
        public var items: [EventType]
        public var totalMatches: Int
    }

    /// Up to 25 types whose name contains `query` (case- and accent-insensitive); all when empty.
    public func page(matching query: String = "") -> Page {
        let needle = EventTypeCatalog.fold(query.trimmingWhitespace())
        let matches = needle.isEmpty ? eventTypes : eventTypes.filter { EventTypeCatalog.fold($0.name).contains(needle) }
        return Page(items: Array(matches.prefix(Self.visibleLimit)), totalMatches: matches.count)
    }

    public func eventType(_ uri: CalendlyURI) -> EventType? { eventTypes.first { $0.uri == uri } }

    static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }
}
