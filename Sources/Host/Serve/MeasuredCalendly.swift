import Effects
import Interpreters

/// Times every Calendly call into `calendly_call_duration_seconds{call=…}` and counts outcomes.
struct MeasuredCalendly: CalendlyPerformer {
    let calendly: any CalendlyPerformer
    let metrics: Metrics

    func perform(_ call: CalendlyCall) async -> CalendlyReply {
        let clock = ContinuousClock()
        let started = clock.now
        let reply = await calendly.perform(call)
        let elapsed = clock.now - started
        let name = call.name
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.observe("calendly_call_duration_seconds", seconds: seconds, labels: ["call": name], help: "Calendly API call latency")
        metrics.increment("calendly_calls_total", labels: ["call": name, "outcome": Self.outcome(of: reply)], help: "Calendly API calls")
        return reply
    }

    static func outcome(of reply: CalendlyReply) -> String {
        if case .failed(let failure) = reply { return failure.reason }
        if case .outcomeUnknown = reply { return "outcome_unknown" }
        return "ok"
    }
}
