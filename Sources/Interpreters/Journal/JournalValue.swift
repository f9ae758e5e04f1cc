import Foundation

/// A JSON value as the journal writes it: objects keep their members in the order the coder wrote
/// them ("kind" first), so a record reads top-down and its bytes are fixed by the coder alone — not by
/// a hash order or by Swift's synthesized `Codable`.
public indirect enum JournalValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JournalValue])
    case members([Member])

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JournalValue
        public init(_ key: String, _ value: JournalValue) { self.key = key; self.value = value }
    }

    /// An object from labelled members in order; `null` members are left out (an absent optional).
    public static func object(_ pairs: KeyValuePairs<String, JournalValue>) -> JournalValue {
        .members(pairs.compactMap { $0.value == .null ? nil : Member($0.key, $0.value) })
    }

    public subscript(key: String) -> JournalValue? {
        guard case .members(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Every string leaf passed through `transform` (labels are the coder's own and stay as they are).
    public func mapStrings(_ transform: (String) -> String) -> JournalValue {
        switch self {
        case .null, .bool, .int, .double: return self
        case .string(let text): return .string(transform(text))
        case .array(let items): return .array(items.map { $0.mapStrings(transform) })
        case .members(let members): return .members(members.map { Member($0.key, $0.value.mapStrings(transform)) })
        }
    }
}

extension JournalValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

// MARK: - Writing

extension JournalValue {
    /// Compact JSON on one line, members in order, slashes and non-ASCII text left as they are.
    public var json: String {
        var out: [UInt8] = []
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .int(let value): out += Array(String(value).utf8)
        // JSON has no NaN or infinity; the coders never write a double, this only guards a parsed one.
        case .double(let value): out += Array((value.isFinite ? "\(value)" : "null").utf8)
        case .string(let text): Self.writeString(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .members(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ text: String, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: - Reading

extension JournalValue {
    public struct SyntaxError: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "not JSON at byte \(offset): \(reason)" }
    }

    /// Parses one JSON text. Nesting is bounded so a hostile file cannot exhaust the stack.
    public static func parse(_ text: String) throws -> JournalValue {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.error("trailing text") }
        return value
    }

    struct Parser {
        static let maxDepth = 256
        let bytes: [UInt8]
        var index = 0

        func error(_ reason: String) -> SyntaxError { SyntaxError(offset: index, reason: reason) }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String, _ value: JournalValue) throws -> JournalValue {
            let expected = Array(literal.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else { throw error("expected \(literal)") }
            index += expected.count
            return value
        }

        mutating func value(depth: Int) throws -> JournalValue {
            guard depth < Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth)") }
            guard index < bytes.count else { throw error("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                index += 1
                var items: [JournalValue] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw error("unterminated array") }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                    guard bytes[index] == UInt8(ascii: ",") else { throw error("expected , or ]") }
                    index += 1
                }
            case UInt8(ascii: "{"):
                index += 1
                var members: [Member] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .members(members) }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                    let key = try string()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected :") }
                    index += 1
                    skipSpace()
                    members.append(Member(key, try value(depth: depth + 1)))
                    skipSpace()
                    guard index < bytes.count else { throw error("unterminated object") }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .members(members) }
                    guard bytes[index] == UInt8(ascii: ",") else { throw error("expected , or }") }
                    index += 1
                }
            default: return try number()
            }
        }

        mutating func number() throws -> JournalValue {
            let start = index
            var integral = true
            while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) {
                if [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) { integral = false }
                index += 1
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard !text.isEmpty else { throw error("unexpected character") }
            if integral, let value = Int64(text) { return .int(value) }
            guard let value = Double(text), value.isFinite else { throw error("bad number \(text)") }
            return .double(value)
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
                throw error("bad \\u escape")
            }
            index += 4
            return value
        }

        mutating func string() throws -> String {
            index += 1  // the opening quote
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw error("unterminated string") }
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw error("unterminated escape") }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        // A high surrogate followed by a low one is one scalar; a lone half becomes U+FFFD.
                        if (0xD800..<0xDC00).contains(scalar), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                            let save = index
                            index += 2
                            let low = try hex4()
                            if (0xDC00..<0xE000).contains(low) { scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) } else { index = save }
                        }
                        out += Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                    default: out.append(escaped)
                    }
                default: out.append(byte)
                }
            }
        }
    }
}

extension JournalValue {
    /// The tree of a value's synthesized `Codable` form — used only for aggregate states, which the
    /// store already persists in that form (see JournalFormat).
    static func synthesized<T: Encodable>(_ value: T) -> JournalValue {
        guard let data = try? synthesizedEncoder.encode(value), let tree = try? parse(String(decoding: data, as: UTF8.self)) else { return .null }
        return tree
    }

    static let synthesizedEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Decodes a tree written by `synthesized`.
    static func decodeSynthesized<T: Decodable>(_ type: T.Type, from value: JournalValue) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(value.json.utf8))
    }
}
