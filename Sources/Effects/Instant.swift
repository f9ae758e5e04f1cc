/// A point in time as whole milliseconds since 1970-01-01T00:00:00Z.
///
/// The core never reads a clock: every input that needs "now" carries an `Instant`. Integers keep
/// arithmetic exact and traces byte-identical across machines.
public struct Instant: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) { self.millisecondsSince1970 = millisecondsSince1970 }
    public init(secondsSince1970: Int64) { self.millisecondsSince1970 = secondsSince1970 * 1000 }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.millisecondsSince1970 < rhs.millisecondsSince1970 }

    public static func + (lhs: Instant, rhs: Span) -> Instant { Instant(millisecondsSince1970: lhs.millisecondsSince1970 + rhs.milliseconds) }
    public static func - (lhs: Instant, rhs: Span) -> Instant { Instant(millisecondsSince1970: lhs.millisecondsSince1970 - rhs.milliseconds) }
    public static func - (lhs: Instant, rhs: Instant) -> Span { Span(milliseconds: lhs.millisecondsSince1970 - rhs.millisecondsSince1970) }

    public var secondsSince1970: Int64 { millisecondsSince1970.floorDiv(1000) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let parsed = Instant(iso8601: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 UTC time: \(text)")
            }
            self = parsed
        } else {
            self.millisecondsSince1970 = try container.decode(Int64.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }

    public var description: String { iso8601 }
}

/// A length of time in milliseconds.
public struct Span: Hashable, Comparable, Codable, Sendable {
    public var milliseconds: Int64
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func milliseconds(_ value: Int64) -> Span { Span(milliseconds: value) }
    public static func seconds(_ value: Int64) -> Span { Span(milliseconds: value * 1000) }
    public static func minutes(_ value: Int64) -> Span { Span(milliseconds: value * 60_000) }
    public static func hours(_ value: Int64) -> Span { Span(milliseconds: value * 3_600_000) }
    public static func days(_ value: Int64) -> Span { Span(milliseconds: value * 86_400_000) }
    public static func < (lhs: Span, rhs: Span) -> Bool { lhs.milliseconds < rhs.milliseconds }
    public static func + (lhs: Span, rhs: Span) -> Span { Span(milliseconds: lhs.milliseconds + rhs.milliseconds) }
    public static func * (lhs: Span, rhs: Int64) -> Span { Span(milliseconds: lhs.milliseconds * rhs) }
}

extension Int64 {
    /// Division rounding toward negative infinity, so instants before 1970 map to the right day.
    public func floorDiv(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
    public func floorMod(_ divisor: Int64) -> Int64 { self - floorDiv(divisor) * divisor }
}
