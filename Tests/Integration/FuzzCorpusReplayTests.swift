import Foundation
import Testing

/// The committed fuzz corpus (Fuzz/Corpus, grown by scripts/fuzz.sh) replayed through every parser by
/// the `Fuzz` product of the ordinary build (without -D FUZZING it is the replayer): an input that once
/// crashed or opened new coverage stays a regression check here, with the targets' properties.
@Suite struct FuzzCorpusReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let targets = ["webhook-signature", "webhook-payload", "reply", "platform-token", "calendly-wire", "request-body"]

    @Test func everyCommittedInputPassesItsParser() throws {
        let corpus = Self.root.appendingPathComponent("Fuzz/Corpus")
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-replay-\(getpid()).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }

        let process = Process()
        process.executableURL = try Self.replayer()
        process.arguments = [corpus.path]
        let output = Pipe()
        process.standardOutput = output
        // One line per input (the one being run), so a crash names its input; too much for a pipe.
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        let lastInput = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? "none"
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "replay failed; last input run: \(lastInput)")
        // Every target ran every file of its directory: none was skipped or missing.
        for target in Self.targets {
            let files = try FileManager.default.contentsOfDirectory(atPath: corpus.appendingPathComponent(target).path).count
            #expect(files > 0, "Fuzz/Corpus/\(target) is empty")
            #expect(printed.contains("\(target): \(files) inputs, no finding"), "\(target): \(printed)")
        }
    }

    /// The `Fuzz` product built beside the test bundle (`swift build --build-tests` builds it).
    static func replayer() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("Fuzz"),
            root.appendingPathComponent(".build/debug/Fuzz"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw ReplayerMissing(looked: candidates.map(\.path))
        }
        return found
    }

    struct ReplayerMissing: Error, CustomStringConvertible {
        var looked: [String]
        var description: String { "Fuzz not built (looked at \(looked))" }
    }
}
