/// The checks every store applies to what a caller asks it to keep, so that each backend refuses the same
/// input with the same error.
package enum StoreValidation {
    /// Routes are recipient patterns without spaces or control characters, within ``StoreLimits``.
    package static func validate(routes: [String]) throws(StoreError) {
        guard routes.count <= StoreLimits.maximumRoutesPerInbox else { throw .tooManyRoutes(routes.count) }
        for route in routes {
            let scalars = route.unicodeScalars
            guard !scalars.isEmpty, scalars.count <= StoreLimits.maximumRouteLength,
                !scalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F })
            else { throw .invalidRoute(route) }
        }
    }

    /// Tags are non-empty, without control characters, within ``StoreLimits``.
    package static func validate(tags: [String]) throws(StoreError) {
        guard tags.count <= StoreLimits.maximumTagsPerMessage else { throw .tooManyTags(tags.count) }
        for tag in tags
        where tag.unicodeScalars.isEmpty || tag.unicodeScalars.count > StoreLimits.maximumTagLength
            || StoredText.hasControlCharacter(tag)
        {
            throw .invalidTag(tag)
        }
    }

    /// The tags to keep: each once, in the order first given.
    package static func unique(_ tags: [String]) -> [String] {
        var unique: [String] = []
        for tag in tags where !unique.contains(tag) { unique.append(tag) }
        return unique
    }
}
