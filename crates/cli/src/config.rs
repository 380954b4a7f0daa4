//! The recorder's configuration file (`understudy.toml`).
//!
//! The doc comments of these structs are the user documentation of each key;
//! docs/configuration.md repeats them with examples. An empty file is valid.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use understudy_source_kube::KubeConfig;
use understudy_source_nats::NatsConfig;
use understudy_source_prom::PromConfig;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How and where to record.
    #[serde(default)]
    pub recorder: Recorder,
    /// Sources by type (`[[source.prometheus]]`, `[[source.nats]]`,
    /// `[[source.kubernetes]]`). Checked in [`Config::validate`].
    #[serde(default)]
    pub source: BTreeMap<String, toml::Value>,
    /// KPI plugins run live (`[[plugin]]`).
    #[serde(default)]
    pub plugin: Vec<PluginConfig>,
}

/// `[[plugin]]`: a KPI plugin run live; its outputs are recorded and served
/// on `/metrics`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// The plugin component (`.wasm`).
    pub path: PathBuf,
    /// Values for the plugin's config parameters.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// How often its inputs are evaluated and pushed.
    #[serde(
        default = "default_plugin_interval",
        with = "understudy_core::duration"
    )]
    pub interval: Duration,
}

fn default_plugin_interval() -> Duration {
    Duration::from_secs(15)
}

/// `[[source.recording]]`: replays a recording's samples into the recorder
/// as if they were happening now (rehearsals, and live plugins without a
/// cluster).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingSourceConfig {
    /// The recording directory.
    pub path: PathBuf,
    /// Playback speed.
    #[serde(default = "one")]
    pub speed: f64,
}

fn one() -> f64 {
    1.0
}

/// `[recorder]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Recorder {
    /// Recording name, stored in the manifest and used for `{name}` in `out`.
    pub name: String,
    /// Recording directory; `{name}` and `{date}` (UTC, `2026-11-27`) are
    /// expanded. `--out` overrides it.
    pub out: String,
    /// How often the journal is synced to disk: a recorder killed at any
    /// moment loses at most this much.
    #[serde(with = "understudy_core::duration")]
    pub flush_interval: Duration,
    /// How often the journal is sealed into Parquet files.
    #[serde(with = "understudy_core::duration")]
    pub segment: Duration,
    /// Address of `/metrics` and `/healthz`; loopback unless told otherwise.
    pub listen: SocketAddr,
    /// Free-form labels stored in the manifest, e.g. `{ scenario = "conflict" }`.
    pub labels: BTreeMap<String, String>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            name: "understudy".into(),
            out: "recordings/{name}".into(),
            flush_interval: Duration::from_secs(1),
            segment: Duration::from_secs(300),
            listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
            labels: BTreeMap::new(),
        }
    }
}

/// Source types this build knows. Each arrives with its own crate.
const SOURCE_TYPES: &[&str] = &["recording", "prometheus", "nats", "kubernetes"];

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read config {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid config {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!(explain(&e)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        for kind in self.source.keys() {
            if !SOURCE_TYPES.contains(&kind.as_str()) {
                problems.push(format!(
                    "[[source.{kind}]]: this build of understudy ({}) has no {kind} source yet; remove the section",
                    env!("CARGO_PKG_VERSION")
                ));
            }
        }
        if let Err(e) = self.recording_sources() {
            problems.push(e.to_string());
        }
        match self.prometheus_sources() {
            Ok(list) => {
                for (i, c) in list.iter().enumerate() {
                    for p in c.problems() {
                        problems.push(format!("[[source.prometheus]] #{i}: {p}"));
                    }
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
        match self.nats_sources() {
            Ok(list) => {
                for (i, c) in list.iter().enumerate() {
                    for p in c.problems() {
                        problems.push(format!("[[source.nats]] #{i}: {p}"));
                    }
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
        match self.kubernetes_sources() {
            Ok(list) => {
                for (i, c) in list.iter().enumerate() {
                    for p in c.problems() {
                        problems.push(format!("[[source.kubernetes]] #{i}: {p}"));
                    }
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
        for (i, p) in self.plugin.iter().enumerate() {
            if p.interval < Duration::from_secs(1) {
                problems.push(format!("plugin[{i}].interval: at least 1s"));
            }
        }
        let r = &self.recorder;
        if r.flush_interval < Duration::from_millis(10) {
            problems.push(format!(
                "recorder.flush_interval = {:?} is too short: at least 10ms",
                humantime::format_duration(r.flush_interval).to_string()
            ));
        }
        if r.segment < r.flush_interval {
            problems
                .push("recorder.segment must not be shorter than recorder.flush_interval".into());
        }
        if r.name.is_empty() || r.name.contains(['/', '\\']) {
            problems.push(format!(
                "recorder.name = {:?}: must be non-empty and contain no slash",
                r.name
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!("{}", problems.join("\n"))
        }
    }

    /// The `[[source.prometheus]]` sections.
    pub fn prometheus_sources(&self) -> Result<Vec<PromConfig>> {
        let Some(v) = self.source.get("prometheus") else {
            return Ok(Vec::new());
        };
        v.clone()
            .try_into()
            .map_err(|e| anyhow::anyhow!("[[source.prometheus]]: {e}"))
    }

    /// The `[[source.nats]]` sections.
    pub fn nats_sources(&self) -> Result<Vec<NatsConfig>> {
        let Some(v) = self.source.get("nats") else {
            return Ok(Vec::new());
        };
        v.clone()
            .try_into()
            .map_err(|e| anyhow::anyhow!("[[source.nats]]: {e}"))
    }

    /// The `[[source.kubernetes]]` sections.
    pub fn kubernetes_sources(&self) -> Result<Vec<KubeConfig>> {
        let Some(v) = self.source.get("kubernetes") else {
            return Ok(Vec::new());
        };
        v.clone()
            .try_into()
            .map_err(|e| anyhow::anyhow!("[[source.kubernetes]]: {e}"))
    }

    /// The `[[source.recording]]` sections.
    pub fn recording_sources(&self) -> Result<Vec<RecordingSourceConfig>> {
        let Some(v) = self.source.get("recording") else {
            return Ok(Vec::new());
        };
        let list: Vec<RecordingSourceConfig> = v
            .clone()
            .try_into()
            .map_err(|e| anyhow::anyhow!("[[source.recording]]: {e}"))?;
        for (i, s) in list.iter().enumerate() {
            if !(s.speed > 0.0 && s.speed.is_finite()) {
                bail!("[[source.recording]] #{i}: speed must be a positive number");
            }
        }
        Ok(list)
    }

    /// The recording directory: `--out` if given, else `recorder.out` expanded.
    pub fn out_dir(&self, cli_out: Option<&Path>, date: &str) -> PathBuf {
        match cli_out {
            Some(p) => p.to_owned(),
            None => PathBuf::from(
                self.recorder
                    .out
                    .replace("{name}", &self.recorder.name)
                    .replace("{date}", date),
            ),
        }
    }
}

/// toml's message already names line and column and shows the line; add a
/// "did you mean" for misspelt keys.
fn explain(e: &toml::de::Error) -> String {
    let msg = e.to_string();
    let Some(rest) = msg.split("unknown field `").nth(1) else {
        return msg;
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return msg;
    };
    let best = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|cand| (strsim::jaro_winkler(field, cand), cand))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, cand)) => format!("{}\ndid you mean `{cand}`?", msg.trim_end()),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_valid() {
        let c = Config::parse("").expect("valid");
        assert_eq!(c.recorder.flush_interval, Duration::from_secs(1));
        assert_eq!(c.recorder.segment, Duration::from_secs(300));
        assert_eq!(c.recorder.listen.to_string(), "127.0.0.1:9464");
    }

    #[test]
    fn out_expands_name_and_date() {
        let c = Config::parse("[recorder]\nname = \"conflict\"\nout = \"runs/{date}/{name}\"")
            .expect("valid");
        assert_eq!(
            c.out_dir(None, "2026-11-27"),
            PathBuf::from("runs/2026-11-27/conflict")
        );
        assert_eq!(
            c.out_dir(Some(Path::new("/tmp/x")), "d"),
            PathBuf::from("/tmp/x")
        );
    }
}
