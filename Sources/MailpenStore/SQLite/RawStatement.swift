import Foundation
import GRDB
import GRDBSQLite

/// Binds and steps a prepared GRDB statement through the SQLite C API, skipping GRDB's per-execution
/// bookkeeping. Used where that bookkeeping costs more than SQLite itself: the two inserts every captured
/// message makes, the search index's inserts, and the row-id scans of index-only searches. The statement
/// stays owned (and cached) by GRDB.
struct RawStatement {
    private let handle: OpaquePointer
    private var index: Int32 = 0
    /// The first failed bind's code (too big, out of memory), thrown by the step that follows.
    private var bindFailure: Int32?

    /// SQLite copies the value before the bind call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: Statement) {
        handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds `value` up to a NUL byte, as SQLite reads a C string; a native string's bytes are bound without
    /// the C string copy Swift would make for the call.
    mutating func bind(_ value: String) {
        index += 1
        let position = index
        let bound = value.utf8.withContiguousStorageIfAvailable { bindText($0, at: position) }
        check(bound ?? sqlite3_bind_text(handle, position, value, -1, Self.transient))
    }

    mutating func bind(_ value: String?) {
        guard let value else {
            index += 1
            sqlite3_bind_null(handle, index)
            return
        }
        bind(value)
    }

    /// Binds UTF-8 `bytes` as text, up to a NUL byte, without SQLite's copy: the bytes must stay valid
    /// until ``execute(in:)`` has returned, which unbinds them.
    mutating func bind(borrowedText bytes: UnsafeBufferPointer<UInt8>) {
        index += 1
        check(bindText(bytes, at: index, destructor: nil))
    }

    /// Binds UTF-8 `buffer` as text at `position`, up to its first NUL byte; SQLite copies it unless
    /// `destructor` is nil.
    private func bindText(
        _ buffer: UnsafeBufferPointer<UInt8>, at position: Int32,
        destructor: sqlite3_destructor_type? = RawStatement.transient
    ) -> Int32 {
        guard let start = buffer.baseAddress, !buffer.isEmpty else {
            // Empty text needs a pointer all the same, or SQLite stores NULL.
            return sqlite3_bind_text(handle, position, "", 0, Self.transient)
        }
        let length = memchr(start, 0, buffer.count).map { start.distance(to: $0.assumingMemoryBound(to: UInt8.self)) }
        guard let count = Int32(exactly: length ?? buffer.count) else { return SQLITE_TOOBIG }
        return start.withMemoryRebound(to: CChar.self, capacity: buffer.count) { characters in
            sqlite3_bind_text(handle, position, characters, count, destructor)
        }
    }

    mutating func bind(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(handle, index, value)
    }

    mutating func bind(_ value: Int64?) {
        guard let value else {
            index += 1
            sqlite3_bind_null(handle, index)
            return
        }
        bind(value)
    }

    private mutating func check(_ code: Int32) {
        if code != SQLITE_OK, bindFailure == nil { bindFailure = code }
    }

    /// Steps the statement to completion, and lets go of the bound values (a body's text can be large).
    func execute(in db: Database) throws {
        if let bindFailure {
            sqlite3_clear_bindings(handle)
            throw Self.error(bindFailure, in: db)
        }
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        guard code == SQLITE_DONE else { throw Self.error(code, in: db) }
    }

    /// Binds `blob` as the next parameter without copying it, then steps the statement to completion.
    mutating func executeBinding(_ blob: Data, in db: Database) throws {
        index += 1
        let position = index
        let failure = bindFailure
        let code = blob.withUnsafeBytes { bytes in
            // Zero-length blobs still need a non-null pointer, or SQLite stores NULL.
            let bound = sqlite3_bind_blob(
                handle, position, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), nil)
            guard bound == SQLITE_OK, failure == nil else { return failure ?? bound }
            return sqlite3_step(handle)
        }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        guard code == SQLITE_DONE else { throw Self.error(code, in: db) }
    }

    /// Steps the statement to its end, handing each row to `body`, which reads it with ``int64(at:)``,
    /// ``optionalInt64(at:)`` and ``string(at:)``.
    func forEachRow(in db: Database, _ body: () throws -> Void) throws {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        if let bindFailure { throw Self.error(bindFailure, in: db) }
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW {
            try body()
            code = sqlite3_step(handle)
        }
        guard code == SQLITE_DONE else { throw Self.error(code, in: db) }
    }

    /// Column `column` (from 0) of the current row.
    func int64(at column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    /// Column `column` (from 0) of the current row, nil when NULL.
    func optionalInt64(at column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    /// Column `column` (from 0) of the current row as text ("" when NULL).
    func string(at column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    private static func error(_ code: Int32, in db: Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
    }
}
