use std::io;
use std::path::PathBuf;

/// Everything that can go wrong with a recording directory. Every variant
/// names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file system refused an operation (permissions, a full disk, a
    /// vanished file).
    #[error("failed to {op} {}: {source}", path.display())]
    Io {
        /// The operation, as a verb phrase: `create`, `sync`, `rename into place`.
        op: &'static str,
        /// The file or directory operated on.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A Parquet file could not be written or read: truncated, not
    /// Parquet, or an I/O error underneath.
    #[error("failed to {op} {}: {source}", path.display())]
    Parquet {
        /// The operation, as a verb phrase: `create`, `sync`, `rename into place`.
        op: &'static str,
        /// The Parquet file.
        path: PathBuf,
        /// What the Parquet library said.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Arrow failed on a Parquet file's rows: decoding its record batches,
    /// or filtering them to a time range.
    #[error("failed to {op} {}: {source}", path.display())]
    Arrow {
        /// The operation, as a verb phrase: `create`, `sync`, `rename into place`.
        op: &'static str,
        /// The Parquet file.
        path: PathBuf,
        /// What Arrow said.
        #[source]
        source: arrow_schema::ArrowError,
    },
    /// A file is readable but its contents are wrong: bad JSON, a checksum
    /// mismatch, a manifest naming a file that is not there.
    #[error("{}: {message}", path.display())]
    Corrupt {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with it, and where.
        message: String,
    },
    #[error(
        "{}: recording format {found} is newer than this understudy ({tool}) reads (up to {supported}.x); upgrade understudy to read it",
        path.display()
    )]
    /// The manifest's `format_version` has a major version this build does
    /// not know; only a newer understudy reads it.
    FutureVersion {
        /// The manifest.
        path: PathBuf,
        /// Its `format_version`, as written (`2.0`).
        found: String,
        /// The newest major version this build reads ([`FORMAT_MAJOR`](crate::FORMAT_MAJOR)).
        supported: u32,
        /// This build's version, so the message says what to upgrade from.
        tool: &'static str,
    },
    /// The recording directory does not exist.
    #[error("{} does not exist", path.display())]
    Missing {
        /// The directory asked for.
        path: PathBuf,
    },
    /// The path exists but holds no recording: a directory without
    /// `manifest.json`, or a file.
    #[error("{} is not an understudy recording: {why}", path.display())]
    NotARecording {
        /// The path asked for.
        path: PathBuf,
        /// Which of the two, and what a recording looks like.
        why: &'static str,
    },
    #[error(
        "{} is in use by another understudy process (recording or repairing); stop it first",
        path.display()
    )]
    /// Another process holds the recording's lock for a second or more
    /// (a recorder or a repair is running).
    Locked {
        /// The recording directory.
        path: PathBuf,
    },
    /// A recorder was killed before it closed the recording: part of the
    /// data is only in the journal, which readers do not see.
    #[error(
        "{} was not closed (its recorder was killed or crashed): {bytes} bytes of it are only in its journal, which readers do not see; run `understudy inspect --repair {}` to recover them into the recording",
        path.display(),
        path.display()
    )]
    Unsealed {
        /// The recording directory.
        path: PathBuf,
        /// Size of the journal, in bytes.
        bytes: u64,
    },
    /// Appending data the recording holds already (its series, or earlier
    /// output of the same source) would mix two copies of it.
    #[error("{} already holds {}", path.display(), already(by, series, segments))]
    AlreadyRecorded {
        /// The recording directory.
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
    NotReplaceable {
        /// The recording directory.
        path: PathBuf,
        /// What would break, naming the data that is not the source's.
        reason: String,
    },
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

/// The result of every fallible operation on a recording.
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
