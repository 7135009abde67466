import FoundationEssentials

extension ScheduleTiming {
    /// `instant` on the wall clock of the entry's zone, e.g. `2026-12-07 10:00:00 Europe/Berlin (+01:00)`;
    /// nil for an interval or a zone this process does not know.
    package func localText(_ instant: Date) -> String? {
        guard case .crontab(_, let name) = self, let zone = try? ScheduleRule.timeZone(named: name) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        let offset = zone.secondsFromGMT(for: instant)
        let pad = FixedPoint.padded
        let sign = offset < 0 ? "-" : "+"
        return "\(pad(parts.year ?? 0, 4))-\(pad(parts.month ?? 0, 2))-\(pad(parts.day ?? 0, 2)) "
            + "\(pad(parts.hour ?? 0, 2)):\(pad(parts.minute ?? 0, 2)):\(pad(parts.second ?? 0, 2)) \(name) "
            + "(\(sign)\(pad(abs(offset) / 3600, 2)):\(pad(abs(offset) % 3600 / 60, 2)))"
    }
}
