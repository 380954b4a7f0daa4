use std::path::{Path, PathBuf};

/// Why a recording cannot be analysed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The store's error, its source, names the file (a corrupt segment, a
    /// missing manifest).
    #[error("failed to read the recording {}", dir.display())]
    Store {
        dir: PathBuf,
        #[source]
        source: understudy_store::StoreError,
    },
    #[error("the recording {} holds no samples: nothing to analyse", .0.display())]
    Empty(PathBuf),
    #[error(
        "{a} and {b} have no series and no object kind in common: they record different systems, nothing can be compared\n  only in {a}: {only_a}\n  only in {b}: {only_b}"
    )]
    NothingInCommon {
        a: String,
        b: String,
        only_a: String,
        only_b: String,
    },
}

impl AnalyzeError {
    pub(crate) fn store(dir: &Path, source: understudy_store::StoreError) -> AnalyzeError {
        AnalyzeError::Store {
            dir: dir.to_owned(),
            source,
        }
    }
}
