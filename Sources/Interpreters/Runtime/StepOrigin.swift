import Effects

/// Who receives a step's customer messages: the request that caused it (in its response), or — for steps
/// no request waits on (webhooks, timers, recovery) — the conversation's durable outbox, written in the
/// step's transaction. `.timer` is a step started by a due durable timer: it runs only if the timer is
/// still pending (so two wake-ups for one timer fire it once); the steps it causes are `.background`.
public enum StepOrigin: Equatable, Hashable, Sendable {
    case request
    case background
    case timer(TimerID)

    /// The origin of the steps a drive takes after its first one.
    public var continuation: StepOrigin {
        switch self {
        case .request: return .request
        case .background, .timer: return .background
        }
    }
}
