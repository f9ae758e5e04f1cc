import Core
import Effects
import Foundation
import Interpreters

/// Webhook subscriptions (`/webhook_subscriptions`) and signed delivery of `invitee.created` /
/// `invitee.canceled` — the bodies come from `SimCalendly`'s outbox, signed like Calendly does
/// (`Calendly-Webhook-Signature: t=…,v1=…` over `"<t>.<body>"`).
extension EmulatorModel {
    static let webhookEvents = ["invitee.created", "invitee.canceled", "invitee_no_show.created", "invitee_no_show.deleted",
                                "routing_form_submission.created", "event_type.created", "event_type.updated", "event_type.deleted"]

    func createSubscription(_ request: EmulatorRequest) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["webhooks:write"]) else { return authFailure(request, ["webhooks:write"]) }
        guard let body = request.jsonObject else { return .invalid("body", "must be a JSON object") }
        let url = body["url"] as? String ?? ""
        let events = body["events"] as? [String] ?? []
        let organization = body["organization"] as? String ?? ""
        let scope = body["scope"] as? String ?? ""
        let user = body["user"] as? String
        var problems: [(String, String)] = []
        if let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil {} else { problems.append(("url", "must be a valid URL")) }
        if events.isEmpty { problems.append(("events", "must contain at least one event")) }
        for event in events where !EmulatorModel.webhookEvents.contains(event) { problems.append(("events", "\(event) is not a valid event")) }
        if organization.isEmpty { problems.append(("organization", "is required")) }
        if !["user", "organization"].contains(scope) { problems.append(("scope", "must be user or organization")) }
        if scope == "user", (user ?? "").isEmpty { problems.append(("user", "is required for user scope")) }
        guard problems.isEmpty else { return .invalid(problems) }
        guard organization == account.organization, user == nil || user == account.uri else { return .permissionDenied }
        // Only organization admins and owners may subscribe the whole organization.
        guard scope == "user" || organizationAdmin else { return .permissionDenied }
        guard !subscriptions.contains(where: { $0.url == url }) else {
            return .error(409, "Already Exists", "Hook with this url already exists")
        }
        subscriptionCount += 1
        let key = (body["signing_key"] as? String).flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        let subscription = Subscription(uuid: "WH\(subscriptionCount.padded(6))", url: url, events: events, scope: scope,
                                        organization: organization, user: scope == "user" ? user : nil, signingKey: key, createdAt: now)
        subscriptions.append(subscription)
        return .resource(subscriptionJSON(subscription), status: 201)
    }

    func listSubscriptions(_ request: EmulatorRequest) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["webhooks:read"]) else { return authFailure(request, ["webhooks:read"]) }
        var missing: [(String, String)] = []
        for name in ["organization", "scope"] where (request.query[name] ?? "").isEmpty { missing.append((name, "is required")) }
        guard missing.isEmpty else { return .invalid(missing) }
        guard request.query["organization"] == account.organization else { return .permissionDenied }
        guard request.query["scope"] == "user" || organizationAdmin else { return .permissionDenied }
        var list = subscriptions.filter { $0.scope == request.query["scope"] }
        if let user = request.query["user"] { list = list.filter { $0.user == user } }
        return paginate(list.map(subscriptionJSON), request, path: "/webhook_subscriptions")
    }

    func getSubscription(_ request: EmulatorRequest, uuid: String) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["webhooks:read"]) else { return authFailure(request, ["webhooks:read"]) }
        guard let subscription = subscriptions.first(where: { $0.uuid == uuid }) else { return .notFound }
        return .resource(subscriptionJSON(subscription))
    }

    func deleteSubscription(_ request: EmulatorRequest, uuid: String) -> EmulatorReply {
        guard case .success = authenticate(request, needs: ["webhooks:write"]) else { return authFailure(request, ["webhooks:write"]) }
        guard let index = subscriptions.firstIndex(where: { $0.uuid == uuid }) else { return .notFound }
        subscriptions.remove(at: index)
        return .noContent
    }

    /// Sends what the model's outbox holds to every subscription of that event, in the background:
    /// up to three attempts with a short back-off (Calendly retries for 24 h; a test does not wait that long).
    func deliverWebhooks() {
        let outgoing = calendly.drainOutbox()
        guard !outgoing.isEmpty else { return }
        deliveryTasks.removeAll { $0.isCancelled }
        if deliveryTasks.count > 200 { deliveryTasks.removeFirst(100) }
        for webhook in outgoing {
            let event = webhook.kind.rawValue
            for subscription in subscriptions where subscription.active && subscription.events.contains(event) {
                let signature = WebhookSignature(key: subscription.signingKey ?? signingKey, hmac: CryptoHMAC.sha256)
                let client = deliveryClient
                let body = webhookBody(webhook)
                let url = subscription.url
                let uuid = subscription.uuid
                let stopping = self.stopping
                let task = Task.detached { [weak self] in
                    let outcome = await EmulatorModel.post(body, to: url, signature: signature, client: client, stopping: stopping)
                    await self?.recordDelivery(DeliveryRecord(url: url, event: event, attempts: outcome.attempts, status: outcome.status,
                                                              error: outcome.error, at: EmulatorTime.wallClock()), subscription: uuid)
                }
                deliveryTasks.append(task)
            }
        }
    }

    /// The body Calendly would send for an outbox entry: the full Invitee resource (first/last name,
    /// `updated_at`, `text_reminder_number`, `payment`, `no_show`, `reconfirmation`,
    /// `routing_form_submission`, `scheduling_method`, the host's or invitee's `cancellation`…) plus
    /// `scheduled_event`, built from the emulator's records. The shared model's own short body is the
    /// fallback when its invitee is not found (it always is, but a webhook is never dropped for it).
    func webhookBody(_ webhook: SimCalendly.OutgoingWebhook) -> [UInt8] {
        guard let envelope = (try? JSONSerialization.jsonObject(with: Data(webhook.body))) as? [String: Any],
              let uri = (envelope["payload"] as? [String: Any])?["uri"] as? String,
              let booking = calendly.booking(of: CalendlyURI(uri)) else { return webhook.body }
        return webhookJSON(event: webhook.kind.rawValue, booking, at: webhook.createdAt).bytes
    }

    /// Records a delivery; a run of failed ones disables the subscription, as Calendly does after 24 h.
    func recordDelivery(_ record: DeliveryRecord, subscription uuid: String) {
        deliveries.append(record)
        guard let index = subscriptions.firstIndex(where: { $0.uuid == uuid }) else { return }
        if let status = record.status, (200..<300).contains(status) {
            subscriptions[index].failedDeliveries = 0
            subscriptions[index].retryStartedAt = nil
            return
        }
        subscriptions[index].failedDeliveries += 1
        if subscriptions[index].retryStartedAt == nil { subscriptions[index].retryStartedAt = record.at }
        if subscriptions[index].failedDeliveries >= failedDeliveriesBeforeDisable, subscriptions[index].active {
            subscriptions[index].active = false
            subscriptions[index].updatedAt = record.at
            logger.notice("webhook subscription disabled after failed deliveries", metadata: ["subscription": "\(uuid)"])
        }
    }

    static func post(_ body: [UInt8], to url: String, signature: WebhookSignature, client: CurlHTTPClient,
                     stopping: StopFlag) async -> (attempts: Int, status: Int?, error: String?) {
        guard URL(string: url) != nil else { return (0, nil, "invalid url") }
        var attempts = 0
        var status: Int?
        var failure: String?
        retries: while attempts < 3, !stopping.isStopped {
            attempts += 1
            // Signed at send time, like Calendly: the receiver's tolerance window starts now.
            let request = HTTPRequest("POST", url, headers: [
                ("Content-Type", "application/json"), ("User-Agent", "Calendly-Emulator"),
                (WebhookSignature.headerName, signature.header(for: body, at: EmulatorTime.wallClock())),
            ], body: body, timeout: .seconds(10))
            switch await client.send(request) {
            case .success(let response):
                status = response.status
                failure = nil
                if (200..<300).contains(response.status) { break retries }
            case .failure(let error):
                failure = "delivery failed: \(error)"
            }
            if stopping.isStopped { break }
            try? await Task.sleep(for: .milliseconds(250 * attempts * attempts))
        }
        return (attempts, status, failure)
    }
}
