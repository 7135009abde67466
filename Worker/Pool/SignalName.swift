#if canImport(Glibc)
import Glibc
#endif

/// The conventional name of a signal number.
func signalName(_ number: Int32) -> String {
    switch number {
    case SIGKILL: return "SIGKILL"
    case SIGTERM: return "SIGTERM"
    case SIGILL: return "SIGILL"
    case SIGSEGV: return "SIGSEGV"
    case SIGABRT: return "SIGABRT"
    case SIGTRAP: return "SIGTRAP"
    case SIGBUS: return "SIGBUS"
    case SIGFPE: return "SIGFPE"
    case SIGINT: return "SIGINT"
    default: return "signal \(number)"
    }
}
