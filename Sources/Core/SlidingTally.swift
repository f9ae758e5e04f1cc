/// Keyed sightings of the recent past, sorted by time, with per-key counts of those inside a window
/// (lower, upper] that slides with the watch's "now".
///
/// Why this shape: `AlertWatch` used to keep every event of the last hour and re-evaluate all of them on
/// each new one, O(events per hour) per event. Here each sighting enters once, crosses each window edge
/// once and is pruned once, so in-order time costs O(1) amortised per event. Telemetry from concurrent
/// requests can arrive slightly out of order (and "now" step back): the window edges then move back over
/// the few sightings between, which keeps the counts exact rather than approximate.
struct SlidingTally<Key: Hashable & Sendable>: Sendable {
    private var times: [Int64] = []
    private var keys: [Key] = []
    /// First sighting not yet pruned; the storage before it is dropped in bulk once it is large.
    private var head = 0
    /// The window as indices into the storage: [windowStart, windowEnd) are the sightings inside it.
    private var windowStart = 0
    private var windowEnd = 0
    private var lower = Int64.min
    private var upper = Int64.min
    /// Sightings inside the window, per key; a key leaves the dictionary when its count reaches zero.
    private(set) var counts: [Key: Int] = [:]
    /// All sightings inside the window.
    private(set) var total = 0

    var isEmpty: Bool { head == times.count }

    /// Adds a sighting at `at`; it counts if it falls inside the current window.
    mutating func insert(_ key: Key, at: Int64) {
        // After the last sighting with the same time or earlier: ties keep arrival order.
        var low = head, high = times.count
        while low < high {
            let middle = (low + high) / 2
            if times[middle] <= at { low = middle + 1 } else { high = middle }
        }
        times.insert(at, at: low)
        keys.insert(key, at: low)
        if at <= lower {
            // Before the window (its position is at or before windowStart).
            windowStart += 1
            windowEnd += 1
        } else if at <= upper {
            // Inside: its position lies in [windowStart, windowEnd].
            windowEnd += 1
            count(key, by: 1)
        }
        // After the window: its position is at or after windowEnd, nothing moves.
    }

    /// Moves the window to (lower, upper]. Both edges move the same way (lower is upper minus a fixed span).
    /// On a jump longer than the window, sightings are counted in by one edge and out by the other.
    mutating func slide(lower newLower: Int64, upper newUpper: Int64) {
        if newUpper >= upper {
            while windowEnd < times.count, times[windowEnd] <= newUpper {
                count(keys[windowEnd], by: 1)
                windowEnd += 1
            }
            while windowStart < windowEnd, times[windowStart] <= newLower {
                count(keys[windowStart], by: -1)
                windowStart += 1
            }
        } else {
            while windowStart > head, times[windowStart - 1] > newLower {
                windowStart -= 1
                count(keys[windowStart], by: 1)
            }
            while windowEnd > windowStart, times[windowEnd - 1] > newUpper {
                windowEnd -= 1
                count(keys[windowEnd], by: -1)
            }
        }
        lower = newLower
        upper = newUpper
    }

    /// Forgets the sightings at or before `cutoff`, for good (a later step back of "now" does not bring them back).
    mutating func prune(through cutoff: Int64) {
        while head < times.count, times[head] <= cutoff {
            if head >= windowStart, head < windowEnd { count(keys[head], by: -1) }
            head += 1
            windowStart = max(windowStart, head)
            windowEnd = max(windowEnd, head)
        }
        if head >= 1024, head * 2 >= times.count {
            times.removeFirst(head)
            keys.removeFirst(head)
            windowStart -= head
            windowEnd -= head
            head = 0
        }
    }

    private mutating func count(_ key: Key, by delta: Int) {
        total += delta
        let updated = (counts[key] ?? 0) + delta
        counts[key] = updated == 0 ? nil : updated
    }
}
