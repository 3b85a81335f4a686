// libFuzzer entry point for MailpenMIME, the SwiftPM product `mime-fuzzer` (`make fuzz-mime`), seeded with
// fixtures/mime. Any crash, sanitizer report, timeout or out-of-memory is a bug: the parser must accept
// every input, and the date parser's and the snippet's fast paths must agree with their general ones.
import MailpenMIME

/// Parses the input and reads every view, so lazy decoding paths run too.
@_cdecl("LLVMFuzzerTestOneInput")
public func mimeFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let message = MIMEMessage(Array(UnsafeBufferPointer(start: data, count: size)))
    var sink = 0
    sink &+= message.subject?.utf8.count ?? 0
    sink &+= message.allAddresses.count
    sink &+= message.date == nil ? 0 : 1
    sink &+= message.messageID?.utf8.count ?? 0
    sink &+= message.inReplyTo.count + message.references.count
    sink &+= message.textBody?.utf8.count ?? 0
    sink &+= message.htmlBody?.utf8.count ?? 0
    sink &+= message.snippet.utf8.count
    // A snippet read from the body's bytes is the one its decoded text gives.
    if message.snippet != message.snippet(readingBytesDirectly: false) {
        fatalError("the snippet's two paths differ")
    }
    sink &+= message.searchableText.utf8.count
    sink &+= message.contentIDs.count
    for attachment in message.attachments {
        sink &+= attachment.size
    }
    for part in message.allParts {
        let decoded = message.decodedBody(of: part)
        // The size computed at parse time must match the decoded bytes of a leaf.
        if part.children.isEmpty && !part.isMultipart && decoded.count != part.decodedSize {
            fatalError("decodedSize \(part.decodedSize) != decoded \(decoded.count) for part \(part.id)")
        }
        sink &+= message.decodedText(of: part)?.utf8.count ?? 0
        for field in part.header.fields {
            sink &+= field.name.utf8.count &+ field.value.utf8.count &+ field.raw.utf8.count
            // Where the date parser's byte-level path gives a time, its general parser gives the same one.
            if let fast = MIMEDate.canonicalSeconds(field.unfoldedValue),
                fast != MIMEDate.generalSeconds(field.unfoldedValue)
            {
                fatalError("the date parser's two paths differ on \(field.unfoldedValue)")
            }
        }
        if message.part(withID: part.id) == nil {
            fatalError("part \(part.id) not found by id")
        }
    }
    // The header-level grammars on their own, fed with the raw input as text.
    let text = String(decoding: UnsafeBufferPointer(start: data, count: min(size, 4096)), as: UTF8.self)
    sink &+= EncodedWord.decode(text).utf8.count
    sink &+= AddressList.parse(text).count
    let addressBytes = Array(text.utf8)
    if let mailbox = AddressList.simpleMailbox(addressBytes), [mailbox] != AddressList.parseGeneral(addressBytes) {
        fatalError("the address parser's two paths differ on \(text)")
    }
    sink &+= MIMEDate.parse(text) == nil ? 0 : 1
    sink &+= HTMLText.plainText(fromHTML: text).utf8.count
    sink &+= MIMEContentType.parse(text)?.parameters.count ?? 0
    return sink == Int.min ? 1 : 0
}

#if !FUZZING
    /// A plain build makes this stub, so that the package links without libFuzzer; `make fuzz-mime` builds the
    /// fuzzer (with -DFUZZING, where libFuzzer supplies `main`).
    @main
    enum MIMEFuzzerStub {
        static func main() {
            print("mime-fuzzer is built without libFuzzer: run `make fuzz-mime` for the fuzzer")
        }
    }
#endif
