import FoundationEssentials
import TaskQ

/// Records task events into Redis for the monitor, batched into one script call per flush.
enum TaskHistory {
    /// Applies a batch of task records: fields into `taskq:task:<id>`, state and name/worker
    /// indexes, then trims to the newest `maxTasks` and drops tasks older than `maxAge`.
    ///
    /// ARGV: maxTasks, maxAge, now, then per record (see `HistoryRecord.arguments`):
    /// uuid, first, ts, state (or ""), field count N, then N name/value pairs. Age is enforced
    /// here, by score, not by key expiry, so a task's hash and its index entries go together.
    /// The hash's field names come from `TaskHistoryField`; the keys spelled out are `HistoryKeys`'s.
    static let record = RedisScript("""
    local maxTasks = tonumber(ARGV[1])
    local maxAge = tonumber(ARGV[2])
    local now = tonumber(ARGV[3])
    local records = 0
    local function drop(id)
      local key = 'taskq:task:' .. id
      local info = redis.call('HMGET', key, \(lua(.state)), \(lua(.name)), \(lua(.worker)))
      if info[1] then redis.call('ZREM', 'taskq:tasks:state:' .. info[1], id) end
      if info[2] then redis.call('ZREM', 'taskq:tasks:name:' .. info[2], id) end
      if info[3] then redis.call('ZREM', 'taskq:tasks:worker:' .. info[3], id) end
      redis.call('ZREM', 'taskq:tasks', id)
      redis.call('DEL', key)
    end
    local i = 4
    while i <= #ARGV do
      local uuid, first, ts, state = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
      local count = tonumber(ARGV[i + 4])
      local key = 'taskq:task:' .. uuid
      local old = redis.call('HMGET', key, \(lua(.state)), \(lua(.name)), \(lua(.worker)))
      local flat = {\(lua(.uuid)), uuid}
      local name, worker
      for f = i + 5, i + 4 + count * 2, 2 do
        local field, value = ARGV[f], ARGV[f + 1]
        flat[#flat + 1] = field
        flat[#flat + 1] = value
        if field == \(lua(.name)) then name = value elseif field == \(lua(.worker)) then worker = value end
      end
      if state ~= '' then
        flat[#flat + 1] = \(lua(.state))
        flat[#flat + 1] = state
      end
      redis.call('HSET', key, unpack(flat))
      if not old[1] and not old[2] then redis.call('ZADD', 'taskq:tasks', first, uuid) end
      if state ~= '' and state ~= old[1] then
        if old[1] then redis.call('ZREM', 'taskq:tasks:state:' .. old[1], uuid) end
        redis.call('ZADD', 'taskq:tasks:state:' .. state, ts, uuid)
      end
      if name and name ~= old[2] then
        redis.call('ZADD', 'taskq:tasks:name:' .. name, ts, uuid)
        redis.call('SADD', 'taskq:task-names', name)
      end
      if worker and worker ~= old[3] then
        if old[3] then redis.call('ZREM', 'taskq:tasks:worker:' .. old[3], uuid) end
        redis.call('ZADD', 'taskq:tasks:worker:' .. worker, ts, uuid)
      end
      records = records + 1
      i = i + 5 + count * 2
    end
    local excess = redis.call('ZCARD', 'taskq:tasks') - maxTasks
    if excess > 0 then
      for _, id in ipairs(redis.call('ZRANGE', 'taskq:tasks', 0, math.min(excess, 1000) - 1)) do drop(id) end
    end
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', 'taskq:tasks', '-inf', now - maxAge, 'LIMIT', 0, 1000)) do drop(id) end
    return records
    """)

    /// A history hash field as a Lua string literal (no field name holds a quote or backslash).
    private static func lua(_ field: TaskHistoryField) -> String { "'" + field.rawValue + "'" }
}
