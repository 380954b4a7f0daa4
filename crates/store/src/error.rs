use std::io;
use std::path::PathBuf;

/// Everything that can go wrong with a recording directory. Every variant
/// names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("failed to {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("failed to {op} {}: {source}", path.display())]
    Parquet {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("failed to {op} {}: {source}", path.display())]
    Arrow {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: arrow_schema::ArrowError,
    },
    #[error("{}: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "{}: recording format {found} is newer than this understudy ({tool}) reads (up to {supported}.x); upgrade understudy to read it",
        path.display()
    )]
    FutureVersion {
        path: PathBuf,
        found: String,
        supported: u32,
        tool: &'static str,
    },
    #[error("{} does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("{} is not an understudy recording: {why}", path.display())]
    NotARecording { path: PathBuf, why: &'static str },
    #[error(
        "{} is in use by another understudy process (recording or repairing); stop it first",
        path.display()
    )]
    Locked { path: PathBuf },
    /// A recorder was killed before it closed the recording: part of the
    /// data is only in the journal, which readers do not see.
    #[error(
        "{} was not closed (its recorder was killed or crashed): {bytes} bytes of it are only in its journal, which readers do not see; run `understudy inspect --repair {}` to recover them into the recording",
        path.display(),
        path.display()
    )]
    Unsealed { path: PathBuf, bytes: u64 },
    /// Appending data the recording holds already (its series, or earlier
    /// output of the same source) would mix two copies of it.
    #[error("{} already holds {}", path.display(), already(by, series, segments))]
    AlreadyRecorded {
        path: PathBuf,
        /// The source appending, e.g. `plugin:flapping`.
        by: String,
        /// Every series of the new data already there, as `metric{labels}`, sorted.
        series: Vec<String>,
        /// Segments holding earlier output of `source`.
        segments: Vec<u64>,
    },
    /// Replacing a source's earlier output would break data that is not
    /// that source's.
    #[error("{}: cannot replace the earlier output: {reason}", path.display())]
    NotReplaceable { path: PathBuf, reason: String },
}

fn already(source: &str, series: &[String], segments: &[u64]) -> String {
    if series.is_empty() {
        let seqs: Vec<String> = segments.iter().map(u64::to_string).collect();
        format!(
            "output of {source} (segment {}): adding more would mix two runs of it",
            seqs.join(", ")
        )
    } else {
        format!(
            "{}: adding them again would count them twice",
            series_list(series)
        )
    }
}

/// `the series a`, `… a and b`, `… a, b, c and 4 more`.
pub(crate) fn series_list(series: &[String]) -> String {
    const SHOWN: usize = 3;
    match series {
        [] => "no series".into(),
        [one] => format!("the series {one}"),
        [a, b] => format!("the series {a} and {b}"),
        [a, b, c] => format!("the series {a}, {b} and {c}"),
        more => format!(
            "the series {} and {} more",
            more[..SHOWN].join(", "),
            more.len() - SHOWN
        ),
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Attaches the operation and path to I/O errors: `.io("create", &path)?`.
pub(crate) trait IoContext<T> {
    fn io(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn io(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| StoreError::Io {
            op,
            path: path.into(),
            source,
        })
    }
}

pub(crate) fn corrupt(path: impl Into<PathBuf>, message: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: path.into(),
        message: message.into(),
    }
}
