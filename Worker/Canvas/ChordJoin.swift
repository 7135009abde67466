import TaskQ

/// Celery's chord join on the Redis result backend.
///
/// Each header task of a chord adds `[1, task_id, state, result]` to the sorted set
/// `celery-taskset-meta-<group>.j` (scored by its `group_index`); the one whose entry
/// completes the set (its size is `.s`, set by the client, plus `.t` for tasks added
/// at run time) wins the claim `.c` and sends the callback. Python workers and TaskQ
/// workers can run the header tasks of one chord together.
enum ChordJoin {
    /// The backend key the join's keys derive from.
    static func groupKey(_ group: String) -> String { CeleryKeys.groupMeta(group) }

    /// KEYS: `.j`, `.t`, `.s`, `.d`, `.c`. ARGV: task id, entry JSON, group index, expiry seconds, claim token.
    /// Returns every entry in header order when this call completed the chord (and cleans up), else `{}`.
    /// Until the client has stored the header's size (`.s`; Celery's client writes it just before
    /// its last header message) the chord is not complete, whatever `.t` (tasks added at run time) says.
    static let partReturn = RedisScript("""
    local claim = redis.call('GET', KEYS[5])
    if claim then return {} end
    local member = ARGV[1] .. ':' .. ARGV[3]
    if redis.call('SISMEMBER', KEYS[4], member) == 1 then return {} end
    redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[2])
    redis.call('SADD', KEYS[4], member)
    for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
    local ready = redis.call('ZCOUNT', KEYS[1], '-inf', '+inf')
    local header = redis.call('GET', KEYS[3])
    if not header then return {} end
    local size = tonumber(header) + tonumber(redis.call('GET', KEYS[2]) or '0')
    if size == 0 or ready < size then return {} end
    if not redis.call('SET', KEYS[5], ARGV[5], 'NX', 'EX', 300) then return {} end
    local entries = redis.call('ZRANGE', KEYS[1], 0, -1)
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
    redis.call('SET', KEYS[5], 'done', 'EX', 300)
    return entries
    """)

    /// The script's keys for a group.
    static func keys(_ group: String) -> [String] {
        let base = groupKey(group)
        return [base + ".j", base + ".t", base + ".s", base + ".d", base + ".c"]
    }
}
