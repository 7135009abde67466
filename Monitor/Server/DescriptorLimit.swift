#if canImport(Glibc)
import Glibc
#endif

/// The monitor's open-file limit, raised so that `--max-connections` binds before it does.
///
/// Many systems start processes with a soft limit of 1,024 descriptors: a monitor at that
/// limit cannot accept even the connection that would let `ConnectionGuard` close an idle
/// one. At start the soft limit goes up to the hard limit (capped at 65,536).
enum DescriptorLimit {
    /// Raises the soft limit; returns the limit in force afterwards.
    @discardableResult
    static func raise() -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 0 }
        let wanted = min(limits.rlim_max, 65_536)
        if limits.rlim_cur < wanted {
            limits.rlim_cur = wanted
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
        }
        return Int(limits.rlim_cur)
    }
}
