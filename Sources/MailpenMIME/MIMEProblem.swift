/// A defect found while parsing, recorded instead of failing.
///
/// The parser accepts anything; the deliverability lint reads these to tell the
/// developer what a stricter receiver would reject.
public enum MIMEProblem: Sendable, Hashable {
    /// A multipart ended without its closing `--boundary--` line.
    case missingFinalBoundary
    /// A multipart has no boundary parameter, or its boundary never occurs.
    case boundaryNotFound
    /// Nesting exceeded `MIMEParser.maximumDepth`; the part's body was not parsed further.
    case nestingTooDeep
    /// The message has more parts than `MIMEParser.maximumParts`; this multipart's later parts (or this
    /// message/rfc822 part's message) were not parsed.
    case tooManyParts
    /// The declared charset is not one this module can decode (normalized label).
    case unknownCharset(String)
    /// The text is not valid in its declared charset (normalized label); it was decoded
    /// with the UTF-8 / Windows-1252 fallback.
    case invalidCharsetData(String)
    /// A Content-Transfer-Encoding that is not 7bit, 8bit, binary, base64 or
    /// quoted-printable, or 7bit with 8-bit bytes (lowercased value).
    case invalidTransferEncoding(String)
    /// A header line that is neither a field nor a continuation (1-based line number
    /// within the whole message). The header block ends there.
    case malformedHeader(line: Int)
    /// A line ending in LF without CR.
    case bareLF
    /// 8-bit bytes in the header block (needs SMTPUTF8/RFC 6532, or is raw Latin-1).
    case eightBitHeader
}
