//! Post-run analysis of understudy recordings: which autoscaling setup did
//! better, by how much, and where it went wrong.
//!
//! # Brief overview
//! - [`Run`] is one recording, loaded with the series the KPIs read, its
//!   objects, and its experiment start: the first message published to the
//!   queue, or `--align-at`.
//! - [`kpi::compute`] gives a run's built-in [`Kpi`]s over a window of
//!   experiment time: rescales, reversals, time at max, pod churn, queue
//!   peak, drain time, backlog, throughput, CPU-seconds, throttling,
//!   productivity. What a recording does not hold is
//!   [`Measure::NotRecorded`], never 0.
//! - [`plugins::run_plugins`] runs KPI plugins (the [`plugins::BUNDLED`] ones
//!   and any other) over each run's window, each output one more [`Kpi`].
//! - [`report()`] joins the runs' KPIs into a [`Report`] (difference, the
//!   better run, a summary in plain words); [`text`] prints it, `serde`
//!   writes it as JSON, [`charts`] and [`html`] make the page ([`page`]).
//!
//! Two runs are compared over the same length of experiment time, from each
//! one's start of the load to the end of the shorter: a longer idle tail
//! would otherwise count as work. And one KPI is one idea: every row says
//! what computed it ([`ComputedBy`]) and how, in one line, so a plugin's
//! reversals on 15 s samples never pass for the built-in count of every
//! change.

mod error;

pub mod charts;
pub mod html;
pub mod kpi;
pub mod plugins;
pub mod report;
pub mod run;
pub mod text;
pub mod timeseries;

pub use error::AnalyzeError;
pub use kpi::{Better, ComputedBy, Kpi, Measure, Unit};
pub use report::Report;
pub use run::Run;
use understudy_core::TimeRange;

/// The window of experiment time every run is analysed over: each run's
/// start of the load plus the shortest run's remaining length.
pub fn windows(runs: &[Run]) -> Vec<TimeRange> {
    let len = runs
        .iter()
        .map(|r| r.end_ms - r.t0_ms)
        .min()
        .unwrap_or(0)
        .max(0);
    runs.iter()
        .map(|r| TimeRange {
            start: r.t0_ms,
            end: r.t0_ms + len,
        })
        .collect()
}

/// Fails when two runs share no series and no object kind: recordings of
/// different systems, with nothing to compare.
pub fn check_comparable(runs: &[Run]) -> Result<(), AnalyzeError> {
    let [a, b] = runs else { return Ok(()) };
    let kinds = |r: &Run| -> std::collections::BTreeSet<String> {
        r.kinds().into_iter().map(str::to_owned).collect()
    };
    let common_metrics = a.metrics.intersection(&b.metrics).count();
    let common_kinds = kinds(a).intersection(&kinds(b)).count();
    if common_metrics > 0 || common_kinds > 0 {
        return Ok(());
    }
    let list = |r: &Run| {
        let mut v: Vec<String> = r.metrics.iter().cloned().collect();
        v.extend(kinds(r).into_iter().map(|k| format!("{k} objects")));
        if v.is_empty() {
            "nothing".to_owned()
        } else if v.len() > 12 {
            format!("{}, … ({} in all)", v[..12].join(", "), v.len())
        } else {
            v.join(", ")
        }
    };
    Err(AnalyzeError::NothingInCommon {
        a: a.name.clone(),
        b: b.name.clone(),
        only_a: list(a),
        only_b: list(b),
    })
}

/// The report of `runs` over `windows`, from each run's KPIs (built-in and
/// plugins', in run order).
pub fn report(runs: &[Run], windows: &[TimeRange], kpis: &[Vec<Kpi>]) -> Report {
    let infos: Vec<report::RunInfo> = runs
        .iter()
        .zip(windows)
        .map(|(r, w)| report::RunInfo::new(r, *w))
        .collect();
    let rows = report::rows(kpis);
    Report {
        schema: report::SCHEMA,
        not_compared: report::not_compared(&rows, &infos),
        summary: report::summary(&rows, &infos),
        runs: infos,
        kpis: rows,
    }
}

/// The self-contained HTML page of a report: its table with each KPI's
/// definition, the summary, and the charts of the runs.
pub fn page(report: &Report, runs: &[Run], windows: &[TimeRange]) -> html::Page {
    let names: Vec<String> = runs.iter().map(|r| r.name.clone()).collect();
    let (headers, rows) = text::cells(report);
    html::Page {
        title: format!("understudy analyze: {}", names.join(" vs ")),
        runs: names,
        summary: report.summary.clone(),
        table: html::Table {
            headers,
            rows,
            notes: text::notes(report),
        },
        charts: charts::charts(runs, windows),
    }
}
