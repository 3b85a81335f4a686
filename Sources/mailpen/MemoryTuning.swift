import CMailpenSupport

/// Tunes glibc's allocator for a server that frees on one thread what it allocated on another: without
/// this, each group commit returns memory to the kernel (`madvise`), costing a TLB shootdown on every
/// core for memory that is needed again a millisecond later.
enum MemoryTuning {
    static func apply() {
        mailpen_tune_allocator()
    }
}
