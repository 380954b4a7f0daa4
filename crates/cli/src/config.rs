//! The recorder's configuration file (`understudy.toml`).
//!
//! The doc comments of these structs are the user documentation of each key;
//! docs/configuration.md repeats them with examples. An empty file is valid.
//!
//! The whole file, sources included, is read by serde in one pass, so every
//! error that serde sees (an unknown key, a wrong type, an unknown source
//! kind) comes with its line and column and, for a misspelling, the closest
//! name. Then [`Config::parse`] checks the values serde cannot (a URL without
//! a scheme, a segment shorter than the flush interval) and reports every
//! problem at once. [`SourceKind`] lists the kinds of source and says how
//! to add one.

mod sources;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub use sources::{Section, SourceConfig, SourceKind, Sources};

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How and where to record.
    #[serde(default)]
    pub recorder: Recorder,
    /// `[[source.KIND]]` sections, one kind of [`SourceKind`] each.
    #[serde(default, rename = "source")]
    pub sources: Sources,
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
    /// Address of `/metrics` and `/healthz`, as `HOST:PORT` (an IP address
    /// or a name such as `localhost`); loopback unless told otherwise.
    #[serde(deserialize_with = "listen_addr")]
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

/// `listen` read by the same parser as the `--listen` flags, so a config
/// accepts what the command line does (`localhost:9464`).
fn listen_addr<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    crate::listen::parse(&text).map_err(serde::de::Error::custom)
}

impl Config {
    /// Reads and checks the file at `path`; errors name the file, then the
    /// line and column of each problem.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read config {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid config {}", path.display()))
    }

    /// Parses and checks a whole file; the error lists every problem, one
    /// per line.
    pub fn parse(text: &str) -> Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!(explain(&e)))?;
        for s in &mut config.sources.0 {
            s.line = 1 + text.get(..s.offset).unwrap_or(text).matches('\n').count();
        }
        let problems = config.problems();
        if !problems.is_empty() {
            bail!("{}", problems.join("\n"));
        }
        Ok(config)
    }

    /// What serde cannot see, in every section.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
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
        for s in &self.sources {
            for p in s.config.problems() {
                problems.push(format!("{} (line {}): {p}", s.label(), s.line));
            }
        }
        for (i, p) in self.plugin.iter().enumerate() {
            if p.interval < Duration::from_secs(1) {
                problems.push(format!("plugin[{i}].interval: at least 1s"));
            }
        }
        problems
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
/// "did you mean" for a misspelt key or variant.
fn explain(e: &toml::de::Error) -> String {
    let msg = e.to_string();
    let Some(rest) = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|start| msg.split(start).nth(1))
    else {
        return msg;
    };
    let Some((word, expected)) = rest.split_once('`') else {
        return msg;
    };
    match crate::suggest::closest(word, expected.split('`').skip(1).step_by(2)) {
        Some(best) => format!("{}\ndid you mean `{best}`?", msg.trim_end()),
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
        let named = Config::parse("[recorder]\nlisten = \"localhost:9465\"\n").expect("parses");
        assert_eq!(named.recorder.listen.to_string(), "127.0.0.1:9465");
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
