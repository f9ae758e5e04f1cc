import Foundation
import Hummingbird
import Interpreters
import Logging

public enum EmulatorError: Error, CustomStringConvertible {
    case unknownFaultProfile(String)
    case couldNotBind(host: String, port: Int)

    public var description: String {
        switch self {
        case .unknownFaultProfile(let name): return "unknown fault profile \(name) (use none, default or harsh)"
        case .couldNotBind(let host, let port): return "could not listen on \(host):\(port)"
        }
    }
}

/// The emulator's Hummingbird application. `onRunning` gets the base URL (useful with port 0) after
/// the model has been re-based on the URL the server really answers on.
func makeEmulatorApplication(model: EmulatorModel, host: String, port: Int, logLevel: Logger.Level = .warning,
                             onRunning: @escaping @Sendable (_ baseURL: String) async -> Void) -> some ApplicationProtocol {
    makeLoopbackApplication(router: buildEmulatorRouter(model: model), host: host, port: port, logLevel: logLevel) { bound in
        let visibleHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        let baseURL = "http://\(visibleHost):\(bound)"
        await model.reset(baseURL: baseURL)
        await onRunning(baseURL)
    }
}

func makeLoopbackApplication(router: Router<BasicRequestContext>, host: String, port: Int, logLevel: Logger.Level,
                             onRunning: @escaping @Sendable (_ port: Int) async -> Void) -> some ApplicationProtocol {
    var logger = Logger(label: "calendly-emulator.http")
    logger.logLevel = logLevel
    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: "calendly-emulator"),
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
        logger: logger
    )
}

/// Runs `router` in the background until `stop` is called; returns once it listens. `port: 0` picks a
/// free port. `stop` cancels the server, and Hummingbird logs each keep-alive connection it cuts as
/// an error — so in-process servers log only critical problems (`emulate` shuts down gracefully).
func startInBackground(router: Router<BasicRequestContext>, host: String = "127.0.0.1", port: Int = 0,
                       beforeReady: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) async throws
    -> (port: Int, stop: @Sendable () async -> Void)
{
    let (started, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = makeLoopbackApplication(router: router, host: host, port: port, logLevel: .critical) { bound in
        await beforeReady(bound)
        continuation.yield(bound)
        continuation.finish()
    }
    let server = Task {
        do { try await app.run() } catch {}
        continuation.finish()
    }
    var bound: Int?
    for await value in started {
        bound = value
        break
    }
    guard let bound else {
        server.cancel()
        throw EmulatorError.couldNotBind(host: host, port: port)
    }
    return (bound, { server.cancel(); _ = await server.result })
}

/// Starts an emulator in this process (tests, and `serve` in demo mode). `port: 0` picks a free port;
/// the returned `baseURL` is both the API base and the OAuth base. `shutdown` stops the server and
/// cancels webhook deliveries in flight.
public func startEmulator(host: String = "127.0.0.1", port: Int = 0, seed: UInt64, faults: String,
                          signingKey: [UInt8] = EmulatorModel.developmentSigningKey) async throws
    -> (baseURL: String, shutdown: @Sendable () async -> Void, model: EmulatorModel)
{
    guard let profile = FaultProfile.named(faults) else { throw EmulatorError.unknownFaultProfile(faults) }
    let model = EmulatorModel(seed: seed, faults: profile, signingKey: signingKey)
    let visibleHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
    let server = try await startInBackground(router: buildEmulatorRouter(model: model), host: host, port: port) { bound in
        await model.reset(baseURL: "http://\(visibleHost):\(bound)")
    }
    let shutdown: @Sendable () async -> Void = {
        await server.stop()
        await model.shutdown()
    }
    return ("http://\(visibleHost):\(server.port)", shutdown, model)
}
