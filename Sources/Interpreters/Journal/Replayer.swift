import Core
import Effects
import Foundation

/// Re-runs journaled inputs through the current core — no network, no store, no clock — and compares
/// the effects with the recorded ones (DESIGN §7 "Replay never performs effects").
public enum Replayer {
    public struct Step: Codable, Sendable, Equatable {
        public var seq: Int
        public var at: Instant
        public var aggregate: JournalRecord.Aggregate
        public var id: String
        public var input: String
        public var phaseBefore: String
        public var phaseAfter: String
        public var effects: [String]
        public var recordedEffects: [String]
        public var matches: Bool { effects == recordedEffects }
        public var stateAfter: String
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case unsupportedVersion(Int)
        case undecodable(seq: Int, what: String)
        public var description: String {
            switch self {
            case .unsupportedVersion(let version):
                return "journal format version \(version) is not supported by this build (it reads version \(JournalRecord.currentVersion)); export it again with a matching build"
            case .undecodable(let seq, let what): return "record \(seq): cannot decode its \(what)"
            }
        }
    }

    /// Parses an exported JSONL file: a header line, then one record per line.
    public static func parse(_ text: String) throws -> [JournalRecord] {
        var records: [JournalRecord] = []
        let decoder = JSONDecoder()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let data = Data(line.utf8)
            if index == 0, let header = try? decoder.decode(JournalHeader.self, from: data), header.format == JournalRecord.format {
                guard header.version == JournalRecord.currentVersion else { throw Failure.unsupportedVersion(header.version) }
                continue
            }
            guard let record = try? decoder.decode(JournalRecord.self, from: data) else { throw Failure.undecodable(seq: index, what: "line") }
            guard record.version == JournalRecord.currentVersion else { throw Failure.unsupportedVersion(record.version) }
            records.append(record)
        }
        return records
    }

    /// The export's header (absent in a hand-made journal): says which reducer version recorded it.
    public static func header(of text: String) -> JournalHeader? {
        guard let first = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: true).first,
              let header = try? JSONDecoder().decode(JournalHeader.self, from: Data(first.utf8)), header.format == JournalRecord.format else { return nil }
        return header
    }

    public static func replay(_ records: [JournalRecord]) throws -> [Step] {
        var conversations: [String: BookingConversation] = [:]
        var connections: [String: Connection] = [:]
        var configs: [String: ActionConfig] = [:]
        var references: [String: BookingReference?] = [:]
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type, _ json: String, _ seq: Int, _ what: String) throws -> T {
            do { return try decoder.decode(T.self, from: Data(json.utf8)) } catch { throw Failure.undecodable(seq: seq, what: what) }
        }
        var steps: [Step] = []
        for record in records {
            guard record.version == JournalRecord.currentVersion else { throw Failure.unsupportedVersion(record.version) }
            /// One reducer step on the record's aggregate, starting from the recorded state the first time an id appears.
            func step<State: Codable, Input: Decodable>(_ states: inout [String: State], _ phase: (State) -> String,
                                                       _ reduce: (inout State, Input) -> [Effect]) throws -> ([Effect], String, String, String) {
                var state = try states[record.id] ?? decode(State.self, record.stateBefore, record.seq, "state")
                let before = phase(state)
                let effects = reduce(&state, try decode(Input.self, record.input, record.seq, "input"))
                states[record.id] = state
                return (effects, before, phase(state), Redaction.json(state))
            }
            let (effects, before, after, stateAfter): ([Effect], String, String, String)
            switch record.aggregate {
            case .conversation: (effects, before, after, stateAfter) = try step(&conversations, { $0.phase.name }, BookingConversation.reduce)
            case .connection: (effects, before, after, stateAfter) = try step(&connections, { $0.phase.name }, Connection.reduce)
            case .config: (effects, before, after, stateAfter) = try step(&configs, { $0.status.name }, ActionConfig.reduce)
            case .reference: (effects, before, after, stateAfter) = try step(&references, { $0?.status.rawValue ?? "none" }, BookingReference.reduce)
            }
            let now = effects.map(Redaction.json)
            // The journal writes effects in this same canonical form, so an identical text needs no
            // re-parsing; anything else (another build's formatting, a real divergence) is re-canonicalized.
            let recorded = "[" + now.joined(separator: ",") + "]" == record.effects
                ? now : (try? decoder.decode([AnyJSON].self, from: Data(record.effects.utf8)))?.map(\.canonical) ?? []
            steps.append(Step(seq: record.seq, at: record.at, aggregate: record.aggregate, id: record.id, input: record.input,
                              phaseBefore: before, phaseAfter: after, effects: now, recordedEffects: recorded, stateAfter: stateAfter))
        }
        return steps
    }

    /// The human timeline: one block per step.
    public static func timeline(_ steps: [Step]) -> String {
        var lines: [String] = []
        for step in steps {
            lines.append("#\(step.seq) \(step.at.iso8601) \(step.aggregate.rawValue) \(step.id)")
            lines.append("  input   \(step.input)")
            lines.append("  state   \(step.phaseBefore) → \(step.phaseAfter)")
            for effect in step.effects { lines.append("  effect  \(effect)") }
            if !step.matches { lines.append("  DIVERGES from the recorded effects") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Re-encodes recorded JSON canonically (sorted keys) so comparisons ignore formatting.
struct AnyJSON: Decodable {
    let canonical: String
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(JSONValue.self)
        canonical = Redaction.json(value)
    }
}

indirect enum JSONValue: Codable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
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
