import Foundation
import TaskQ

/// The three client-side measurements behind `taskq bench`.
enum BenchRunner {
    /// `count` sends, each awaited before the next (Celery's `delay()` in a loop).
    static func sendOneAtATime(app: App, workload: BenchWorkload, count: Int) async throws -> BenchReport {
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<count {
            _ = try await app.sendTask(workload.task, args: workload.args(index), options: workload.options(index))
        }
        return BenchReport(mode: .single, count: count, elapsed: clock.now - start)
    }

    /// `count` sends in pipelined `sendBatch` round trips of `batchSize` messages.
    static func sendBatches(app: App, workload: BenchWorkload, count: Int, batchSize: Int) async throws -> BenchReport {
        let clock = ContinuousClock()
        let start = clock.now
        var next = 0
        while next < count {
            let end = min(next + batchSize, count)
            _ = try await app.sendBatch((next..<end).map(workload.call))
            next = end
        }
        return BenchReport(mode: .batch, count: count, elapsed: clock.now - start)
    }

    /// `count` sequential send-and-wait round trips after `warmup` untimed ones; keeps each latency.
    static func roundTrips(app: App, workload: BenchWorkload, count: Int, warmup: Int,
                           timeout: Duration) async throws -> BenchReport {
        let clock = ContinuousClock()
        for index in 0..<warmup {
            _ = try await app.sendTask(workload.task, args: workload.args(index)).get(timeout: timeout)
        }
        var latencies: [Double] = []
        latencies.reserveCapacity(count)
        let start = clock.now
        for index in 0..<count {
            let sent = clock.now
            _ = try await app.sendTask(workload.task, args: workload.args(index), options: workload.options(index))
                .get(timeout: timeout)
            latencies.append((clock.now - sent).seconds * 1000)
        }
        return BenchReport(mode: .roundtrip, count: count, elapsed: clock.now - start, latenciesMilliseconds: latencies)
    }
}
