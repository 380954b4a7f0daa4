//! The evaluator's configuration: what the host passed, over the defaults
//! the plugin declared in `describe()`.

use std::collections::BTreeMap;

use crate::types::{ConfigParam, KpiError};

/// Config values by name; every declared parameter has one (its default when
/// the host passed none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    values: BTreeMap<String, String>,
}

impl Config {
    /// Merges `given` over the defaults of `params`. An unknown or repeated
    /// name is an `invalid-config` error: a typo must not silently fall back
    /// to a default.
    pub fn new(given: &[(String, String)], params: &[ConfigParam]) -> Result<Config, KpiError> {
        let mut values: BTreeMap<String, String> = params
            .iter()
            .map(|p| (p.name.clone(), p.default_value.clone()))
            .collect();
        let mut seen = Vec::with_capacity(given.len());
        for (name, value) in given {
            if !values.contains_key(name) {
                let known: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                return Err(KpiError::InvalidConfig(format!(
                    "unknown parameter {name:?} (known: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            if seen.contains(&name) {
                return Err(KpiError::InvalidConfig(format!(
                    "parameter {name:?} given twice"
                )));
            }
            seen.push(name);
            values.insert(name.clone(), value.clone());
        }
        Ok(Config { values })
    }

    /// Like [`Config::new`] with borrowed pairs (handy in tests).
    pub fn from_pairs(given: &[(&str, &str)], params: &[ConfigParam]) -> Result<Config, KpiError> {
        let owned: Vec<(String, String)> = given
            .iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect();
        Config::new(&owned, params)
    }

    /// The raw value of `name`. A name the plugin did not declare is an error
    /// rather than a panic, so a plugin bug surfaces as a typed error.
    pub fn str(&self, name: &str) -> Result<&str, KpiError> {
        self.values.get(name).map(String::as_str).ok_or_else(|| {
            KpiError::InvalidConfig(format!("parameter {name:?} is not declared by the plugin"))
        })
    }

    /// A finite number.
    pub fn f64(&self, name: &str) -> Result<f64, KpiError> {
        let raw = self.str(name)?;
        raw.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| invalid(name, raw, "a finite number"))
    }

    /// A non-negative integer.
    pub fn u64(&self, name: &str) -> Result<u64, KpiError> {
        let raw = self.str(name)?;
        raw.trim()
            .parse::<u64>()
            .map_err(|_| invalid(name, raw, "a non-negative integer"))
    }

    pub fn bool(&self, name: &str) -> Result<bool, KpiError> {
        let raw = self.str(name)?;
        match raw.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(invalid(name, raw, "true or false")),
        }
    }

    /// A Prometheus duration (`90s`, `10m`, `1h30m`, `500ms`) in milliseconds.
    pub fn duration_ms(&self, name: &str) -> Result<i64, KpiError> {
        let raw = self.str(name)?;
        parse_duration_ms(raw.trim())
            .ok_or_else(|| invalid(name, raw, "a duration like 90s, 10m or 1h30m"))
    }
}

fn invalid(name: &str, raw: &str, wanted: &str) -> KpiError {
    KpiError::InvalidConfig(format!("{name} = {raw:?}: want {wanted}"))
}

/// Parses a Prometheus duration: one or more `<integer><unit>` with units
/// `ms s m h d w y`, largest first. `None` on anything else or on overflow.
pub fn parse_duration_ms(s: &str) -> Option<i64> {
    const UNITS: [(&str, i64); 7] = [
        ("ms", 1),
        ("s", 1_000),
        ("m", 60_000),
        ("h", 3_600_000),
        ("d", 86_400_000),
        ("w", 604_800_000),
        ("y", 31_536_000_000),
    ];
    if s.is_empty() {
        return None;
    }
    let mut rest = s;
    let mut total: i64 = 0;
    let mut last_unit = i64::MAX;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // "ms" before "m", so the longer unit wins.
        let (unit, ms) = UNITS
            .iter()
            .filter(|(u, _)| rest.starts_with(u))
            .max_by_key(|(u, _)| u.len())?;
        if *ms >= last_unit {
            return None;
        }
        last_unit = *ms;
        rest = &rest[unit.len()..];
        total = total.checked_add(n.checked_mul(*ms)?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Vec<ConfigParam> {
        vec![
            ConfigParam::new("window", "", "10m"),
            ConfigParam::new("k", "", "1.5"),
        ]
    }

    #[test]
    fn defaults_fill_in_and_given_values_win() {
        let c = Config::from_pairs(&[("k", "2")], &params()).expect("valid");
        assert_eq!(c.duration_ms("window"), Ok(600_000));
        assert_eq!(c.f64("k"), Ok(2.0));
    }

    #[test]
    fn unknown_and_repeated_names_are_refused() {
        let unknown = Config::from_pairs(&[("windw", "5m")], &params());
        assert!(
            matches!(unknown, Err(KpiError::InvalidConfig(m)) if m.contains("windw") && m.contains("window"))
        );
        let twice = Config::from_pairs(&[("k", "1"), ("k", "2")], &params());
        assert!(matches!(twice, Err(KpiError::InvalidConfig(_))));
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let c =
            Config::from_pairs(&[("k", "NaN"), ("window", "ten")], &params()).expect("known names");
        assert!(matches!(c.f64("k"), Err(KpiError::InvalidConfig(m)) if m.starts_with("k = ")));
        assert!(
            matches!(c.duration_ms("window"), Err(KpiError::InvalidConfig(m)) if m.contains("window"))
        );
        assert!(matches!(
            c.str("undeclared"),
            Err(KpiError::InvalidConfig(_))
        ));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("90s"), Some(90_000));
        assert_eq!(parse_duration_ms("1h30m"), Some(5_400_000));
        assert_eq!(parse_duration_ms("1m30s500ms"), Some(90_500));
        assert_eq!(parse_duration_ms("0s"), Some(0));
        for bad in [
            "",
            "10",
            "m",
            "1.5m",
            "-1m",
            "30s1m",
            "1m1m",
            "1x",
            "99999999999999999y",
        ] {
            assert_eq!(parse_duration_ms(bad), None, "{bad:?}");
        }
    }
}
