import AsyncHTTPClient
import Foundation
import MailpenChecks
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Requests the http(s) links of a report: HEAD (GET when the server answers 405 or 501),
/// redirects followed by hand so the chain is recorded, a bounded number in flight.
///
/// The links are attacker-chosen, so every hop is resolved here, checked against the
/// address policy and then requested from exactly the checked address (pinned with the
/// client's `dnsOverride`), which also defeats DNS rebinding between check and connect.
/// At most `maximumLinks` links, all within `deadline`; cancelling the calling task
/// cancels the requests in flight.
struct LinkFollower: Sendable {
    let configuration: LinkFollowing
    var resolver: any LinkHostResolving = SystemHostResolver()

    /// `links` with `status` filled in for every http(s) URL.
    func follow(_ links: [LinkReport.Link]) async -> [LinkReport.Link] {
        var results = links
        let targets = links.indices.filter { links[$0].scheme == "http" || links[$0].scheme == "https" }
        let limit = self.configuration.maximumLinks
        for index in targets.dropFirst(limit) {
            results[index].status = Self.unrequested(
                links[index].url,
                "not checked: at most \(limit) links are followed per message"
            )
        }
        let statuses = await self.followWithinDeadline(Array(targets.prefix(limit)).map { ($0, links[$0].url) })
        for (index, status) in statuses {
            results[index].status = status
        }
        return results
    }

    private enum Event: Sendable {
        case checked(Int, LinkReport.LinkStatus)
        case deadlinePassed
        case cancelled
    }

    /// A status for each of `links`; those unfinished at the deadline or on cancellation say so.
    private func followWithinDeadline(_ links: [(index: Int, url: String)]) async -> [Int: LinkReport.LinkStatus] {
        guard !links.isEmpty else {
            return [:]
        }
        let clock = ContinuousClock()
        let deadline = self.configuration.deadline
        var statuses: [Int: LinkReport.LinkStatus] = [:]
        var started: [Int: ContinuousClock.Instant] = [:]
        var stoppedBecause: Event? = nil
        await withTaskGroup(of: Event.self) { group in
            group.addTask {
                do {
                    try await Task.sleep(for: deadline, clock: clock)
                    return .deadlinePassed
                } catch {
                    return .cancelled
                }
            }
            var next = 0
            func startNext() {
                guard next < links.count else {
                    return
                }
                let (index, url) = links[next]
                next += 1
                started[index] = clock.now
                _ = group.addTaskUnlessCancelled {
                    .checked(index, await self.check(url))
                }
            }
            for _ in 0..<min(self.configuration.maximumConcurrency, links.count) {
                startNext()
            }
            while statuses.count < links.count, let event = await group.next() {
                guard case .checked(let index, let status) = event, !Task.isCancelled else {
                    stoppedBecause = Task.isCancelled ? .cancelled : event
                    break
                }
                statuses[index] = status
                startNext()
            }
            group.cancelAll()
        }
        for (index, url) in links where statuses[index] == nil {
            let limited = "following all links is limited to \(deadline)"
            switch (stoppedBecause, started[index]) {
            case (.deadlinePassed, let start?):
                statuses[index] = Self.unrequested(url, "timeout: \(limited)", duration: clock.now - start)
            case (.deadlinePassed, nil):
                statuses[index] = Self.unrequested(url, "not checked: \(limited)")
            default:
                statuses[index] = Self.unrequested(url, "not checked: cancelled")
            }
        }
        return statuses
    }

    /// The status of a link that got no response of its own.
    private static func unrequested(_ url: String, _ reason: String, duration: Duration = .zero)
        -> LinkReport.LinkStatus
    {
        LinkReport.LinkStatus(
            statusCode: nil,
            finalURL: url,
            redirects: [],
            method: "HEAD",
            error: reason,
            ok: false,
            durationMs: Self.milliseconds(duration)
        )
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Requests `url`, following redirects; each hop is checked against the address policy first.
    func check(_ url: String) async -> LinkReport.LinkStatus {
        let clock = ContinuousClock()
        let start = clock.now
        var current = url
        var redirects: [LinkReport.Redirect] = []
        var method = "HEAD"
        func finish(_ statusCode: Int?, error: String?) -> LinkReport.LinkStatus {
            LinkReport.LinkStatus(
                statusCode: statusCode,
                finalURL: current,
                redirects: redirects,
                method: method,
                error: error,
                ok: error == nil && (200..<300).contains(statusCode ?? 0),
                durationMs: Self.milliseconds(clock.now - start)
            )
        }
        while true {
            let response: (status: Int, location: String?, method: String)
            do {
                guard let target = LinkConnectionTarget(url: current) else {
                    return finish(nil, error: "invalid URL")
                }
                let addresses = try await self.allowedAddresses(of: target)
                response = try await self.request(current, target: target, addresses: addresses)
                method = response.method
            } catch {
                return finish(nil, error: Self.describe(error, timeout: self.configuration.timeout))
            }
            guard [301, 302, 303, 307, 308].contains(response.status), let location = response.location else {
                return finish(response.status, error: nil)
            }
            guard let target = URL(string: location, relativeTo: URL(string: current))?.absoluteString else {
                return finish(response.status, error: "invalid redirect location \"\(location)\"")
            }
            redirects.append(LinkReport.Redirect(url: current, statusCode: response.status, location: target))
            let scheme = LinkExtractor.scheme(of: target)
            guard scheme == "http" || scheme == "https" else {
                return finish(response.status, error: "redirect to unsupported URL \(target)")
            }
            guard redirects.count <= self.configuration.maximumRedirects else {
                return finish(response.status, error: "more than \(self.configuration.maximumRedirects) redirects")
            }
            current = target
        }
    }

    /// The addresses of the target's host the policy allows, in the resolver's order; throws
    /// `LinkRefusal` (naming the first address) when it allows none.
    private func allowedAddresses(of target: LinkConnectionTarget) async throws -> [IPAddress] {
        let addresses = try await self.resolver.addresses(of: target.host)
        let policy = self.configuration.addressPolicy
        let allowed = addresses.filter { policy.refusedClass(of: $0, port: target.port) == nil }
        guard allowed.isEmpty else {
            return allowed
        }
        guard let first = addresses.first, let refusedClass = policy.refusedClass(of: first, port: target.port) else {
            throw DNSLookupFailure(host: target.host)
        }
        throw LinkRefusal(host: target.host, address: first, addressClass: refusedClass)
    }

    /// One hop: HEAD, then GET when HEAD is refused, from the first of `addresses` that
    /// accepts a connection.
    private func request(
        _ url: String,
        target: LinkConnectionTarget,
        addresses: [IPAddress]
    ) async throws -> (status: Int, location: String?, method: String) {
        for (position, address) in addresses.enumerated() {
            do {
                return try await self.withClient(pinning: target, to: address) { client in
                    let head = try await self.request(url, method: .HEAD, client: client)
                    guard head.status == 405 || head.status == 501 else {
                        return (head.status, head.location, "HEAD")
                    }
                    let get = try await self.request(url, method: .GET, client: client)
                    return (get.status, get.location, "GET")
                }
            } catch let error where position < addresses.count - 1 && Self.isConnectionFailure(error) {
                continue
            }
        }
        throw DNSLookupFailure(host: target.host)
    }

    /// Runs `body` with a client that connects to `address` for the target's host, and shuts it down.
    private func withClient<Value: Sendable>(
        pinning target: LinkConnectionTarget,
        to address: IPAddress,
        _ body: (HTTPClient) async throws -> Value
    ) async throws -> Value {
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.timeout = .init(
            connect: TimeAmount(self.configuration.timeout),
            read: TimeAmount(self.configuration.timeout)
        )
        clientConfiguration.decompression = .disabled
        clientConfiguration.dnsOverride = [target.overrideKey: address.description]
        // A refused connection fails the hop now (and the next address is tried) instead of being
        // retried until the timeout.
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let result: Result<Value, any Error>
        do {
            result = .success(try await body(client))
        } catch {
            result = .failure(error)
        }
        try? await client.shutdown()
        return try result.get()
    }

    /// One request; the body is not read (dropping it cancels the transfer).
    private func request(
        _ url: String,
        method: HTTPMethod,
        client: HTTPClient
    ) async throws -> (status: Int, location: String?) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: self.configuration.userAgent)
        request.headers.add(name: "Accept", value: "*/*")
        let response = try await client.execute(request, timeout: TimeAmount(self.configuration.timeout))
        return (Int(response.status.code), response.headers.first(name: "location"))
    }

    /// True when no connection could be made, so another address of the host may be tried.
    private static func isConnectionFailure(_ error: any Error) -> Bool {
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.contains { Self.isConnectionFailure($0.error) }
        }
        if let error = error as? IOError {
            return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        }
        return false
    }

    /// "timeout", "connection refused", "DNS lookup failed for example.invalid", … for people.
    static func describe(_ error: any Error, timeout: Duration) -> String {
        if let refusal = error as? LinkRefusal {
            return refusal.description
        }
        if let failure = error as? DNSLookupFailure {
            return "DNS lookup failed for \(failure.host)"
        }
        if error is CancellationError {
            return "not checked: cancelled"
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout:
                return "timeout after \(timeout)"
            case .invalidURL, .emptyHost, .emptyScheme:
                return "invalid URL"
            case .remoteConnectionClosed:
                return "connection closed by the server"
            case .cancelled:
                return "not checked: cancelled"
            default:
                return error.description
            }
        }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty {
                return "DNS lookup failed for \(error.host)"
            }
            if let first = error.connectionErrors.first {
                return Self.describe(first.error, timeout: timeout)
            }
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ECONNRESET: return "connection reset"
            case ENETUNREACH, EHOSTUNREACH: return "network unreachable"
            default: return error.description
            }
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "timeout after \(timeout)"
        }
        if error is SocketAddressError {
            return "DNS lookup failed"
        }
        return String(describing: error)
    }
}
