import TaskQ

/// The claim: how messages leave their lists and enter the bookkeeping.
extension BrokerScripts {
    /// Pops up to `limit` messages (lists in priority order) and records each in
    /// `unacked`/`unacked_index` in the same step, as kombu does after BRPOP, plus
    /// the claiming worker and the delivery count.
    ///
    /// The delivery tag is `properties.delivery_tag`, never a header of that name (Celery
    /// puts `send_task(headers=...)` keys among the headers). kombu and TaskQ write it as the
    /// last property of the last top-level object, so a match anchored at the envelope's end
    /// finds it without parsing the body; any other layout is decoded. A message whose tag is
    /// missing, empty, or already held by another delivery (sent twice, or hand-made) cannot
    /// be tracked: it goes to the dead-letter list with the reason, instead of overwriting
    /// another delivery's bookkeeping.
    ///
    /// KEYS: bookkeeping, dead-letter list, list1..listN. ARGV: limit, the claim's stamp (its
    /// score in `unacked_index`, see `reclaim`), node, queue1..queueN.
    /// Returns a flat array of `queue, tag, envelope, deliveries`; a dead-lettered message
    /// has tag `""` and its reason in place of the deliveries.
    static let claim = RedisScript(deadLetterEntry + """
    local limit = tonumber(ARGV[1])
    local now = ARGV[2]
    local node = ARGV[3]
    local out = {}
    local taken = 0
    -- kombu's layout ends `..."body_encoding": "base64", "delivery_tag": "<tag>"}}`: matched in
    -- the last bytes only, so a large body costs nothing. Other layouts are decoded.
    local function propertiesTag(msg)
      local tail = string.sub(msg, -160)
      local tag = string.match(tail, '"body_encoding"%s*:%s*"[^"\\\\]*"%s*,%s*"delivery_tag"%s*:%s*"([^"\\\\]*)"%s*}%s*}%s*$')
      if tag then return tag end
      local ok, env = pcall(cjson.decode, msg)
      if not ok then return nil, 'envelope is not JSON Redis can read (' .. tostring(env) .. ')' end
      if type(env) ~= 'table' or type(env.properties) ~= 'table' then return nil, 'envelope has no properties object (not a kombu message?)' end
      tag = env.properties.delivery_tag
      if type(tag) ~= 'string' then return nil, 'envelope has no properties.delivery_tag string (not a kombu message?)' end
      return tag
    end
    -- Per batch of up to 500: one ZMSCORE (is a tag held already?) and one HMGET (its delivery
    -- count) for all, then one multi-member ZADD and HSETs, instead of calls per message.
    local function record(queue, batch)
      local tags, reasons, lookup = {}, {}, {}
      for j, msg in ipairs(batch) do
        local tag, reason = propertiesTag(msg)
        if tag == '' then tag, reason = nil, 'properties.delivery_tag is empty: the delivery could not be tracked' end
        tags[j], reasons[j] = tag or false, reason
        if tag then lookup[#lookup + 1] = tag end
      end
      local held, counts = {}, {}
      if #lookup > 0 then
        local scores = redis.call('ZMSCORE', KEYS[2], unpack(lookup))
        local known = redis.call('HMGET', KEYS[3], unpack(lookup))
        for k, tag in ipairs(lookup) do
          held[tag] = scores[k]
          counts[tag] = tonumber(known[k]) or 0
        end
      end
      local quotedQueue = cjson.encode(queue)
      local scores, entries, holders, deliveries = {}, {}, {}, {}
      for j, msg in ipairs(batch) do
        local tag, reason = tags[j], reasons[j]
        if tag and held[tag] then
          reason = 'properties.delivery_tag ' .. cjson.encode(tag) .. ' is already held by another delivery (the same message sent twice?)'
          tag = false
        end
        if tag then
          held[tag] = true
          local count = counts[tag] + 1
          scores[#scores + 1] = now
          scores[#scores + 1] = tag
          entries[#entries + 1] = tag
          entries[#entries + 1] = '[' .. msg .. ', "", ' .. quotedQueue .. ']'
          holders[#holders + 1] = tag
          holders[#holders + 1] = node
          deliveries[#deliveries + 1] = tag
          deliveries[#deliveries + 1] = count
          out[#out + 1] = queue
          out[#out + 1] = tag
          out[#out + 1] = msg
          out[#out + 1] = tostring(count)
        else
          redis.call('LPUSH', KEYS[5], deadLetterJSON({reason = reason, queue = queue, time = tonumber(now)}, msg))
          out[#out + 1] = queue
          out[#out + 1] = ''
          out[#out + 1] = msg
          out[#out + 1] = reason
        end
      end
      if #scores > 0 then
        redis.call('ZADD', KEYS[2], unpack(scores))
        redis.call('HSET', KEYS[1], unpack(entries))
        redis.call('HSET', KEYS[4], unpack(holders))
        redis.call('HSET', KEYS[3], unpack(deliveries))
      end
    end
    for i = 6, #KEYS do
      local queue = ARGV[i - 2]
      while taken < limit do
        local asked = math.min(limit - taken, 500)
        local batch = redis.call('RPOP', KEYS[i], asked)
        if not batch then break end
        taken = taken + #batch
        record(queue, batch)
        if #batch < asked then break end
      end
    end
    return out
    """)
}
