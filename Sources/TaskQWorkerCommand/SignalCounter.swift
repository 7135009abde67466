import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Counts SIGTERM/SIGINT: the first asks for a warm shutdown, the second for a cold one.
final class SignalCounter: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    // Only touched on `queue`.
    private var count = 0
    private let queue = DispatchQueue(label: "taskq.signals")

    init(onSignal: @escaping @Sendable (Int) -> Void) {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in
                self.count += 1
                onSignal(self.count)
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        sources.forEach { $0.cancel() }
    }
}
