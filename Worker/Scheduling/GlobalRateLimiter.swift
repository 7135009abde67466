import FoundationEssentials
import TaskQ

/// A rate limit shared by every worker, kept in Redis as a GCRA "theoretical arrival time".
///
/// One script call decides: it either books the next slot for the caller or says
/// how long to wait. Capacity is 1, as with Celery's per-worker bucket.
enum GlobalRateLimiter {
    /// KEYS: the limiter key. ARGV: interval seconds.
    /// Returns "0" when the caller may run now, else the seconds to wait.
    ///
    /// Time comes from Redis' own clock, so workers on hosts whose clocks differ share one limit.
    static let script = RedisScript("""
    local interval = tonumber(ARGV[1])
    local clock = redis.call('TIME')
    local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
    local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
    if tat < now then tat = now end
    if tat - now > 0.0005 then
      return tostring(tat - now)
    end
    redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil((tat + interval - now) * 1000) + 1000)
    return '0'
    """)

    /// The Redis key of a task's shared limiter.
    static func key(for task: String) -> String { "taskq:ratelimit:" + task }
}
