/// Parser for Message-ID, In-Reply-To and References (RFC 5322 §3.6.4).
///
/// Threading and search need bare ids (`abc@example.com`), so angle brackets,
/// comments and folding are removed. Ids without brackets, as some broken senders
/// write them, are taken as white-space separated words.
public enum MessageIDList {
    /// Every id in `value`, without angle brackets, in order.
    public static func parse(_ value: String) -> [String] {
        let bytes = Array(value.utf8)
        var ids: [String] = []
        var index = 0
        var sawBracket = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.openParen {
                index = ParameterList.skipComment(bytes, from: index)
                continue
            }
            if byte == ASCII.quote {
                // A quoted local part may contain ">"; copy through the closing quote.
                index += 1
                while index < bytes.count && bytes[index] != ASCII.quote {
                    index += 1
                }
                index += 1
                continue
            }
            if byte == ASCII.lessThan {
                sawBracket = true
                var content: [UInt8] = []
                index += 1
                while index < bytes.count && bytes[index] != ASCII.greaterThan && bytes[index] != ASCII.lessThan {
                    if !ASCII.isWhitespace(bytes[index]) {
                        content.append(bytes[index])
                    }
                    index += 1
                }
                if index < bytes.count && bytes[index] == ASCII.greaterThan {
                    index += 1
                }
                if !content.isEmpty {
                    ids.append(ByteText.string(utf8OrLatin1: content))
                }
                continue
            }
            index += 1
        }
        if sawBracket {
            return ids
        }
        // No brackets at all: white-space or comma separated words.
        var word: [UInt8] = []
        for byte in bytes {
            if ASCII.isWhitespace(byte) || byte == ASCII.comma {
                if !word.isEmpty {
                    ids.append(ByteText.string(utf8OrLatin1: word))
                    word.removeAll()
                }
            } else {
                word.append(byte)
            }
        }
        if !word.isEmpty {
            ids.append(ByteText.string(utf8OrLatin1: word))
        }
        return ids
    }
}
