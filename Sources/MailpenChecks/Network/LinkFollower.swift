import AsyncHTTPClient
import Foundation
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
struct LinkFollower: Sendable {
    let configuration: LinkFollowing

    /// `links` with `status` filled in for every http(s) URL.
    func follow(_ links: [LinkReport.Link]) async -> [LinkReport.Link] {
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.timeout = .init(
            connect: TimeAmount(self.configuration.timeout),
            read: TimeAmount(self.configuration.timeout)
        )
        clientConfiguration.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        var results = links
        let targets = links.indices.filter { links[$0].scheme == "http" || links[$0].scheme == "https" }
        await withTaskGroup(of: (Int, LinkReport.LinkStatus).self) { group in
            var next = 0
            func startNext() {
                guard next < targets.count else {
                    return
                }
                let index = targets[next]
                let url = links[index].url
                next += 1
                group.addTask {
                    (index, await self.check(url, client: client))
                }
            }
            for _ in 0..<min(self.configuration.maximumConcurrency, targets.count) {
                startNext()
            }
            while let (index, status) = await group.next() {
                results[index].status = status
                startNext()
            }
        }
        try? await client.shutdown()
        return results
    }

    /// Requests `url`, following redirects.
    func check(_ url: String, client: HTTPClient) async -> LinkReport.LinkStatus {
        let clock = ContinuousClock()
        let start = clock.now
        var current = url
        var redirects: [LinkReport.Redirect] = []
        var method = "HEAD"
        func finish(_ statusCode: Int?, error: String?) -> LinkReport.LinkStatus {
            let elapsed = clock.now - start
            let milliseconds = Int(
                elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            )
            return LinkReport.LinkStatus(
                statusCode: statusCode,
                finalURL: current,
                redirects: redirects,
                method: method,
                error: error,
                ok: error == nil && (200..<300).contains(statusCode ?? 0),
                durationMs: milliseconds
            )
        }
        while true {
            var response: (status: Int, location: String?)
            do {
                method = "HEAD"
                response = try await self.request(current, method: .HEAD, client: client)
                if response.status == 405 || response.status == 501 {
                    method = "GET"
                    response = try await self.request(current, method: .GET, client: client)
                }
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

    /// "timeout", "connection refused", "DNS lookup failed for example.invalid", … for people.
    static func describe(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout:
                return "timeout after \(timeout)"
            case .invalidURL, .emptyHost, .emptyScheme:
                return "invalid URL"
            case .remoteConnectionClosed:
                return "connection closed by the server"
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
