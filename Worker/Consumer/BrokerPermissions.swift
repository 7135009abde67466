import TaskQ

/// The start-up check that the broker's Redis user may do what the worker does.
///
/// An ACL user without scripting answers PING but refuses every claim (`NOPERM`): the
/// worker would say it is ready and then fail on each claim forever. Checked once at
/// start, that is one clear error line and exit 1 instead.
enum BrokerPermissions {
    /// Redis answered but refused a command the worker needs.
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs one harmless script and the commands a claim, a doorbell and a result need;
    /// throws `Refused` naming what the user lacks. Connection errors are thrown as they are.
    static func check(_ connection: RedisConnection, url: RedisURL) throws {
        let probes: [(RedisCommand, String)] = [
            (RedisCommand("EVAL", "return 1", "0"), "run Lua scripts (EVAL/EVALSHA/SCRIPT, category @scripting)"),
            (RedisCommand("LLEN", CeleryKeys.queueList("celery", priority: 0)), "read the queue lists"),
            (RedisCommand("HLEN", CeleryKeys.unacked), "read kombu's unacked hash"),
        ]
        for (command, what) in probes {
            do {
                try connection.command(command)
            } catch {
                let text = String(describing: error)
                guard text.contains("NOPERM") else { throw error }
                throw Refused(description: "the Redis user of \(url) may not \(what): \(text). "
                    + "Grant it the permissions in docs/RELIABILITY.md (\"Redis ACL\"), or use another user")
            }
        }
    }
}
