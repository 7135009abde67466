import Foundation
import TaskQ

/// Records task events into Redis for the monitor, batched into one script call per flush.
enum TaskHistory {
    /// Applies a batch of task records: fields into `taskq:task:<id>`, state and name/worker
    /// indexes, then trims to the newest `maxTasks` and drops tasks older than `maxAge`.
    ///
    /// ARGV: JSON array of `{"uuid", "state"?, "first", "ts", "fields": {name: string}}` (see
    /// `HistoryRecord`), maxTasks, maxAge, now. Age is enforced here, by score, not by key expiry,
    /// so a task's hash and its index entries always go together.
    static let record = RedisScript("""
    local records = cjson.decode(ARGV[1])
    local maxTasks = tonumber(ARGV[2])
    local maxAge = tonumber(ARGV[3])
    local now = tonumber(ARGV[4])
    local function drop(id)
      local key = 'taskq:task:' .. id
      local info = redis.call('HMGET', key, 'state', 'name', 'worker')
      if info[1] then redis.call('ZREM', 'taskq:tasks:state:' .. info[1], id) end
      if info[2] then redis.call('ZREM', 'taskq:tasks:name:' .. info[2], id) end
      if info[3] then redis.call('ZREM', 'taskq:tasks:worker:' .. info[3], id) end
      redis.call('ZREM', 'taskq:tasks', id)
      redis.call('DEL', key)
    end
    for _, r in ipairs(records) do
      local key = 'taskq:task:' .. r.uuid
      local old = redis.call('HMGET', key, 'state', 'name', 'worker')
      local flat = {}
      for k, v in pairs(r.fields) do
        flat[#flat + 1] = k
        flat[#flat + 1] = v
      end
      if #flat > 0 then redis.call('HSET', key, unpack(flat)) end
      if not old[1] and not old[2] then
        redis.call('ZADD', 'taskq:tasks', r.first or r.ts, r.uuid)
        redis.call('HSET', key, 'uuid', r.uuid)
      end
      if r.state and r.state ~= old[1] then
        if old[1] then redis.call('ZREM', 'taskq:tasks:state:' .. old[1], r.uuid) end
        redis.call('ZADD', 'taskq:tasks:state:' .. r.state, r.ts, r.uuid)
        redis.call('HSET', key, 'state', r.state)
      end
      if r.fields.name and r.fields.name ~= old[2] then
        redis.call('ZADD', 'taskq:tasks:name:' .. r.fields.name, r.ts, r.uuid)
        redis.call('SADD', 'taskq:task-names', r.fields.name)
      end
      if r.fields.worker and r.fields.worker ~= old[3] then
        if old[3] then redis.call('ZREM', 'taskq:tasks:worker:' .. old[3], r.uuid) end
        redis.call('ZADD', 'taskq:tasks:worker:' .. r.fields.worker, r.ts, r.uuid)
      end
    end
    local excess = redis.call('ZCARD', 'taskq:tasks') - maxTasks
    if excess > 0 then
      for _, id in ipairs(redis.call('ZRANGE', 'taskq:tasks', 0, math.min(excess, 1000) - 1)) do drop(id) end
    end
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', 'taskq:tasks', '-inf', now - maxAge, 'LIMIT', 0, 1000)) do drop(id) end
    return #records
    """)
}
