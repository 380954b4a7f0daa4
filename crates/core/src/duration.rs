//! Durations in config files and manifests, written as people write them:
//! `1s`, `250ms`, `5m`, `1h30m` (`#[serde(with = "understudy_core::duration")]`).

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// Reads a humantime string (`1h30m`); the error names the bad value and
/// shows the accepted forms.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    humantime::parse_duration(&s).map_err(|e| {
        serde::de::Error::custom(format!(
            "invalid duration {s:?} ({e}); write e.g. \"1s\", \"250ms\", \"5m\""
        ))
    })
}

/// Writes humantime's form (`1h 30m`), which [`deserialize`] reads back.
pub fn serialize<S: Serializer>(v: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_duration(*v).to_string())
}
