/// The rule for ids that come from outside — agent and conversation ids in paths, the `account` claim of a
/// platform token: 1–128 ASCII letters, digits, `-`, `_`, `.`, not starting with `.` (so `.`, `..` and
/// hidden-file look-alikes are never ids) and never `:`, the separator of stored `account:id` keys.
/// openapi.json states it as `^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`.
public enum ResourceID {
    public static func valid(_ raw: String?) -> String? {
        guard let raw, (1...128).contains(raw.utf8.count), raw.first != ".",
              raw.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else { return nil }
        return raw
    }
}
