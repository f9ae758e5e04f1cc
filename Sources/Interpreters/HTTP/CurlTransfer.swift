import CCurl
import Synchronization

/// One request's life on the curl thread: its easy handle, the reply as it streams in, and the
/// continuation of the caller waiting for it.
///
/// Locking: `continuation` is written once by the caller *before* the transfer is handed to the curl
/// thread through the client's lock-protected inbox (the lock orders that write before every read);
/// everything else except `cancelRequested` is touched only on the curl thread (libcurl calls the
/// write/header callbacks from inside `curl_multi_perform`). `cancelRequested` is atomic.
final class CurlTransfer: @unchecked Sendable {
    typealias Outcome = Result<HTTPResponse, HTTPFailure>

    let request: HTTPRequest
    var continuation: CheckedContinuation<Outcome, Never>?
    /// Set by the caller's cancellation handler; read on the curl thread before the transfer starts.
    let cancelRequested = Atomic<Bool>(false)

    // Curl thread only.
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    var oversized = false

    init(_ request: HTTPRequest) { self.request = request }

    /// Resumes the waiting caller. Called only on the curl thread, and only for a transfer that it has
    /// just taken out of its bookkeeping, so it runs once per transfer.
    func resume(_ outcome: Outcome) {
        let waiting = continuation
        continuation = nil
        waiting?.resume(returning: outcome)
    }

    /// Creates and configures the easy handle; false when libcurl refuses an option (then nothing is
    /// left allocated).
    func prepare() -> Bool {
        guard let handle = curl_easy_init() else { return false }
        easy = handle
        guard configure(handle) else {
            release()
            return false
        }
        return true
    }

    /// Frees the easy handle and header list (after the handle left the multi handle).
    func release() {
        if let easy { curl_easy_cleanup(easy) }
        if let headerList { curl_slist_free_all(headerList) }
        easy = nil
        headerList = nil
    }

    private func configure(_ handle: UnsafeMutableRawPointer) -> Bool {
        let me = Unmanaged.passUnretained(self).toOpaque()
        let limit = request.maxBodyBytes
        let timeout = request.timeoutMilliseconds
        var ok = true
        func long(_ option: CURLoption, _ value: Int) { ok = ok && ccurl_easy_setopt_long(handle, option, value) == CURLE_OK }
        func text(_ option: CURLoption, _ value: String) {
            ok = ok && value.withCString { ccurl_easy_setopt_string(handle, option, $0) } == CURLE_OK
        }

        text(CURLOPT_URL, request.url)
        text(CURLOPT_PROTOCOLS_STR, "http,https")
        long(CURLOPT_NOSIGNAL, 1) // a multi-threaded process: no SIGALRM-based DNS timeouts
        long(CURLOPT_FOLLOWLOCATION, 0) // the redirect itself is the reply (and a bearer token stays put)
        long(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)) // HTTP/2 over TLS when offered (ALPN)
        // Over TLS, prefer multiplexing on an HTTP/2 connection to opening another. Plain http:// is HTTP/1.1 here
        // (no h2c), where waiting would queue a request behind a hanging one on the same host until its timeout.
        if request.url.lowercased().hasPrefix("https://") { long(CURLOPT_PIPEWAIT, 1) }
        long(CURLOPT_SSL_VERIFYPEER, 1) // system CA bundle (libcurl's default), never switched off
        long(CURLOPT_SSL_VERIFYHOST, 2)
        long(CURLOPT_TIMEOUT_MS, timeout)
        long(CURLOPT_CONNECTTIMEOUT_MS, timeout)
        text(CURLOPT_ACCEPT_ENCODING, "") // whatever libcurl can decode; the cap applies to decoded bytes
        ok = ok && ccurl_easy_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit)) == CURLE_OK
        ok = ok && ccurl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteBody) == CURLE_OK
        ok = ok && ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, me) == CURLE_OK
        ok = ok && ccurl_easy_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader) == CURLE_OK
        ok = ok && ccurl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, me) == CURLE_OK

        let method = request.method.uppercased()
        if let body = request.body ?? (["POST", "PUT", "PATCH"].contains(method) ? [] : nil) {
            ok = ok && ccurl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)) == CURLE_OK
            // COPYPOSTFIELDS copies the bytes now, so nothing here has to outlive this call.
            ok = ok && body.withUnsafeBytes { bytes in
                // An empty body still needs a valid pointer.
                let pointer = bytes.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
                return "".withCString { empty in
                    ccurl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, pointer ?? UnsafeMutableRawPointer(mutating: UnsafeRawPointer(empty)))
                }
            } == CURLE_OK
            if method != "POST" { text(CURLOPT_CUSTOMREQUEST, method) }
        } else if method == "HEAD" {
            long(CURLOPT_NOBODY, 1)
        } else if method == "GET" {
            long(CURLOPT_HTTPGET, 1)
        } else {
            text(CURLOPT_CUSTOMREQUEST, method)
        }

        // "Expect:" with no value stops libcurl's 100-continue pause on larger bodies; a header with an
        // empty value is written "Name;" (libcurl's spelling: "Name:" would remove the header).
        var lines = ["Expect:"]
        for header in request.headers {
            lines.append(header.value.isEmpty ? header.name + ";" : header.name + ": " + header.value)
        }
        for line in lines {
            guard let appended = line.withCString({ curl_slist_append(headerList, $0) }) else { return false }
            headerList = appended
        }
        ok = ok && ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList) == CURLE_OK
        return ok
    }

    /// The outcome once libcurl says the transfer is done.
    func outcome(_ code: CURLcode) -> Outcome {
        if oversized { return .failure(.oversized) }
        switch code {
        case CURLE_OK:
            var status = 0
            if let easy { _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status) }
            return .success(HTTPResponse(status: status, headers: headers, body: body))
        case CURLE_FILESIZE_EXCEEDED:
            return .failure(.oversized)
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.timedOut)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST,
             CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            // All of these fail before the request's first byte is written.
            return .failure(.notSent)
        default:
            return .failure(.lost)
        }
    }

    /// Body bytes as they arrive; past the limit the transfer is aborted (a short count makes libcurl
    /// stop with CURLE_WRITE_ERROR), so an oversized reply is never held in memory.
    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !oversized, bytes.count <= request.maxBodyBytes - body.count else {
            oversized = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// One header line (libcurl delivers them one by one, CRLF included). A status line starts a new
    /// header block: interim (1xx) replies' headers are dropped.
    func appendHeader(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = [:]
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingASCIIWhitespace().lowercased()
        let value = line[line.index(after: colon)...].trimmingASCIIWhitespace()
        guard !name.isEmpty else { return }
        if let earlier = headers[name] { headers[name] = earlier + ", " + value } else { headers[name] = value }
    }
}

private extension Substring {
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

/// libcurl's write callback (body bytes); `userdata` is the transfer, unretained (the curl thread's
/// bookkeeping keeps it alive while its handle is in the multi handle).
private func curlWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?) -> Int {
    guard let userdata else { return 0 }
    let (total, overflow) = size.multipliedReportingOverflow(by: count)
    guard !overflow else { return 0 }
    guard let data, total > 0 else { return total }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.appendBody(UnsafeRawBufferPointer(start: data, count: total)) ? total : 0
}

private func curlWriteHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?) -> Int {
    guard let userdata else { return 0 }
    let (total, overflow) = size.multipliedReportingOverflow(by: count)
    guard !overflow else { return 0 }
    guard let data, total > 0 else { return total }
    Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue().appendHeader(UnsafeRawBufferPointer(start: data, count: total))
    return total
}
