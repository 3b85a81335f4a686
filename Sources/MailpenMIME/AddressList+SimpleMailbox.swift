extension AddressList {
    /// The one mailbox of the commonest forms, `a@b`, `<a@b>` and `Plain Name <a@b>`, read without the
    /// tokenizer: printable ASCII only, with no quotes, comments, encoded words, groups, routes or second
    /// mailbox. Anything else is nil, for the general parser, which gives the same mailbox for these forms
    /// (the MIME fuzzer checks that on every input).
    package static func simpleMailbox(_ bytes: [UInt8]) -> MIMEAddress? {
        guard let first = bytes.firstIndex(where: { !ASCII.isWhitespace($0) }),
            let last = bytes.lastIndex(where: { !ASCII.isWhitespace($0) })
        else { return nil }
        guard bytes[last] == ASCII.greaterThan else {
            return plainAddress(bytes[first...last]).map { MIMEAddress(address: $0) }
        }
        guard let open = bytes[first..<last].lastIndex(of: ASCII.lessThan),
            let address = plainAddress(bytes[(open + 1)..<last])
        else { return nil }
        // The name: plain words, each run of white space between them read as one space.
        var name: [UInt8] = []
        var pendingSpace = false
        for byte in bytes[first..<open] {
            if ASCII.isWhitespace(byte) {
                pendingSpace = !name.isEmpty
                continue
            }
            guard isPlain(byte) else { return nil }
            // An encoded word, `=?`, is left to the general parser, which decodes it.
            if byte == ASCII.question && name.last == ASCII.equals && !pendingSpace { return nil }
            if pendingSpace {
                name.append(ASCII.space)
                pendingSpace = false
            }
            name.append(byte)
        }
        return MIMEAddress(name: name.isEmpty ? nil : String(decoding: name, as: UTF8.self), address: address)
    }

    /// `local@domain` of plain bytes and one "@", with both sides non-empty.
    private static func plainAddress(_ bytes: ArraySlice<UInt8>) -> String? {
        guard let at = bytes.firstIndex(of: ASCII.at), at > bytes.startIndex, at < bytes.endIndex - 1 else {
            return nil
        }
        for index in bytes.indices where index != at {
            guard isPlain(bytes[index]) else { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Printable ASCII that a local part takes as it is: no white space, and none of the grammar's specials.
    @inline(__always)
    private static func isPlain(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && !Parser.localPartNeedsQuoting(byte)
    }
}
