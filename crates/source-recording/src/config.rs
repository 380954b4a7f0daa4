//! The `[[source.recording]]` section.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[[source.recording]]`: replays a recording's samples into the recorder
/// as if they were happening now.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingConfig {
    /// The recording directory (sealed: `understudy inspect --repair DIR`
    /// seals one a killed recorder left).
    pub path: PathBuf,
    /// Playback speed: 10 plays ten recorded seconds every second.
    #[serde(default = "one")]
    pub speed: f64,
}

fn one() -> f64 {
    1.0
}

impl RecordingConfig {
    /// Every problem of the section, each naming its field.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.path.as_os_str().is_empty() {
            p.push("path: give the recording directory".into());
        }
        if !(self.speed > 0.0 && self.speed.is_finite()) {
            p.push(format!("speed = {}: must be a positive number", self.speed));
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported() {
        let c = RecordingConfig {
            path: PathBuf::new(),
            speed: -2.0,
        };
        assert_eq!(
            c.problems(),
            [
                "path: give the recording directory",
                "speed = -2: must be a positive number"
            ]
        );
        let c = RecordingConfig {
            path: "recordings/conflict".into(),
            speed: f64::INFINITY,
        };
        assert_eq!(c.problems(), ["speed = inf: must be a positive number"]);
    }
}
