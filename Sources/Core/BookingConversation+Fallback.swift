import Effects

/// The attributed static-link fallback (issue 6 item 4), kept apart from the state machine proper.
extension BookingConversation {
    /// The link the customer is sent to when booking in chat is not possible.
    func fallbackLink(_ setup: BookingSetup) -> String {
        FallbackLink.attributed(setup.staticLink, reference: attribution)
    }

    /// Remembers which conversation the link's reference belongs to, so a booking made through it is
    /// attributed back here; nothing to remember without a usable reference.
    func fallbackOffered(_ setup: BookingSetup, _ now: Instant) -> [Effect] {
        guard let attribution, attribution.isWellFormed else { return [] }
        return [.store(.recordFallbackOffer(FallbackOffer(reference: attribution, agent: setup.agent, conversation: id,
                                                          eventType: setup.eventType.uri, offeredAt: now)))]
    }
}
