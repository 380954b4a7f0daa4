//! Shared by the integration tests: the built plugins and hand-made batches.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use understudy_plugin::{
    Batch, Evaluator, HostConfig, Input, Mode, OutputSeries, Outputs, Plugin, PluginError,
    PluginHost, SeriesData,
};

/// `push` and `finish` with the outputs as series of their own, which
/// compare and index easily.
pub trait SeriesCalls {
    fn push_series(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, PluginError>;
    fn finish_series(&mut self) -> Result<Vec<OutputSeries>, PluginError>;
}

impl SeriesCalls for Evaluator {
    fn push_series(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, PluginError> {
        self.push(batch).map(Outputs::into_series)
    }

    fn finish_series(&mut self) -> Result<Vec<OutputSeries>, PluginError> {
        self.finish().map(Outputs::into_series)
    }
}

/// A host with `config`, sharing one on-disk cache of compiled plugins with
/// the other tests (compiling is most of a debug build's test time).
pub fn host(config: HostConfig) -> PluginHost {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("understudy-plugin-cache");
    match PluginHost::new(HostConfig {
        cache_dir: Some(cache),
        ..config
    }) {
        Ok(h) => h,
        Err(e) => panic!("host: {e}"),
    }
}

/// `plugins/dist/NAME.wasm`; fails (never skips) when it is not built.
pub fn dist(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/dist")
        .join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: run plugins/build.sh",
        path.display()
    );
    path
}

pub fn load(host: &PluginHost, name: &str) -> Plugin {
    match host.load(&dist(name)) {
        Ok(p) => p,
        Err(e) => panic!("loading {name}: {e}"),
    }
}

pub fn series(labels: &[(&str, &str)], points: &[(i64, f64)]) -> SeriesData {
    SeriesData {
        labels: labels
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        timestamps: points.iter().map(|p| p.0).collect(),
        values: points.iter().map(|p| p.1).collect(),
    }
}

pub fn pod(name: &str, points: &[(i64, f64)]) -> SeriesData {
    series(&[("namespace", "meme-generator"), ("pod", name)], points)
}

/// Productivity's inputs: pod a has two common steps (the second with zero
/// CPU), pod b none.
pub fn productivity_batch() -> Batch {
    Batch {
        window_start: 0,
        window_end: 60_000,
        inputs: vec![
            Input {
                name: "success".into(),
                series: vec![
                    pod("a", &[(15_000, 10.0), (30_000, 12.0)]),
                    pod("b", &[(15_000, 3.0)]),
                ]
                .into(),
            },
            Input {
                name: "cpu".into(),
                series: vec![
                    pod("a", &[(15_000, 0.5), (30_000, 0.0)]),
                    pod("b", &[(30_000, 1.0)]),
                ]
                .into(),
            },
        ],
    }
}

/// Productivity's answer to [`productivity_batch`] (CPU floored at 0.0001).
pub fn productivity_expected() -> Vec<OutputSeries> {
    vec![OutputSeries {
        metric: "memegenerator_pod_productivity".into(),
        labels: Arc::new(vec![
            ("namespace".into(), "meme-generator".into()),
            ("pod".into(), "a".into()),
        ]),
        timestamps: vec![15_000, 30_000],
        values: vec![20.0, 12.0 / 0.0001],
    }]
}

/// A batch with no inputs, for the hostile plugins (which ignore them).
pub fn empty_batch() -> Batch {
    Batch {
        window_start: 1_000_000,
        window_end: 1_060_000,
        inputs: vec![],
    }
}

/// The host still runs a good plugin correctly.
pub fn assert_host_still_works(host: &PluginHost) {
    let plugin = load(host, "productivity");
    let mut eval = match plugin.open(&[], Mode::Live) {
        Ok(e) => e,
        Err(e) => panic!("open productivity: {e}"),
    };
    assert_eq!(
        eval.push_series(&productivity_batch()),
        Ok(productivity_expected())
    );
}
