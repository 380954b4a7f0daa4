//! Kubernetes quantities (`50m`, `1.5`, `2k`, `512Mi`, `1e3`) as numbers.

/// Parses a Kubernetes quantity: `50m` = 0.05, `1` = 1, `2k` = 2000,
/// `1Ki` = 1024, `1e3` = 1000. The decimal (`n u m k M G T P E`) and binary
/// (`Ki Mi Gi Ti Pi Ei`) suffixes of resource.Quantity are accepted.
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
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
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

/// A value the way Kubernetes prints quantities in metric values: whole
/// numbers plain, otherwise in milli-units (`2135500m`, `500m`).
pub fn format_quantity(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{}m", (v * 1000.0).round() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::{format_quantity, parse_quantity};

    #[test]
    fn quantities_print_like_the_metrics_api() {
        assert_eq!(format_quantity(5.0), "5");
        assert_eq!(format_quantity(2135.5), "2135500m");
        assert_eq!(format_quantity(0.5), "500m");
    }

    #[test]
    fn quantities_as_kubernetes_writes_them() {
        assert_eq!(parse_quantity("50m"), Ok(0.05));
        assert_eq!(parse_quantity("2"), Ok(2.0));
        assert_eq!(parse_quantity("1.5"), Ok(1.5));
        assert_eq!(parse_quantity("399999m"), Ok(399.999));
        assert_eq!(parse_quantity("1Ki"), Ok(1024.0));
        assert_eq!(parse_quantity("512Mi"), Ok(536_870_912.0));
        assert_eq!(parse_quantity("1e3"), Ok(1000.0));
        assert_eq!(parse_quantity("2T"), Ok(2e12));
        assert!(parse_quantity("fast").is_err());
        assert!(parse_quantity("5x").is_err());
        assert!(parse_quantity("").is_err());
    }
}
