import Foundation
import Interpreters

/// Simulator: simulated bookings per minute on one core with `--faults default` (the `simulate` code path).
enum SimulatorBench {
    static func run(conversations: Int) -> BenchRow {
        var summaryBookings = 0, passed = true
        let elapsed = BenchClock.measure {
            let summary = SimulatedWorld.run(SimulationConfig(seed: 1, conversations: conversations, faults: .default))
            summaryBookings = summary.bookings
            passed = summary.passed
        }
        let perMinute = Double(summaryBookings) / max(elapsed, 1e-9) * 60
        return BenchRow(key: "simulator_bookings_per_min", name: "simulator (faults default)", value: perMinute, unit: "bookings/min",
                        detail: "\(summaryBookings) bookings of \(conversations) conversations\(passed ? "" : ", INVARIANTS FAILED")",
                        goal: .atLeast(100_000))
    }
}
