import Foundation
import Hummingbird
import MailpenMIME
import MailpenStore

extension MailpitAPI {
    /// `/api/v1/tags` (list, set on messages) and `/api/v1/tags/{Tag}` (rename, delete).
    func registerTags(on router: Router<Context>) {
        router.get("api/v1/tags") { _, context in
            try await answer {
                CompatJSON.response(
                    try await visible(context).tagCounts().keys.sorted { $0.lowercased() < $1.lowercased() })
            }
        }
        router.put("api/v1/tags") { request, context in
            try await answer {
                let body = try LenientJSONObject(try await request.bodyBytes())
                let ids = try body.strings("IDs") ?? []
                let tags = MailpitTags.cleaned(try body.strings("Tags") ?? [])
                try await visible(context).update(ids: ids, isRead: nil, tags: tags)
                return PlainText.ok
            }
        }
        router.put("api/v1/tags/:tag") { request, context in
            try await answer {
                let tag = Self.pathTag(context)
                let body = try LenientJSONObject(try await request.bodyBytes())
                guard let name = MailpitTags.cleaned([try body.string("Name") ?? ""]).first else {
                    throw CompatError(status: .badRequest, message: "Invalid tag name")
                }
                try await retag(tag, context) { tags in
                    var renamed: [String] = []
                    for existing in tags {
                        let replacement = existing.caseInsensitiveCompare(tag) == .orderedSame ? name : existing
                        if !renamed.contains(where: { $0.caseInsensitiveCompare(replacement) == .orderedSame }) {
                            renamed.append(replacement)
                        }
                    }
                    return renamed
                }
                return PlainText.ok
            }
        }
        router.delete("api/v1/tags/:tag") { _, context in
            try await answer {
                let tag = Self.pathTag(context)
                try await retag(tag, context) { tags in tags.filter { $0.caseInsensitiveCompare(tag) != .orderedSame } }
                return PlainText.ok
            }
        }
    }

    /// The path's tag, percent-decoded (clients send it URL-encoded).
    private static func pathTag(_ context: Context) -> String {
        let raw = context.parameters.get("tag") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// Changes the tags of every visible message carrying `tag`.
    private func retag(_ tag: String, _ context: Context, _ change: @Sendable ([String]) -> [String]) async throws {
        guard !tag.isEmpty else { return }
        let visible = visible(context)
        let search = try SearchQuery(parsing: "tag:" + SearchValueQuoting.quoted(tag))
        for id in try await visible.allIDs(search) {
            guard let summary = try await visible.summary(id: id) else { continue }
            try await visible.update(ids: [id], isRead: nil, tags: change(summary.tags))
        }
    }

}
