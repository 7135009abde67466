import TaskQ

/// The Lua scripts that move messages between queue lists, the unacked hash and the scheduled set.
///
/// Each one is a single atomic step, so a crash at any instant leaves every
/// message in exactly one place: a queue list, `unacked`, or `taskq:scheduled`.
/// The bookkeeping keys are always passed in this order:
/// KEYS[1] unacked, KEYS[2] unacked_index, KEYS[3] taskq:deliveries, KEYS[4] taskq:claims.
enum BrokerScripts {
    /// The four bookkeeping keys every script takes first.
    static let bookkeeping = [CeleryKeys.unacked, CeleryKeys.unackedIndex, CeleryKeys.deliveries, CeleryKeys.claims]

    /// Shared Lua: forget a delivery in the bookkeeping (ack). Keeps the delivery count when `keepCount`.
    private static let forget = """
    local function forget(tag, keepCount)
      redis.call('ZREM', KEYS[2], tag)
      redis.call('HDEL', KEYS[1], tag)
      redis.call('HDEL', KEYS[4], tag)
      if not keepCount then redis.call('HDEL', KEYS[3], tag) end
    end
    local function envelopeOf(entry)
      return string.match(entry, '^%[(.*), *"[^"]*", *"[^"]*"%]$')
    end

    """

    /// Pops up to `limit` messages (lists in priority order) and records each in
    /// `unacked`/`unacked_index` in the same step, as kombu does after BRPOP, plus
    /// the claiming worker and the delivery count. Messages without a delivery tag
    /// go to the dead-letter list.
    ///
    /// KEYS: bookkeeping, dead-letter list, list1..listN. ARGV: limit, now (`""`: the server's
    /// clock), node, queue1..queueN.
    /// Returns a flat array of `queue, tag, envelope, deliveries` (tag `""` when dead-lettered).
    static let claim = RedisScript("""
    local limit = tonumber(ARGV[1])
    local now = ARGV[2]
    if now == '' then
      -- Sent ahead, behind a doorbell's BLMOVE: the claim happens when it rings.
      local clock = redis.call('TIME')
      now = clock[1] .. '.' .. string.format('%06d', tonumber(clock[2]))
    end
    local node = ARGV[3]
    local out = {}
    local taken = 0
    -- One multi-member ZADD and HSETs per list instead of one call per message.
    local scores, entries, holders = {}, {}, {}
    local function flush()
      if #scores > 0 then
        redis.call('ZADD', KEYS[2], unpack(scores))
        redis.call('HSET', KEYS[1], unpack(entries))
        redis.call('HSET', KEYS[4], unpack(holders))
        scores, entries, holders = {}, {}, {}
      end
    end
    for i = 6, #KEYS do
      local queue = ARGV[i - 2]
      local quotedQueue = cjson.encode(queue)
      while taken < limit do
        local asked = math.min(limit - taken, 500)
        local batch = redis.call('RPOP', KEYS[i], asked)
        if not batch then break end
        for _, msg in ipairs(batch) do
          taken = taken + 1
          local tag
          local at = string.find(msg, '"delivery_tag"', 1, true)
          if at then tag = string.match(msg, '^%s*:%s*"([^"]+)"', at + 14) end
          if not tag then
            local ok, env = pcall(cjson.decode, msg)
            if ok and type(env) == 'table' and type(env.properties) == 'table' and type(env.properties.delivery_tag) == 'string' then
              tag = env.properties.delivery_tag
            end
          end
          if tag then
            scores[#scores + 1] = now
            scores[#scores + 1] = tag
            entries[#entries + 1] = tag
            entries[#entries + 1] = '[' .. msg .. ', "", ' .. quotedQueue .. ']'
            holders[#holders + 1] = tag
            holders[#holders + 1] = node
            local count = redis.call('HINCRBY', KEYS[3], tag, 1)
            out[#out + 1] = queue
            out[#out + 1] = tag
            out[#out + 1] = msg
            out[#out + 1] = tostring(count)
          else
            redis.call('LPUSH', KEYS[5], cjson.encode({reason = 'envelope has no properties.delivery_tag (not a kombu message?)', queue = queue, time = tonumber(now), raw = msg}))
            out[#out + 1] = queue
            out[#out + 1] = ''
            out[#out + 1] = msg
            out[#out + 1] = '0'
          end
        end
        flush()
        if #batch < asked then break end
      end
    end
    return out
    """)

    /// Acknowledges deliveries: removes them from the bookkeeping, a few hundred per command.
    /// KEYS: bookkeeping. ARGV: tag1, tag2, ...
    static let ack = RedisScript("""
    for first = 1, #ARGV, 500 do
      local tags = {}
      for i = first, math.min(first + 499, #ARGV) do tags[#tags + 1] = ARGV[i] end
      redis.call('ZREM', KEYS[2], unpack(tags))
      redis.call('HDEL', KEYS[1], unpack(tags))
      redis.call('HDEL', KEYS[4], unpack(tags))
      redis.call('HDEL', KEYS[3], unpack(tags))
    end
    return #ARGV
    """)

    /// Stores results (never over a SUCCESS), publishes each, and acks each one's delivery
    /// (when given) in the same step. A result key Redis refuses (another type under that
    /// name, say) costs only its own record: the others are still stored and acked.
    /// KEYS: bookkeeping, result key 1, result key 2, ... ARGV: ttl seconds, then per result: json, tag or "".
    /// Returns the keys that could not be written.
    static let storeResults = RedisScript("""
    local ttl = tonumber(ARGV[1])
    local refused = {}
    local tags = {}
    for i = 5, #KEYS do
      local json = ARGV[(i - 5) * 2 + 2]
      local tag = ARGV[(i - 5) * 2 + 3]
      local current = redis.pcall('GET', KEYS[i])
      if type(current) == 'table' and current.err then
        refused[#refused + 1] = KEYS[i]
      elseif not (current and string.find(current, '"status"%s*:%s*"SUCCESS"')) then
        if ttl > 0 then
          redis.call('SET', KEYS[i], json, 'EX', ttl)
        else
          redis.call('SET', KEYS[i], json)
        end
        redis.call('PUBLISH', KEYS[i], json)
      end
      if tag ~= '' then tags[#tags + 1] = tag end
    end
    -- The acks as multi-member commands, a few hundred tags each, instead of four calls per result.
    for first = 1, #tags, 500 do
      local some = {unpack(tags, first, math.min(first + 499, #tags))}
      redis.call('ZREM', KEYS[2], unpack(some))
      redis.call('HDEL', KEYS[1], unpack(some))
      redis.call('HDEL', KEYS[4], unpack(some))
      redis.call('HDEL', KEYS[3], unpack(some))
    end
    return refused
    """)

    /// Stores a record only while the task is still waiting to run (no record, or PENDING,
    /// RECEIVED, RETRY or REJECTED), as Celery 5.7 stores REVOKED when a revoke arrives.
    /// KEYS: result key. ARGV: json, ttl seconds. Returns 1 when stored.
    static let storeIfWaiting = RedisScript("""
    local current = redis.call('GET', KEYS[1])
    if current then
      local status = string.match(current, '"status"%s*:%s*"(%u+)"')
      if status and status ~= 'PENDING' and status ~= 'RECEIVED' and status ~= 'RETRY' and status ~= 'REJECTED' then
        return 0
      end
    end
    if tonumber(ARGV[2]) > 0 then
      redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
    else
      redis.call('SET', KEYS[1], ARGV[1])
    end
    redis.call('PUBLISH', KEYS[1], ARGV[1])
    return 1
    """)

    /// Moves a claimed message to the dead-letter list with a reason, and acks it.
    /// KEYS: bookkeeping, dead-letter list. ARGV: tag, reason, queue, now.
    static let deadLetter = RedisScript(forget + """
    local entry = redis.call('HGET', KEYS[1], ARGV[1])
    local raw = entry and (envelopeOf(entry) or entry)
    local deliveries = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
    redis.call('LPUSH', KEYS[5], cjson.encode({reason = ARGV[2], queue = ARGV[3], time = tonumber(ARGV[4]),
      raw = raw or cjson.null, delivery_tag = ARGV[1], deliveries = deliveries}))
    forget(ARGV[1], false)
    return 1
    """)

    /// Gives claimed messages back to the head of their lists (consumed next), like kombu's
    /// restore. A given-back delivery does not count toward the poison limit unless `counts`.
    /// KEYS: bookkeeping. ARGV: counts ("1"/"0"), tag1, list1, tag2, list2, ...
    static let restore = RedisScript(forget + """
    local restored = 0
    for i = 2, #ARGV, 2 do
      local entry = redis.call('HGET', KEYS[1], ARGV[i])
      if entry then
        local raw = envelopeOf(entry)
        if raw then
          redis.call('RPUSH', ARGV[i + 1], raw)
          restored = restored + 1
        end
        if ARGV[1] ~= '1' then redis.call('HINCRBY', KEYS[3], ARGV[i], -1) end
        forget(ARGV[i], true)
      end
    end
    return restored
    """)

    /// Schedules a message for later: the envelope goes to the scheduled set, and the
    /// delivery it came from (if any) is acked in the same step.
    /// KEYS: bookkeeping, scheduled zset, scheduled messages hash.
    /// ARGV: new tag, due epoch seconds, envelope, target list, old tag or "".
    static let schedule = RedisScript(forget + """
    redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
    redis.call('HSET', KEYS[6], ARGV[1], cjson.encode({ARGV[4], ARGV[3]}))
    if ARGV[5] == ARGV[1] then
      -- Rescheduled under its own tag: the delivery that scheduled it does not count.
      redis.call('HINCRBY', KEYS[3], ARGV[1], -1)
      forget(ARGV[1], true)
    elseif ARGV[5] ~= '' then
      forget(ARGV[5], false)
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

    /// Restores deliveries whose holder is gone: claimed at least `visibility` seconds ago by a
    /// TaskQ worker run whose liveness key expired (or was removed), or claimed by anyone else
    /// (a Python worker) and older than kombu's own visibility timeout.
    /// KEYS: bookkeeping. ARGV: now, visibility, kombu visibility, limit, alive-key prefix.
    /// Returns the number restored.
    static let recoverOrphans = RedisScript(forget + """
    local now = tonumber(ARGV[1])
    local candidates = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]), 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[4]))
    local restored = 0
    for i = 1, #candidates, 2 do
      local tag = candidates[i]
      local score = tonumber(candidates[i + 1])
      local owner = redis.call('HGET', KEYS[4], tag)
      local orphan
      if owner then
        -- The holder ("<node> <run>") has a liveness key of its own while it heartbeats.
        orphan = redis.call('EXISTS', ARGV[5] .. owner) == 0
      else
        orphan = score < now - tonumber(ARGV[3])
      end
      if orphan then
        local entry = redis.call('HGET', KEYS[1], tag)
        if entry then
          local raw = envelopeOf(entry)
          local queue = string.match(entry, '"([^"]*)"%]$')
          if raw and queue then
            local priority = 0
            local ok, env = pcall(cjson.decode, raw)
            if ok and type(env) == 'table' and type(env.properties) == 'table' then
              priority = tonumber(env.properties.priority) or 0
            end
            local step = 0
            for _, s in ipairs({3, 6, 9}) do if priority >= s then step = s end end
            local list = queue
            if step > 0 then list = queue .. '\\6\\22' .. step end
            redis.call('RPUSH', list, raw)
            restored = restored + 1
          end
        end
        forget(tag, true)
      end
    end
    return restored
    """)
}
