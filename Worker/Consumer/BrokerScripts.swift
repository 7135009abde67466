import TaskQ

/// The Lua scripts that move messages between queue lists, the unacked hash and the scheduled set.
///
/// Each one is a single atomic step, so a crash at any instant leaves every
/// message in exactly one place: a queue list, `unacked`, or `taskq:scheduled`.
enum BrokerScripts {
    /// Pops up to `limit` messages (lists in priority order) and records each in
    /// `unacked`/`unacked_index` in the same step, as kombu does after BRPOP.
    /// Messages without a delivery tag go to the dead-letter list.
    ///
    /// KEYS: unacked, unacked_index, dead-letter list, deliveries hash, list1..listN.
    /// ARGV: limit, now, queue1..queueN (the queue of each list).
    /// Returns a flat array of `queue, tag, envelope, deliveries` (tag `""` when dead-lettered).
    static let claim = RedisScript("""
    local limit = tonumber(ARGV[1])
    local now = ARGV[2]
    local out = {}
    local taken = 0
    for i = 5, #KEYS do
      local queue = ARGV[i - 2]
      while taken < limit do
        local msg = redis.call('RPOP', KEYS[i])
        if not msg then break end
        taken = taken + 1
        local tag = string.match(msg, '"delivery_tag"%s*:%s*"([^"]+)"')
        if not tag then
          local ok, env = pcall(cjson.decode, msg)
          if ok and type(env) == 'table' and type(env.properties) == 'table' and type(env.properties.delivery_tag) == 'string' then
            tag = env.properties.delivery_tag
          end
        end
        if tag then
          redis.call('ZADD', KEYS[2], now, tag)
          redis.call('HSET', KEYS[1], tag, '[' .. msg .. ', "", ' .. cjson.encode(queue) .. ']')
          local count = redis.call('HINCRBY', KEYS[4], tag, 1)
          out[#out + 1] = queue
          out[#out + 1] = tag
          out[#out + 1] = msg
          out[#out + 1] = tostring(count)
        else
          redis.call('LPUSH', KEYS[3], cjson.encode({reason = 'envelope has no properties.delivery_tag (not a kombu message?)', queue = queue, time = tonumber(now), raw = msg}))
          out[#out + 1] = queue
          out[#out + 1] = ''
          out[#out + 1] = msg
          out[#out + 1] = '0'
        end
      end
    end
    return out
    """)

    /// Acknowledges: removes a delivery from the unacked bookkeeping.
    /// KEYS: unacked, unacked_index, deliveries hash. ARGV: tag.
    static let ack = RedisScript("""
    redis.call('ZREM', KEYS[2], ARGV[1])
    redis.call('HDEL', KEYS[1], ARGV[1])
    redis.call('HDEL', KEYS[3], ARGV[1])
    return 1
    """)

    /// Stores a result (never over a SUCCESS), publishes it, and optionally acks in the same step.
    /// KEYS: result key, unacked, unacked_index, deliveries hash. ARGV: json, ttl seconds, tag or "".
    static let storeResult = RedisScript("""
    local current = redis.call('GET', KEYS[1])
    if not (current and string.find(current, '"status"%s*:%s*"SUCCESS"')) then
      if tonumber(ARGV[2]) > 0 then
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
      else
        redis.call('SET', KEYS[1], ARGV[1])
      end
      redis.call('PUBLISH', KEYS[1], ARGV[1])
    end
    if ARGV[3] ~= '' then
      redis.call('ZREM', KEYS[3], ARGV[3])
      redis.call('HDEL', KEYS[2], ARGV[3])
      redis.call('HDEL', KEYS[4], ARGV[3])
    end
    return 1
    """)

    /// Moves a claimed message to the dead-letter list with a reason, and acks it.
    /// KEYS: unacked, unacked_index, dead-letter list, deliveries hash. ARGV: tag, reason, queue, now.
    static let deadLetter = RedisScript("""
    local entry = redis.call('HGET', KEYS[1], ARGV[1])
    local raw = entry
    if entry then
      local ok, decoded = pcall(cjson.decode, entry)
      if ok and type(decoded) == 'table' and decoded[1] ~= nil then raw = cjson.encode(decoded[1]) end
    end
    redis.call('LPUSH', KEYS[3], cjson.encode({reason = ARGV[2], queue = ARGV[3], time = tonumber(ARGV[4]), raw = raw or cjson.null, delivery_tag = ARGV[1]}))
    redis.call('ZREM', KEYS[2], ARGV[1])
    redis.call('HDEL', KEYS[1], ARGV[1])
    redis.call('HDEL', KEYS[4], ARGV[1])
    return 1
    """)

    /// Puts claimed messages back at the head of their lists (consumed next), like kombu's restore.
    /// KEYS: unacked, unacked_index. ARGV: tag1, list1, tag2, list2, ...
    static let restore = RedisScript("""
    local restored = 0
    for i = 1, #ARGV, 2 do
      local entry = redis.call('HGET', KEYS[1], ARGV[i])
      if entry then
        local raw = string.match(entry, '^%[(.*), *"[^"]*", *"[^"]*"%]$')
        if raw then
          redis.call('RPUSH', ARGV[i + 1], raw)
          restored = restored + 1
        end
        redis.call('ZREM', KEYS[2], ARGV[i])
        redis.call('HDEL', KEYS[1], ARGV[i])
      end
    end
    return restored
    """)

    /// Schedules a message for later: the envelope goes to the scheduled set, and the
    /// delivery it came from (if any) is acked in the same step.
    /// KEYS: scheduled zset, scheduled messages hash, unacked, unacked_index, deliveries hash.
    /// ARGV: new tag, due epoch seconds, envelope, target list, old tag or "".
    static let schedule = RedisScript("""
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
    redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({ARGV[4], ARGV[3]}))
    if ARGV[5] ~= '' then
      redis.call('ZREM', KEYS[4], ARGV[5])
      redis.call('HDEL', KEYS[3], ARGV[5])
      if ARGV[5] ~= ARGV[1] then redis.call('HDEL', KEYS[5], ARGV[5]) end
    end
    return 1
    """)

    /// Moves due scheduled messages to the head of their lists. Any worker may run it; each
    /// message moves exactly once because the move and the ZREM are one step.
    /// KEYS: scheduled zset, scheduled messages hash. ARGV: now, limit. Returns the number moved.
    static let promote = RedisScript("""
    local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
    for _, tag in ipairs(due) do
      local entry = redis.call('HGET', KEYS[2], tag)
      if entry then
        local decoded = cjson.decode(entry)
        redis.call('RPUSH', decoded[1], decoded[2])
      end
      redis.call('ZREM', KEYS[1], tag)
      redis.call('HDEL', KEYS[2], tag)
    end
    return #due
    """)
}
