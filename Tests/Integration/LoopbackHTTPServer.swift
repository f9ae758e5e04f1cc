import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A raw HTTP/1.1 server on 127.0.0.1 for the curl client's tests: one thread per connection, and a
/// handler that decides what each request gets — including the misbehaviours (silence, a trickle, a
/// huge body) that a real server framework will not produce on demand.
final class LoopbackHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: [UInt8]
    }

    /// One accepted connection; the handler writes to it.
    struct Connection: Sendable {
        let fd: Int32

        /// Writes everything or reports that the peer is gone (never raises SIGPIPE).
        @discardableResult
        func write(_ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent > 0 else { return false }
                offset += sent
            }
            return true
        }

        @discardableResult
        func write(_ text: String) -> Bool { write(Array(text.utf8)) }

        /// Blocks until the peer closes (or the server stops).
        func waitForClose() {
            var byte: UInt8 = 0
            while recv(fd, &byte, 1, 0) > 0 {}
        }
    }

    /// Answers one request; returns whether the connection stays open for the next one.
    typealias Handler = @Sendable (Request, Connection) -> Bool

    let port: Int
    let connections = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    private let listener: Int32
    private let open = Mutex<Set<Int32>>([])
    private let stopped = Atomic<Bool>(false)

    var base: String { "http://127.0.0.1:\(port)" }

    init(_ handler: @escaping Handler) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 1024) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let accepting = Thread { [self] in acceptLoop(handler) }
        accepting.start()
    }

    /// Closes the listener and every open connection (blocked handlers see EOF or a failed write).
    func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in open.withLock({ $0 }) { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop(_ handler: @escaping Handler) {
        while !stopped.load(ordering: .sequentiallyConsistent) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            connections.add(1, ordering: .sequentiallyConsistent)
            open.withLock { _ = $0.insert(client) }
            let serving = Thread { [self] in
                serve(Connection(fd: client), handler)
                open.withLock { _ = $0.remove(client) }
                close(client)
            }
            serving.start()
        }
    }

    private func serve(_ connection: Connection, _ handler: Handler) {
        var buffer: [UInt8] = []
        while let request = Self.read(connection.fd, &buffer) {
            requests.add(1, ordering: .sequentiallyConsistent)
            guard handler(request, connection) else { return }
        }
    }

    /// Reads one request (head and `Content-Length` body); nil when the peer closed.
    static func read(_ fd: Int32, _ buffer: inout [UInt8]) -> Request? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        func fill() -> Bool {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffer.indices.dropLast(3).first { buffer[$0..<($0 + 4)].elementsEqual(separator) }
            if headEnd == nil, !fill() { return nil }
        }
        guard let end = headEnd else { return nil }
        let head = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let start = head.first?.split(separator: " ").map(String.init) ?? []
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < end + 4 + length { if !fill() { return nil } }
        let body = Array(buffer[(end + 4)..<(end + 4 + length)])
        buffer.removeFirst(end + 4 + length)
        return Request(method: start.first ?? "", path: start.count > 1 ? start[1] : "", headers: headers, body: body)
    }

    /// A complete keep-alive reply.
    static func reply(_ status: Int, headers: [(String, String)] = [], body: [UInt8] = []) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Status")\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }
}
