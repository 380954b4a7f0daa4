//! The report's charts: every run on experiment time (seconds since its
//! start of the load), overlaid.

use understudy_core::TimeRange;

use crate::html::{Chart, ChartSeries};
use crate::kpi::{self, containers};
use crate::run::{self, Run};
use crate::timeseries;

/// Buckets of the rate charts: 15 s (a scrape interval), coarser for long
/// runs so that a chart holds at most about 400 points per series.
fn step_ms(w: TimeRange) -> i64 {
    ((w.end - w.start) / 400).max(15_000)
}

fn x(run: &Run, t: i64) -> f64 {
    (t - run.t0_ms) as f64 / 1e3
}

fn series(
    i: usize,
    label: String,
    points: impl IntoIterator<Item = (f64, f64)>,
    markers: bool,
) -> ChartSeries {
    let (x, y) = points.into_iter().unzip();
    ChartSeries {
        run: i,
        label,
        x,
        y,
        markers,
    }
}

/// Replicas, pending messages, CPU, throttling and productivity.
pub fn charts(runs: &[Run], windows: &[TimeRange]) -> Vec<Chart> {
    let mut replicas = Vec::new();
    let mut pending = Vec::new();
    let mut cpu = Vec::new();
    let mut throttling = Vec::new();
    let mut productivity = Vec::new();
    for (i, (run, w)) in runs.iter().zip(windows).enumerate() {
        let name = &run.name;
        for (d, steps) in kpi::deployment_replicas(run) {
            replicas.push(series(
                i,
                format!("{name} · Deployment {d}"),
                held(run, &steps, *w),
                false,
            ));
        }
        for (hpa, steps) in kpi::steps(run, "HorizontalPodAutoscaler", "/status/desiredReplicas") {
            replicas.push(series(
                i,
                format!("{name} · HPA {hpa} desired"),
                held(run, &steps, *w),
                false,
            ));
        }
        let mut events: Vec<(f64, f64)> = kpi::rescales(run, *w)
            .into_values()
            .flatten()
            .filter_map(|(t, size)| Some((x(run, t), size?)))
            .collect();
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !events.is_empty() {
            replicas.push(series(i, format!("{name} · rescale events"), events, true));
        }
        let p = run.summed(run::QUEUE_PENDING);
        if !p.is_empty() {
            let pts = timeseries::within(&p, *w).map(|(t, v)| (x(run, t), v));
            pending.push(series(i, format!("{name} · pending"), pts, false));
        }
        let step = step_ms(*w);
        let at = |b: usize| x(run, w.start + (b as i64 + 1) * step);
        let usage = timeseries::binned_increase(&containers(run.metric(run::CPU_USAGE)), *w, step);
        let has_cpu = !run.metric(run::CPU_USAGE).is_empty();
        if has_cpu {
            let pts = usage
                .iter()
                .enumerate()
                .map(|(b, v)| (at(b), v / (step as f64 / 1e3)));
            cpu.push(series(i, format!("{name} · CPU cores"), pts, false));
        }
        let periods =
            timeseries::binned_increase(&containers(run.metric(run::CFS_PERIODS)), *w, step);
        let throttled =
            timeseries::binned_increase(&containers(run.metric(run::CFS_THROTTLED)), *w, step);
        if !run.metric(run::CFS_THROTTLED).is_empty() {
            let pts = periods
                .iter()
                .zip(&throttled)
                .enumerate()
                .filter(|(_, (p, _))| **p > 0.0)
                .map(|(b, (p, t))| (at(b), t / p * 100.0));
            throttling.push(series(i, format!("{name} · throttled"), pts, false));
        }
        let delivered: Vec<_> = run.metric(run::QUEUE_DELIVERED).iter().collect();
        if has_cpu && !delivered.is_empty() {
            let msgs = timeseries::binned_increase(&delivered, *w, step);
            let pts = msgs
                .iter()
                .zip(&usage)
                .enumerate()
                .filter(|(_, (_, c))| **c > 0.0)
                .map(|(b, (m, c))| (at(b), m / c));
            productivity.push(series(
                i,
                format!("{name} · messages per CPU-second"),
                pts,
                false,
            ));
        }
    }
    let chart = |id: &str, title: &str, unit: &str, series| Chart {
        id: id.into(),
        title: title.into(),
        unit: unit.into(),
        series,
    };
    vec![
        chart(
            "replicas",
            "Replicas per Deployment and HPA, rescale events",
            "replicas",
            replicas,
        ),
        chart("pending", "Pending messages", "messages", pending),
        chart("cpu", "CPU", "CPU cores", cpu),
        chart(
            "throttling",
            "CPU throttling (share of CFS periods)",
            "%",
            throttling,
        ),
        chart(
            "productivity",
            "Productivity",
            "messages per CPU-second",
            productivity,
        ),
    ]
}

/// A step function over the window: the value in force at its start, the
/// changes, and the last value held to its end.
fn held(run: &Run, steps: &[(i64, f64)], w: TimeRange) -> Vec<(f64, f64)> {
    let before = steps
        .iter()
        .rev()
        .find(|p| p.0 < w.start)
        .map(|p| (w.start, p.1));
    let mut pts: Vec<(i64, f64)> = before
        .into_iter()
        .chain(timeseries::within(steps, w))
        .collect();
    if let Some(&(t, v)) = pts.last()
        && t < w.end
    {
        pts.push((w.end, v));
    }
    // Lines join points straight: a point just before each change keeps
    // the old value until the change, as a step function does.
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(pts.len() * 2);
    for (i, &(t, v)) in pts.iter().enumerate() {
        if let Some(&(pt, pv)) = i.checked_sub(1).and_then(|p| pts.get(p))
            && pv != v
            && t - pt > 1
        {
            out.push((x(run, t - 1), pv));
        }
        out.push((x(run, t), v));
    }
    out
}
