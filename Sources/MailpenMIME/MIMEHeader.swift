/// The ordered header block of a message or body part.
///
/// Fields keep their order and duplicates (`Received`, `DKIM-Signature` …) because
/// the API shows headers exactly as sent and checks look at every instance.
public struct MIMEHeader: Sendable {
    /// Every field in message order, duplicates kept.
    public var fields: [MIMEHeaderField]

    public init(fields: [MIMEHeaderField] = []) {
        self.fields = fields
    }

    /// The decoded value of the first field called `name` (case-insensitive), or nil.
    public subscript(name: String) -> String? {
        self.first(named: name)?.value
    }

    /// The decoded values of every field called `name` (case-insensitive), in order.
    public func values(named name: String) -> [String] {
        self.fields.compactMap { $0.hasName(name) ? $0.value : nil }
    }

    /// The first field called `name` (case-insensitive), or nil.
    public func first(named name: String) -> MIMEHeaderField? {
        for field in self.fields where field.hasName(name) {
            return field
        }
        return nil
    }

    /// The unfolded but not RFC 2047-decoded values of every field called `name`.
    ///
    /// Structured headers (addresses, message ids, parameters) must be tokenized
    /// before encoded words are decoded, so their parsers start from this.
    public func unfoldedValues(named name: String) -> [String] {
        self.fields.compactMap { $0.hasName(name) ? $0.unfoldedValue : nil }
    }
}

/// One header field as it appeared in the message.
///
/// `raw` keeps the exact text after the colon (folding included) so the Source and
/// Headers views can show what was sent, while `value` is what a reader sees.
///
/// Fields parsed from a message only keep byte offsets into it (and so keep the
/// message's bytes alive); their strings are made when read, so parsing does not pay
/// for the many fields (Received, DKIM-Signature, …) that nobody reads on the hot path.
public struct MIMEHeaderField: Sendable, Equatable {
    private var storage: Storage

    private enum Storage: Sendable {
        case strings(name: String, value: String, raw: String)
        case slice(Slice)
    }

    /// A field inside a message buffer.
    struct Slice: Sendable {
        let message: [UInt8]
        let nameStart: Int
        let nameEnd: Int
        let valueStart: Int
        let valueEnd: Int
        let multiline: Bool
        let eightBit: Bool

        func withBytes<T>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
            self.message.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[range])) }
        }
    }

    public init(name: String, value: String, raw: String) {
        self.storage = .strings(name: name, value: value, raw: raw)
    }

    init(slice: Slice) {
        self.storage = .slice(slice)
    }

    /// The field name as written, e.g. `Content-Type`.
    public var name: String {
        get {
            switch self.storage {
            case .strings(let name, _, _):
                return name
            case .slice(let slice):
                return slice.withBytes(slice.nameStart..<slice.nameEnd) { String(decoding: $0, as: UTF8.self) }
            }
        }
        set {
            self.storage = .strings(name: newValue, value: self.value, raw: self.raw)
        }
    }

    /// The value unfolded, trimmed and RFC 2047-decoded.
    public var value: String {
        get {
            switch self.storage {
            case .strings(_, let value, _):
                return value
            case .slice(let slice):
                let unfolded = Self.unfolded(slice)
                return unfolded.hasEncodedWords ? EncodedWord.decode(unfolded.text) : unfolded.text
            }
        }
        set {
            self.storage = .strings(name: self.name, value: newValue, raw: self.raw)
        }
    }

    /// Everything after the colon exactly as in the message, including folding
    /// line breaks, without the final line break (`name + ":" + raw` restores the line).
    /// Bytes are decoded as UTF-8, or as Latin-1/Windows-1252 when not valid UTF-8.
    public var raw: String {
        get {
            switch self.storage {
            case .strings(_, _, let raw):
                return raw
            case .slice(let slice):
                return slice.withBytes(slice.valueStart..<slice.valueEnd) { bytes in
                    slice.eightBit ? ByteText.string(utf8OrLatin1: bytes) : String(decoding: bytes, as: UTF8.self)
                }
            }
        }
        set {
            self.storage = .strings(name: self.name, value: self.value, raw: newValue)
        }
    }

    /// `raw` with folding line breaks removed and surrounding white space trimmed,
    /// before any RFC 2047 decoding.
    public var unfoldedValue: String {
        switch self.storage {
        case .strings(_, _, let raw):
            var raw = raw
            return raw.withUTF8 { Self.unfold($0, multiline: true, eightBit: true).text }
        case .slice(let slice):
            return Self.unfolded(slice).text
        }
    }

    /// True when the field is called `name`, compared case-insensitively.
    public func hasName(_ name: String) -> Bool {
        switch self.storage {
        case .strings(let own, _, _):
            return ByteText.equalsIgnoringCase(own, name)
        case .slice(let slice):
            guard slice.nameEnd - slice.nameStart == name.utf8.count else {
                return false
            }
            var name = name
            return name.withUTF8 { query in
                slice.withBytes(slice.nameStart..<slice.nameEnd) { own in
                    for index in 0..<own.count where ASCII.lowercased(own[index]) != ASCII.lowercased(query[index]) {
                        return false
                    }
                    return true
                }
            }
        }
    }

    public static func == (lhs: MIMEHeaderField, rhs: MIMEHeaderField) -> Bool {
        lhs.name == rhs.name && lhs.raw == rhs.raw && lhs.value == rhs.value
    }

    private static func unfolded(_ slice: Slice) -> (text: String, hasEncodedWords: Bool) {
        slice.withBytes(slice.valueStart..<slice.valueEnd) {
            Self.unfold($0, multiline: slice.multiline, eightBit: slice.eightBit)
        }
    }

    /// Trims white space, drops CR/LF (when `multiline`), decodes bytes; also reports
    /// whether the value contains an encoded-word opener "=?".
    static func unfold(
        _ rawBytes: UnsafeBufferPointer<UInt8>,
        multiline: Bool,
        eightBit: Bool
    ) -> (text: String, hasEncodedWords: Bool) {
        var lower = 0
        var upper = rawBytes.count
        while lower < upper && ASCII.isWhitespace(rawBytes[lower]) {
            lower += 1
        }
        while upper > lower && ASCII.isWhitespace(rawBytes[upper - 1]) {
            upper -= 1
        }
        let trimmed = UnsafeBufferPointer(rebasing: rawBytes[lower..<upper])
        let hasEncodedWords = HeaderBlockParser.containsEncodedWordOpener(trimmed)
        if !multiline {
            let text = eightBit ? ByteText.string(utf8OrLatin1: trimmed) : String(decoding: trimmed, as: UTF8.self)
            return (text, hasEncodedWords)
        }
        let bytes = [UInt8](unsafeUninitializedCapacity: trimmed.count) { output, count in
            count = HeaderBlockParser.copyDroppingLineBreaks(trimmed, into: output)
        }
        let text = eightBit ? ByteText.string(utf8OrLatin1: bytes) : String(decoding: bytes, as: UTF8.self)
        return (text, hasEncodedWords)
    }
}
