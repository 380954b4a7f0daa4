//! The report: one or two runs' KPIs side by side, with the difference,
//! which run is better and a summary in plain words. Its JSON form is the
//! `--json` output (schema in docs/analyze.md).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::kpi::{Better, ComputedBy, Kpi, Measure, Unit};
use crate::run::{AlignedBy, Run};
use understudy_core::TimeRange;

/// The `schema` field of `--json`.
pub const SCHEMA: &str = "understudy.analyze/v1";

/// One run as the report describes it.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// [`Run::name`].
    pub name: String,
    /// The recording directory, as given.
    pub dir: String,
    /// The recording's start, ms since the epoch.
    pub start_ms: i64,
    /// The recording's end, ms since the epoch.
    pub end_ms: i64,
    /// Experiment time 0.
    pub experiment_start_ms: i64,
    /// Where experiment time 0 comes from.
    pub aligned_by: AlignedBy,
    /// The analysed window: experiment time 0 to this many seconds after.
    pub window_s: f64,
}

impl RunInfo {
    /// `run` analysed over `w`.
    pub fn new(run: &Run, w: TimeRange) -> RunInfo {
        RunInfo {
            name: run.name.clone(),
            dir: run.dir.display().to_string(),
            start_ms: run.start_ms,
            end_ms: run.end_ms,
            experiment_start_ms: run.t0_ms,
            aligned_by: run.aligned_by,
            window_s: w.seconds(),
        }
    }
}

/// One row: a KPI in every run.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// [`Kpi::id`].
    pub id: String,
    /// [`Kpi::name`].
    pub name: String,
    /// How the KPI is computed, in one line.
    pub definition: String,
    /// [`Kpi::computed_by`].
    pub computed_by: ComputedBy,
    /// [`Kpi::subject`]; rows of one KPI id differ by it.
    pub subject: String,
    /// [`Kpi::unit`].
    pub unit: Unit,
    /// [`Kpi::better`].
    pub better: Better,
    /// One per run, in run order.
    pub measures: Vec<Measure>,
    /// Second run minus first, when both have a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<f64>,
    /// Second run over first, when both have a value and the first is not 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// The better run's index; `None` when equal, without direction, or not
    /// comparable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winner: Option<usize>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA`], so readers of the JSON can tell its version.
    pub schema: &'static str,
    /// The runs, in the order given.
    pub runs: Vec<RunInfo>,
    /// One row per KPI and subject.
    pub kpis: Vec<Row>,
    /// What could not be compared, in words (a KPI one run does not record).
    pub not_compared: Vec<String>,
    /// The plain-words summary of a comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// Joins the runs' KPIs by (id, subject), in the first run's order; a
/// subject only a later run has follows the others of its KPI.
pub fn rows(per_run: &[Vec<Kpi>]) -> Vec<Row> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut by_key: BTreeMap<(String, String), Vec<Option<&Kpi>>> = BTreeMap::new();
    for (i, kpis) in per_run.iter().enumerate() {
        for k in kpis {
            let key = (k.id.clone(), k.subject.clone());
            let e = by_key.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                vec![None; per_run.len()]
            });
            e[i] = Some(k);
        }
    }
    let mut ids: Vec<&str> = Vec::new();
    for (id, _) in &order {
        if !ids.contains(&id.as_str()) {
            ids.push(id);
        }
    }
    let rank: BTreeMap<String, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| ((*id).to_owned(), i))
        .collect();
    order.sort_by_key(|(id, _)| rank[id]);
    order
        .into_iter()
        .map(|key| {
            let ks = &by_key[&key];
            let first = ks
                .iter()
                .flatten()
                .next()
                .copied()
                .expect("a row has a KPI");
            let measures: Vec<Measure> = ks
                .iter()
                .zip(per_run)
                .map(|(k, run)| match k {
                    Some(k) => k.measure.clone(),
                    None if run.iter().any(|o| o.id == first.id) => Measure::Absent,
                    None => Measure::NotRecorded {
                        missing: format!("{} {}", first.name, first.subject)
                            .trim()
                            .to_owned(),
                    },
                })
                .collect();
            let (mut difference, mut ratio, mut winner) = (None, None, None);
            if let [a, b] = measures.as_slice()
                && let (Some(a), Some(b)) = (a.value(), b.value())
            {
                difference = Some(b - a);
                ratio = (a != 0.0).then(|| b / a);
                winner = match first.better {
                    Better::Lower if b < a => Some(1),
                    Better::Lower if a < b => Some(0),
                    Better::Higher if b > a => Some(1),
                    Better::Higher if a > b => Some(0),
                    _ => None,
                };
            }
            Row {
                id: first.id.clone(),
                name: first.name.clone(),
                definition: first.definition.clone(),
                computed_by: first.computed_by.clone(),
                subject: first.subject.clone(),
                unit: first.unit,
                better: first.better,
                measures,
                difference,
                ratio,
                winner,
            }
        })
        .collect()
}

/// Rows that one run has and the other cannot answer.
pub fn not_compared(rows: &[Row], runs: &[RunInfo]) -> Vec<String> {
    if runs.len() < 2 {
        return Vec::new();
    }
    rows.iter()
        .filter_map(|r| {
            let missing: Vec<&str> = r
                .measures
                .iter()
                .zip(runs)
                .filter(|(m, _)| matches!(m, Measure::NotRecorded { .. }))
                .map(|(_, run)| run.name.as_str())
                .collect();
            (!missing.is_empty() && missing.len() < runs.len()).then(|| {
                let what = format!(
                    "{} ({})",
                    r.name,
                    if r.subject.is_empty() {
                        "run"
                    } else {
                        &r.subject
                    }
                );
                format!("{what}: not recorded in {}", missing.join(" and "))
            })
        })
        .collect()
}

fn value_of(rows: &[Row], id: &str, subject: Option<&str>) -> Option<(f64, f64)> {
    let r = rows
        .iter()
        .find(|r| r.id == id && subject.is_none_or(|s| r.subject == s))?;
    Some((r.measures.first()?.value()?, r.measures.get(1)?.value()?))
}

fn total(rows: &[Row], id: &str) -> Option<(f64, f64)> {
    let mut sum = (0.0, 0.0);
    let mut any = false;
    for r in rows.iter().filter(|r| r.id == id) {
        if let [a, b] = r.measures.as_slice() {
            sum.0 += a.value().unwrap_or(0.0);
            sum.1 += b.value().unwrap_or(0.0);
            any |= a.value().is_some() || b.value().is_some();
        }
    }
    any.then_some(sum)
}

/// "harmony drained the queue 2.1× faster with 38% fewer CPU-seconds and
/// 0 reversals against 9": the second run described against the first,
/// from the KPIs both runs have.
pub fn summary(rows: &[Row], runs: &[RunInfo]) -> Option<String> {
    let [a, b] = runs else { return None };
    let mut parts: Vec<String> = Vec::new();
    if let Some((x, y)) = value_of(rows, "time_to_drain", None) {
        if y > 0.0 && x > 0.0 {
            let (f, word) = if y <= x {
                (x / y, "faster")
            } else {
                (y / x, "slower")
            };
            parts.push(format!(
                "drained the queue {f:.1}× {word} ({} against {})",
                secs(y),
                secs(x)
            ));
        }
    } else if let Some(r) = rows.iter().find(|r| r.id == "time_to_drain") {
        match (
            r.measures.first().and_then(Measure::value),
            r.measures.get(1).and_then(Measure::value),
        ) {
            (None, Some(y)) if matches!(r.measures[0], Measure::NotReached { .. }) => {
                parts.push(format!(
                    "drained the queue in {} where {} did not drain it",
                    secs(y),
                    a.name
                ));
            }
            (Some(_), None) if matches!(r.measures[1], Measure::NotReached { .. }) => {
                parts.push(format!("did not drain the queue where {} did", a.name));
            }
            _ => {}
        }
    }
    if let Some((x, y)) = value_of(rows, "cpu_seconds", None)
        && x > 0.0
    {
        let pct = (y - x) / x * 100.0;
        let word = if pct <= 0.0 { "fewer" } else { "more" };
        parts.push(format!("{:.0}% {word} CPU-seconds", pct.abs()));
    }
    if let Some((x, y)) = total(rows, "replica_reversals") {
        parts.push(format!("{y:.0} replica reversals against {x:.0}"));
    }
    if let Some((x, y)) = value_of(rows, "rescale_events", Some("all HPAs")) {
        parts.push(format!("{y:.0} rescale events against {x:.0}"));
    }
    if let Some((x, y)) = value_of(rows, "productivity", None)
        && x > 0.0
    {
        parts.push(format!(
            "{:.2}× the productivity ({y:.0} against {x:.0} messages per CPU-second)",
            y / x
        ));
    }
    if parts.is_empty() {
        return Some(format!(
            "{} and {} have no KPI in common with a value in both: nothing to compare.",
            b.name, a.name
        ));
    }
    let last = parts.pop().expect("not empty");
    let body = if parts.is_empty() {
        last
    } else {
        format!("{}, and {last}", parts.join(", "))
    };
    let wins = |i| rows.iter().filter(|r| r.winner == Some(i)).count();
    Some(format!(
        "Against {}, {} {body}. Over the first {} of each run from the start of the load, {} is better on {} KPIs and {} on {}.",
        a.name,
        b.name,
        secs(
            runs.iter()
                .map(|r| r.window_s)
                .fold(f64::INFINITY, f64::min)
        ),
        b.name,
        wins(1),
        a.name,
        wins(0),
    ))
}

/// `95 s`, `3m05s`.
pub fn secs(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else {
        let s = s.round() as i64;
        if s >= 3600 {
            format!("{}h{:02}m{:02}s", s / 3600, s % 3600 / 60, s % 60)
        } else {
            format!("{}m{:02}s", s / 60, s % 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kpi(id: &str, subject: &str) -> Kpi {
        Kpi {
            id: id.into(),
            name: id.into(),
            definition: format!("how {id} is computed"),
            computed_by: ComputedBy::BuiltIn,
            subject: subject.into(),
            unit: Unit::Count,
            better: Better::Lower,
            measure: Measure::Value { value: 1.0 },
        }
    }

    #[test]
    fn a_subject_only_the_second_run_has_follows_its_kpi() {
        let rows = rows(&[
            vec![kpi("rescale_events", "HPA a"), kpi("pods_created", "")],
            vec![kpi("rescale_events", "HPA b"), kpi("pods_created", "")],
        ]);
        let keys: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.id.as_str(), r.subject.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("rescale_events", "HPA a"),
                ("rescale_events", "HPA b"),
                ("pods_created", "")
            ]
        );
        assert_eq!(rows[1].measures[0], Measure::Absent);
        assert_eq!(rows[0].definition, "how rescale_events is computed");
    }
}
