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

    /// Shared Lua: a dead-letter entry as JSON that any reader can parse. cjson copies bytes
    /// as they are, so a message that is not valid UTF-8 is kept as `raw_base64` instead of
    /// `raw` (nothing of it is lost, and the entry stays valid JSON).
    static let deadLetterEntry = """
    local function validUTF8(s)
      local i = string.find(s, '[\\128-\\255]')
      local n = #s
      while i do
        local c = string.byte(s, i)
        local length, low, high = 0, 0x80, 0xBF
        if c >= 0xC2 and c <= 0xDF then length = 1
        elseif c >= 0xE0 and c <= 0xEF then
          length = 2
          if c == 0xE0 then low = 0xA0 elseif c == 0xED then high = 0x9F end
        elseif c >= 0xF0 and c <= 0xF4 then
          length = 3
          if c == 0xF0 then low = 0x90 elseif c == 0xF4 then high = 0x8F end
        else return false end
        if i + length > n then return false end
        for k = 1, length do
          local b = string.byte(s, i + k)
          if b < (k == 1 and low or 0x80) or b > (k == 1 and high or 0xBF) then return false end
        end
        i = string.find(s, '[\\128-\\255]', i + length + 1)
      end
      return true
    end
    local base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    local function base64(s)
      local out = {}
      for i = 1, #s, 3 do
        local a, b, c = string.byte(s, i, i + 2)
        local n = a * 65536 + (b or 0) * 256 + (c or 0)
        local d1, d2 = math.floor(n / 262144) % 64, math.floor(n / 4096) % 64
        local d3, d4 = math.floor(n / 64) % 64, n % 64
        out[#out + 1] = string.sub(base64Alphabet, d1 + 1, d1 + 1) .. string.sub(base64Alphabet, d2 + 1, d2 + 1)
          .. (b and string.sub(base64Alphabet, d3 + 1, d3 + 1) or '=') .. (c and string.sub(base64Alphabet, d4 + 1, d4 + 1) or '=')
      end
      return table.concat(out)
    end
    local function deadLetterJSON(entry, raw)
      if raw == nil then
        entry.raw = cjson.null
      elseif validUTF8(raw) then
        entry.raw = raw
      else
        entry.raw = cjson.null
        entry.raw_base64 = base64(raw)
        entry.reason = entry.reason .. ' (the message is not valid UTF-8; its bytes are in raw_base64)'
      end
      return cjson.encode(entry)
    end

    """

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

    /// The deliveries of claims whose reply was lost with the connection: every claim is
    /// scored with a stamp of its own, so the claimer finds what a claim took by that stamp
    /// and its holder, and delivers it as if the reply had come (nothing is left in `unacked`
    /// under a live holder that does not know it holds it).
    /// KEYS: bookkeeping. ARGV: holder, stamp1..N. Returns what `claim` returns for them.
    static let reclaim = RedisScript(forget + """
    local out = {}
    for i = 2, #ARGV do
      for _, tag in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[i], ARGV[i])) do
        if redis.call('HGET', KEYS[4], tag) == ARGV[1] then
          local entry = redis.call('HGET', KEYS[1], tag)
          local raw = entry and envelopeOf(entry)
          local queue = entry and string.match(entry, '"([^"]*)"%]$')
          if raw and queue then
            out[#out + 1] = queue
            out[#out + 1] = tag
            out[#out + 1] = raw
            out[#out + 1] = redis.call('HGET', KEYS[3], tag) or '1'
          end
        end
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
    -- What the keys hold, a few hundred per MGET. MGET reads a key of another type as nil,
    -- so when EXISTS counts more keys than MGET found, the nil ones are asked one by one.
    local current, wrongType = {}, {}
    for first = 5, #KEYS, 500 do
      local last = math.min(first + 499, #KEYS)
      local values = redis.call('MGET', unpack(KEYS, first, last))
      local found = 0
      for k = first, last do
        current[k] = values[k - first + 1]
        if current[k] then found = found + 1 end
      end
      if redis.call('EXISTS', unpack(KEYS, first, last)) > found then
        for k = first, last do
          if not current[k] and redis.call('TYPE', KEYS[k]).ok ~= 'none' then wrongType[k] = true end
        end
      end
    end
    for i = 5, #KEYS do
      local json = ARGV[(i - 5) * 2 + 2]
      local tag = ARGV[(i - 5) * 2 + 3]
      local stored = current[i]
      if wrongType[i] then
        refused[#refused + 1] = KEYS[i]
      elseif not (stored and string.find(stored, '"status"%s*:%s*"SUCCESS"')) then
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
    static let deadLetter = RedisScript(forget + deadLetterEntry + """
    local entry = redis.call('HGET', KEYS[1], ARGV[1])
    local raw = entry and (envelopeOf(entry) or entry)
    local deliveries = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
    redis.call('LPUSH', KEYS[5], deadLetterJSON({reason = ARGV[2], queue = ARGV[3], time = tonumber(ARGV[4]),
      delivery_tag = ARGV[1], deliveries = deliveries}, raw))
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
    /// The caller's own deliveries are never orphans, whatever its liveness key says: after a
    /// Redis restart longer than the liveness window the key is gone, but the caller still runs
    /// (or has finished, its ack on the way) what it holds.
    /// KEYS: bookkeeping. ARGV: now, visibility, kombu visibility, limit, alive-key prefix, own holder.
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
      if owner == ARGV[6] then
        orphan = false
      elseif owner then
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
