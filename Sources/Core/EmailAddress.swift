/// Syntactic email validation (S03 AC-3: "a syntactically valid email"). Deliberately conservative
/// about shape, liberal about characters: Calendly does its own checks and rejects with a 400.
public enum EmailAddress {
    public static func normalized(_ raw: String) -> String? {
        var text = raw.trimmingWhitespace()
        // Customers often wrap the address in punctuation or angle brackets.
        while let first = text.first, "<(\"'".contains(first) { text.removeFirst() }
        while let last = text.last, ">).,;\"'!".contains(last) { text.removeLast() }
        guard text.utf8.count <= 254, !text.isEmpty else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64, !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 && !$0.hasPrefix("-") && !$0.hasSuffix("-") }) else { return nil }
        guard let tld = labels.last, tld.count >= 2, tld.allSatisfy({ $0.isLetter }) else { return nil }
        for scalar in text.unicodeScalars {
            if scalar.value <= 32 || scalar == "\u{7F}" || "()<>[]\\,;:\"".unicodeScalars.contains(scalar) { return nil }
        }
        for character in domain where !(character.isLetter || character.isNumber || character == "-" || character == ".") { return nil }
        return String(local) + "@" + domain.lowercased()
    }

    public static func isValid(_ raw: String) -> Bool { normalized(raw) != nil }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
