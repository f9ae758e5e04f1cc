import Effects

/// A discrete-event queue ordered by (virtual time, insertion sequence): equal times keep FIFO order,
/// so a run is a pure function of its seed.
public struct EventQueue<Event> {
    private struct Entry { var time: Int64; var seq: UInt64; var event: Event }
    private var heap: [Entry] = []
    private var seq: UInt64 = 0

    public init() {}
    public var isEmpty: Bool { heap.isEmpty }
    public var count: Int { heap.count }

    public mutating func push(_ event: Event, at time: Instant) {
        seq += 1
        heap.append(Entry(time: time.millisecondsSince1970, seq: seq, event: event))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    public mutating func pop() -> (Instant, Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, less(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, less(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (Instant(millisecondsSince1970: top.time), top.event)
    }

    private func less(_ a: Entry, _ b: Entry) -> Bool { a.time != b.time ? a.time < b.time : a.seq < b.seq }
}
