import CCurl
import Synchronization

/// The curl thread: it alone touches the multi handle and the easy handles in it.
///
/// Locking: `inbox` is a `Mutex`, the only state other threads write; `liveHandles` is atomic;
/// `multi` is used from other threads only through `curl_multi_wakeup` (documented thread-safe);
/// `running` and the handles are the curl thread's alone (`run()` and what it calls).
final class CurlLoop: @unchecked Sendable {
    enum Command {
        case start(CurlTransfer)
        case cancel(CurlTransfer)
    }

    private struct Inbox {
        var commands: [Command] = []
        var stopped = false
    }

    private let inbox = Mutex(Inbox())
    private let multi: UnsafeMutableRawPointer
    let liveHandles = Atomic<Int>(0)
    /// Transfers whose easy handle is in the multi handle, by that handle (curl thread only).
    private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(maxIdleConnections: Int) {
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed (out of memory)") }
        self.multi = multi
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, maxIdleConnections))
    }

    /// Queues a command and wakes the thread; false once stopped (nothing was queued).
    func post(_ command: Command) -> Bool {
        let queued = inbox.withLock { inbox -> Bool in
            guard !inbox.stopped else { return false }
            inbox.commands.append(command)
            return true
        }
        if queued { curl_multi_wakeup(multi) }
        return queued
    }

    func stop() {
        let first = inbox.withLock { inbox -> Bool in
            defer { inbox.stopped = true }
            return !inbox.stopped
        }
        if first { curl_multi_wakeup(multi) }
    }

    func run() {
        while true {
            let (commands, stopped) = inbox.withLock { inbox in
                defer { inbox.commands = [] }
                return (inbox.commands, inbox.stopped)
            }
            for command in commands { handle(command, stopped: stopped) }
            if stopped { break }
            var active: Int32 = 0
            _ = curl_multi_perform(multi, &active)
            collectFinished()
            // Returns on I/O, on libcurl's own next timeout (a transfer's deadline), or on a wakeup.
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        for transfer in Array(running.values) { finish(transfer, .failure(.lost)) }
        curl_multi_cleanup(multi)
    }

    private func handle(_ command: Command, stopped: Bool) {
        switch command {
        case .start(let transfer):
            guard !stopped, !transfer.cancelRequested.load(ordering: .sequentiallyConsistent) else {
                transfer.resume(.failure(.notSent))
                return
            }
            liveHandles.add(1, ordering: .sequentiallyConsistent)
            guard transfer.prepare(), let easy = transfer.easy else {
                liveHandles.subtract(1, ordering: .sequentiallyConsistent)
                transfer.resume(.failure(.notSent))
                return
            }
            guard curl_multi_add_handle(multi, easy) == CURLM_OK else {
                release(transfer)
                transfer.resume(.failure(.notSent))
                return
            }
            running[easy] = transfer
        case .cancel(let transfer):
            // Not running: it never started (answered at its start) or it already finished.
            guard let easy = transfer.easy, running[easy] === transfer else { return }
            finish(transfer, .failure(.lost))
        }
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                  let transfer = running[easy] else { continue }
            let code = ccurl_msg_result(message)
            finish(transfer, transfer.outcome(code))
        }
    }

    /// Takes the transfer out of the multi handle and the bookkeeping, frees its handle, then answers
    /// the caller — after the free, so a caller that has its answer sees the handle count without it.
    private func finish(_ transfer: CurlTransfer, _ outcome: CurlTransfer.Outcome) {
        guard let easy = transfer.easy, running.removeValue(forKey: easy) != nil else { return }
        _ = curl_multi_remove_handle(multi, easy)
        release(transfer)
        transfer.resume(outcome)
    }

    private func release(_ transfer: CurlTransfer) {
        transfer.release()
        liveHandles.subtract(1, ordering: .sequentiallyConsistent)
    }
}
