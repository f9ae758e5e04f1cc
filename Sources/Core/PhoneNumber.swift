/// Phone numbers as the customer types them, made E.164 (`+` and 8–15 digits) for Calendly.
///
/// A number with `+` or `00` in front carries its country. One without is read in the customer's
/// country, guessed from their time zone (`callingCode(forZone:)`): a leading trunk `0` is dropped and
/// the country code put in front. Without a guess, such a number is refused with a reason.
public enum PhoneNumber {
    /// E.164 allows at most 15 digits; fewer than 8 is no reachable number anywhere.
    public static let minDigits = 8
    public static let maxDigits = 15
    /// Anything longer is not a phone number; checked before any work on the text.
    static let maxInputLength = 40

    public enum Problem: Error, Equatable, Sendable {
        case notANumber
        case tooShort
        case tooLong
        /// Digits only, and no country known from the time zone: the customer must add `+` and the code.
        case needsCountryCode
    }

    public static func normalized(_ text: String, zone: String) -> Result<String, Problem> {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= maxInputLength else { return .failure(trimmed.isEmpty ? .notANumber : .tooLong) }
        var digits = ""
        var plus = false
        for (offset, character) in trimmed.enumerated() {
            if character == "+", offset == 0 { plus = true; continue }
            if let digit = character.asciiDigit { digits.append(digit); continue }
            // Separators people type between groups; anything else (letters, a second `+`) is not a number.
            guard [" ", "-", ".", "(", ")", "/", "\u{00A0}"].contains(character) else { return .failure(.notANumber) }
        }
        guard !digits.isEmpty else { return .failure(.notANumber) }
        if !plus, digits.hasPrefix("00") {
            plus = true
            digits.removeFirst(2)
        }
        if !plus {
            guard let code = callingCode(forZone: zone) else { return .failure(.needsCountryCode) }
            // A national number: drop the trunk prefix (0 in most countries; NANP has none).
            if code != "1", digits.hasPrefix("0") { digits.removeFirst() }
            if code == "1", digits.count == 11, digits.hasPrefix("1") { digits.removeFirst() }
            digits = code + digits
        }
        guard digits.count >= minDigits else { return .failure(.tooShort) }
        guard digits.count <= maxDigits else { return .failure(.tooLong) }
        guard digits.first != "0" else { return .failure(.notANumber) }
        return .success("+" + digits)
    }

    /// The country calling code of the customer's time zone, where the zone names one country (a hint only).
    public static func callingCode(forZone zone: String) -> String? { zoneCallingCodes[zone] }

    static let zoneCallingCodes: [String: String] = [
        "America/New_York": "1", "America/Chicago": "1", "America/Denver": "1", "America/Los_Angeles": "1", "America/Phoenix": "1",
        "America/Anchorage": "1", "Pacific/Honolulu": "1", "America/Detroit": "1", "America/Toronto": "1", "America/Vancouver": "1",
        "America/Edmonton": "1", "America/Winnipeg": "1", "America/Halifax": "1",
        "America/Mexico_City": "52", "America/Sao_Paulo": "55", "America/Argentina/Buenos_Aires": "54", "America/Bogota": "57",
        "America/Lima": "51", "America/Santiago": "56",
        "Europe/London": "44", "Europe/Dublin": "353", "Europe/Berlin": "49", "Europe/Paris": "33", "Europe/Madrid": "34",
        "Europe/Rome": "39", "Europe/Amsterdam": "31", "Europe/Brussels": "32", "Europe/Vienna": "43", "Europe/Zurich": "41",
        "Europe/Stockholm": "46", "Europe/Oslo": "47", "Europe/Copenhagen": "45", "Europe/Helsinki": "358", "Europe/Warsaw": "48",
        "Europe/Prague": "420", "Europe/Lisbon": "351", "Europe/Athens": "30", "Europe/Istanbul": "90", "Europe/Kyiv": "380",
        "Europe/Bucharest": "40", "Europe/Budapest": "36",
        "Asia/Jakarta": "62", "Asia/Makassar": "62", "Asia/Jayapura": "62", "Asia/Singapore": "65", "Asia/Kuala_Lumpur": "60",
        "Asia/Bangkok": "66", "Asia/Ho_Chi_Minh": "84", "Asia/Manila": "63", "Asia/Tokyo": "81", "Asia/Seoul": "82",
        "Asia/Shanghai": "86", "Asia/Hong_Kong": "852", "Asia/Taipei": "886", "Asia/Kolkata": "91", "Asia/Karachi": "92",
        "Asia/Dubai": "971", "Asia/Riyadh": "966", "Asia/Jerusalem": "972",
        "Australia/Sydney": "61", "Australia/Melbourne": "61", "Australia/Brisbane": "61", "Australia/Perth": "61",
        "Pacific/Auckland": "64", "Africa/Johannesburg": "27", "Africa/Lagos": "234", "Africa/Nairobi": "254", "Africa/Cairo": "20",
    ]
}

extension Character {
    /// The character itself when it is one of the ASCII digits 0–9 (not other scripts' digits).
    var asciiDigit: Character? { ("0"..."9").contains(self) && isASCII ? self : nil }
}
