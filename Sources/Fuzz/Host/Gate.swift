/// PlatformToken.swift (symlinked in) checks account ids with Host's `Gate.validID`, whose file also holds
/// Hummingbird request code this module does not build. This is that one rule, copied from
/// Sources/Host/API/Gate.swift — keep the two in step (or move the rule into Core and drop this copy).
enum Gate {
    static func validID(_ raw: String?) -> String? {
        guard let raw, (1...128).contains(raw.utf8.count), raw.first != ".",
              raw.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else { return nil }
        return raw
    }
}
