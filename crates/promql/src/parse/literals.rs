//! Numbers, `@` timestamps and durations as 2.42's parser actions check
//! them, with their errors.

use super::lex::{Item, go_quote};
use super::syntax::Diagnosis;

type Parsed<T> = Result<T, Diagnosis>;

/// `parser.number`: Go's `ParseInt(s, 0, 64)`, else `ParseFloat`.
pub(super) fn check_number(item: &Item) -> Parsed<f64> {
    let s = item.val.as_str();
    if let Some(v) = go_parse_int(s) {
        return Ok(v as f64);
    }
    let lower = s.to_ascii_lowercase();
    let special = matches!(
        lower.trim_start_matches(['+', '-']),
        "inf" | "infinity" | "nan"
    );
    let problem = match s.parse::<f64>() {
        Ok(v) if v.is_infinite() && !special => "value out of range",
        Ok(v) => return Ok(v),
        Err(_) => "invalid syntax",
    };
    Err(Diagnosis {
        pos: item.pos,
        message: format!(
            "error parsing number: strconv.ParseFloat: parsing {}: {problem}",
            go_quote(s)
        ),
    })
}

/// Go's `strconv.ParseInt(s, 0, 64)` for what the lexer lets through.
fn go_parse_int(s: &str) -> Option<i64> {
    let (digits, radix) = if let Some(hex) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (hex, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() {
        return None;
    }
    i64::from_str_radix(digits, radix).ok()
}

/// `setTimestamp`'s bounds.
pub(super) fn check_timestamp(start: usize, ts: f64) -> Parsed<()> {
    if ts.is_nan() || ts.is_infinite() || ts >= i64::MAX as f64 || ts <= i64::MIN as f64 {
        let shown = match ts {
            _ if ts.is_nan() => "NaN".to_string(),
            f64::INFINITY => "+Inf".to_string(),
            f64::NEG_INFINITY => "-Inf".to_string(),
            _ => format!("{ts:.6}"),
        };
        return Err(Diagnosis {
            pos: start,
            message: format!("timestamp out of bounds for @ modifier: {shown}"),
        });
    }
    Ok(())
}

/// `parseDuration`: prometheus/common's `ParseDuration`, then not zero.
pub(super) fn check_duration(item: &Item) -> Parsed<()> {
    let fail = |message: String| {
        Err(Diagnosis {
            pos: item.pos,
            message,
        })
    };
    match duration_ms(&item.val) {
        None => fail(format!(
            "not a valid duration string: {}",
            go_quote(&item.val)
        )),
        Some(Err(())) => fail("duration out of range".to_string()),
        Some(Ok(0)) => fail("duration must be greater than 0".to_string()),
        Some(Ok(_)) => Ok(()),
    }
}

/// `y w d h m s ms` in that order, each at most once; None if malformed,
/// `Err` on overflow.
fn duration_ms(s: &str) -> Option<Result<i64, ()>> {
    const UNITS: [(&str, i64); 7] = [
        ("y", 365 * 24 * 3_600_000),
        ("w", 7 * 24 * 3_600_000),
        ("d", 24 * 3_600_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ];
    if s == "0" {
        return Some(Ok(0));
    }
    let mut rest = s;
    let mut next_unit = 0;
    let mut total: i64 = 0;
    let mut overflow = false;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return None;
        }
        let (number, after) = rest.split_at(digits);
        // "ms" before "m" so that 5ms is not 5m then "s".
        let (unit_index, unit_len) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (u, _))| after.starts_with(u))
            .map(|(i, (u, _))| (i, u.len()))
            .max_by_key(|&(_, len)| len)?;
        let n: i64 = match number.parse() {
            Ok(n) => n,
            Err(_) => {
                overflow = true;
                i64::MAX
            }
        };
        let mult = UNITS[unit_index].1;
        if n > i64::MAX / mult {
            overflow = true;
        }
        total = total.wrapping_add(n.wrapping_mul(mult));
        if total < 0 {
            overflow = true;
        }
        next_unit = unit_index + 1;
        rest = &after[unit_len..];
    }
    Some(if overflow { Err(()) } else { Ok(total) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ms("1h30m"), Some(Ok(5_400_000)));
        assert_eq!(duration_ms("5ms"), Some(Ok(5)));
        assert_eq!(duration_ms("1.5m"), None);
        assert_eq!(duration_ms("1m1h"), None);
        assert_eq!(duration_ms("99999999999999999y"), Some(Err(())));
    }
}
