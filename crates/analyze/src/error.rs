//! Why an analysis cannot be made; every message names the recording or
//! the plugin file.

use std::path::{Path, PathBuf};

/// Why a recording cannot be analysed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The store's error, its source, names the file (a corrupt segment, a
    /// missing manifest).
    #[error("failed to read the recording {}", dir.display())]
    Store {
        /// The recording directory.
        dir: PathBuf,
        /// What the store could not read.
        #[source]
        source: understudy_store::StoreError,
    },
    /// The recording (this directory) holds no sample at all.
    #[error("the recording {} holds no samples: nothing to analyse", .0.display())]
    Empty(PathBuf),
    /// A series' labels, as read back, are not a valid series (a damaged
    /// recording: the store checks them when writing).
    #[error("the recording {} holds a series with invalid labels", dir.display())]
    Labels {
        /// The recording directory.
        dir: PathBuf,
        /// What is wrong with them.
        #[source]
        source: understudy_core::LabelError,
    },
    /// Experiment time 0 asked for at or after the recording's end: an
    /// empty window would report 0 for every count.
    #[error(
        "an experiment start {} into {name} is not inside the recording, which is {} long; align at an offset before its end",
        crate::report::secs(*offset_ms as f64 / 1e3),
        crate::report::secs(*length_ms as f64 / 1e3)
    )]
    AlignedPastEnd {
        /// The run, as the report names it.
        name: String,
        /// The asked-for start, ms from the recording's start.
        offset_ms: i64,
        /// The recording's length, ms.
        length_ms: i64,
    },
    /// The bundled KPI plugins were asked for but some of their `.wasm`
    /// files are not built.
    #[error(
        "the bundled KPI plugins are not all in {}: {missing} missing; build them with plugins/build.sh",
        dir.display()
    )]
    BundledMissing {
        /// Where they were looked for.
        dir: PathBuf,
        /// The missing files, comma-separated.
        missing: String,
    },
    /// wasmtime could not be set up (see [`understudy_plugin::PluginHost::new`]).
    #[error("failed to start the plugin host")]
    PluginHost(#[source] understudy_plugin::PluginError),
    /// A plugin file cannot be loaded; the host's error names the file.
    #[error(transparent)]
    PluginLoad(understudy_plugin::PluginError),
    /// The plugin refused its config, or could not be instantiated.
    #[error("the plugin {} refused to open", file.display())]
    PluginOpen {
        /// The plugin's file.
        file: PathBuf,
        /// The plugin's or the host's error.
        #[source]
        source: understudy_plugin::PluginError,
    },
    /// The plugin faulted while being pushed a run's window.
    #[error("the plugin {} failed over {run}", file.display())]
    PluginRun {
        /// The plugin's file.
        file: PathBuf,
        /// The run, as the report names it.
        run: String,
        /// Which window or input failed, and why.
        #[source]
        source: Box<understudy_plugin::RunError>,
    },
    /// The thread running plugins over a run panicked: a bug in the host
    /// side (a plugin's own panic is a [`understudy_plugin::PluginError::Trap`]).
    #[error("a plugin run over {run} panicked")]
    PluginPanicked {
        /// The run, as the report names it.
        run: String,
    },
    /// Two runs share no metric and no object kind: recordings of
    /// different systems (see [`crate::check_comparable`]).
    #[error(
        "{a} and {b} have no series and no object kind in common: they record different systems, nothing can be compared\n  only in {a}: {only_a}\n  only in {b}: {only_b}"
    )]
    NothingInCommon {
        /// The first run's name.
        a: String,
        /// The second run's name.
        b: String,
        /// What the first run records: metric names and `Kind objects`,
        /// the first 12 and a count.
        only_a: String,
        /// What the second run records, likewise.
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
