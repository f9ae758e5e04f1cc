import Foundation

extension EmulatorModel {
    /// `serve` in demo mode: the emulator's organization subscribes the host for invitee.created and
    /// invitee.canceled, as an admin would in Calendly. An existing subscription for `url` is kept.
    public func subscribeOrganization(url: String) {
        guard !subscriptions.contains(where: { $0.url == url }) else { return }
        subscriptionCount += 1
        subscriptions.append(Subscription(uuid: "WH\(subscriptionCount.padded(6))", url: url, events: ["invitee.created", "invitee.canceled"],
                                          scope: "organization", organization: account.organization, user: nil, signingKey: nil, createdAt: now))
    }
}
