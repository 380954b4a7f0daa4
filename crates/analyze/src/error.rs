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
    /// Experiment time 0 asked for at or after the recording's end: an
    /// empty window would report 0 for every count.
    #[error(
        "an experiment start {} into {name} is not inside the recording, which is {} long; align at an offset before its end",
        crate::report::secs(*offset_ms as f64 / 1e3),
        crate::report::secs(*length_ms as f64 / 1e3)
    )]
    AlignedPastEnd {
        name: String,
        offset_ms: i64,
        length_ms: i64,
    },
    #[error(
        "the bundled KPI plugins are not all in {}: {missing} missing; build them with plugins/build.sh",
        dir.display()
    )]
    BundledMissing { dir: PathBuf, missing: String },
    #[error("failed to start the plugin host")]
    PluginHost(#[source] understudy_plugin::PluginError),
    /// The host's error names the file.
    #[error(transparent)]
    PluginLoad(understudy_plugin::PluginError),
    #[error("the plugin {} refused to open", file.display())]
    PluginOpen {
        file: PathBuf,
        #[source]
        source: understudy_plugin::PluginError,
    },
    #[error("the plugin {} failed over {run}", file.display())]
    PluginRun {
        file: PathBuf,
        run: String,
        #[source]
        source: Box<understudy_plugin::RunError>,
    },
    #[error("a plugin run over {run} panicked")]
    PluginPanicked { run: String },
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
