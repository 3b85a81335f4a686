#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Builds the `MIMEPart` tree from raw bytes in one forward pass per nesting level.
///
/// Boundaries follow RFC 2046 §5.1 with Python `email`'s tolerance: a delimiter is a
/// line `--boundary` (`--boundary--` closes) with optional trailing white space; the
/// line break before it belongs to it; consecutive delimiters produce no empty part; a
/// missing close delimiter ends the multipart at the end of its enclosing range; no
/// opening delimiter makes the multipart a leaf. Work is linear in the input times the
/// nesting depth, which is capped at `maximumDepth`; the parts a message has are capped at
/// `maximumParts`.
struct MIMEParser {
    /// Deeper containers are kept as leaves flagged `.nestingTooDeep`.
    static let maximumDepth = 64
    /// Parts (every entity, the root included) a message may have. A part costs a few hundred bytes of
    /// memory however small its source (`--b` and an empty line make one), and every view walks them
    /// all: a message of millions of empty parts would take gigabytes to read. A multipart whose next part
    /// would go over the cap keeps the parts it has so far and is flagged `.tooManyParts`; the raw message
    /// keeps the rest.
    static let maximumParts = 10_000

    private let buffer: UnsafeBufferPointer<UInt8>
    /// The array `buffer` points into; header fields keep a reference to it.
    private let message: [UInt8]
    /// Offsets of lines starting with "--" from `candidatesStart` on; computed once,
    /// when the first multipart body is reached.
    private var candidates: [Int] = []
    private var candidatesStart = -1
    private var lineCounter = LineCounter()
    /// Entities parsed so far.
    private var partCount = 0

    /// - Parameter buffer: `message`'s storage, valid for the parser's lifetime.
    init(message: [UInt8], buffer: UnsafeBufferPointer<UInt8>) {
        self.message = message
        self.buffer = buffer
    }

    enum EntityKind {
        /// The root entity of a message; `prefix` is "" for the top level or the id of
        /// the enclosing message/rfc822 part.
        case message(prefix: String)
        case bodyPart(id: String)
    }

    /// Parses the whole buffer as a message.
    mutating func parseMessage() -> MIMEPart {
        self.parseEntity(0..<self.buffer.count, kind: .message(prefix: ""), depth: 0, defaultType: .textPlain)
    }

    mutating func parseEntity(
        _ range: Range<Int>,
        kind: EntityKind,
        depth: Int,
        defaultType: MIMEContentType
    ) -> MIMEPart {
        self.partCount += 1
        var isTopLevel = false
        if case .message(let prefix) = kind, prefix.isEmpty {
            isTopLevel = true
        }
        let block = HeaderBlockParser.parse(
            self.buffer, message: self.message, start: range.lowerBound, end: range.upperBound,
            skipMboxFrom: isTopLevel
        )
        var problems = block.problems
        for offset in block.malformedLineOffsets {
            problems.append(.malformedHeader(line: self.lineCounter.line(at: offset, in: self.buffer)))
        }
        let header = MIMEHeader(fields: block.fields)

        let contentTypeValue = block.contentType
        let encodingValue = block.transferEncoding
        let dispositionValue = block.disposition
        let contentIDValue = block.contentID

        var contentType = defaultType
        if let contentTypeValue {
            contentType = MIMEContentType.parse(contentTypeValue) ?? .textPlain
        }
        var transferEncoding = "7bit"
        if let encodingValue, let normalized = TransferEncoding.normalize(encodingValue) {
            transferEncoding = normalized
        }
        let isKnownEncoding = TransferEncoding.isKnown(transferEncoding)
        if !isKnownEncoding {
            problems.append(.invalidTransferEncoding(transferEncoding))
        }
        var disposition: String? = nil
        var dispositionParameters: [String: String] = [:]
        if let dispositionValue {
            let list = ParameterList(parsing: dispositionValue)
            disposition = list.token.isEmpty ? nil : list.token
            dispositionParameters = list.parameters
        }
        var filename = dispositionParameters["filename"] ?? contentType.parameters["name"]
        if let name = filename {
            let trimmed = ByteText.trimmed(name)
            filename = trimmed.isEmpty ? nil : trimmed
        }
        var contentID: String? = nil
        if let contentIDValue {
            contentID = MessageIDList.parse(contentIDValue).first
        }
        var charset: String? = nil
        if let label = contentType.parameters["charset"] {
            let normalized = Charset.normalizedLabel(label)
            if !normalized.isEmpty {
                charset = normalized
            }
        }
        if contentType.isText, let charset, !Charset.isKnown(charset) {
            problems.append(.unknownCharset(charset))
        }

        // A message root that turns out to be a real multipart is "0" (or "N.0"); any
        // other message body is "1" (or "N.1"), like IMAP. Decided after parsing children.
        var id: String
        let childPrefix: String
        switch kind {
        case .message(let prefix):
            id = prefix.isEmpty ? "1" : prefix + ".1"
            childPrefix = prefix
        case .bodyPart(let partID):
            id = partID
            childPrefix = partID
        }

        let bodyRange = block.bodyStart..<range.upperBound
        var children: [MIMEPart] = []
        var decodedSize = bodyRange.count

        if contentType.isMultipart {
            if depth >= Self.maximumDepth {
                problems.append(.nestingTooDeep)
            } else if let boundary = contentType.parameters["boundary"].map(Self.trimmedBoundary), !boundary.isEmpty {
                let digest = contentType.subtype == "digest"
                children = self.parseMultipartBody(
                    bodyRange, boundary: Array(boundary.utf8), childPrefix: childPrefix, depth: depth,
                    childDefault: digest ? .messageRFC822 : .textPlain, problems: &problems
                )
            } else {
                problems.append(.boundaryNotFound)
            }
            if case .message(let prefix) = kind, !children.isEmpty {
                id = prefix.isEmpty ? "0" : prefix + ".0"
            }
        } else if contentType.isEncapsulatedMessage && TransferEncoding.isIdentity(transferEncoding) {
            if depth >= Self.maximumDepth {
                problems.append(.nestingTooDeep)
            } else if self.partCount >= Self.maximumParts {
                problems.append(.tooManyParts)
            } else {
                children = [
                    self.parseEntity(bodyRange, kind: .message(prefix: id), depth: depth + 1, defaultType: .textPlain)
                ]
            }
        } else {
            let scan = BodyScanner.scan(
                self.buffer, range: bodyRange, transferEncoding: transferEncoding,
                validateCharset: contentType.isText ? (charset ?? "us-ascii") : nil
            )
            decodedSize = scan.decodedSize
            for problem in scan.problems where !problems.contains(problem) {
                problems.append(problem)
            }
        }

        return MIMEPart(
            id: id,
            header: header,
            contentType: contentType,
            transferEncoding: transferEncoding,
            charset: charset,
            disposition: disposition,
            filename: filename,
            contentID: contentID,
            children: children,
            bodyRange: bodyRange,
            decodedSize: decodedSize,
            problems: problems
        )
    }

    /// Python strips trailing white space from boundary parameters; so do we.
    private static func trimmedBoundary(_ value: String) -> String {
        var bytes = Array(value.utf8)
        while let last = bytes.last, ASCII.isWhitespace(last) {
            bytes.removeLast()
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private struct Delimiter {
        var lineStart: Int
        var next: Int
        var isClose: Bool
    }

    private mutating func parseMultipartBody(
        _ body: Range<Int>,
        boundary: [UInt8],
        childPrefix: String,
        depth: Int,
        childDefault: MIMEContentType,
        problems: inout [MIMEProblem]
    ) -> [MIMEPart] {
        let context = PartContext(childPrefix: childPrefix, depth: depth, childDefault: childDefault)
        guard self.partCount < Self.maximumParts else {
            problems.append(.tooManyParts)
            return []
        }
        self.ensureCandidates(from: body.lowerBound)
        // Each part is made as soon as the delimiter after it is found: no list of every delimiter (millions,
        // in a hostile message) is kept, and the cap counts parts, not delimiters.
        var children: [MIMEPart] = []
        var previous: Delimiter?
        var isClosed = false
        var index = Self.lowerBound(self.candidates, body.lowerBound)
        while index < self.candidates.count {
            let position = self.candidates[index]
            if position >= body.upperBound {
                break
            }
            index += 1
            guard let delimiter = self.matchDelimiter(at: position, boundary: boundary, end: body.upperBound) else {
                continue
            }
            guard let opening = previous else {
                // A close delimiter before any opening one: Python gives up here too.
                if delimiter.isClose { break }
                previous = delimiter
                continue
            }
            if delimiter.lineStart != opening.next {  // consecutive delimiters: no part between them
                guard self.partCount < Self.maximumParts else {
                    problems.append(.tooManyParts)
                    return children
                }
                let end = self.strippingLineEnding(opening.next, delimiter.lineStart)
                children.append(self.parseBodyPart(opening.next..<end, number: children.count + 1, in: context))
            }
            previous = delimiter
            if delimiter.isClose {
                isClosed = true
                break
            }
        }
        guard let last = previous else {
            problems.append(.boundaryNotFound)
            return []
        }
        if !isClosed {
            problems.append(.missingFinalBoundary)
            // The last part runs to the end of the enclosing range.
            guard self.partCount < Self.maximumParts else {
                problems.append(.tooManyParts)
                return children
            }
            var end = body.upperBound
            if end == self.buffer.count {
                end = self.strippingLineEnding(last.next, end)
            }
            children.append(
                self.parseBodyPart(last.next..<max(last.next, end), number: children.count + 1, in: context))
        }
        return children
    }

    /// Where the parts of a multipart go: their ids' prefix, their depth and their default type.
    private struct PartContext {
        var childPrefix: String
        var depth: Int
        var childDefault: MIMEContentType
    }

    private mutating func parseBodyPart(_ range: Range<Int>, number: Int, in context: PartContext) -> MIMEPart {
        let id = context.childPrefix.isEmpty ? String(number) : "\(context.childPrefix).\(number)"
        return self.parseEntity(
            range, kind: .bodyPart(id: id), depth: context.depth + 1, defaultType: context.childDefault)
    }

    /// Removes one trailing line ending (LF or CRLF) from `start..<end`.
    private func strippingLineEnding(_ start: Int, _ end: Int) -> Int {
        var end = end
        if end > start && self.buffer[end - 1] == ASCII.lf {
            end -= 1
            if end > start && self.buffer[end - 1] == ASCII.cr {
                end -= 1
            }
        } else if end > start && self.buffer[end - 1] == ASCII.cr {
            end -= 1
        }
        return end
    }

    /// Matches `--boundary[--][WSP]*(CRLF|LF|end)` at `position`.
    private func matchDelimiter(at position: Int, boundary: [UInt8], end: Int) -> Delimiter? {
        let boundaryEnd = position + 2 + boundary.count
        guard boundaryEnd <= end, let base = self.buffer.baseAddress else {
            return nil
        }
        let equal = boundary.withUnsafeBufferPointer { pattern in
            guard let patternBase = pattern.baseAddress else {
                return false
            }
            return memcmp(base + position + 2, patternBase, pattern.count) == 0
        }
        guard equal else {
            return nil
        }
        var cursor = boundaryEnd
        var isClose = false
        if cursor + 1 < end && base[cursor] == ASCII.minus && base[cursor + 1] == ASCII.minus {
            isClose = true
            cursor += 2
        } else if cursor + 1 == end && base[cursor] == ASCII.minus {
            return nil
        }
        while cursor < end && ASCII.isWSP(base[cursor]) {
            cursor += 1
        }
        if cursor == end {
            return Delimiter(lineStart: position, next: end, isClose: isClose)
        }
        if base[cursor] == ASCII.lf {
            return Delimiter(lineStart: position, next: cursor + 1, isClose: isClose)
        }
        if base[cursor] == ASCII.cr {
            if cursor + 1 == end {
                return Delimiter(lineStart: position, next: end, isClose: isClose)
            }
            if base[cursor + 1] == ASCII.lf {
                return Delimiter(lineStart: position, next: cursor + 2, isClose: isClose)
            }
        }
        return nil
    }

    /// Collects offsets of lines that start with "--" from `start` to the end of the buffer.
    private mutating func ensureCandidates(from start: Int) {
        guard self.candidatesStart < 0 || start < self.candidatesStart else {
            return
        }
        self.candidatesStart = start
        self.candidates.removeAll(keepingCapacity: true)
        guard let base = self.buffer.baseAddress else {
            return
        }
        let count = self.buffer.count
        // `start` is the first byte of a body, hence the start of a line.
        if start + 1 < count && base[start] == ASCII.minus && base[start + 1] == ASCII.minus {
            self.candidates.append(start)
        }
        // Hyphens are rare outside delimiters (and absent from base64), so look for "-"
        // with memchr and check the line start only there.
        var index = start + 1
        while index < count {
            guard let found = memchr(base + index, Int32(ASCII.minus), count - index) else {
                break
            }
            let position = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if position + 1 < count && base[position + 1] == ASCII.minus && base[position - 1] == ASCII.lf {
                self.candidates.append(position)
                index = position + 2
            } else {
                index = position + 1
            }
        }
    }

    private static func lowerBound(_ array: [Int], _ value: Int) -> Int {
        var low = 0
        var high = array.count
        while low < high {
            let middle = (low + high) / 2
            if array[middle] < value {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }
}

/// Maps byte offsets to 1-based line numbers, moving forward only (parts are visited
/// in message order), so numbering all problems costs one pass at most.
struct LineCounter {
    private var offset = 0
    private var line = 1

    mutating func line(at target: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Int {
        if target < self.offset {
            self.offset = 0
            self.line = 1
        }
        var index = self.offset
        let end = min(target, buffer.count)
        while index < end {
            if buffer[index] == ASCII.lf {
                self.line += 1
            }
            index += 1
        }
        self.offset = max(self.offset, end)
        return self.line
    }
}
