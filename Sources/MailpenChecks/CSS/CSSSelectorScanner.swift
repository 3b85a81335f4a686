import MailpenMIME

/// The selector syntax a selector list uses, as caniemail.com classifies it.
struct CSSSelectorFeatures: Sendable, Equatable {
    var grouping = false
    var type = false
    var universal = false
    var className = false
    var id = false
    var attribute = false
    /// Two or more class/ID/attribute selectors on one element (`.a.b`).
    var chaining = false
    var descendant = false
    var child = false
    var adjacentSibling = false
    var generalSibling = false
    /// Lowercased pseudo-class names, without arguments (`hover`, `nth-child`).
    var pseudoClasses: [String] = []
    /// Lowercased pseudo-element names (`before`, also written `:before`).
    var pseudoElements: [String] = []
}

/// Reads a selector list for the features it uses; never fails.
enum CSSSelectorScanner {
    /// Pseudo-elements that CSS 2 wrote with one colon.
    private static let legacyPseudoElements: Set<String> = ["before", "after", "first-line", "first-letter"]

    static func features(_ selector: String) -> CSSSelectorFeatures {
        var features = CSSSelectorFeatures()
        let bytes = Array(selector.utf8)
        let count = bytes.count
        var index = 0
        // Simple selectors other than type in the current compound, and whether a
        // compound has been seen before pending white space (for the descendant combinator).
        var qualifiers = 0
        var inCompound = false
        var pendingSpace = false

        func startCompoundPart() {
            if pendingSpace && inCompound {
                features.descendant = true
            }
            if pendingSpace {
                qualifiers = 0
            }
            pendingSpace = false
            inCompound = true
        }

        func addQualifier() {
            qualifiers += 1
            if qualifiers >= 2 {
                features.chaining = true
            }
        }

        func endCompound() {
            qualifiers = 0
            inCompound = false
            pendingSpace = false
        }

        while index < count {
            let byte = bytes[index]
            switch byte {
            case _ where ASCII.isHTMLSpace(byte):
                if inCompound {
                    pendingSpace = true
                }
                index += 1
            case ASCII.comma:
                features.grouping = true
                endCompound()
                index += 1
            case ASCII.greaterThan:
                features.child = true
                endCompound()
                index += 1
            case ASCII.plus:
                features.adjacentSibling = true
                endCompound()
                index += 1
            case ASCII.tilde:
                features.generalSibling = true
                endCompound()
                index += 1
            case ASCII.asterisk:
                startCompoundPart()
                features.universal = true
                index += 1
            case ASCII.dot:
                startCompoundPart()
                features.className = true
                addQualifier()
                index = Self.skipName(bytes, from: index + 1)
            case ASCII.hash:
                startCompoundPart()
                features.id = true
                addQualifier()
                index = Self.skipName(bytes, from: index + 1)
            case ASCII.openBracket:
                startCompoundPart()
                features.attribute = true
                addQualifier()
                while index < count && bytes[index] != ASCII.closeBracket {
                    index += 1
                }
                index += 1
            case ASCII.colon:
                startCompoundPart()
                var isElement = false
                index += 1
                if index < count && bytes[index] == ASCII.colon {
                    isElement = true
                    index += 1
                }
                let nameStart = index
                index = Self.skipName(bytes, from: index)
                let name = Bytes.lowercasedString(bytes, nameStart..<index)
                if isElement || Self.legacyPseudoElements.contains(name) {
                    if !name.isEmpty && !features.pseudoElements.contains(name) {
                        features.pseudoElements.append(name)
                    }
                } else if !name.isEmpty && !features.pseudoClasses.contains(name) {
                    features.pseudoClasses.append(name)
                }
                if index < count && bytes[index] == ASCII.openParen {
                    index = Self.skipParenthesized(bytes, from: index)
                }
            default:
                if CSSValueScanner.isNameByte(byte) || byte == ASCII.backslash {
                    startCompoundPart()
                    features.type = true
                    index = Self.skipName(bytes, from: index)
                } else {
                    index += 1
                }
            }
        }
        return features
    }

    private static func skipName(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count {
            if bytes[index] == ASCII.backslash {
                index += 2
            } else if CSSValueScanner.isNameByte(bytes[index]) {
                index += 1
            } else {
                break
            }
        }
        return min(index, bytes.count)
    }

    private static func skipParenthesized(_ bytes: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < bytes.count {
            if bytes[index] == ASCII.openParen {
                depth += 1
            } else if bytes[index] == ASCII.closeParen {
                depth -= 1
                if depth == 0 {
                    return index + 1
                }
            }
            index += 1
        }
        return bytes.count
    }
}
