import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes log lines to a file descriptor (standard error unless told otherwise) exactly as swift-log's
/// `StreamLogHandler` writes them, for less: the server logs a line for every stored message, on an SMTP
/// event loop, and `StreamLogHandler` formats the local time with `strftime`, builds the line by string
/// interpolation and writes it through a locked, flushed `FILE` each time. Here the time stamp is formatted
/// once a second, the line is built as bytes and goes out under a lock of its own, in one `write(2)` unless
/// the pipe takes it in parts, so lines written by several threads never mix.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    public var metadata = Logger.Metadata() {
        didSet { prettyMetadata = Self.prettify(metadata) }
    }
    private var prettyMetadata: String?
    private let label: String
    private let fileDescriptor: Int32

    public init(
        label: String, fileDescriptor: Int32 = STDERR_FILENO,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.fileDescriptor = fileDescriptor
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var pretty = prettyMetadata
        if let merged = mergedMetadata(event) { pretty = Self.prettify(merged) }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        LogTimeStamp.append(to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: event.level.rawValue.utf8)
        if !label.isEmpty { line.append(UInt8(ascii: " ")) }
        line.append(contentsOf: label.utf8)
        line.append(UInt8(ascii: ":"))
        if let pretty {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: pretty.utf8)
        }
        line.append(contentsOf: " [".utf8)
        line.append(contentsOf: event.source.utf8)
        line.append(contentsOf: "] ".utf8)
        line.append(contentsOf: event.message.description.utf8)
        line.append(UInt8(ascii: "\n"))
        Self.writeWhole(line, to: fileDescriptor)
    }

    /// The handler's metadata with the provider's, the event's and its error's, or nil when the event adds
    /// none (the rules of `StreamLogHandler`).
    private func mergedMetadata(_ event: LogEvent) -> Logger.Metadata? {
        let provided = metadataProvider?.get() ?? [:]
        let explicit = event.metadata ?? [:]
        guard !provided.isEmpty || !explicit.isEmpty || event.error != nil else { return nil }
        var merged = metadata
        merged.merge(provided) { _, provided in provided }
        merged.merge(explicit) { _, explicit in explicit }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return merged
    }

    private static func prettify(_ metadata: Logger.Metadata) -> String? {
        guard !metadata.isEmpty else { return nil }
        // A session's logger has one entry, its client: set for every connection.
        if metadata.count == 1, let (key, value) = metadata.first { return key + "=" + value.description }
        return metadata.lazy.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
    }

    /// Held while a line is written: a long line can go out in parts, and another's must not come between.
    private static let writing = Mutex(())

    private static func writeWhole(_ line: [UInt8], to fileDescriptor: Int32) {
        writing.withLock { _ in writeLocked(line, to: fileDescriptor) }
    }

    private static func writeLocked(_ line: [UInt8], to fileDescriptor: Int32) {
        line.withUnsafeBytes { bytes in
            guard var next = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                let written = write(fileDescriptor, next, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                next += written
                remaining -= written
            }
        }
    }
}
