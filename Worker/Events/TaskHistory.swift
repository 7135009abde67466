import FoundationEssentials
import TaskQ

/// Records task events into Redis for the monitor, batched into one script call per flush.
///
/// Per task the script makes one `HSET`; the indexes take one variadic call per index
/// touched in the flush (the all-tasks index, this worker's, each task name and state), so a
/// flush of thousands of tasks costs about as many calls as tasks, plus ten.
enum TaskHistory {
    /// Applies a batch of task records: fields into `taskq:task:<id>`, the state, name and
    /// worker indexes, then (when asked to trim) drops the oldest beyond `maxTasks` and those
    /// older than `maxAge`.
    ///
    /// ARGV: maxTasks, maxAge, now, trim ("1" or "0"), this worker's node name, then per
    /// record (see `HistoryRecord.arguments`): uuid, score, previous state ("" none, "?" not
    /// known: read it), state (or ""), name, field count N, then N name/value pairs.
    ///
    /// Every index scores a task by its received time, so trimming is one score bound applied
    /// to every index (`ZREMRANGEBYSCORE`) and the hashes below it deleted: at most 5,000 tasks
    /// per call, whatever the history's size. Age is enforced here, by score, not by key expiry,
    /// so a task's hash and its index entries go together.
    static let record = RedisScript("""
    local maxTasks, maxAge, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
    local trim, worker = ARGV[4] == '1', ARGV[5]
    local allKey, workerPrefix = '\(HistoryKeys.all)', '\(HistoryKeys.worker(""))'
    local statePrefix, namePrefix = '\(HistoryKeys.state(""))', '\(HistoryKeys.name(""))'
    local function add(groups, key, a, b)
      local list = groups[key]
      if not list then list = {}; groups[key] = list end
      list[#list + 1] = a
      if b then list[#list + 1] = b end
    end
    local function chunked(command, key, list)
      for s = 1, #list, 4000 do redis.call(command, key, unpack(list, s, math.min(s + 3999, #list))) end
    end
    local scored, byName, entered, left, elsewhere = {}, {}, {}, {}, {}
    local i, records = 6, 0
    while i <= #ARGV do
      local uuid, score, before, state, name = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
      local count = tonumber(ARGV[i + 5])
      local key = '\(HistoryKeys.task(""))' .. uuid
      local unknown = before == '?'
      if unknown then
        local old = redis.call('HMGET', key, \(lua(.state)), \(lua(.worker)))
        before = old[1] or ''
        if old[2] and old[2] ~= worker then add(elsewhere, old[2], uuid) end
      end
      local flat = {\(lua(.uuid)), uuid}
      for f = i + 6, i + 5 + count * 2 do flat[#flat + 1] = ARGV[f] end
      if state ~= '' then
        flat[#flat + 1] = \(lua(.state))
        flat[#flat + 1] = state
        if state ~= before or unknown then add(entered, state, score, uuid) end
        if before ~= '' and before ~= state then add(left, before, uuid) end
      end
      redis.call('HSET', key, unpack(flat))
      scored[#scored + 1] = score
      scored[#scored + 1] = uuid
      if name ~= '' then add(byName, name, score, uuid) end
      records = records + 1
      i = i + 6 + count * 2
    end
    for state, ids in pairs(left) do chunked('ZREM', statePrefix .. state, ids) end
    for node, ids in pairs(elsewhere) do chunked('ZREM', workerPrefix .. node, ids) end
    for state, list in pairs(entered) do chunked('ZADD', statePrefix .. state, list) end
    if records > 0 then
      chunked('ZADD', allKey, scored)
      chunked('ZADD', workerPrefix .. worker, scored)
      redis.call('SADD', '\(HistoryKeys.workerNames)', worker)
      local names = {}
      for name, list in pairs(byName) do
        chunked('ZADD', namePrefix .. name, list)
        names[#names + 1] = name
      end
      if #names > 0 then redis.call('SADD', '\(HistoryKeys.taskNames)', unpack(names)) end
    end
    if not trim then return records end
    local bound
    local excess = redis.call('ZCARD', allKey) - maxTasks
    if excess > 0 then
      local rank = math.min(excess, 5000) - 1
      bound = tonumber(redis.call('ZRANGE', allKey, rank, rank, 'WITHSCORES')[2])
    end
    local oldest = redis.call('ZRANGE', allKey, 0, 0, 'WITHSCORES')[2]
    if oldest and tonumber(oldest) <= now - maxAge then
      local aged = now - maxAge
      local edge = redis.call('ZRANGE', allKey, 4999, 4999, 'WITHSCORES')[2]
      if edge and tonumber(edge) < aged then aged = tonumber(edge) end
      if not bound or aged > bound then bound = aged end
    end
    if not bound then return records end
    local ids = redis.call('ZRANGEBYSCORE', allKey, '-inf', bound)
    for s = 1, #ids, 1000 do
      local keys = {}
      for k = s, math.min(s + 999, #ids) do keys[#keys + 1] = '\(HistoryKeys.task(""))' .. ids[k] end
      redis.call('DEL', unpack(keys))
    end
    redis.call('ZREMRANGEBYSCORE', allKey, '-inf', bound)
    for _, state in ipairs({\(HistoryKeys.states.map { "'\($0)'" }.joined(separator: ", "))}) do
      redis.call('ZREMRANGEBYSCORE', statePrefix .. state, '-inf', bound)
    end
    for _, name in ipairs(redis.call('SMEMBERS', '\(HistoryKeys.taskNames)')) do
      redis.call('ZREMRANGEBYSCORE', namePrefix .. name, '-inf', bound)
    end
    for _, node in ipairs(redis.call('SMEMBERS', '\(HistoryKeys.workerNames)')) do
      redis.call('ZREMRANGEBYSCORE', workerPrefix .. node, '-inf', bound)
      if redis.call('EXISTS', workerPrefix .. node) == 0 then redis.call('SREM', '\(HistoryKeys.workerNames)', node) end
    end
    return records
    """)

    /// A history hash field as a Lua string literal (no field name holds a quote or backslash).
    private static func lua(_ field: TaskHistoryField) -> String { "'" + field.rawValue + "'" }
}
