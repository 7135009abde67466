import FoundationEssentials
import TaskQ

/// Autoscale (prefork, Celery's `--autoscale MAX,MIN`): children are added while runnable
/// tasks wait with no child free, up to MAX, and one child idle for `--autoscale-idle`
/// seconds is retired at a time, down to MIN.
extension SupervisorCore {
    mutating func autoscale() {
        guard let range = autoscaleRange, lifecycle == .running else { return }
        let live = children.values.filter { $0.state == .ready || $0.state == .starting }
        let waiting = pending.reduce(0) { $0 + ($1.state.isWaitingForRate ? 0 : 1) }
        let free = live.reduce(0) { $0 + ($1.state == .starting || $1.jobs.isEmpty ? 1 : 0) }
        // Children on their way out that will be replaced (recycled, killed for a time limit)
        // count too: their replacements are part of the pool.
        let planned = live.count + children.values.filter { ($0.state == .retiring || $0.state == .killed) && $0.replaceOnExit }.count
        if waiting > free && planned < range.maximum {
            let added = min(waiting - free, range.maximum - planned)
            log(.info, "Autoscale: \(waiting) task(s) waiting; adding \(added) child(ren), \(planned) → \(planned + added) (at most \(range.maximum))")
            for _ in 0..<added { spawnChild() }
            return
        }
        guard waiting == 0, live.count > range.minimum else { return }
        let idle = live.filter { slot in
            slot.accepting && slot.jobs.isEmpty && slot.idleSince.map { now.timeIntervalSince($0) >= configuration.autoscaleIdle } ?? false
        }
        guard let slot = idle.max(by: { $0.number < $1.number }) else { return }
        log(.info, "Autoscale: child \(slot.pid.map(String.init) ?? "#\(slot.number)") idle for \(Int(configuration.autoscaleIdle)) s; retiring it, \(live.count) → \(live.count - 1) (at least \(range.minimum))")
        slot.move(to: .retiring)
        slot.replaceOnExit = false
        emit(.askChildToExit(slot.number))
    }

    /// The `autoscale` control command: new MAX and MIN for a prefork worker.
    mutating func setAutoscale(maximum: Int?, minimum: Int?) -> JSONValue {
        guard configuration.pool.kind == .prefork else {
            return ["error": .string("autoscale is for the prefork pool; this worker runs -P \(configuration.pool.kind.rawValue)")]
        }
        guard let maximum, let minimum, minimum >= 1, minimum <= maximum else {
            return ["error": "autoscale takes max and min with 1 ≤ min ≤ max"]
        }
        autoscaleRange = (maximum, minimum)
        log(.info, "Autoscale now max=\(maximum) min=\(minimum)")
        return ["ok": .string("autoscale now max=\(maximum) min=\(minimum)")]
    }
}
