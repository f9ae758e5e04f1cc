@testable import Core
import Effects
import Foundation
import Testing

/// A golden transcript (DESIGN §7 "Golden files"): for each reducer step, the input (`> `), every effect
/// it produced in order (`< `) and a compact digest of the state after it (`= `). The first line is a
/// header naming and describing the scenario; `## ` lines separate the cases of one scenario.
///
/// The text is compared with `Tests/Golden/Transcripts/<name>.txt`. With `UPDATE_GOLDEN=1` in the
/// environment the file is (re)written instead and the comparison passes; CI never sets it, so a
/// missing file or any difference fails the test with the first differing line.
struct Transcript {
    /// `Tests/Golden/Transcripts`, found from this source file (not from the working directory).
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts")

    let name: String
    private(set) var lines: [String]

    /// `name` defaults to the calling test function's name, so the file is named after the AC.
    init(_ description: String, name: String = #function) {
        let bare = name.hasSuffix("()") ? String(name.dropLast(2)) : name
        self.name = bare
        self.lines = ["# \(bare) — \(description)"]
    }

    /// A section header inside the scenario.
    mutating func section(_ title: String) { lines.append("## \(title)") }

    /// One step: the input line, every effect, the state digest.
    mutating func step(_ input: String, _ effects: [Effect], _ digest: String) {
        lines.append("> " + input)
        for effect in effects { lines.append("< " + GoldenJSON.encode(effect)) }
        lines.append("= " + digest)
    }

    /// A step of a pure function (not a reducer): the input, its outputs, a digest.
    mutating func call(_ input: String, outputs: [String], _ digest: String) {
        lines.append("> " + input)
        for output in outputs { lines.append("< " + output) }
        lines.append("= " + digest)
    }

    /// Runs one reducer step on `state` and records it. `invariants` (when given) must hold after the step.
    @discardableResult
    mutating func apply<State, Input: Encodable>(
        _ label: String, _ state: inout State, _ input: Input, _ reduce: (inout State, Input) -> [Effect],
        digest: (State) -> String, invariants: ((State) -> [Violation])? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [Effect] {
        let effects = reduce(&state, input)
        var summary = digest(state)
        if let violations = invariants?(state), !violations.isEmpty {
            Issue.record("invariants broken after \(label): \(violations)", sourceLocation: sourceLocation)
            summary += " VIOLATIONS=\(violations)"
        }
        step("\(label) \(GoldenJSON.encode(input))", effects, summary)
        return effects
    }

    var text: String { lines.joined(separator: "\n") + "\n" }

    var fileURL: URL { Transcript.directory.appendingPathComponent("\(name).txt") }

    static var isRecording: Bool { ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" }

    /// Compares with the golden file (or records it under `UPDATE_GOLDEN=1`).
    func verify(sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = text
        if Transcript.isRecording {
            do {
                try FileManager.default.createDirectory(at: Transcript.directory, withIntermediateDirectories: true)
                try Data(actual.utf8).write(to: fileURL, options: .atomic)
            } catch {
                Issue.record("could not write golden file \(fileURL.path): \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        guard let data = FileManager.default.contents(atPath: fileURL.path) else {
            Issue.record(
                "missing golden file Tests/Golden/Transcripts/\(name).txt — record it with `UPDATE_GOLDEN=1 swift test --filter Golden` and review it",
                sourceLocation: sourceLocation)
            return
        }
        let expected = String(decoding: data, as: UTF8.self)
        if let difference = Transcript.firstDifference(expected: expected, actual: actual) {
            Issue.record("golden transcript \(name) differs (Tests/Golden/Transcripts/\(name).txt)\n\(difference)", sourceLocation: sourceLocation)
        }
    }

    /// A readable description of where two transcripts first differ, or nil when they are equal.
    static func firstDifference(expected: String, actual: String) -> String? {
        guard expected != actual else { return nil }
        let old = expected.components(separatedBy: "\n"), new = actual.components(separatedBy: "\n")
        for index in 0..<max(old.count, new.count) {
            let left = index < old.count ? old[index] : "<end of file>"
            let right = index < new.count ? new[index] : "<end of file>"
            if left != right {
                return """
                first difference at line \(index + 1) (expected \(old.count) lines, actual \(new.count) lines):
                  expected: \(left)
                  actual:   \(right)
                If the new behaviour is intended, re-record with UPDATE_GOLDEN=1 and review the diff.
                """
            }
        }
        return "transcripts differ only in invisible characters (line endings?)"
    }
}

/// Deterministic JSON for transcript lines: sorted keys, unescaped slashes, instants as ISO 8601.
enum GoldenJSON {
    static func encode<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "<unencodable \(Value.self)>" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The test's only source of time: a fixed base, advanced explicitly. Never the real clock.
struct VirtualClock {
    static let base = Instant(iso8601: "2026-11-25T02:00:00Z")!
    private(set) var now: Instant

    init(_ start: Instant = VirtualClock.base) { now = start }

    mutating func advance(_ span: Span) { now = now + span }
    mutating func set(_ instant: Instant) { now = instant }
}
