#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Pins the local time zone that log timestamps are written in. swift-log's stream handler calls
/// `localtime` for every line, and with `TZ` unset glibc then checks `/etc/localtime` with a `stat`
/// system call each time; with `TZ` naming that file it reads the file once. The zone is the same.
enum LocalTimeZone {
    /// Sets `TZ` to the system's zone file unless it is set. Called first thing, before any thread starts.
    static func pin() {
        guard getenv("TZ") == nil else { return }
        setenv("TZ", ":/etc/localtime", 0)
    }
}
