import MailpenMIME

/// Maps byte offsets to 1-based line numbers, so every finding can say where it is.
///
/// Built with one pass over the bytes; each lookup is a binary search, so callers may
/// ask in any order without making the whole scan quadratic.
struct LineIndex: Sendable {
    /// Offsets of every LF byte, ascending.
    private let newlines: [Int]

    init(_ bytes: [UInt8]) {
        var newlines: [Int] = []
        newlines.reserveCapacity(bytes.count / 40)
        bytes.withUnsafeBufferPointer { buffer in
            for index in buffer.indices where buffer[index] == ASCII.lf {
                newlines.append(index)
            }
        }
        self.newlines = newlines
    }

    /// The line holding the byte at `offset` (1-based).
    func line(at offset: Int) -> Int {
        var low = 0
        var high = self.newlines.count
        while low < high {
            let middle = (low + high) / 2
            if self.newlines[middle] < offset {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low + 1
    }

    /// The number of lines (a final line without LF counts).
    var lineCount: Int {
        self.newlines.count + 1
    }
}
