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
    #[error("{} is not an understudy recording: it has no manifest.json", path.display())]
    NotARecording { path: PathBuf },
    #[error(
        "{} is in use by another understudy process (recording or repairing); stop it first",
        path.display()
    )]
    Locked { path: PathBuf },
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
