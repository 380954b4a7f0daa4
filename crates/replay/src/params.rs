//! Request parameters as the Prometheus HTTP API reads them: from the query
//! string and, for POST, a form body; times as float seconds or RFC 3339,
//! durations as float seconds or `1h30m`.

/// Decoded `key=value` pairs, in order (`match[]` may repeat).
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: Option<&str>, body: &[u8]) -> Params {
        let mut out = Vec::new();
        // Go reads a form as bytes: one byte that is not UTF-8 spoils only
        // its own value, not the whole body.
        let body = String::from_utf8_lossy(body);
        for part in [query.unwrap_or(""), &body] {
            for pair in part.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                out.push((decode(k), decode(v)));
            }
        }
        Params(out)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `1795648515.5`, `1795648515`, or `2026-11-25T23:15:15.5Z` → ms.
pub fn time(s: &str) -> Option<i64> {
    if let Ok(f) = s.parse::<f64>() {
        if !f.is_finite() || f.abs() > 9.2e15 {
            return None;
        }
        return Some((f * 1000.0).round() as i64);
    }
    let t = humantime_rfc3339(s)?;
    Some(t)
}

fn humantime_rfc3339(s: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(s).ok()?;
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).ok(),
        Err(e) => i64::try_from(e.duration().as_millis()).ok().map(|v| -v),
    }
}

/// The longest duration: Prometheus' are Go's `time.Duration`, int64
/// nanoseconds (292 years). It also keeps a seek offset plus the
/// recording's start within i64 milliseconds.
const MAX_DURATION_MS: i64 = i64::MAX / 1_000_000;

/// `15`, `0.5`, `1m30s` → ms, at most [`MAX_DURATION_MS`] either way.
pub fn duration(s: &str) -> Option<i64> {
    if let Ok(f) = s.parse::<f64>() {
        let ms = (f * 1000.0).round();
        if !ms.is_finite() || ms.abs() > MAX_DURATION_MS as f64 {
            return None;
        }
        return Some(ms as i64);
    }
    // Prometheus durations: y, w, d, h, m, s, ms, in that order.
    let mut total: i64 = 0;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = ["ms", "y", "w", "d", "h", "m", "s"]
            .into_iter()
            .find(|u| rest.starts_with(u))?;
        let ms = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            _ => 31_536_000_000,
        };
        total = total.checked_add(n.checked_mul(ms)?)?;
        rest = &rest[unit.len()..];
    }
    (total <= MAX_DURATION_MS).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_from_query_and_form() {
        let p = Params::parse(
            Some("match%5B%5D=up&match[]=%7Bjob%3D%22x%22%7D"),
            b"query=sum(rate(x%5B5m%5D))&time=4",
        );
        assert_eq!(p.all("match[]"), vec!["up", "{job=\"x\"}"]);
        assert_eq!(p.get("query"), Some("sum(rate(x[5m]))"));
        assert_eq!(p.get("time"), Some("4"));
        assert_eq!(Params::parse(Some("q=a+b%2"), b"").get("q"), Some("a b%2"));
    }

    #[test]
    fn issue_16_a_form_body_with_a_byte_that_is_not_utf8_keeps_its_other_parameters() {
        let p = Params::parse(None, b"query=1%2B1&x=\xff&time=4");
        assert_eq!(p.get("query"), Some("1+1"));
        assert_eq!(p.get("time"), Some("4"));
    }

    #[test]
    fn times_and_durations_like_prometheus() {
        assert_eq!(time("4"), Some(4_000));
        assert_eq!(time("1795648515.5"), Some(1_795_648_515_500));
        assert_eq!(time("2026-11-25T23:15:15.5Z"), Some(1_795_648_515_500));
        assert_eq!(time("yesterday"), None);
        assert_eq!(duration("15"), Some(15_000));
        assert_eq!(duration("1h30m"), Some(5_400_000));
        assert_eq!(duration("250ms"), Some(250));
        assert_eq!(duration("5x"), None);
    }

    #[test]
    fn issue_16_durations_end_where_go_durations_end() {
        assert_eq!(duration("292y"), Some(292 * 31_536_000_000));
        assert_eq!(duration("293y"), None);
        assert_eq!(duration("9223372036854775807ms"), None);
        assert_eq!(duration("9.2e9"), Some(9_200_000_000_000));
        assert_eq!(duration("9.3e9"), None);
        assert_eq!(duration("-9.3e9"), None);
    }
}
