/// Whether a store keeps the step journal. Production stores always do; the simulator's memory store
/// may skip it, because building each record's payload would dominate a 100k-conversation run.
extension TransactionalStore {
    public var keepsJournal: Bool { true }
}
