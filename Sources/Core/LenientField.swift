/// One field of a Calendly payload as found: absent (or null), present with an unusable type, or usable.
/// Payloads are read field by field with it, so a surprise in one field never fails the others (webhook
/// intake here, API responses in the live interpreter).
public enum LenientField<Value> {
    case absent
    case invalid
    case value(Value)

    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }

    /// The value; nil when absent; `fallback` when present but unreadable.
    public func or(invalid fallback: Value) -> Value? {
        switch self {
        case .absent: return nil
        case .invalid: return fallback
        case .value(let value): return value
        }
    }
}

extension KeyedDecodingContainer {
    public func lenient<T: Decodable>(_ type: T.Type, _ key: Key) -> LenientField<T> {
        guard contains(key), (try? decodeNil(forKey: key)) == false else { return .absent }
        guard let value = try? decode(T.self, forKey: key) else { return .invalid }
        return .value(value)
    }
}
