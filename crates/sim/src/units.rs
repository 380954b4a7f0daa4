//! Durations (`30s`, `1m30s`) and Kubernetes CPU quantities (`50m`, `0.5`, `2`)
//! as scenario files and manifests write them.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

pub use understudy_core::{format_quantity, parse_quantity};

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
