//! Grafana's interval arithmetic, in two dialects.
//!
//! Grafana computes the query interval twice: the browser (`rangeutil.ts` in
//! `@grafana/data`) computes `intervalMs` from the panel's width or Max data
//! points, then the Prometheus backend (`pkg/promlib/models/query.go`, using
//! `gtime` of `grafana-plugin-sdk-go`) computes the final step from it and
//! substitutes `$__interval` & co. The two `roundInterval` tables differ at
//! the boundaries (`<` in the browser, `<=` in Go, and Go has an extra
//! 24h-for-up-to-48h row that changes nothing), so both are kept.
//!
//! Durations are nanoseconds in `i64` like Go's `time.Duration`; browser
//! values are milliseconds in `f64` like JavaScript numbers.

const NS_PER_MS: i64 = 1_000_000;
const NS_PER_S: i64 = 1_000_000_000;

/// Go's `gtime.RoundInterval` (grafana-plugin-sdk-go `backend/gtime/gtime.go`):
/// a round step no larger than `interval` (nanoseconds), except that anything
/// up to 10 ms becomes 1 ms.
pub fn round_interval(interval_ns: i64) -> i64 {
    // (inclusive upper bound, result), both in milliseconds.
    const TABLE: &[(i64, i64)] = &[
        (10, 1),
        (15, 10),
        (35, 20),
        (75, 50),
        (150, 100),
        (350, 200),
        (750, 500),
        (1_500, 1_000),
        (3_500, 2_000),
        (7_500, 5_000),
        (12_500, 10_000),
        (17_500, 15_000),
        (25_000, 20_000),
        (45_000, 30_000),
        (90_000, 60_000),
        (210_000, 120_000),
        (450_000, 300_000),
        (750_000, 600_000),
        (1_050_000, 900_000),
        (1_500_000, 1_200_000),
        (2_700_000, 1_800_000),
        (5_400_000, 3_600_000),
        (9_000_000, 7_200_000),
        (16_200_000, 10_800_000),
        (32_400_000, 21_600_000),
        (86_400_000, 43_200_000),
        (172_800_000, 86_400_000),
        (604_800_000, 86_400_000),
        (1_814_400_000, 604_800_000),
    ];
    for &(upto, result) in TABLE {
        if interval_ns <= upto * NS_PER_MS {
            return result * NS_PER_MS;
        }
    }
    // The last row of Go's table is strict: `< 3628800000ms` gives 30d.
    if interval_ns < 3_628_800_000 * NS_PER_MS {
        2_592_000_000 * NS_PER_MS
    } else {
        31_536_000_000 * NS_PER_MS
    }
}

/// The browser's `roundInterval` (`@grafana/data` `datetime/rangeutil.ts`),
/// milliseconds in and out.
pub fn round_interval_browser(interval_ms: f64) -> f64 {
    // (exclusive upper bound, result) in milliseconds.
    const TABLE: &[(f64, f64)] = &[
        (10.0, 1.0),
        (15.0, 10.0),
        (35.0, 20.0),
        (75.0, 50.0),
        (150.0, 100.0),
        (350.0, 200.0),
        (750.0, 500.0),
        (1_500.0, 1_000.0),
        (3_500.0, 2_000.0),
        (7_500.0, 5_000.0),
        (12_500.0, 10_000.0),
        (17_500.0, 15_000.0),
        (25_000.0, 20_000.0),
        (45_000.0, 30_000.0),
        (90_000.0, 60_000.0),
        (210_000.0, 120_000.0),
        (450_000.0, 300_000.0),
        (750_000.0, 600_000.0),
        (1_050_000.0, 900_000.0),
        (1_500_000.0, 1_200_000.0),
        (2_700_000.0, 1_800_000.0),
        (5_400_000.0, 3_600_000.0),
        (9_000_000.0, 7_200_000.0),
        (16_200_000.0, 10_800_000.0),
        (32_400_000.0, 21_600_000.0),
        (86_400_000.0, 43_200_000.0),
        (604_800_000.0, 86_400_000.0),
        (1_814_400_000.0, 604_800_000.0),
        (3_628_800_000.0, 2_592_000_000.0),
    ];
    for &(below, result) in TABLE {
        if interval_ms < below {
            return result;
        }
    }
    31_536_000_000.0
}

/// Go's `gtime.FormatInterval`: the largest whole unit, truncated
/// (`61s` → `1m`, `90m` → `1h`); `y` is 365 days; below 1 ms → `1ms`.
pub fn format_interval(ns: i64) -> String {
    const UNITS: &[(i64, &str)] = &[
        (365 * 24 * 3600 * NS_PER_S, "y"),
        (24 * 3600 * NS_PER_S, "d"),
        (3600 * NS_PER_S, "h"),
        (60 * NS_PER_S, "m"),
        (NS_PER_S, "s"),
        (NS_PER_MS, "ms"),
    ];
    for &(unit, suffix) in UNITS {
        if ns >= unit {
            return format!("{}{suffix}", ns / unit);
        }
    }
    "1ms".to_string()
}

/// Go's `time.Duration.String()`: `15s`, `1m0s`, `1h0m0s`, `1.5s`, `500ms`,
/// `0s`. This is how `$__rate_interval` reaches Prometheus.
pub fn go_duration_string(ns: i64) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if u < NS_PER_S as u64 {
        let (unit, suffix) = if u < 1_000 {
            (1, "ns")
        } else if u < 1_000_000 {
            (1_000, "µs")
        } else {
            (1_000_000, "ms")
        };
        out.push_str(&fraction(u, unit));
        out.push_str(suffix);
        return out;
    }
    let hours = u / 3_600_000_000_000;
    let minutes = (u / 60_000_000_000) % 60;
    let secs_ns = u % 60_000_000_000;
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&fraction(secs_ns, NS_PER_S as u64));
    out.push('s');
    out
}

/// `value / unit` with the fraction's trailing zeros trimmed, as Go prints.
fn fraction(value: u64, unit: u64) -> String {
    let whole = value / unit;
    let rest = value % unit;
    if rest == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Go's `time.ParseDuration`: `[-+]?(\d*\.?\d+(ns|us|µs|ms|s|m|h))+` or `0`.
pub fn parse_go_duration(text: &str) -> Option<i64> {
    let (neg, mut s) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        let num_len = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let num = &s[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        s = &s[num_len..];
        let unit_len = s
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(s.len());
        let unit = match &s[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        s = &s[unit_len..];
        total += value * unit;
    }
    if total > i64::MAX as f64 {
        return None;
    }
    let ns = total.round() as i64;
    Some(if neg { -ns } else { ns })
}

/// `gtime.ParseIntervalStringToTimeDuration`: drops one `<` and one `>`, reads
/// a bare number as seconds, accepts `Nd`, `Nw`, `NM`, `Ny` (Julian year of
/// 365.25 days, month a twelfth of it) and everything Go's
/// `time.ParseDuration` accepts.
pub fn parse_grafana_interval(text: &str) -> Option<i64> {
    let s = text.replacen('<', "", 1).replacen('>', "", 1);
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(NS_PER_S);
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && s.len() == digits + 1 {
        let n: i64 = s[..digits].parse().ok()?;
        const DAY: i64 = 24 * 3600 * NS_PER_S;
        let year = (DAY as f64 * 365.25) as i64;
        let unit = match &s[digits..] {
            "d" => Some(DAY),
            "w" => Some(7 * DAY),
            "M" => Some((year as f64 / 12.0) as i64),
            "y" => Some(year),
            _ => None,
        };
        if let Some(unit) = unit {
            return n.checked_mul(unit);
        }
    }
    parse_go_duration(&s)
}

/// The browser's `rangeutil.intervalToMs`: a unit-less number is seconds;
/// otherwise the first `\d+(\.\d+)?(ms|[Mwdhmsy])` counts, and only its
/// integer part (`parseInt`), so `1.5s` is 1000 ms and `1m30s` is 60000 ms.
pub fn browser_interval_to_ms(text: &str) -> Option<f64> {
    let s = text.trim();
    if let Ok(n) = s.parse::<f64>()
        && n != 0.0
        && n.is_finite()
    {
        return Some(n.trunc() * 1000.0);
    }
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let rest = &s[start..];
    let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let count: f64 = rest[..int_len].parse().ok()?;
    let mut after = &rest[int_len..];
    if let Some(frac) = after.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        after = &frac[n..];
    }
    let unit_s = if after.starts_with("ms") {
        0.001
    } else {
        match after.chars().next()? {
            'y' => 31_536_000.0,
            'M' => 2_592_000.0,
            'w' => 604_800.0,
            'd' => 86_400.0,
            'h' => 3_600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        }
    };
    Some(unit_s * 1000.0 * count)
}

/// The browser's `rangeutil.secondsToHms`, used for `interval` texts such as
/// an auto interval variable's value: the largest non-zero unit, floored.
pub fn seconds_to_hms(seconds: f64) -> String {
    let years = (seconds / 31_536_000.0).floor();
    if years != 0.0 {
        return format!("{years}y");
    }
    let days = ((seconds % 31_536_000.0) / 86_400.0).floor();
    if days != 0.0 {
        return format!("{days}d");
    }
    let hours = ((seconds % 86_400.0) / 3_600.0).floor();
    if hours != 0.0 {
        return format!("{hours}h");
    }
    let minutes = ((seconds % 3_600.0) / 60.0).floor();
    if minutes != 0.0 {
        return format!("{minutes}m");
    }
    let secs = (seconds % 60.0).floor();
    if secs != 0.0 {
        return format!("{secs}s");
    }
    let ms = (seconds * 1000.0).floor();
    if ms != 0.0 {
        return format!("{ms}ms");
    }
    "less than a millisecond".to_string()
}

/// The browser's `rangeutil.calculateInterval`: round `range / resolution`
/// first, then raise it to the low limit (which is not rounded).
pub fn browser_calculate_interval_ms(range_ms: f64, resolution: f64, low_limit_ms: f64) -> f64 {
    let resolution = if resolution > 0.0 { resolution } else { 1.0 };
    round_interval_browser(range_ms / resolution).max(low_limit_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = NS_PER_MS;

    /// The cases of `TestRoundInterval` in grafana-plugin-sdk-go
    /// `backend/gtime/gtime_test.go` (read from the source, not from memory).
    #[test]
    fn round_interval_matches_gtime_tests() {
        let cases: &[(i64, i64)] = &[
            (9, 1),
            (14, 10),
            (34, 20),
            (74, 50),
            (140, 100),
            (320, 200),
            (740, 500),
            (1400, 1000),
            (3200, 2000),
            (7400, 5000),
            (12400, 10000),
            (17250, 15000),
            (23000, 20000),
            (42000, 30000),
            (85000, 60000),
            (200000, 120000),
            (420000, 300000),
            (720000, 600000),
            (1000000, 900000),
            (1250000, 1200000),
            (2500000, 1800000),
            (5200000, 3600000),
            (8500000, 7200000),
            (15000000, 10800000),
            (30000000, 21600000),
            (85000000, 43200000),
            (150000000, 86400000),
            (600000000, 86400000),
            (1500000000, 604800000),
            (3500000000, 2592000000),
            (40000000000, 31536000000),
        ];
        for &(input, expected) in cases {
            assert_eq!(round_interval(input * MS), expected * MS, "input {input}ms");
            // The browser table agrees away from the boundaries.
            assert_eq!(round_interval_browser(input as f64), expected as f64);
        }
    }

    #[test]
    fn round_interval_boundaries_differ_between_browser_and_go() {
        assert_eq!(round_interval(15_000 * MS), 15_000 * MS);
        assert_eq!(round_interval(17_500 * MS), 15_000 * MS);
        assert_eq!(round_interval_browser(17_500.0), 20_000.0);
        assert_eq!(round_interval(0), MS);
    }

    #[test]
    fn format_interval_matches_gtime_tests() {
        assert_eq!(format_interval(61 * NS_PER_S), "1m");
        assert_eq!(format_interval(30 * MS), "30ms");
        assert_eq!(format_interval(23 * 3600 * NS_PER_S), "23h");
        assert_eq!(format_interval(24 * 3600 * NS_PER_S), "1d");
        assert_eq!(format_interval(367 * 24 * 3600 * NS_PER_S), "1y");
        assert_eq!(format_interval(0), "1ms");
    }

    #[test]
    fn go_duration_strings() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (15 * NS_PER_S, "15s"),
            (60 * NS_PER_S, "1m0s"),
            (75 * NS_PER_S, "1m15s"),
            (3600 * NS_PER_S, "1h0m0s"),
            (3630 * NS_PER_S, "1h0m30s"),
            (1500 * MS, "1.5s"),
            (500 * MS, "500ms"),
            (1_500, "1.5µs"),
            (12, "12ns"),
            (-60 * NS_PER_S, "-1m0s"),
        ];
        for &(ns, text) in cases {
            assert_eq!(go_duration_string(ns), text);
            assert_eq!(parse_go_duration(text), Some(ns), "{text}");
        }
    }

    #[test]
    fn grafana_interval_parsing() {
        assert_eq!(parse_grafana_interval("45"), Some(45 * NS_PER_S));
        assert_eq!(parse_grafana_interval("<10s>"), Some(10 * NS_PER_S));
        assert_eq!(parse_grafana_interval("1d"), Some(86_400 * NS_PER_S));
        assert_eq!(parse_grafana_interval("1m30s"), Some(90 * NS_PER_S));
        assert_eq!(parse_grafana_interval("nonsense"), None);
        assert_eq!(parse_grafana_interval(""), None);
        assert_eq!(parse_grafana_interval("99999999999999999999"), None);
    }

    #[test]
    fn browser_interval_parsing() {
        assert_eq!(browser_interval_to_ms("15s"), Some(15_000.0));
        assert_eq!(browser_interval_to_ms("30"), Some(30_000.0));
        assert_eq!(browser_interval_to_ms("1.5s"), Some(1_000.0));
        assert_eq!(browser_interval_to_ms("1m30s"), Some(60_000.0));
        assert_eq!(browser_interval_to_ms(">10ms"), Some(10.0));
        assert_eq!(browser_interval_to_ms("abc"), None);
        assert_eq!(seconds_to_hms(90.0), "1m");
        assert_eq!(seconds_to_hms(0.2), "200ms");
    }
}
