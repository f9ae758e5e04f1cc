import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Hummingbird's HTTP/1 child channel with a watch on slow clients (issue 10 item 3). Hummingbird's
/// own idle timeout counts from the last *decoded* part, so it cannot tell a client idling between
/// requests from one dribbling a head or a body; this watch sees raw bytes (first in the pipeline)
/// and decoded parts (after the HTTP codec) and closes the connection when the phase it is in —
/// idle, reading the head, reading the body — lasts longer than its limit. While our handler is
/// working on a request nothing times out: that time is ours, not the client's.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let metrics: Metrics

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // Hummingbird's idle timer stays off (nil): the watch owns every timeout.
        let http = HTTP1Channel(responder: responder, configuration: .init(idleTimeout: nil))
        let limits = limits, metrics = metrics
        return http.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // Made here, on the channel's event loop, which is the only place it is ever touched.
            let watch = SlowClientWatch(channel: channel, limits: limits, metrics: metrics)
            let operations = channel.pipeline.syncOperations
            try operations.addHandler(SlowClientBytes(watch), position: .first)
            // Right after the HTTP codec: Hummingbird's state handler is the next one there.
            let state = try operations.handler(type: HTTPConnectionStateHandler.self)
            try operations.addHandler(SlowClientParts(watch), position: .before(state))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await HTTP1Channel(responder: responder).handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the slow-client watch.
    static func guardedHTTP1(limits: ConnectionLimits, metrics: Metrics) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, limits: limits, metrics: metrics) }
    }
}

/// One connection's phase and its single deadline; confined to the channel's event loop.
final class SlowClientWatch {
    enum Phase: String { case idle, head, body, responding }

    let channel: any Channel
    let limits: ConnectionLimits
    let metrics: Metrics
    private(set) var phase = Phase.idle
    private var awaitingResponse = 0
    private var timer: Scheduled<Void>?
    private var opened = false
    private var closed = false

    init(channel: any Channel, limits: ConnectionLimits, metrics: Metrics) {
        self.channel = channel; self.limits = limits; self.metrics = metrics
    }

    func connectionOpened() {
        guard !opened else { return }
        opened = true
        metrics.increment("http_connections_opened_total", help: "HTTP connections accepted (open now = opened - closed)")
        enter(.idle)
    }

    func connectionClosed() {
        guard opened, !closed else { return }
        closed = true
        timer?.cancel()
        timer = nil
        metrics.increment("http_connections_closed_total", help: "HTTP connections closed")
    }

    /// Bytes on an idle connection start a request: its head must be complete within the head timeout.
    func bytesArrived() {
        if phase == .idle { enter(.head) }
    }

    func headDecoded() {
        awaitingResponse += 1
        enter(.body)
    }

    /// The body is in: the time is ours until the response ends — unless it already has (an early
    /// answer such as 401 or 413, with the rest of the body drained after it), then the connection is idle.
    func endDecoded() { enter(awaitingResponse == 0 ? .idle : .responding) }

    func responseEnded() {
        awaitingResponse = max(0, awaitingResponse - 1)
        if awaitingResponse == 0, phase == .responding { enter(.idle) }
    }

    private func enter(_ next: Phase) {
        phase = next
        timer?.cancel()
        timer = nil
        guard !closed else { return }
        let limit: Duration
        switch next {
        case .idle: limit = limits.idleTimeout
        case .head: limit = limits.headTimeout
        case .body: limit = limits.bodyTimeout
        case .responding: return
        }
        timer = channel.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limit)) { [self] in
            guard !closed, phase == next else { return }
            metrics.increment("http_connections_timed_out_total", labels: ["phase": next.rawValue],
                              help: "Connections closed because the client was too slow (head, body) or idle")
            channel.close(promise: nil)
        }
    }
}

/// First in the pipeline: sees every raw read, and the connection opening and closing.
final class SlowClientBytes: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let watch: SlowClientWatch
    init(_ watch: SlowClientWatch) { self.watch = watch }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { watch.connectionOpened() }
    }

    func handlerRemoved(context: ChannelHandlerContext) { watch.connectionClosed() }

    func channelActive(context: ChannelHandlerContext) {
        watch.connectionOpened()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        watch.connectionClosed()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        watch.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// After the HTTP codec: where a request's head and end arrive and where its response ends.
final class SlowClientParts: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    let watch: SlowClientWatch
    init(_ watch: SlowClientWatch) { self.watch = watch }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: watch.headDecoded()
        case .body: break
        case .end: watch.endDecoded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { watch.responseEnded() }
        context.write(data, promise: promise)
    }
}
