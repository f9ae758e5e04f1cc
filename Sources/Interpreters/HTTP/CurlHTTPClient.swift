import CCurl
import Foundation
import Synchronization

/// The one HTTP client for every outgoing call (Calendly's API and OAuth, the emulator's webhook
/// deliveries, the bench), straight on libcurl.
///
/// One `curl_multi` handle, driven by one dedicated thread (`CurlLoop`), does all transfers: its
/// connection cache gives keep-alive reuse per host and HTTP/2 multiplexing. Callers hand requests
/// to that thread through a lock-protected inbox and wake it with `curl_multi_wakeup`; they wait on a
/// continuation that only the curl thread resumes. Cancelling a caller's task posts a cancel to the
/// same inbox: the curl thread either finds the transfer still running (removes its easy handle and
/// answers `.lost`) or already answered (does nothing) — never both, because both paths run on that
/// one thread and each takes the transfer out of its bookkeeping before resuming.
public final class CurlHTTPClient: Sendable {
    /// The process's client (its thread lives as long as the process).
    public static let shared = CurlHTTPClient(name: "curl")

    private let loop: CurlLoop

    /// Starts the curl thread. Call `shutdown()` when done with a client other than `shared`.
    public init(name: String = "curl", maxIdleConnections: Int = 64) {
        _ = CurlHTTPClient.globalInit
        loop = CurlLoop(maxIdleConnections: maxIdleConnections)
        let loop = self.loop
        let thread = Thread { loop.run() }
        thread.name = name
        thread.start()
    }

    /// libcurl's process-wide setup, once, before the first handle (it is not safe to race it).
    private static let globalInit: Void = { _ = ccurl_global_init() }()

    /// Sends the request and waits for the whole reply, the deadline, or the caller's cancellation.
    /// Never throws: every way of not getting a reply is an `HTTPFailure`.
    public func send(_ request: HTTPRequest) async -> Result<HTTPResponse, HTTPFailure> {
        guard request.isWellFormed else { return .failure(.notSent) }
        guard request.timeout > .zero else { return .failure(.timedOut) }
        let transfer = CurlTransfer(request)
        let loop = self.loop
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation = continuation
                if !loop.post(.start(transfer)) { transfer.resume(.failure(.notSent)) }
            }
        } onCancel: {
            // Seen by the curl thread if the start is still queued; the posted cancel covers the rest.
            transfer.cancelRequested.store(true, ordering: .sequentiallyConsistent)
            _ = loop.post(.cancel(transfer))
        }
    }

    /// Easy handles that exist right now (in flight or being set up); 0 when idle.
    public var liveTransfers: Int { loop.liveHandles.load(ordering: .sequentiallyConsistent) }

    /// Stops the curl thread: transfers in flight are answered `.lost`, later sends `.notSent`.
    public func shutdown() { loop.stop() }
}
