/// Proleptic Gregorian calendar arithmetic on plain integers (Howard Hinnant's days-from-civil).
///
/// Used for ISO 8601, for UTC day buckets of analytics and for month-based retention. Pure and
/// allocation-free so the simulator can render hundreds of thousands of slots per second.
public struct CivilDate: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) { self.year = year; self.month = month; self.day = day }

    /// Days since 1970-01-01 for this date.
    public var daysSince1970: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSince1970 days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), month: Int(m), day: Int(d))
    }

    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int { Int((daysSince1970 + 4).floorMod(7)) }

    /// The same day-of-month `months` later, clamped to the last day of a shorter month.
    public func adding(months: Int) -> CivilDate {
        let total = year * 12 + (month - 1) + months
        let newYear = total.floorDivInt(12)
        let newMonth = total - newYear * 12 + 1
        return CivilDate(year: newYear, month: newMonth, day: min(day, CivilDate.daysIn(month: newMonth, year: newYear)))
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.daysSince1970 < rhs.daysSince1970 }

    /// `YYYY-MM-DD`.
    public var description: String { "\(year.padded(4))-\(month.padded(2))-\(day.padded(2))" }

    public init?(iso: String) {
        let parts = iso.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), d >= 1, d <= CivilDate.daysIn(month: m, year: y) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CivilDate(iso: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a YYYY-MM-DD date: \(text)")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Int {
    func floorDivInt(_ divisor: Int) -> Int {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }

    /// Zero-padded decimal, e.g. `7.padded(2) == "07"`.
    public func padded(_ width: Int) -> String {
        let digits = String(self < 0 ? -self : self)
        let pad = digits.count < width ? String(repeating: "0", count: width - digits.count) : ""
        return (self < 0 ? "-" : "") + pad + digits
    }
}

extension Instant {
    /// The UTC calendar day this instant falls on.
    public var utcDate: CivilDate { CivilDate(daysSince1970: millisecondsSince1970.floorDiv(86_400_000)) }

    public init(utcDate: CivilDate, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        let seconds = utcDate.daysSince1970 * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(secondsSince1970: seconds)
    }

    /// Calendly's wire format: `2026-11-25T09:30:00.000000Z` (we print milliseconds as `.000000Z` only when non-zero).
    public var iso8601: String {
        let dayMillis = millisecondsSince1970.floorMod(86_400_000)
        let date = utcDate
        let secondsOfDay = Int(dayMillis / 1000)
        let millis = Int(dayMillis % 1000)
        let base = "\(date)T\((secondsOfDay / 3600).padded(2)):\((secondsOfDay / 60 % 60).padded(2)):\((secondsOfDay % 60).padded(2))"
        return millis == 0 ? base + "Z" : base + "." + millis.padded(3) + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, the forms Calendly and RFC 3339 use.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for index in from..<(from + count) {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 || bytes[10] == 116,
              bytes[13] == 58, bytes[16] == 58,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var millis = 0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 3 { millis = millis * 10 + Int(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { millis *= 10 } }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case 90, 122: // Z z
            guard index + 1 == bytes.count else { return nil }
        case 43, 45: // + -
            guard index + 6 == bytes.count, bytes[index + 3] == 58,
                  let offsetHours = number(index + 1, 2), let offsetMinutes = number(index + 4, 2) else { return nil }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[index] == 45 ? -1 : 1)
        default:
            return nil
        }
        let base = Instant(utcDate: CivilDate(year: year, month: month, day: day), hour: hour, minute: minute, second: second)
        self.init(millisecondsSince1970: base.millisecondsSince1970 + Int64(millis) - Int64(offsetSeconds) * 1000)
    }
}
