@testable import Core
import Effects
import Testing

/// One-line step helpers per admin aggregate: reduce, record, check invariants.
extension Transcript {
    @discardableResult
    mutating func connection(_ state: inout Connection, _ input: Connection.Input, sourceLocation: SourceLocation = #_sourceLocation) -> [Effect] {
        apply("connection", &state, input, Connection.reduce, digest: Digest.connection, invariants: { $0.checkInvariants() },
              sourceLocation: sourceLocation)
    }

    @discardableResult
    mutating func config(_ state: inout ActionConfig, _ input: ActionConfig.Input, sourceLocation: SourceLocation = #_sourceLocation) -> [Effect] {
        apply("config", &state, input, ActionConfig.reduce, digest: Digest.config, invariants: { $0.checkInvariants() },
              sourceLocation: sourceLocation)
    }

    /// Records a starting state that was reached outside this transcript (by a fixture).
    mutating func given(_ description: String, _ digest: String) {
        call("given: \(description)", outputs: [], digest)
    }

    /// Records `BookingSetup.resolve` (the runtime's "may the agent offer booking?").
    @discardableResult
    mutating func resolve(_ label: String, entitlements: AccountEntitlements = .all, connection: Connection, config: ActionConfig,
                          contact: [String: String] = Fixtures.contact) -> BookingReadiness {
        let readiness = BookingSetup.resolve(entitlements: entitlements, connection: connection, config: config, contactFields: contact)
        let summary: String
        switch readiness {
        case .ready(let setup): summary = "ready(eventType=\(setup.eventType.name), knownEmail=\(setup.knownEmail ?? "-"), answers=\(setup.answers.count))"
        case .notOffered(let reason): summary = "notOffered(\(reason.rawValue))"
        }
        call("resolve booking setup: \(label) entitlements=\(GoldenJSON.encode(entitlements))", outputs: [GoldenJSON.encode(readiness)], summary)
        return readiness
    }
}
