extension TransactionalStore {
    /// Stores without group commit (`MemoryRuntimeStore`, a store whose commits cost nothing to share) run
    /// each body in a transaction of its own: the same guarantees, one caller at a time.
    public func groupTransaction<T: Sendable>(_ body: @escaping @Sendable (inout Transaction) throws -> T) async throws -> T {
        try transaction(body)
    }
}
