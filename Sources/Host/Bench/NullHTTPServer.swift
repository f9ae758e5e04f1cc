import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The load generator's own ceiling: a loopback HTTP/1.1 server that does nothing — it finds the end of
/// each request (head, then `Content-Length` bytes of body) and writes a canned 200, one thread per
/// connection with blocking sockets. What wrk reaches against it, on the same two cores and with the
/// same connections, is the most the generator could show for any server here; `bench` prints it next
/// to each ratio, so a ratio near the ceiling would say "the client is the limit" out loud.
final class NullHTTPServer: Sendable {
    let port: Int
    private let listener: Int32

    private init(port: Int, listener: Int32) { self.port = port; self.listener = listener }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func start() throws -> NullHTTPServer {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 1024) == 0 else { close(fd); throw Failure(description: "bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let server = NullHTTPServer(port: Int(UInt16(bigEndian: address.sin_port)), listener: fd)
        Thread.detachNewThread {
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                Thread.detachNewThread { serve(connection) }
            }
        }
        return server
        #else
        throw Failure(description: "the null server needs Linux")
        #endif
    }

    func stop() {
        #if canImport(Glibc)
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        #endif
    }

    static let response = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok".utf8)

    /// Answers every complete request on `connection` until the client closes it.
    private static func serve(_ connection: Int32) {
        #if canImport(Glibc)
        defer { close(connection) }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            pending.append(contentsOf: chunk[0..<count])
            var answered = 0
            while let length = requestLength(pending) {
                pending.removeFirst(length)
                answered += 1
            }
            if answered > 0 {
                let replies = Array([[UInt8]](repeating: response, count: answered).joined())
                var sent = 0
                while sent < replies.count {
                    let wrote = replies[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    guard wrote > 0 else { return }
                    sent += wrote
                }
            }
        }
        #endif
    }

    /// The byte length of the first complete request in `bytes` (head + body), or nil if it is not all there.
    static func requestLength(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var end: Int?
        for index in 3..<bytes.count where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            end = index + 1
            break
        }
        guard let end else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).lowercased()
        var body = 0
        if let range = head.range(of: "\r\ncontent-length:") {
            let digits = head[range.upperBound...].drop(while: { $0 == " " }).prefix(while: \.isNumber)
            body = min(Int(digits) ?? 0, 64 * 1024 * 1024)
        }
        let total = end + body
        return bytes.count >= total ? total : nil
    }
}
