//! Durations (`30s`, `1m30s`) and Kubernetes CPU quantities (`50m`, `0.5`, `2`)
//! as scenario files and manifests write them.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Parses a Kubernetes quantity in cores: `50m` = 0.05, `1` = 1, `1.5` = 1.5,
/// `2k` = 2000. Binary suffixes (`Ki`, `Mi`) and exponents are accepted too.
pub fn parse_quantity(s: &str) -> Result<f64, String> {
    let s = s.trim();
    let bad = || format!("invalid quantity {s:?}: write e.g. \"50m\", \"0.5\" or \"2\"");
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        _ if suffix.starts_with(['e', 'E']) => {
            let e: i32 = suffix[1..].parse().map_err(|_| bad())?;
            10f64.powi(e)
        }
        _ => return Err(bad()),
    };
    let v = n * scale;
    if !v.is_finite() {
        return Err(bad());
    }
    Ok(v)
}

/// Formats a value the way Kubernetes prints quantities in metric values:
/// whole numbers plain, otherwise in milli-units (`2135500m`, `500m`).
pub fn format_quantity(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{}m", (v * 1000.0).round() as i64)
    }
}

/// A quantity field in a scenario: a string (`"50m"`) or a number.
pub fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Q {
        S(String),
        N(f64),
    }
    match Q::deserialize(d)? {
        Q::S(s) => parse_quantity(&s).map_err(serde::de::Error::custom),
        Q::N(n) if n.is_finite() => Ok(n),
        Q::N(_) => Err(serde::de::Error::custom("quantity must be finite")),
    }
}

/// A duration field: `"30s"`, `"1m30s"`, `"250ms"`.
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    humantime::parse_duration(&s).map_err(|e| {
        serde::de::Error::custom(format!(
            "invalid duration {s:?} ({e}); write e.g. \"30s\", \"1m30s\""
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_like_kubernetes() {
        assert_eq!(parse_quantity("50m"), Ok(0.05));
        assert_eq!(parse_quantity("2"), Ok(2.0));
        assert_eq!(parse_quantity("1.5"), Ok(1.5));
        assert_eq!(parse_quantity("399999m"), Ok(399.999));
        assert_eq!(parse_quantity("1Ki"), Ok(1024.0));
        assert!(parse_quantity("fast").is_err());
        assert!(parse_quantity("5x").is_err());
    }

    #[test]
    fn quantities_print_like_the_metrics_api() {
        assert_eq!(format_quantity(5.0), "5");
        assert_eq!(format_quantity(2135.5), "2135500m");
        assert_eq!(format_quantity(0.5), "500m");
    }
}
