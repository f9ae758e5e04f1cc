import ArgumentParser
import Foundation
import Interpreters

/// `calendly-action replay incident.jsonl`: re-runs a journal through the current core, offline, and
/// prints it as an incident timeline.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay", abstract: "Re-run an exported journal through the current core (no network).")

    @Argument(help: "A journal exported with `journal export` (JSON lines; older format versions are read too).") var file: String
    @Flag(help: "One labelled JSON object per step instead of the timeline.") var json = false
    @Flag(help: "Under each step of the timeline, the full records: input, effects, state after.") var verbose = false
    @Flag(help: "Exit non-zero at the first step whose effects differ from the recorded ones, naming each differing field.") var diff = false
    @Option(help: "Stop after this many steps and print the full state.") var until: Int?

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let text = String(decoding: data, as: UTF8.self)
        var records = try Replayer.parse(text)
        if let header = Replayer.header(of: text), header.reducerVersion != Redaction.reducerVersion {
            // Not an error: replaying an old incident with a changed core is the point of --diff.
            FileHandle.standardError.write(Data(("note: recorded with reducer version \(header.reducerVersion); this build's is \(Redaction.reducerVersion)"
                + " — a divergence may be an intended change\n").utf8))
        }
        if let until { records = Array(records.prefix(max(0, until))) }
        let steps = try Replayer.replay(records)
        if json {
            for step in steps { print(JournalTimeline.json(step)) }
        } else {
            print(Replayer.timeline(steps, verbose: verbose), terminator: "")
        }
        if diff, let divergent = steps.first(where: { !$0.matches }) {
            print("DIVERGENCE at #\(divergent.seq) (\(divergent.aggregate.rawValue) \(divergent.id)), first differing effect field by field:")
            for difference in JournalTimeline.differences(recorded: divergent.recordedEffects, now: divergent.effects) { print("  \(difference)") }
            throw ExitCode.failure
        }
        if until != nil, let last = steps.last { print("state after #\(last.seq):\n\(last.stateAfter.json)") }
    }
}
