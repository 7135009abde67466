import TaskQ

/// The Lua scripts of `taskq beat`. Time is the Redis server's (`TIME`), so every beat, on
/// any host, agrees on which slots are due. The leader holds `taskq:beat:leader` =
/// `<fence>:<beat id>` with a lease; a slot is sent only by the script that checks that value
/// and moves the entry's next slot, in one call, so no slot is sent twice or by a deposed leader.
enum BeatScripts {
    /// KEYS: leader, fence. ARGV: beat id, lease ms. Takes the lease when free:
    /// returns `{1, fence, now_ms}`, or `{0, lease_left_ms, now_ms}` while another beat holds it.
    static let acquire = RedisScript("""
    local t = redis.call('TIME')
    local now = t[1] * 1000 + math.floor(t[2] / 1000)
    if redis.call('EXISTS', KEYS[1]) == 1 then
      return {0, redis.call('PTTL', KEYS[1]), now}
    end
    local fence = redis.call('INCR', KEYS[2])
    redis.call('SET', KEYS[1], fence .. ':' .. ARGV[1], 'PX', ARGV[2])
    return {1, fence, now}
    """)

    /// KEYS: leader. ARGV: leader value, lease ms. Renews the lease if still ours (1), else 0.
    static let renew = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] then
      redis.call('PEXPIRE', KEYS[1], ARGV[2])
      return 1
    end
    return 0
    """)

    /// KEYS: leader. ARGV: leader value. Gives the lease up if ours.
    static let release = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """)

    /// KEYS: next, version. ARGV: the most due entries to return. Returns
    /// `{now_ms, version, earliest_next_ms or -1, name, slot_ms, name, slot_ms, …}` for slots due now.
    static let due = RedisScript("""
    local t = redis.call('TIME')
    local now = t[1] * 1000 + math.floor(t[2] / 1000)
    local version = tonumber(redis.call('GET', KEYS[2]) or '0')
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    local earliest = -1
    if first[2] then earliest = tonumber(first[2]) end
    local out = {now, version, earliest}
    local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1]))
    for i = 1, #due, 2 do
      out[#out + 1] = due[i]
      out[#out + 1] = tonumber(due[i + 1])
    end
    return out
    """)

    /// KEYS: leader, next, runs of the entry, the queue's list, paused, entries.
    /// ARGV: leader value, name, slot ms, next slot ms, envelope, task id, missed slots.
    /// Sends the slot if this beat still leads and the entry's next slot is still `slot`:
    /// pushes the message, plans the next slot and records the run. Returns 1 sent,
    /// 0 not due any more (sent already, paused, removed or re-planned), -1 not the leader.
    static let claim = RedisScript("""
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
    local planned = redis.call('ZSCORE', KEYS[2], ARGV[2])
    if not planned or tonumber(planned) ~= tonumber(ARGV[3]) then return 0 end
    if redis.call('SISMEMBER', KEYS[5], ARGV[2]) == 1 or redis.call('HEXISTS', KEYS[6], ARGV[2]) == 0 then
      redis.call('ZREM', KEYS[2], ARGV[2])
      return 0
    end
    local t = redis.call('TIME')
    local now = t[1] * 1000 + math.floor(t[2] / 1000)
    redis.call('LPUSH', KEYS[4], ARGV[5])
    redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
    redis.call('HSET', KEYS[3], 'last_run', ARGV[3], 'last_sent', now, 'last_task_id', ARGV[6])
    redis.call('HINCRBY', KEYS[3], 'total_runs', 1)
    if tonumber(ARGV[7]) > 0 then redis.call('HINCRBY', KEYS[3], 'missed', ARGV[7]) end
    return 1
    """)

    /// KEYS: leader, next. ARGV: leader value, then name, slot ms pairs. Plans first slots of
    /// entries that have none (ZADD NX), if this beat still leads; returns how many were planned, -1 if not leader.
    static let plan = RedisScript("""
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
    local planned = 0
    for i = 2, #ARGV, 2 do
      planned = planned + redis.call('ZADD', KEYS[2], 'NX', ARGV[i + 1], ARGV[i])
    end
    return planned
    """)
}
