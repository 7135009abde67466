import FoundationEssentials
import Logging
import TaskQ

/// The requests that wait on Redis, run as child tasks of `run()`; each answers the core with an event.
extension Worker {
    /// Asks Redis' shared limiter for a slot; the answer comes back as `.sharedToken`.
    func askSharedToken(job: Int, task: String, interval: Double) {
        let key = GlobalRateLimiter.key(for: task)
        startSideRequest.yield { [rateClient, post, logger] in
            do {
                let reply = try await rateClient.evaluate(GlobalRateLimiter.script, keys: [key], arguments: [interval])
                post.yield(.sharedToken(job: job, task: task, wait: reply.string.flatMap(Double.init) ?? 0))
            } catch {
                logger.error("shared rate limit check failed: \(error); trying again shortly")
                post.yield(.sharedToken(job: job, task: task, wait: 0.5))
            }
        }
    }

    /// Adds a header task's result to its chord (a few tries: a part that never reaches the
    /// join would leave the chord unfinished); the answer comes back as `.chordJoined`.
    func joinChord(_ request: ChordJoinRequest) {
        let entry = request.entry.jsonText
        let (group, taskID, index, expiry, label) = (request.group, request.taskID, request.index, request.expiry, request.label)
        let (callback, link) = (request.callback, request.link)
        startSideRequest.yield { [backendClient, post, logger] in
            var entries: [JSONValue]?
            for (attempt, pause) in [0.1, 0.5, 2.0, 0].enumerated() {
                do {
                    let reply = try await backendClient.evaluate(
                        ChordJoin.partReturn, keys: ChordJoin.keys(group),
                        arguments: [taskID, entry, index, expiry, TaskID.make()])
                    let parsed = (reply.array ?? []).compactMap { $0.bytes.flatMap { try? JSONValue.parse($0) } }
                    entries = parsed.isEmpty ? nil : parsed
                    break
                } catch {
                    logger.error("Task \(label): cannot add its result to chord \(group) (attempt \(attempt + 1)): \(error)")
                    if pause > 0 { try? await Task.sleep(for: .seconds(pause)) }
                }
            }
            post.yield(.chordJoined(callback: callback, entries: entries, link: link))
        }
    }

    /// Reads the revoked ids in Redis; they come back as `.revokedSynced`.
    func syncRevoked() {
        let url = configuration.brokerURL
        startSideRequest.yield { [post] in
            if let ids = Worker.loadRevoked(url) { post.yield(.revokedSynced(ids)) }
        }
    }

    /// Flushes every queued write (giving up after 10 s); `.writesFlushed` follows.
    func flushWrites() {
        let deadline = Date().addingTimeInterval(10)
        writes.broker.giveUp(after: deadline)
        writes.backend.giveUp(after: deadline)
        startSideRequest.yield { [writes, post] in
            await writes.flush()
            post.yield(.writesFlushed)
        }
    }

    /// The revoked ids recorded in Redis that have not expired.
    static func loadRevoked(_ url: RedisURL) -> [(id: String, expiry: Double)]? {
        guard let connection = try? RedisConnection(url: url) else { return nil }
        defer { connection.close() }
        let now = Date().timeIntervalSince1970
        guard let items = (try? connection.command(RedisCommand("ZRANGEBYSCORE", CeleryKeys.revoked, now, "+inf", "WITHSCORES")))?.array else {
            return nil
        }
        return stride(from: 0, to: items.count - 1, by: 2).compactMap { index in
            guard let id = items[index].string, let expiry = items[index + 1].string.flatMap(Double.init) else { return nil }
            return (id, expiry)
        }
    }
}
