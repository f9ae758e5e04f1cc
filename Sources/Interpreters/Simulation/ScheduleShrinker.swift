import Effects

/// Finds a smaller failing run for a failing seed: fewer conversations first (halving), then each
/// kind of fault switched off while the failure persists. The result is what a developer replays.
public enum ScheduleShrinker {
    public struct Result: Sendable {
        public var config: SimulationConfig
        public var summary: SimulationSummary
        public var runs: Int
    }

    public static func shrink(_ failing: SimulationConfig, budget: Int = 40) -> Result {
        var best = failing
        var bestSummary = SimulatedWorld.run(failing)
        var runs = 1
        guard !bestSummary.passed else { return Result(config: failing, summary: bestSummary, runs: runs) }
        var candidate = best.conversations / 2
        while candidate >= 1, runs < budget {
            var trial = best
            trial.conversations = candidate
            let summary = SimulatedWorld.run(trial)
            runs += 1
            if !summary.passed { best = trial; bestSummary = summary; candidate = trial.conversations / 2 } else { break }
        }
        // Try the sizes between the last failing and the first passing size, linearly downward.
        var size = best.conversations - 1
        while size >= 1, size > best.conversations / 2, runs < budget {
            var trial = best
            trial.conversations = size
            let summary = SimulatedWorld.run(trial)
            runs += 1
            if !summary.passed { best = trial; bestSummary = summary }
            size -= 1
        }
        for kind in FaultProfile.Kind.allCases where runs < budget {
            var trial = best
            trial.faults = best.faults.without(kind)
            guard trial.faults.withName(best.faults.name) != best.faults else { continue }
            let summary = SimulatedWorld.run(trial)
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
