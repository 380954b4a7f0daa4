//! Checks of what a plugin returns, before anything reaches a store.

use std::collections::HashSet;
use std::sync::Arc;

use crate::bindings::understudy::kpi::types as wit;
use crate::tables::{Labels, OutputIds};
use crate::{OutputColumns, OutputSpec, Outputs, PluginError};

pub(crate) use understudy_core::{
    valid_label_name as is_label_name, valid_metric_name as is_metric_name,
};

/// Checks what `describe()` declared about outputs: legal, distinct names.
pub(crate) fn declared_outputs(outputs: &[OutputSpec]) -> Result<(), String> {
    let mut seen = HashSet::with_capacity(outputs.len());
    for o in outputs {
        if !is_metric_name(&o.name) {
            return Err(format!(
                "output {} is not a legal metric name",
                shown(&o.name)
            ));
        }
        if !seen.insert(o.name.as_str()) {
            return Err(format!("output {} is declared twice", shown(&o.name)));
        }
    }
    Ok(())
}

/// Problems reported in one [`PluginError::InvalidOutput`] at most.
const MAX_REPORTED: usize = 3;

/// Where a result's points may lie and how many there may be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub(crate) window_start: i64,
    pub(crate) window_end: i64,
    pub(crate) max_samples: usize,
}

/// Checks one push or finish result and turns it into series: the size cap
/// first, then the label sets it defines (into `ids`), then every series —
/// declared metric, defined label set, columns that add up, timestamps
/// inside the window and strictly increasing, no series twice. Every
/// problem series is found (its first problem), the first few are named.
pub(crate) fn outputs(
    result: wit::Outputs,
    ids: &mut OutputIds,
    metrics: &[Arc<str>],
    bounds: Bounds,
) -> Result<Outputs, PluginError> {
    let found = result.series.iter().fold(0usize, |n, o| {
        n.saturating_add(o.timestamps.len().max(o.values.len()))
    });
    if found > bounds.max_samples {
        return Err(PluginError::OutputTooLarge {
            found,
            limit: bounds.max_samples,
        });
    }
    let new_sets = result
        .new_label_sets
        .into_iter()
        .map(|set| set.into_iter().map(|l| (l.name, l.value)).collect())
        .collect();
    ids.define(new_sets).map_err(PluginError::InvalidOutput)?;

    let mut problems = Vec::new();
    let mut count = 0usize;
    let mut problem = |p: String| {
        count += 1;
        if problems.len() < MAX_REPORTED {
            problems.push(p);
        }
    };
    // (metric, label-set id) pairs: one lookup per series, every tick.
    let mut seen: HashSet<(u32, u32), foldhash::fast::RandomState> =
        HashSet::with_capacity_and_hasher(
            result.series.iter().map(|o| o.label_sets.len()).sum(),
            foldhash::fast::RandomState::default(),
        );
    let mut out = Vec::with_capacity(result.series.len());
    for (k, o) in result.series.into_iter().enumerate() {
        let Some(metric) = metrics.get(o.metric as usize) else {
            problem(format!(
                "output {k}: metric {} is not one of the {} outputs describe() declares",
                o.metric,
                metrics.len()
            ));
            continue;
        };
        let points: u64 = o.lengths.iter().map(|&l| u64::from(l)).sum();
        if o.lengths.len() != o.label_sets.len()
            || points != o.timestamps.len() as u64
            || points != o.values.len() as u64
        {
            problem(format!(
                "output {k} ({metric}): {} label sets, {} lengths adding up to {points}, {} timestamps, {} values",
                o.label_sets.len(),
                o.lengths.len(),
                o.timestamps.len(),
                o.values.len()
            ));
            continue;
        }
        let mut labels = Vec::with_capacity(o.label_sets.len());
        let mut at = 0usize;
        for (&id, &length) in o.label_sets.iter().zip(&o.lengths) {
            let range = at..at + length as usize;
            at = range.end;
            match check_series(id, &o.timestamps[range], ids, bounds) {
                Err(p) => problem(format!("{metric} series with label set {id}: {p}")),
                Ok(_) if !seen.insert((o.metric, id)) => {
                    problem(format!(
                        "{metric} series with label set {id} is returned twice"
                    ));
                }
                Ok(l) => labels.push(Arc::clone(l)),
            }
        }
        out.push(OutputColumns {
            metric: Arc::clone(metric),
            labels,
            lengths: o.lengths,
            timestamps: o.timestamps,
            values: o.values,
        });
    }
    match count {
        0 => {}
        1 => return Err(PluginError::InvalidOutput(problems.concat())),
        n => {
            let more = if n > problems.len() {
                format!("; and {} more", n - problems.len())
            } else {
                String::new()
            };
            return Err(PluginError::InvalidOutput(format!(
                "{n} series are wrong: {}{more}",
                problems.join("; ")
            )));
        }
    }
    ids.retire(&result.retired_label_sets)
        .map_err(PluginError::InvalidOutput)?;
    Ok(Outputs { metrics: out })
}

fn check_series<'a>(
    id: u32,
    timestamps: &[i64],
    ids: &'a OutputIds,
    bounds: Bounds,
) -> Result<&'a Arc<Labels>, String> {
    let labels = ids
        .get(id)
        .ok_or_else(|| "the label set is not defined (or was retired)".to_owned())?;
    if let Some(&t) = timestamps
        .iter()
        .find(|&&t| t < bounds.window_start || t > bounds.window_end)
    {
        return Err(format!(
            "timestamp {t} is outside the window [{}, {}]",
            bounds.window_start, bounds.window_end
        ));
    }
    if let Some(w) = timestamps.windows(2).find(|w| w[1] <= w[0]) {
        return Err(format!(
            "timestamps are not strictly increasing ({} after {})",
            w[1], w[0]
        ));
    }
    Ok(labels)
}

/// A plugin-provided name as shown in an error: quoted, escaped, cut.
pub(crate) fn shown(name: &str) -> String {
    const MAX: usize = 80;
    let mut cut = name.len().min(MAX);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut s = format!("{:?}", &name[..cut]);
    if cut < name.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, &str)]) -> Vec<wit::LabelResult> {
        pairs
            .iter()
            .map(|(n, v)| wit::LabelResult {
                name: (*n).into(),
                value: (*v).into(),
            })
            .collect()
    }

    /// One output record of metric `metric`: `(label-set id, timestamps)` per series.
    fn output(metric: u32, series: &[(u32, &[i64])]) -> wit::Output {
        let timestamps: Vec<i64> = series.iter().flat_map(|s| s.1.iter().copied()).collect();
        wit::Output {
            metric,
            label_sets: series.iter().map(|s| s.0).collect(),
            lengths: series.iter().map(|s| s.1.len() as u32).collect(),
            values: timestamps.iter().map(|_| f64::NAN).collect(),
            timestamps,
        }
    }

    fn result(new: &[&[(&str, &str)]], series: Vec<wit::Output>) -> wit::Outputs {
        wit::Outputs {
            new_label_sets: new.iter().map(|s| set(s)).collect(),
            retired_label_sets: vec![],
            series,
        }
    }

    fn declared() -> Vec<OutputSpec> {
        ["m", "n"]
            .iter()
            .map(|n| OutputSpec {
                name: (*n).into(),
                help: String::new(),
                kind: crate::MetricKind::Gauge,
            })
            .collect()
    }

    const BOUNDS: Bounds = Bounds {
        window_start: 0,
        window_end: 100,
        max_samples: 10,
    };

    fn metrics() -> Vec<Arc<str>> {
        declared().into_iter().map(|o| o.name.into()).collect()
    }

    fn check(r: wit::Outputs) -> Result<Vec<crate::OutputSeries>, PluginError> {
        outputs(r, &mut OutputIds::default(), &metrics(), BOUNDS).map(Outputs::into_series)
    }

    fn message<T: std::fmt::Debug>(r: Result<T, PluginError>) -> String {
        match r {
            Err(PluginError::InvalidOutput(m)) => m,
            other => format!("unexpected {other:?}"),
        }
    }

    #[test]
    fn names() {
        for ok in ["a", "_a", "a:b", ":x", "up_total1"] {
            assert!(is_metric_name(ok), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a b", "é"] {
            assert!(!is_metric_name(bad), "{bad}");
        }
        for ok in ["a", "_a", "a1_b"] {
            assert!(is_label_name(ok), "{ok}");
        }
        for bad in ["", "__name__", "__x", "a:b", "1a", "a-b"] {
            assert!(!is_label_name(bad), "{bad}");
        }
        assert!(declared_outputs(&declared()).is_ok());
        let mut twice = declared();
        twice[1].name = "m".into();
        assert!(declared_outputs(&twice).is_err_and(|m| m.contains("twice")));
        twice[1].name = "1m".into();
        assert!(declared_outputs(&twice).is_err_and(|m| m.contains("legal metric name")));
    }

    #[test]
    fn good_outputs_become_series_with_any_values() {
        let r = result(
            &[&[("pod", "a")], &[("pod", "b")]],
            vec![
                output(0, &[(0, &[0, 50, 100]), (1, &[10])]),
                output(1, &[(0, &[7])]),
            ],
        );
        let got = check(r).expect("valid");
        let shape: Vec<(&str, &str, usize)> = got
            .iter()
            .map(|s| (&*s.metric, s.labels[0].1.as_str(), s.timestamps.len()))
            .collect();
        assert_eq!(shape, vec![("m", "a", 3), ("m", "b", 1), ("n", "a", 1)]);
        assert_eq!(check(result(&[], vec![])), Ok(vec![]));
    }

    #[test]
    fn label_sets_persist_across_results_until_retired() {
        let mut ids = OutputIds::default();
        let first = result(&[&[("pod", "a")]], vec![output(0, &[(0, &[1])])]);
        assert!(outputs(first, &mut ids, &metrics(), BOUNDS).is_ok());
        let mut again = result(&[], vec![output(0, &[(0, &[2])])]);
        again.retired_label_sets = vec![0];
        assert_eq!(
            outputs(again, &mut ids, &metrics(), BOUNDS).map(|s| s.len()),
            Ok(1),
            "a set may be used in the result that retires it"
        );
        let after = result(&[], vec![output(0, &[(0, &[3])])]);
        assert!(message(outputs(after, &mut ids, &metrics(), BOUNDS)).contains("not defined"));
    }

    #[test]
    fn rejects_each_problem() {
        let one = |series: Vec<wit::Output>| message(check(result(&[&[("pod", "a")]], series)));
        assert!(one(vec![output(2, &[(0, &[1])])]).contains("not one of the 2 outputs"));
        assert!(one(vec![output(0, &[(1, &[1])])]).contains("not defined"));
        assert!(one(vec![output(0, &[(0, &[101])])]).contains("outside the window"));
        assert!(one(vec![output(0, &[(0, &[-1])])]).contains("outside the window"));
        assert!(one(vec![output(0, &[(0, &[5, 5])])]).contains("strictly increasing"));
        assert!(one(vec![output(0, &[(0, &[1]), (0, &[2])])]).contains("returned twice"));
        let mut uneven = output(0, &[(0, &[1, 2])]);
        uneven.values.pop();
        assert!(one(vec![uneven]).contains("1 values"));
        let mut short = output(0, &[(0, &[1, 2])]);
        short.lengths[0] = 5;
        assert!(one(vec![short]).contains("adding up to 5"));
        assert!(
            message(check(result(&[&[("__name__", "x")]], vec![]))).contains("legal label name")
        );
    }

    #[test]
    fn every_wrong_series_is_counted() {
        let names: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        let sets: Vec<Vec<(&str, &str)>> = names.iter().map(|n| vec![("i", n.as_str())]).collect();
        let sets: Vec<&[(&str, &str)]> = sets.iter().map(Vec::as_slice).collect();
        let bad: Vec<(u32, &[i64])> = (0..5).map(|i| (i, &[1i64, 1][..])).collect();
        let m = message(check(result(&sets, vec![output(0, &bad)])));
        assert!(m.starts_with("5 series are wrong"), "{m}");
        assert!(m.ends_with("and 2 more"), "{m}");
        let mixed = output(0, &[(0, &[0, 0, 100]), (1, &[i64::MIN, 101])]);
        let m = message(check(result(&sets[..2], vec![mixed])));
        assert!(
            m.contains("strictly increasing") && m.contains("outside the window"),
            "{m}"
        );
    }

    #[test]
    fn size_is_checked_first() {
        let ts: Vec<i64> = (0..11).collect();
        let big = result(&[&[("__bad", "x")]], vec![output(9, &[(3, &ts)])]);
        assert_eq!(
            check(big),
            Err(PluginError::OutputTooLarge {
                found: 11,
                limit: 10
            })
        );
    }
}
