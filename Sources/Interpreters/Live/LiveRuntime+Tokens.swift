import Core
import Effects
import Logging

/// The runtime's part in the token lifecycle (issue 11 defect 2): it only feeds inputs to `Connection`,
/// which decides whether to refresh (`Connection+Tokens`).
extension LiveRuntime {
    /// The periodic token check for one agent (`serve` runs it every minute for every connected agent).
    @discardableResult
    public func checkToken(agent: AgentID) async throws -> Connection {
        try await connection(agent, .tokenCheck(at: now())).0
    }

    /// `checkToken` for every connected agent whose token is due (`Connection.tokenCheckDue`: the core's
    /// rule, asked first so a quiet minute journals nothing), one after another. One agent's failure does
    /// not keep the others from their check; the first error is rethrown at the end.
    public func checkTokens() async throws {
        let at = now()
        let agents = try store.transaction { tx in
            try tx.connectedAgents().filter { try tx.loadConnection($0)?.tokenCheckDue(at: at) ?? false }
        }
        var failure: (any Error)?
        for agent in agents {
            do { try await checkToken(agent: agent) } catch {
                logger.error("token check failed", metadata: ["agent": "\(agent)", "error": "\(error)"])
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    /// A connection step another aggregate asked for (e.g. a conversation whose call got 401), run in
    /// the agent's own mailbox after the step that asked for it.
    func spawnConnection(_ agent: AgentID, _ input: Connection.Input) {
        Task { [self] in
            do { _ = try await connection(agent, input) } catch {
                logger.error("connection step failed", metadata: ["agent": "\(agent)", "error": "\(error)"])
            }
        }
    }
}
