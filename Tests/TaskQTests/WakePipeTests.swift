#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import TaskQ

@Suite("Wake-up pipe")
struct WakePipeTests {
    private func readable(_ pipe: WakePipe) -> Bool {
        var descriptor = pollfd(fd: pipe.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 1
    }

    @Test("a wake-up makes it readable until drained, and never blocks when the pipe is full")
    func wakesAndDrains() {
        let pipe = WakePipe()
        #expect(!readable(pipe))
        pipe.wake()
        #expect(readable(pipe))
        pipe.drain()
        #expect(!readable(pipe))
        // Far more wake-ups than a pipe holds: the writer must not block.
        for _ in 0..<200_000 { pipe.wake() }
        #expect(readable(pipe))
        pipe.drain()
        #expect(!readable(pipe))
    }
}
