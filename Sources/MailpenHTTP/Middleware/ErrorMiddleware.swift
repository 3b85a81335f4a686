import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailpenRelay
import MailpenStore
import NIOHTTP1

/// Turns every error a route throws into `{"error": ...}` with a fitting status, and unknown paths into 404s.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return APIError.jsonResponse(status: error.status, message: error.message)
        } catch let error as StoreError {
            let status: HTTPResponse.Status
            switch error {
            case .inboxNotFound, .messageNotFound: status = .notFound
            case .inboxExists, .cannotDeleteDefaultInbox: status = .conflict
            case .invalidInboxName, .invalidRoute, .invalidTag, .tooManyRoutes, .tooManyTags: status = .badRequest
            case .timedOut: status = .requestTimeout
            case .closed, .unavailable: status = .serviceUnavailable
            case .cannotOpen:
                return Self.internalError(error, context: context)
            }
            return APIError.jsonResponse(status: status, message: error.description)
        } catch let error as RelayError {
            return APIError.jsonResponse(status: .badRequest, message: error.description)
        } catch let error as DeliveryQueueError {
            return APIError.jsonResponse(status: .badRequest, message: error.description)
        } catch let error as WebhookQueueError {
            return APIError.jsonResponse(status: .badRequest, message: error.description)
        } catch let error as SearchSyntaxError {
            return APIError.jsonResponse(status: .badRequest, message: error.description)
        } catch let error as DecodingError {
            return APIError.jsonResponse(
                status: .badRequest, message: "invalid JSON body: \(DecodingErrorDescription.describe(error))")
        } catch let error as HTTPParserError {
            // A body whose framing breaks (a bad chunk size) fails while the route reads it: the client's fault.
            return APIError.jsonResponse(status: .badRequest, message: "malformed request: \(error)")
        } catch let error as HTTPError {
            let message = error.body ?? Self.defaultMessage(for: error.status, request: request)
            return APIError.jsonResponse(status: error.status, message: message, headers: error.headers)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return Self.internalError(error, context: context)
        }
    }

    /// A 500 that says nothing of the cause (which may name SQL, files or internals) beyond the log.
    private static func internalError(_ error: any Error, context: Context) -> Response {
        context.logger.error("request failed: \(error)")
        return APIError.jsonResponse(status: .internalServerError, message: "internal error")
    }

    private static func defaultMessage(for status: HTTPResponse.Status, request: Request) -> String {
        switch status {
        case .notFound: return "no route for \(request.method) \(request.uri.path)"
        case .methodNotAllowed: return "\(request.method) is not allowed on \(request.uri.path)"
        case .contentTooLarge: return "request body too large"
        default: return status.reasonPhrase
        }
    }
}
