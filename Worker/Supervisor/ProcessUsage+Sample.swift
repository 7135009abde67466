import TaskQ
#if canImport(Glibc)
import Glibc
#endif

extension ProcessUsage {
    /// The supervisor's own pid and resource usage now.
    static func sample() -> ProcessUsage {
        var usage = Glibc.rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return ProcessUsage(pid: Int(getpid()), rusage: [
            "utime": .double(Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6),
            "stime": .double(Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6),
            "maxrss": .int(usage.ru_maxrss), "ixrss": 0, "idrss": 0, "isrss": 0,
            "minflt": .int(usage.ru_minflt), "majflt": .int(usage.ru_majflt), "nswap": 0,
            "inblock": .int(usage.ru_inblock), "oublock": .int(usage.ru_oublock), "msgsnd": 0, "msgrcv": 0,
            "nsignals": 0, "nvcsw": .int(usage.ru_nvcsw), "nivcsw": .int(usage.ru_nivcsw),
        ])
    }
}
