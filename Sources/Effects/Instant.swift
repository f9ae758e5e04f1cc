/// A point in time as whole milliseconds since 1970-01-01T00:00:00Z.
///
/// The core never reads a clock: every input that needs "now" carries an `Instant`. Integers keep
/// arithmetic exact and traces byte-identical across machines.
public struct Instant: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) { self.millisecondsSince1970 = millisecondsSince1970 }
    public init(secondsSince1970: Int64) { self.millisecondsSince1970 = secondsSince1970.saturatingMultiplied(by: 1000) }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.millisecondsSince1970 < rhs.millisecondsSince1970 }

    // Instants come from outside (signature headers, Calendly times, stored rows): the arithmetic
    // saturates at the ends of Int64 instead of trapping, so no input can stop the process (issue 10).
    public static func + (lhs: Instant, rhs: Span) -> Instant { Instant(millisecondsSince1970: lhs.millisecondsSince1970.saturatingAdding(rhs.milliseconds)) }
    public static func - (lhs: Instant, rhs: Span) -> Instant { Instant(millisecondsSince1970: lhs.millisecondsSince1970.saturatingSubtracting(rhs.milliseconds)) }
    public static func - (lhs: Instant, rhs: Instant) -> Span { Span(milliseconds: lhs.millisecondsSince1970.saturatingSubtracting(rhs.millisecondsSince1970)) }

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
    // Saturating, like Instant's operators: a Retry-After of 2^63 seconds is "very long", not a trap.
    public static func seconds(_ value: Int64) -> Span { Span(milliseconds: value.saturatingMultiplied(by: 1000)) }
    public static func minutes(_ value: Int64) -> Span { Span(milliseconds: value.saturatingMultiplied(by: 60_000)) }
    public static func hours(_ value: Int64) -> Span { Span(milliseconds: value.saturatingMultiplied(by: 3_600_000)) }
    public static func days(_ value: Int64) -> Span { Span(milliseconds: value.saturatingMultiplied(by: 86_400_000)) }
    public static func < (lhs: Span, rhs: Span) -> Bool { lhs.milliseconds < rhs.milliseconds }
    public static func + (lhs: Span, rhs: Span) -> Span { Span(milliseconds: lhs.milliseconds.saturatingAdding(rhs.milliseconds)) }
    public static func * (lhs: Span, rhs: Int64) -> Span { Span(milliseconds: lhs.milliseconds.saturatingMultiplied(by: rhs)) }
    /// The length without its sign; `Int64.min` (which has no positive twin) becomes `Int64.max`.
    public var magnitude: Span { Span(milliseconds: milliseconds == .min ? .max : (milliseconds < 0 ? -milliseconds : milliseconds)) }
}

extension Int64 {
    /// Division rounding toward negative infinity, so instants before 1970 map to the right day.
    public func floorDiv(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
    /// The remainder with the divisor's sign. From `%`, not `self - floorDiv * divisor`, whose product
    /// overflows near `Int64.min` (a stored or parsed extreme time must not trap).
    public func floorMod(_ divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder != 0 && (remainder < 0) != (divisor < 0) ? remainder + divisor : remainder
    }

    /// `self + other`, clamped to `Int64.min…Int64.max` instead of trapping.
    public func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `self - other`, clamped instead of trapping.
    public func saturatingSubtracting(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : difference
    }

    /// `self * other`, clamped instead of trapping.
    public func saturatingMultiplied(by other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) == (other < 0) ? .max : .min) : product
    }
}
