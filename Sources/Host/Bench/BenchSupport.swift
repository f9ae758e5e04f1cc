import Effects
import Foundation
import Synchronization

/// One line of the bench table (and one key of its JSON line).
struct BenchRow: Sendable, Equatable {
    enum Goal: Sendable, Equatable {
        case atLeast(Double)
        case atMost(Double)
        var text: String {
            switch self {
            case .atLeast(let value): return "≥ \(BenchRow.format(value))"
            case .atMost(let value): return "≤ \(BenchRow.format(value))"
            }
        }
        func met(by value: Double) -> Bool {
            switch self {
            case .atLeast(let bound): return value >= bound
            case .atMost(let bound): return value <= bound
            }
        }
    }

    var key: String
    var name: String
    var value: Double
    var unit: String
    var detail: String
    var goal: Goal?

    static func format(_ value: Double) -> String {
        if value >= 100 { return String(Int(value.rounded())) }
        return String(format: value >= 10 ? "%.1f" : "%.3f", value)
    }
}

enum BenchClock {
    /// Seconds `body` took on the monotonic clock.
    static func measure(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return seconds(clock.now - start)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The value below which `fraction` of `values` lie (nearest rank).
    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

/// A clock the in-process measurements move by hand (the core never reads the wall clock).
final class BenchMutableClock: Sendable {
    private let current: Mutex<Instant>
    init(_ start: Instant) { current = Mutex(start) }
    var now: Instant { current.withLock { $0 } }
    func advance(_ span: Span) { current.withLock { $0 = $0 + span } }
}
