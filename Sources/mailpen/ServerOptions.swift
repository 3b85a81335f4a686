import ArgumentParser
import AsyncHTTPClient
import Foundation
import Mailpen
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix

/// `--server`, shared by the commands that talk to a running Mailpen over HTTP.
struct ServerOptions: ParsableArguments {
    @Option(help: "Mailpen's HTTP address (env: MAILPEN_SERVER). (default: \(Self.defaultURL))")
    var server: String?

    /// Where `mailpen serve` answers HTTP when not told otherwise.
    static let defaultURL: String = {
        let defaults = MailpenConfiguration()
        return "http://\(defaults.httpHost):\(defaults.httpPort)"
    }()

    var baseURL: String {
        let value = server ?? ProcessInfo.processInfo.environment["MAILPEN_SERVER"] ?? Self.defaultURL
        let withScheme = value.contains("://") ? value : "http://" + value
        return withScheme.hasSuffix("/") ? String(withScheme.dropLast()) : withScheme
    }
}

/// A small JSON client for the API, for the CLI commands.
struct APIClient {
    let baseURL: String
    let client: HTTPClient

    struct Failure: Error, CustomStringConvertible {
        let status: Int
        let message: String
        var description: String { message }
    }

    /// Sends a request and returns the status and body; transport failures become a clear message.
    func request(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String = "application/json",
        timeout: TimeAmount = .seconds(30)
    ) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(data: body))
        }
        if let credentials = ProcessInfo.processInfo.environment["MAILPEN_UI_AUTH"] {
            request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
            return (Int(response.status.code), Data(buffer: bytes))
        } catch let error as IOError where error.errnoCode == ECONNREFUSED {
            throw Failure(
                status: 0,
                message: "cannot reach Mailpen at \(baseURL): connection refused (is `mailpen serve` running there? "
                    + "Point --server or MAILPEN_SERVER at it)")
        } catch {
            throw Failure(status: 0, message: "cannot reach Mailpen at \(baseURL): \(error)")
        }
    }

    /// Like `request`, but a non-2xx status throws with the API's error message.
    func expectSuccess(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String = "application/json",
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Data {
        let (status, data) = try await request(method, path, body: body, contentType: contentType, timeout: timeout)
        guard (200..<300).contains(status) else {
            throw Failure(status: status, message: Self.errorMessage(data, status: status))
        }
        return data
    }

    static func errorMessage(_ data: Data, status: Int) -> String {
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let error = object["error"] as? String
        {
            return error
        }
        return "HTTP \(status)"
    }

    static func encode(_ component: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+/?#")
        return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
    }

    /// Runs `body` with a client that is shut down afterwards.
    static func with<T>(_ options: ServerOptions, _ body: (APIClient) async throws -> T) async throws -> T {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let result = try await body(APIClient(baseURL: options.baseURL, client: client))
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// Prints to standard error.
func printError(_ text: String) {
    // Errors quote what servers answered (an SMTP reply, an API error naming a subject): terminal-safe.
    try? FileHandle.standardError.write(contentsOf: Data((TerminalText.safe(text) + "\n").utf8))
}

/// Writes command output. A reader that went away (`mailpen wait --json | head -c 100`) ends the command
/// quietly with 141, the status of a process stopped by SIGPIPE, instead of a crash.
func writeOutput(_ data: Data) throws {
    do {
        try FileHandle.standardOutput.write(contentsOf: data)
    } catch {
        throw ExitCode(141)
    }
}
