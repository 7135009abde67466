import FoundationEssentials

/// Converts between instants and wall-clock times of one time zone, applying
/// the crontab DST rules to wall times that are skipped or repeated.
///
/// Instants are whole seconds since 1970-01-01 00:00 UTC.
struct CrontabZoneClock: Sendable {
    let zone: TimeZone

    /// The zone's UTC offset, in seconds, at `instant`.
    func offset(at instant: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant))))
    }

    /// The wall seconds shown by a clock in the zone at `instant`.
    func wallSeconds(at instant: Int64) -> Int64 {
        instant + offset(at: instant)
    }

    /// The instant at which a job scheduled for the wall time `wall` fires:
    /// - the wall time occurs once: that instant;
    /// - it occurs twice (clocks were set back): the first occurrence;
    /// - it does not occur (clocks were set forward over it): the instant the
    ///   gap ends, i.e. the first instant on the new offset.
    func firingInstant(forWallSeconds wall: Int64) -> Int64 {
        // No zone's offset is beyond ±1 day, so every instant showing `wall`
        // lies within a day of `wall` read as UTC; sampling the offsets there
        // (and at the candidate instants) finds all offsets that matter,
        // assuming at most one transition within a day or so, which holds
        // for real zones.
        let day: Int64 = 86_400
        var offsets = [offset(at: wall - day), offset(at: wall + day)]
        for candidate in offsets {
            offsets.append(offset(at: wall - candidate))
        }
        var earliest: Int64?
        for candidate in Set(offsets) {
            let instant = wall - candidate
            if offset(at: instant) == candidate {
                earliest = Swift.min(earliest ?? instant, instant)
            }
        }
        if let earliest { return earliest }
        return gapEnd(containingWallSeconds: wall, offsets: offsets)
    }

    /// The first instant after the spring-forward transition that skipped
    /// `wall`: bisects between the instant showing `wall` on the later (larger)
    /// offset, which is before the transition, and the one on the earlier
    /// offset, which is after it.
    private func gapEnd(containingWallSeconds wall: Int64, offsets: [Int64]) -> Int64 {
        guard let largest = offsets.max(), let smallest = offsets.min() else { return wall }
        var before = wall - largest
        var after = wall - smallest
        let offsetBefore = offset(at: before)
        guard offsetBefore != offset(at: after) else { return after }
        while after - before > 1 {
            let middle = before + (after - before) / 2
            if offset(at: middle) == offsetBefore {
                before = middle
            } else {
                after = middle
            }
        }
        return after
    }
}
