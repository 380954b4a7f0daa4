//! KPI plugins over a run: each plugin pushed the run's window (offline
//! limits), each of its outputs one KPI, with the plugin's own definition.

use std::path::{Path, PathBuf};

use understudy_core::TimeRange;
use understudy_plugin::{HostConfig, MetricKind, Mode, PluginHost, push_recording};
use understudy_promql::Queryable;

use crate::kpi::{Better, ComputedBy, Kpi, Measure, Unit};
use crate::{AnalyzeError, Run};

/// The plugins shipped with understudy, run on every analysis when found.
pub const BUNDLED: &[&str] = &["flapping", "drain-time", "productivity", "throttle-ratio"];

/// What a plugin is pushed at a time. Plugins keep their state across
/// pushes, so the outputs do not depend on it; a push costs a query per
/// input over every series, so fewer, longer pushes are faster (an hour of
/// 10,000 series: 10-minute windows take a fraction of 1-minute ones).
const WINDOW_MS: i64 = 10 * 60_000;

/// The bundled plugins' files: in `dir` when given (all must be there),
/// else next to the binary (`plugins/`, `../share/understudy/plugins/`),
/// then in `plugins/dist`. `None` when no place has them all.
pub fn find_bundled(dir: Option<&Path>) -> Result<Option<Vec<PathBuf>>, AnalyzeError> {
    let files = |d: &Path| -> Vec<PathBuf> {
        BUNDLED
            .iter()
            .map(|b| d.join(format!("{b}.wasm")))
            .collect()
    };
    if let Some(d) = dir {
        let missing: Vec<String> = files(d)
            .iter()
            .filter(|f| !f.is_file())
            .map(|f| f.display().to_string())
            .collect();
        if !missing.is_empty() {
            return Err(AnalyzeError::BundledMissing {
                dir: d.to_owned(),
                missing: missing.join(", "),
            });
        }
        return Ok(Some(files(d)));
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf));
    let found = exe_dir
        .iter()
        .flat_map(|d| [d.join("plugins"), d.join("../share/understudy/plugins")])
        .chain([PathBuf::from("plugins/dist")])
        .map(|d| files(&d))
        .find(|fs| fs.iter().all(|f| f.is_file()));
    Ok(found)
}

/// Every plugin in `files` over every run's window, one thread per run
/// (the runs are independent, and the plugins are most of the time an
/// analysis takes). `step` is called before each plugin run with what it
/// is about to do.
pub fn run_plugins(
    runs: &[Run],
    windows: &[TimeRange],
    files: &[PathBuf],
    step: &(dyn Fn(String) + Sync),
) -> Result<Vec<Vec<Kpi>>, AnalyzeError> {
    if files.is_empty() {
        return Ok(vec![Vec::new(); runs.len()]);
    }
    let host = PluginHost::new(HostConfig::offline()).map_err(AnalyzeError::PluginHost)?;
    let host = &host;
    std::thread::scope(|scope| {
        let tasks: Vec<_> = runs
            .iter()
            .zip(windows)
            .map(|(run, w)| {
                scope.spawn(move || -> Result<Vec<Kpi>, AnalyzeError> {
                    let mut out = Vec::new();
                    for file in files {
                        step(format!("{} over {}", file.display(), run.name));
                        out.extend(plugin_kpis(host, file, &run.storage, *w, &run.name)?);
                    }
                    Ok(out)
                })
            })
            .collect();
        tasks
            .into_iter()
            .zip(runs)
            .map(|(t, run)| {
                t.join().unwrap_or_else(|_| {
                    Err(AnalyzeError::PluginPanicked {
                        run: run.name.clone(),
                    })
                })
            })
            .collect()
    })
}

/// A plugin's outputs over the window as KPIs, one per output: over all
/// its series (pods differ between runs), the mean of a gauge and the sum
/// of a counter's last values. The subject is the labels every series
/// shares.
pub fn plugin_kpis(
    host: &PluginHost,
    file: &Path,
    storage: &dyn Queryable,
    w: TimeRange,
    run: &str,
) -> Result<Vec<Kpi>, AnalyzeError> {
    let plugin = host.load(file).map_err(AnalyzeError::PluginLoad)?;
    let mut evaluator =
        plugin
            .open(&[], Mode::Offline)
            .map_err(|source| AnalyzeError::PluginOpen {
                file: file.to_owned(),
                source,
            })?;
    let result =
        push_recording(storage, w, &plugin, &mut evaluator, WINDOW_MS).map_err(|source| {
            AnalyzeError::PluginRun {
                file: file.to_owned(),
                run: run.to_owned(),
                source: Box::new(source),
            }
        })?;
    let info = plugin.info();
    let computed_by = ComputedBy::Plugin {
        name: info.name.clone(),
        version: info.version.clone(),
        file: file.display().to_string(),
    };
    let inputs = sampled(info.inputs.iter().map(|i| i.step_ms));
    let mut out = Vec::new();
    for spec in &info.outputs {
        let series: Vec<_> = result
            .outputs
            .iter()
            .filter(|((m, _), _)| *m == spec.name)
            .collect();
        let counter = spec.kind == MetricKind::Counter;
        let values: Vec<f64> = if counter {
            series
                .iter()
                .filter_map(|(_, (_, vs))| vs.iter().rev().copied().find(|v| v.is_finite()))
                .collect()
        } else {
            series
                .iter()
                .flat_map(|(_, (_, vs))| vs.iter().copied().filter(|v| v.is_finite()))
                .collect()
        };
        let measure = if series.is_empty() {
            Measure::NotRecorded {
                missing: format!("the inputs of {}", info.name),
            }
        } else if values.is_empty() {
            Measure::NotReached {
                why: "no finite output".into(),
            }
        } else if counter {
            Measure::Value {
                value: values.iter().sum(),
            }
        } else {
            Measure::Value {
                value: values.iter().sum::<f64>() / values.len() as f64,
            }
        };
        let shared: Vec<String> = series
            .first()
            .map(|((_, first), _)| {
                first
                    .iter()
                    .filter(|(k, v)| {
                        series
                            .iter()
                            .all(|((_, l), _)| l.iter().any(|(k2, v2)| k2 == k && v2 == v))
                    })
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect()
            })
            .unwrap_or_default();
        let (short, summed) = if counter {
            ("sum of last", "the sum of each series' last value")
        } else {
            ("mean", "the mean of every series' points over the window")
        };
        out.push(Kpi {
            id: format!("plugin:{}/{}", info.name, spec.name),
            name: format!("{} ({} plugin, {short})", spec.name, info.name),
            definition: format!("{}; {inputs}; {summed}", spec.help.trim_end_matches('.')),
            computed_by: computed_by.clone(),
            subject: shared.join(","),
            unit: Unit::Plain,
            better: Better::None,
            measure,
        });
    }
    Ok(out)
}

/// "inputs sampled every 15 s", from the inputs' steps.
fn sampled(steps: impl Iterator<Item = u32>) -> String {
    let mut steps: Vec<u32> = steps.collect();
    steps.sort_unstable();
    steps.dedup();
    let each: Vec<String> = steps
        .iter()
        .map(|&ms| crate::report::secs(f64::from(ms) / 1e3))
        .collect();
    match each.as_slice() {
        [] => "no inputs".to_owned(),
        [one] => format!("inputs sampled every {one}"),
        many => format!("inputs sampled every {}", many.join(" or ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sampling_reads_in_seconds() {
        assert_eq!(
            sampled([15_000, 15_000].into_iter()),
            "inputs sampled every 15 s"
        );
        assert_eq!(
            sampled([60_000, 15_000].into_iter()),
            "inputs sampled every 15 s or 60 s"
        );
    }

    #[test]
    fn an_incomplete_plugin_dir_names_what_is_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("flapping.wasm"), b"").expect("write");
        let e = find_bundled(Some(dir.path())).expect_err("incomplete");
        let msg = e.to_string();
        assert!(
            msg.contains("drain-time.wasm") && !msg.contains("flapping.wasm"),
            "{msg}"
        );
    }
}
