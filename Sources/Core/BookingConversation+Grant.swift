import Effects

/// A conversation's Calendly call refused with 401 (issue 11 defect 2). The conversation itself ends in
/// the apology + static link as for any failed call; the agent's connection is told, so it refreshes the
/// token — or, when Calendly refuses the refresh too, shows Disconnected and the agent stops offering.
extension BookingConversation {
    func grantRejected(_ reply: CalendlyReply, _ now: Instant) -> [Effect] {
        guard case .failed(.unauthorized) = reply, let setup else { return [] }
        return [.notify(.grantRejected(setup.agent, at: now))]
    }
}
