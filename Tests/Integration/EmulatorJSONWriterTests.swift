import Foundation
import Interpreters
import Testing
@testable import Host

/// The emulator's byte renderer (issue 16) must give exactly the bytes of the String renderer it
/// replaced — per-scalar `JSONText.escape`, kept here as the reference — and valid JSON that reads back
/// to the same strings, for the odd names a Calendly user can type.
@Suite struct EmulatorJSONWriterTests {
    /// The renderer before issue 16, verbatim.
    static func reference(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .string(let value): return "\"" + JSONText.escape(value) + "\""
        case .array(let items): return "[" + items.map(reference).joined(separator: ",") + "]"
        case .fields(let fields): return "{" + fields.map { "\"\(JSONText.escape($0.key))\":\(reference($0.value))" }.joined(separator: ",") + "}"
        }
    }

    static var oddStrings: [String] {
        var strings = ["", "plain", "quote \" inside", "back\\slash", "\"", "\\", "tab\tnew\nline\rcr", "nul \u{0} bell \u{7} esc \u{1B} us \u{1F}",
                       "del \u{7F}", "emoji 👩🏽‍💻 and flag 🇮🇩", "é (precomposed) and e\u{301} (combining)", "日本語のイベント", "mid\u{FEFF}bom", "\u{2028}\u{2029}",
                       "</script>", "a\"b\\c\u{1}d😀e", String(repeating: "x", count: 100_000), String(repeating: "\"😀\u{0}", count: 30_000)]
        // Every ASCII scalar alone and inside text.
        strings += (0..<0x80).map { String(UnicodeScalar(UInt8($0))) }
        strings += (0..<0x80).map { "pre" + String(UnicodeScalar(UInt8($0))) + "post" }
        // Invalid UTF-8 repaired on the way in (the only way such bytes can reach a String).
        strings.append(String(decoding: [0x61, 0xFF, 0xC3, 0x28, 0x22, 0xED, 0xA0, 0x80, 0x62], as: UTF8.self))
        return strings
    }

    @Test func stringsRenderByteForByteAsBefore() throws {
        for text in Self.oddStrings {
            let value = JSONValue.string(text)
            #expect(value.bytes == Array(Self.reference(value).utf8), "differs for \(text.prefix(40).debugDescription)")
            // Valid JSON that reads back to the same string.
            let decoded = try JSONSerialization.jsonObject(with: Data(value.bytes), options: [.fragmentsAllowed]) as? String
            #expect(decoded == text, "round trip of \(text.prefix(40).debugDescription)")
        }
    }

    @Test func nestedValuesRenderAsBefore() throws {
        let strings = Self.oddStrings
        let value = JSONValue.fields(strings.enumerated().map { index, text in
            JSONValue.Field(key: text, value: .array([.string(text), .int(index), .int(Int.max), .int(Int.min), .null, .bool(index % 2 == 0),
                                                     .object(["nested": .string(text), "empty": .array([]), "none": .fields([])])]))
        })
        #expect(value.bytes == Array(Self.reference(value).utf8))
        #expect(value.rendered == Self.reference(value))
        #expect(try JSONSerialization.jsonObject(with: Data(value.bytes)) is [String: Any])
    }

    /// What the availability route sends, for a name with every awkward kind of character.
    @Test func availabilityBodyIsUnchanged() throws {
        let name = "Ann \"the\" O'Brien \\ 😀 \u{1}"
        let body = JSONValue.object(["collection": .array((0..<50).map { index in
            .object(["status": .string("available"), "invitees_remaining": .int(1), "start_time": .string("2026-12-0\(index % 9 + 1)T09:00:00.000000Z"),
                     "scheduling_url": .string("https://calendly.com/\(name)/intro/2026-12-01T09:00:00Z?month=2026-12&date=2026-12-01")])
        })])
        #expect(body.bytes == Array(Self.reference(body).utf8))
    }
}
