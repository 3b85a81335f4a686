import Hummingbird

/// Answers the failures MailHog's routes throw with their own status, as text, where the server's error
/// handling would answer a 500: a body over the limit is a 413, a page too deep to merge a 400.
struct MailHogErrorMiddleware<Context: CompatRequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as CompatError {
            return PlainText.response(error.status, error.message)
        } catch let failure as VisibleMessages.Failure {
            return PlainText.badRequest(failure.reason)
        }
    }
}
