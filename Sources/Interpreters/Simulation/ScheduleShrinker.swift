import Effects

/// Finds a smaller failing run for a failing seed: fewer conversations first (halving, then bisecting), then each
/// kind of fault switched off while the failure persists. The result is what a developer replays.
public enum ScheduleShrinker {
    public struct Result: Sendable {
        public var config: SimulationConfig
        public var summary: SimulationSummary
        public var runs: Int
    }

    public static func shrink(_ failing: SimulationConfig, budget: Int = 40,
                              run: (SimulationConfig) -> SimulationSummary = SimulatedWorld.run) -> Result {
        var best = failing
        var bestSummary = run(failing)
        var runs = 1
        guard !bestSummary.passed else { return Result(config: failing, summary: bestSummary, runs: runs) }
        // Halve while it still fails; then bisect between the last failing size and the first passing one
        // (a failure need not be monotonic in size, but bisection always ends on a failing size, in
        // log₂ runs — stepping down one at a time took 40 near-full runs, minutes, on a 5000-conversation run).
        var passing = 0
        var candidate = best.conversations / 2
        while candidate >= 1, runs < budget {
            var trial = best
            trial.conversations = candidate
            let summary = run(trial)
            runs += 1
            if summary.passed { passing = candidate; break }
            best = trial; bestSummary = summary; candidate = trial.conversations / 2
        }
        while best.conversations - passing > 1, runs < budget {
            var trial = best
            trial.conversations = passing + (best.conversations - passing) / 2
            let summary = run(trial)
            runs += 1
            if summary.passed { passing = trial.conversations } else { best = trial; bestSummary = summary }
        }
        for kind in FaultProfile.Kind.allCases where runs < budget {
            var trial = best
            trial.faults = best.faults.without(kind)
            guard trial.faults.withName(best.faults.name) != best.faults else { continue }
            let summary = run(trial)
            runs += 1
            if !summary.passed { best = trial; bestSummary = summary }
        }
        return Result(config: best, summary: bestSummary, runs: runs)
    }

    /// The command line that replays a configuration.
    public static func reproduceLine(_ config: SimulationConfig, baseProfile: String) -> String {
        let removed = config.faults.name.split(separator: "-").dropFirst().joined(separator: ",")
        return "calendly-action simulate --seed \(config.seed) --conversations \(config.conversations) --faults \(baseProfile)"
            + (removed.isEmpty ? "" : " --without \(removed)")
            + " --per-agent \(config.conversationsPerAgent) --store \(config.store.rawValue) --tier \(config.quotaTier?.rawValue ?? "none")"
    }
}

extension FaultProfile {
    func withName(_ name: String) -> FaultProfile { var copy = self; copy.name = name; return copy }
}
