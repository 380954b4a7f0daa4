//! `manifest.json`: what a recording is and which sealed files belong to it.
//!
//! Compatibility contract (docs/recording-format.md): readers ignore unknown
//! fields and keep them when they rewrite the manifest; a newer *minor*
//! version only adds fields; a newer *major* version is refused with a clear
//! message.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use understudy_core::Gap;

use crate::error::{IoContext, Result, StoreError, corrupt};
use crate::fsutil::write_atomic;

/// The manifest's file name, in the recording directory; its presence is
/// what makes a directory a recording.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The format version this build writes.
pub const FORMAT_MAJOR: u32 = 1;
/// The minor version this build writes; any minor of [`FORMAT_MAJOR`] is
/// read (newer minors only add fields).
pub const FORMAT_MINOR: u32 = 0;
/// The writer's name in [`Tool::name`].
pub(crate) const TOOL_NAME: &str = "understudy";
/// This build's version (the crate version), in [`Tool::version`] and
/// [`Session::tool_version`].
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `manifest.json`, field for field (docs/recording-format.md describes each
/// for readers in other languages). Times are ms since the epoch, UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `MAJOR.MINOR` of the recording format.
    pub format_version: String,
    /// The program that created the recording.
    pub tool: Tool,
    /// Random UUID, fixed when the recording is created.
    pub id: String,
    /// The name given at creation (`understudy record`'s `name`); not
    /// necessarily unique, unlike `id`.
    pub name: String,
    /// Free-form labels, e.g. `scenario=conflict`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// When the first recording session started (ms since the epoch, UTC).
    pub start_ms: i64,
    /// When the last session ended; `None` while recording or after a crash
    /// that has not been repaired.
    pub end_ms: Option<i64>,
    /// The effective configuration of every source, secrets redacted.
    #[serde(default)]
    pub sources: Vec<SourceInfo>,
    /// Each run of the recorder into this directory.
    #[serde(default)]
    pub sessions: Vec<Session>,
    /// Sealed segments in the order they were sealed. A segment that held
    /// only gaps is listed with no files.
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// Times a source was not observing, so readers show "no data"
    /// rather than a flat line; sealed with the segments that hold them.
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// Fields written by a newer minor version, kept on rewrite.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The program that wrote a recording: `{"name": "understudy", "version": "0.1.0"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// `understudy` for recordings this crate creates.
    pub name: String,
    /// Its version, [`TOOL_VERSION`] when created.
    pub version: String,
}

impl Tool {
    /// This build.
    pub fn current() -> Tool {
        Tool {
            name: TOOL_NAME.into(),
            version: TOOL_VERSION.into(),
        }
    }
}

/// One source's entry in [`Manifest::sources`]: who wrote data, configured how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The source's name (`recorder`, a `[[source.*]]`'s `name`, or
    /// `plugin:NAME` for appended plugin output).
    pub name: String,
    /// Its effective configuration as JSON, secrets already redacted.
    pub config: serde_json::Value,
    /// Fields written by a newer minor version, kept on rewrite.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One run of the recorder into the directory (a restart adds one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// When the recorder started, ms since the epoch.
    pub start_ms: i64,
    /// Last moment known to be recorded: the close, or after a crash the last
    /// journal flush.
    pub end_ms: Option<i64>,
    /// False when the recorder was killed and the journal had to be recovered.
    pub clean: bool,
    /// The recorder's version ([`TOOL_VERSION`]); may differ between
    /// sessions of one recording.
    pub tool_version: String,
    /// Fields written by a newer minor version, kept on rewrite.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A sealed segment: the Parquet files of one stretch of the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Sequence number, from 1 in sealing order; names the files
    /// (`samples/000001.parquet`). Where two segments hold the same
    /// series at the same time, the higher wins.
    pub seq: u64,
    /// Earliest sample or object time in the segment (ms); `None` for a
    /// segment of gaps only.
    pub min_time_ms: Option<i64>,
    /// Latest sample or object time in the segment (ms); `None` as above.
    pub max_time_ms: Option<i64>,
    /// One file per table that has rows; empty for a segment of gaps only.
    pub files: Vec<SegmentFile>,
    /// The source whose derived data the segment holds (`plugin:flapping`),
    /// for segments added to a finished recording by
    /// [`append_segment`](crate::append_segment); absent on segments a
    /// recorder sealed. Lets a later run replace that source's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Fields written by a newer minor version, kept on rewrite.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One Parquet file of a segment, with what readers check it against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentFile {
    /// `samples`, `series` or `objects`.
    pub table: String,
    /// Relative to the recording directory, `/`-separated.
    pub path: String,
    /// Row count; a file with another count is corrupt.
    pub rows: u64,
    /// File size in bytes; [`Recording::open`](crate::Recording::open)
    /// refuses a file of another size.
    pub bytes: u64,
    /// Hex SHA-256 of the whole file, checked by
    /// [`Recording::verify`](crate::Recording::verify).
    pub sha256: String,
    /// Fields written by a newer minor version, kept on rewrite.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl SourceInfo {
    /// An entry for source `name` with its (already redacted) `config`.
    pub fn new(name: impl Into<String>, config: serde_json::Value) -> SourceInfo {
        SourceInfo {
            name: name.into(),
            config,
            extra: Default::default(),
        }
    }
}

impl Manifest {
    /// The manifest of a new recording created at `now_ms`: a fresh `id`,
    /// no sessions, segments or gaps yet.
    pub fn new(name: &str, labels: BTreeMap<String, String>, now_ms: i64) -> Manifest {
        Manifest {
            format_version: format!("{FORMAT_MAJOR}.{FORMAT_MINOR}"),
            tool: Tool::current(),
            id: uuid::Uuid::new_v4().to_string(),
            name: name.into(),
            labels,
            start_ms: now_ms,
            end_ms: None,
            sources: Vec::new(),
            sessions: Vec::new(),
            segments: Vec::new(),
            gaps: Vec::new(),
            extra: serde_json::Map::new(),
        }
    }

    /// Reads and checks the manifest of the recording in `dir`.
    pub fn load(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                let path = dir.to_owned();
                return Err(if dir.is_dir() {
                    StoreError::NotARecording {
                        path,
                        why: "it has no manifest.json",
                    }
                } else if dir.exists() {
                    StoreError::NotARecording {
                        path,
                        why: "it is a file; a recording is a directory holding manifest.json",
                    }
                } else {
                    StoreError::Missing { path }
                });
            }
            Err(e) => return Err(e).io("read", &path),
        };
        Self::parse(&bytes, &path)
    }

    fn parse(bytes: &[u8], path: &Path) -> Result<Manifest> {
        // The version is checked before the shape, so a future manifest gets
        // "upgrade understudy" rather than a confusing field error.
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| corrupt(path, format!("not valid JSON: {e}")))?;
        let version = value
            .get("format_version")
            .and_then(|v| v.as_str())
            .ok_or_else(|| corrupt(path, "missing string field `format_version`"))?;
        let major = parse_major(version).ok_or_else(|| {
            corrupt(
                path,
                format!("format_version {version:?} is not MAJOR.MINOR"),
            )
        })?;
        if major > FORMAT_MAJOR {
            return Err(StoreError::FutureVersion {
                path: path.to_owned(),
                found: version.to_owned(),
                supported: FORMAT_MAJOR,
                tool: TOOL_VERSION,
            });
        }
        if major < FORMAT_MAJOR {
            return Err(corrupt(
                path,
                format!("format_version {version} predates format 1"),
            ));
        }
        serde_json::from_value(value).map_err(|e| corrupt(path, format!("invalid manifest: {e}")))
    }

    /// Writes the manifest atomically into `dir`.
    pub fn store(&self, dir: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| {
            corrupt(
                dir.join(MANIFEST_FILE),
                format!("cannot serialize manifest: {e}"),
            )
        })?;
        bytes.push(b'\n');
        write_atomic(&dir.join(MANIFEST_FILE), &bytes)
    }

    /// Earliest and latest data time over all sealed segments.
    pub fn data_span(&self) -> Option<(i64, i64)> {
        let min = self.segments.iter().filter_map(|s| s.min_time_ms).min()?;
        let max = self.segments.iter().filter_map(|s| s.max_time_ms).max()?;
        Some((min, max))
    }

    /// The sequence number the next sealed segment takes: one past the
    /// highest listed, 1 for a new recording.
    pub fn next_seq(&self) -> u64 {
        self.segments.iter().map(|s| s.seq + 1).max().unwrap_or(1)
    }

    /// Whether segment `seq` is listed: a journal of a listed number was
    /// sealed already, and recovery deletes it rather than seal it twice.
    pub fn has_segment(&self, seq: u64) -> bool {
        self.segments.iter().any(|s| s.seq == seq)
    }
}

fn parse_major(version: &str) -> Option<u32> {
    let (major, minor) = version.split_once('.')?;
    minor.parse::<u32>().ok()?;
    major.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Manifest> {
        Manifest::parse(json.as_bytes(), Path::new("r/manifest.json"))
    }

    /// Issue 17: a misspelt recording said "has no manifest.json".
    #[test]
    fn a_missing_directory_is_not_one_without_a_manifest() {
        let root = tempfile::tempdir().expect("tempdir");
        let said = |dir: &Path| Manifest::load(dir).expect_err("no recording").to_string();
        let missing = root.path().join("conflcit");
        assert_eq!(
            said(&missing),
            format!("{} does not exist", missing.display())
        );
        let file = root.path().join("notes.txt");
        fs::write(&file, "mine").expect("write");
        assert_eq!(
            said(&file.join("x")),
            format!("{}/x does not exist", file.display())
        );
        assert!(said(&file).ends_with("is not an understudy recording: it is a file; a recording is a directory holding manifest.json"));
        assert!(
            said(root.path()).ends_with("is not an understudy recording: it has no manifest.json")
        );
    }

    #[test]
    fn round_trips_and_keeps_unknown_fields() {
        let mut m = Manifest::new(
            "demo",
            BTreeMap::from([("scenario".into(), "conflict".into())]),
            5,
        );
        m.extra
            .insert("added_in_1_1".into(), serde_json::json!({"x": 1}));
        let json = serde_json::to_string(&m).expect("serializes");
        let back = parse(&json).expect("parses");
        assert_eq!(back, m);
    }

    #[test]
    fn newer_major_is_refused_with_upgrade_hint() {
        let err = parse(r#"{"format_version":"2.0","whatever":true}"#).expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains("r/manifest.json"), "{msg}");
        assert!(
            msg.contains("format 2.0 is newer") || msg.contains("2.0 is newer"),
            "{msg}"
        );
        assert!(msg.contains("upgrade understudy"), "{msg}");
    }

    #[test]
    fn newer_minor_is_read() {
        let mut m = Manifest::new("demo", BTreeMap::new(), 5);
        m.format_version = "1.7".into();
        let mut v = serde_json::to_value(&m).expect("serializes");
        v["future_field"] = serde_json::json!([1, 2]);
        let back = parse(&v.to_string()).expect("a newer minor version is readable");
        assert_eq!(back.extra["future_field"], serde_json::json!([1, 2]));
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let msg = parse("{not json").expect_err("refused").to_string();
        assert!(msg.starts_with("r/manifest.json: not valid JSON"), "{msg}");
        let msg = parse(r#"{"format_version":"one"}"#)
            .expect_err("refused")
            .to_string();
        assert!(msg.contains("not MAJOR.MINOR"), "{msg}");
    }
}
