import Core
import Effects
import Foundation

/// Re-runs journaled inputs through the current core — no network, no store, no clock — and compares
/// the effects with the recorded ones (DESIGN §7 "Replay never performs effects").
public enum Replayer {
    public typealias Failure = JournalFormat.Failure

    /// A journaled input, typed by its aggregate.
    public enum Input: Sendable, Equatable {
        case conversation(BookingConversation.Input)
        case connection(Connection.Input)
        case config(ActionConfig.Input)
        case reference(BookingReference.Input)
    }

    public struct Step: Sendable, Equatable {
        public var seq: Int
        public var at: Instant
        public var aggregate: JournalRecord.Aggregate
        public var id: String
        public var input: Input
        /// The conversation before the step (for rendering "row o1s2 = Tue 1 Dec 15:15"); nil for other aggregates.
        public var conversationBefore: BookingConversation?
        public var phaseBefore: String
        public var phaseAfter: String
        /// What the current core produced, typed and as the journal writes it (redacted).
        public var produced: [Effect]
        public var effects: [JournalValue]
        public var recordedEffects: [JournalValue]
        public var matches: Bool { effects == recordedEffects }
        public var stateAfter: JournalValue
    }

    /// Parses an exported JSONL file (any supported version): a header line, then one record per line.
    public static func parse(_ text: String) throws -> [JournalRecord] { try JournalFormat.parse(text) }

    /// The export's header (absent in a hand-made journal): says which reducer version recorded it.
    public static func header(of text: String) -> JournalHeader? {
        guard let first = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: true).first else { return nil }
        return JournalFormat.header(line: String(first))
    }

    public static func replay(_ records: [JournalRecord]) throws -> [Step] {
        var conversations: [String: BookingConversation] = [:]
        var connections: [String: Connection] = [:]
        var configs: [String: ActionConfig] = [:]
        var references: [String: BookingReference?] = [:]
        let redact: (String) -> String = Redaction.redactEmails
        var steps: [Step] = []
        for record in records {
            func fail(_ what: String, _ error: any Error) -> Failure { .undecodableStep(seq: record.seq, reason: "cannot decode its \(what): \(error)") }
            func typed<Value: JournalCodable>(_ type: Value.Type) throws -> Value {
                do { return try Value(journal: JournalReader(record.input, path: "input")) } catch { throw fail("input", error) }
            }
            /// One reducer step on the record's aggregate, starting from the recorded state the first time an id appears.
            func step<State: Codable, Value>(_ states: inout [String: State], _ input: Value, _ phase: (State) -> String,
                                             _ reduce: (inout State, Value) -> [Effect]) throws -> ([Effect], String, String, State, JournalValue) {
                var state: State
                if let known = states[record.id] { state = known } else {
                    do { state = try JournalValue.decodeSynthesized(State.self, from: record.stateBefore) } catch { throw fail("state", error) }
                }
                let before = state
                let effects = reduce(&state, input)
                states[record.id] = state
                return (effects, phase(before), phase(state), before, JournalValue.synthesized(state).mapStrings(redact))
            }
            let input: Input
            let produced: [Effect]
            let (before, after): (String, String)
            var conversationBefore: BookingConversation?
            let stateAfter: JournalValue
            switch record.aggregate {
            case .conversation:
                let value = try typed(BookingConversation.Input.self)
                input = .conversation(value)
                let result = try step(&conversations, value, { $0.phase.name }, BookingConversation.reduce)
                (produced, before, after, conversationBefore, stateAfter) = (result.0, result.1, result.2, result.3, result.4)
            case .connection:
                let value = try typed(Connection.Input.self)
                input = .connection(value)
                (produced, before, after, _, stateAfter) = try step(&connections, value, { $0.phase.name }, Connection.reduce)
            case .config:
                let value = try typed(ActionConfig.Input.self)
                input = .config(value)
                (produced, before, after, _, stateAfter) = try step(&configs, value, { $0.status.name }, ActionConfig.reduce)
            case .reference:
                let value = try typed(BookingReference.Input.self)
                input = .reference(value)
                (produced, before, after, _, stateAfter) = try step(&references, value, { $0?.status.rawValue ?? "none" }, BookingReference.reduce)
            }
            steps.append(Step(seq: record.seq, at: record.at, aggregate: record.aggregate, id: record.id, input: input, conversationBefore: conversationBefore,
                              phaseBefore: before, phaseAfter: after, produced: produced, effects: produced.map { $0.journal.mapStrings(redact) },
                              recordedEffects: record.effects, stateAfter: stateAfter))
        }
        return steps
    }

    /// The human timeline (see `JournalTimeline`).
    public static func timeline(_ steps: [Step], verbose: Bool = false) -> String { JournalTimeline.render(steps, verbose: verbose) }
}

extension Connection.Phase {
    public var name: String {
        switch self {
        case .notConnected: return "notConnected"
        case .connecting: return "connecting"
        case .exchangingCode: return "exchangingCode"
        case .loadingUser: return "loadingUser"
        case .connected: return "connected"
        case .refreshing: return "refreshing"
        case .failed: return "failed"
        case .disconnected: return "disconnected"
        }
    }
}

extension ActionConfig.ListStatus {
    public var name: String {
        switch self {
        case .notLoaded: return "notLoaded"
        case .loading: return "loading"
        case .loaded: return "loaded"
        case .empty: return "empty"
        case .refreshFailed: return "refreshFailed"
        case .failedWithoutCache: return "failedWithoutCache"
        case .planInsufficient: return "planInsufficient"
        }
    }
}
