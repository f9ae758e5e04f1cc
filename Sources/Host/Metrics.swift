import Foundation
import Synchronization

/// A small Prometheus registry: counters and latency histograms, rendered in the text format.
/// Hand-written to keep swift-metrics/swift-prometheus out of the build; the exposition is standard.
public final class Metrics: Sendable {
    struct State {
        var counters: [String: [String: Double]] = [:]
        var histograms: [String: [String: Histogram]] = [:]
        var help: [String: String] = [:]
    }

    struct Histogram {
        static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        var buckets = [Int](repeating: 0, count: bounds.count)
        var count = 0
        var sum = 0.0
        mutating func observe(_ value: Double) {
            for (index, bound) in Histogram.bounds.enumerated() where value <= bound { buckets[index] += 1 }
            count += 1
            sum += value
        }
    }

    private let state = Mutex(State())

    public init() {}

    public func increment(_ name: String, labels: [String: String] = [:], by value: Double = 1, help: String = "") {
        let key = Self.labelText(labels)
        state.withLock {
            $0.counters[name, default: [:]][key, default: 0] += value
            if !help.isEmpty { $0.help[name] = help }
        }
    }

    public func observe(_ name: String, seconds: Double, labels: [String: String] = [:], help: String = "") {
        let key = Self.labelText(labels)
        state.withLock {
            $0.histograms[name, default: [:]][key, default: Histogram()].observe(seconds)
            if !help.isEmpty { $0.help[name] = help }
        }
    }

    public func render() -> String {
        state.withLock { state in
            var lines: [String] = []
            for name in state.counters.keys.sorted() {
                if let help = state.help[name] { lines.append("# HELP \(name) \(help)") }
                lines.append("# TYPE \(name) counter")
                for (labels, value) in state.counters[name]!.sorted(by: { $0.key < $1.key }) {
                    lines.append("\(name)\(labels.isEmpty ? "" : "{\(labels)}") \(Self.number(value))")
                }
            }
            for name in state.histograms.keys.sorted() {
                if let help = state.help[name] { lines.append("# HELP \(name) \(help)") }
                lines.append("# TYPE \(name) histogram")
                for (labels, histogram) in state.histograms[name]!.sorted(by: { $0.key < $1.key }) {
                    let prefix = labels.isEmpty ? "" : labels + ","
                    for (index, bound) in Histogram.bounds.enumerated() {
                        lines.append("\(name)_bucket{\(prefix)le=\"\(bound)\"} \(histogram.buckets[index])")
                    }
                    lines.append("\(name)_bucket{\(prefix)le=\"+Inf\"} \(histogram.count)")
                    lines.append("\(name)_sum\(labels.isEmpty ? "" : "{\(labels)}") \(histogram.sum)")
                    lines.append("\(name)_count\(labels.isEmpty ? "" : "{\(labels)}") \(histogram.count)")
                }
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    static func labelText(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escape($0.value))\"" }.joined(separator: ",")
    }

    /// The text format's label-value escapes: `\` → `\\`, `"` → `\"`, newline → `\n`. Anything else
    /// (a route, a reason) could otherwise end the value or the line and forge a sample.
    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        // Whole numbers print without ".0" while exact in a Double (2^53); beyond that Int64(value) could trap.
        value == value.rounded() && value.magnitude < 9_007_199_254_740_992 ? String(Int64(value)) : String(value)
    }
}
