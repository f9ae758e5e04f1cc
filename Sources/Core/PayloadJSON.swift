/// A JSON text read in one pass over its bytes into a small tree, for the few fields webhook intake
/// needs of each body (issue 16: Foundation's `JSONDecoder` with its keyed containers and thrown
/// type mismatches was a large per-delivery cost).
///
/// It accepts and refuses what Foundation's decoder did for `WebhookPayload`, so no UTF-8 body (what
/// Calendly sends; Foundation also guessed UTF-16 and UTF-32, this reader does not; and a `\u` without four
/// hex digits is always malformed here, where Foundation sometimes only spoiled the field) changes its
/// verdict (`PayloadJSONProperties` checks both on probes and on seeded mutations of a delivery): the structure is checked at once — brackets, commas
/// (one trailing comma is allowed), literals, keys, four hex digits after each `\u`, nothing after the
/// root, nesting below `maxDepth` — while a string's content and a number's digits are checked only
/// when read, so a bad one makes its own field unusable, not the whole body. Of a repeated key the
/// first value counts. Numbers are not converted: no field the core reads is a number.
public indirect enum PayloadJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number
    case string(String)
    /// A string whose content is not text: a raw control character, an unknown escape, a lone
    /// surrogate or invalid UTF-8.
    case unreadableString
    /// An object one of whose keys is not text (Foundation refused such an object when it was read).
    case unreadableObject
    case array([PayloadJSON])
    case object([String: PayloadJSON])

    public struct Malformed: Error, Equatable, Sendable {
        public let offset: Int
    }

    /// Nesting this deep is refused rather than read (a hostile body must not exhaust the stack).
    public static let maxDepth = 512

    public static func parse(_ bytes: [UInt8]) throws -> PayloadJSON {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer)
            // A UTF-8 byte order mark is skipped, as Foundation does.
            if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { reader.index = 3 }
            reader.skipSpace()
            let value = try reader.value(depth: 0)
            reader.skipSpace()
            guard reader.index == buffer.count else { throw Malformed(offset: reader.index) }
            return value
        }
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var failure: Malformed { Malformed(offset: index) }

        mutating func skipSpace() {
            while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
        }

        static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

        static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        mutating func literal(_ text: StaticString, _ value: PayloadJSON) throws -> PayloadJSON {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw failure }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { throw failure }
            index += count
            return value
        }

        mutating func value(depth: Int) throws -> PayloadJSON {
            guard depth < PayloadJSON.maxDepth, index < bytes.count else { throw failure }
            let byte = bytes[index]
            if byte == UInt8(ascii: "n") { return try literal("null", .null) }
            if byte == UInt8(ascii: "t") { return try literal("true", .bool(true)) }
            if byte == UInt8(ascii: "f") { return try literal("false", .bool(false)) }
            if byte == UInt8(ascii: "\"") { return try string().map(PayloadJSON.string) ?? .unreadableString }
            if byte == UInt8(ascii: "[") { return try array(depth: depth) }
            if byte == UInt8(ascii: "{") { return try object(depth: depth) }
            guard byte == UInt8(ascii: "-") || Self.isDigit(byte) else { throw failure }
            number()
            return .number
        }

        /// After an item: a comma (possibly the trailing one) or the closing byte. True when closed.
        mutating func closes(_ closing: UInt8) throws -> Bool {
            skipSpace()
            guard index < bytes.count else { throw failure }
            if bytes[index] == closing { index += 1; return true }
            guard bytes[index] == UInt8(ascii: ",") else { throw failure }
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == closing { index += 1; return true }
            return false
        }

        mutating func array(depth: Int) throws -> PayloadJSON {
            index += 1
            var items: [PayloadJSON] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            repeat {
                items.append(try value(depth: depth + 1))
            } while try !closes(UInt8(ascii: "]"))
            return .array(items)
        }

        mutating func object(depth: Int) throws -> PayloadJSON {
            index += 1
            var members: [String: PayloadJSON] = [:]
            var readable = true
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            repeat {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure }
                index += 1
                skipSpace()
                let value = try value(depth: depth + 1)
                if let key {
                    if members[key] == nil { members[key] = value }
                } else {
                    readable = false
                }
            } while try !closes(UInt8(ascii: "}"))
            return readable ? .object(members) : .unreadableObject
        }

        /// A number's bytes, left unchecked (no field read here is a number).
        mutating func number() {
            while index < bytes.count, Self.isDigit(bytes[index]) || "-+.eE".utf8.contains(bytes[index]) { index += 1 }
        }

        static func isHex(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
        }

        /// A string at `index` (on its opening quote): its end is found at once; its text is nil when
        /// the content is not text.
        mutating func string() throws -> String? {
            index += 1
            let start = index
            var escaped = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let end = index
                    index += 1
                    let content = UnsafeBufferPointer(rebasing: bytes[start..<end])
                    return escaped ? Self.unescaped(content) : Self.text(content)
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                    guard index + 1 < bytes.count else { throw failure }
                    if bytes[index + 1] == UInt8(ascii: "u") {
                        // Four hex digits, checked at once. (Foundation let some non-hex `\u` through to
                        // the field — `\uzzzz` — and refused others — `\u00e"`; refusing all is the stricter side.)
                        guard index + 6 <= bytes.count, bytes[index + 2..<index + 6].allSatisfy(Self.isHex) else { throw failure }
                        index += 6
                    } else {
                        index += 2
                    }
                } else {
                    index += 1
                }
            }
            throw failure
        }

        /// Raw bytes as text: no control characters, valid UTF-8.
        static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
            guard !bytes.contains(where: { $0 < 0x20 }) else { return nil }
            return String(validating: bytes, as: UTF8.self)
        }

        static func hexValue(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for byte in bytes[offset..<offset + 4] {
                guard isHex(byte) else { return nil }
                let digit = byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : (byte | 0x20) - UInt8(ascii: "a") + 10
                value = value << 4 | UInt32(digit)
            }
            return value
        }

        /// The escapes that stand for one byte: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`.
        static let simpleEscapes: [UInt8: UInt8] = [
            UInt8(ascii: "\""): UInt8(ascii: "\""), UInt8(ascii: "\\"): UInt8(ascii: "\\"), UInt8(ascii: "/"): UInt8(ascii: "/"),
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]

        /// Content with escapes (known to be well delimited: four bytes follow every `\u`).
        static func unescaped(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var offset = 0
            while offset < bytes.count {
                let byte = bytes[offset]
                guard byte == UInt8(ascii: "\\") else {
                    guard byte >= 0x20 else { return nil }
                    out.append(byte)
                    offset += 1
                    continue
                }
                let escape = bytes[offset + 1]
                offset += 2
                if let simple = simpleEscapes[escape] {
                    out.append(simple)
                } else if escape == UInt8(ascii: "u") {
                    guard var scalar = hexValue(bytes, at: offset) else { return nil }
                    offset += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard offset + 6 <= bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else { return nil }
                        guard let low = hexValue(bytes, at: offset + 2), (0xDC00...0xDFFF).contains(low) else { return nil }
                        offset += 6
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar), let encoded = UTF8.encode(unicode) else { return nil }
                    out.append(contentsOf: encoded)
                } else {
                    return nil
                }
            }
            return out.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
        }
    }
}
