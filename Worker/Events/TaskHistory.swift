import FoundationEssentials
import TaskQ

/// Records task events into Redis for the monitor, batched into one script call per flush.
///
/// The records go in one `MSET`; the indexes take one variadic call per index touched in the
/// flush (the all-tasks index, this worker's, each task name and state), so a flush of
/// thousands of tasks costs about ten calls.
enum TaskHistory {
    /// Applies a batch of task records: each into `taskq:task:<id>`, the state, name and
    /// worker indexes, then (when asked to trim) drops the oldest beyond `maxTasks` and those
    /// older than `maxAge`.
    ///
    /// ARGV: maxTasks, maxAge, now, trim ("1" or "0"), this worker's node name, then per
    /// record (see `HistoryRecord.arguments`): uuid, score, previous state ("" none, "?" not
    /// known: read it), state (or ""), name, and the record's `TaskHistoryJSON`.
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
      for s = 1, #list, 4000 do
        if key then redis.call(command, key, unpack(list, s, math.min(s + 3999, #list)))
        else redis.call(command, unpack(list, s, math.min(s + 3999, #list))) end
      end
    end
    -- A task may come twice in one batch (a retry's new message after the old one's RETRY):
    -- its index entries follow its first record's previous state and its last record's state.
    local scored, byName, entered, left, elsewhere, records = {}, {}, {}, {}, {}, {}
    local tasks, order = {}, {}
    for i = 6, #ARGV - 5, 6 do
      local uuid, score, before, state, name, json = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
      local key = '\(HistoryKeys.task(""))' .. uuid
      local task = tasks[uuid]
      if not task then
        local unknown = before == '?'
        if unknown then
          local old = redis.call('GET', key)
          before = old and string.match(old, '"\(TaskHistoryField.state.rawValue)":"(%u+)"') or ''
          local oldWorker = old and string.match(old, '"\(TaskHistoryField.worker.rawValue)":"([^"]*)"')
          if oldWorker and oldWorker ~= worker then add(elsewhere, oldWorker, uuid) end
        end
        task = {before = before, unknown = unknown}
        tasks[uuid] = task
        order[#order + 1] = uuid
      end
      task.state, task.score, task.name = state, score, name
      records[#records + 1] = key
      records[#records + 1] = json
    end
    for _, uuid in ipairs(order) do
      local task = tasks[uuid]
      local state, before = task.state, task.before
      if state ~= '' then
        if state ~= before or task.unknown then add(entered, state, task.score, uuid) end
        if before ~= '' and before ~= state then add(left, before, uuid) end
      end
      scored[#scored + 1] = task.score
      scored[#scored + 1] = uuid
      if task.name ~= '' then add(byName, task.name, task.score, uuid) end
    end
    chunked('MSET', nil, records)
    for state, ids in pairs(left) do chunked('ZREM', statePrefix .. state, ids) end
    for node, ids in pairs(elsewhere) do chunked('ZREM', workerPrefix .. node, ids) end
    for state, list in pairs(entered) do chunked('ZADD', statePrefix .. state, list) end
    if #scored > 0 then
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
    if not trim then return #scored / 2 end
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
    if not bound then return #scored / 2 end
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
    return #scored / 2
    """)

}
