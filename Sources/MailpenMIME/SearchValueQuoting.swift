/// A value between double quotes with a backslash before each quote and backslash in it: a quoted term of
/// Mailpen's search grammar, which the store's parser reads back as exactly that value (line breaks are
/// left as they are). The Mailpit send API quotes MIME parameter values the same way. It sits in
/// MailpenMIME because that is the one module that the store, the compatibility APIs and the pure IMAP
/// core (which writes search text and must not depend on storage) all see.
package enum SearchValueQuoting {
    package static func quoted(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { text.unicodeScalars.append("\\") }
            text.unicodeScalars.append(scalar)
        }
        return text + "\""
    }
}
