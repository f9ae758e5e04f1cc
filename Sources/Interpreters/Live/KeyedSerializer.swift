/// One serial mailbox per aggregate key: work for the same key runs strictly one after another (two
/// replies in one conversation never interleave); different keys run concurrently.
public actor KeyedSerializer {
    private var tails: [String: Task<Void, Never>] = [:]
    private var depth: [String: Int] = [:]

    public init() {}

    public func run<T: Sendable>(_ key: String, _ work: @escaping @Sendable () async -> T) async -> T {
        let previous = tails[key]
        let task = Task<T, Never> {
            await previous?.value
            return await work()
        }
        tails[key] = Task { _ = await task.value }
        depth[key, default: 0] += 1
        let result = await task.value
        depth[key, default: 1] -= 1
        if depth[key] == 0 { tails[key] = nil; depth[key] = nil }
        return result
    }
}
