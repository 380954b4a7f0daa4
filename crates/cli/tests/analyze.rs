//! `understudy analyze` over the bundled runs: the verdicts the talk tells
//! (harmony flaps less and drains faster), the HTML report in a real
//! browser, and bad input.

mod common;

use std::path::{Path, PathBuf};

use common::{health_recording, run, stderr, stdout};
use serde_json::Value;

fn bundled(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../recordings")
        .join(name)
        .display()
        .to_string()
}

fn plugin_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/dist")
        .display()
        .to_string()
}

/// The row of a KPI about `subject` (any subject when empty).
fn row<'a>(report: &'a Value, id: &str, subject: &str) -> &'a Value {
    report["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["id"] == id && (subject.is_empty() || k["subject"] == subject))
        .unwrap_or_else(|| panic!("no KPI {id} {subject} in {report:#}"))
}

fn values(row: &Value) -> (f64, f64) {
    let v = |i: usize| {
        row["measures"][i]["value"]
            .as_f64()
            .unwrap_or_else(|| panic!("no value {i} in {row}"))
    };
    (v(0), v(1))
}

#[test]
fn harmony_flaps_less_and_drains_faster_than_conflict() {
    let o = run(&[
        "analyze",
        &bundled("conflict"),
        "--vs",
        &bundled("harmony"),
        "--plugin-dir",
        &plugin_dir(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(report["schema"], "understudy.analyze/v1");
    for r in report["runs"].as_array().expect("runs") {
        assert_eq!(r["aligned_by"], "queue-load", "{r}");
    }
    // Both runs over the same length of experiment time.
    assert_eq!(report["runs"][0]["window_s"], report["runs"][1]["window_s"]);

    let reversals = row(
        &report,
        "replica_reversals",
        "Deployment meme-generator/meme-backend",
    );
    let (conflict, harmony) = values(reversals);
    assert!(conflict >= 5.0 && harmony < conflict, "{reversals}");
    assert_eq!(reversals["winner"], 1);
    let drain = row(&report, "time_to_drain", "");
    let (conflict, harmony) = values(drain);
    assert!(harmony < conflict, "{drain}");
    assert_eq!(drain["winner"], 1);
    let rescales = row(&report, "rescale_events", "all HPAs");
    assert_eq!(rescales["winner"], 1, "{rescales}");
    // The two HPAs of the conflict run are there, and not in harmony.
    let keda = row(
        &report,
        "rescale_events",
        "HPA meme-generator/keda-hpa-meme-backend",
    );
    assert_eq!(keda["measures"][1]["status"], "absent");

    // The queue as recorded: conflict's load is 6,000 messages, harmony's 4,000.
    let (peak_c, peak_h) = values(row(&report, "queue_peak_pending", ""));
    assert!(
        (5000.0..=6000.0).contains(&peak_c) && (3000.0..=4000.0).contains(&peak_h),
        "{peak_c} {peak_h}"
    );
    let (cpu_c, cpu_h) = values(row(&report, "cpu_seconds", ""));
    assert!(cpu_c > 0.0 && cpu_h > 0.0);

    // The bundled plugins ran over both runs, and agree on the direction.
    let flapping = row(
        &report,
        "plugin:flapping/understudy_scale_direction_reversals_total",
        "",
    );
    let (f_c, f_h) = values(flapping);
    assert!(f_h < f_c, "{flapping}");
    let drain_plugin = values(row(
        &report,
        "plugin:drain-time/understudy_queue_drain_seconds",
        "",
    ));
    assert!(drain_plugin.1 < drain_plugin.0);

    let summary = report["summary"].as_str().expect("summary");
    assert!(
        summary.contains("harmony drained the queue") && summary.contains("faster"),
        "{summary}"
    );
    assert!(summary.contains("replica reversals against"), "{summary}");
}

/// Issue 17: the built-in reversals (55 in conflict) and the flapping
/// plugin's (5) are two ideas; each row says what computed it and how.
#[test]
fn issue_17_each_kpi_says_what_computed_it_and_how() {
    let o = run(&[
        "analyze",
        &bundled("conflict"),
        "--vs",
        &bundled("harmony"),
        "--plugin-dir",
        &plugin_dir(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    for k in report["kpis"].as_array().expect("kpis") {
        assert!(
            !k["definition"].as_str().expect("definition").is_empty(),
            "{k}"
        );
        let kind = &k["computed_by"]["kind"];
        let plugin = k["id"].as_str().expect("id").starts_with("plugin:");
        assert_eq!(kind, if plugin { "plugin" } else { "built_in" }, "{k}");
    }
    let builtin = row(&report, "replica_reversals", "");
    let flapping = row(
        &report,
        "plugin:flapping/understudy_scale_direction_reversals_total",
        "",
    );
    assert_ne!(builtin["name"], flapping["name"]);
    assert!(
        builtin["definition"]
            .as_str()
            .expect("definition")
            .contains("every recorded change"),
        "{builtin}"
    );
    assert!(
        flapping["definition"]
            .as_str()
            .expect("definition")
            .contains("sampled every 15 s"),
        "{flapping}"
    );
    assert_eq!(flapping["computed_by"]["name"], "flapping");
    assert!(
        flapping["computed_by"]["file"]
            .as_str()
            .expect("file")
            .ends_with("flapping.wasm"),
        "{flapping}"
    );

    // In the table, the definition is the line under the KPI's first row.
    let o = run(&[
        "analyze",
        &bundled("conflict"),
        "--plugin-dir",
        &plugin_dir(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    let lines: Vec<&str> = table.lines().collect();
    let under = |starts: &str| {
        let i = lines
            .iter()
            .position(|l| l.starts_with(starts))
            .unwrap_or_else(|| panic!("{starts}:\n{table}"));
        lines[i + 1].trim_start()
    };
    assert!(
        under("replica direction reversals").starts_with("built in: "),
        "{table}"
    );
    assert!(
        under("understudy_scale_direction_reversals_total (flapping plugin")
            .starts_with("plugin flapping "),
        "{table}"
    );
}

/// Issue 17: an experiment start after the end of the recording is an
/// error, not a report of zeros.
#[test]
fn issue_17_align_at_past_the_end_is_an_error() {
    let o = run(&[
        "analyze",
        &bundled("conflict"),
        "--align-at",
        "20m",
        "--no-bundled-plugins",
    ]);
    assert!(!o.status.success(), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("--align-at 20m: an experiment start 20m00s into conflict is not inside the recording, which is 15m00s long"),
        "{err}"
    );
    assert!(stdout(&o).is_empty(), "no report: {}", stdout(&o));

    let o = run(&[
        "analyze",
        &bundled("conflict"),
        "--align-at",
        "14m",
        "--no-bundled-plugins",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(report["runs"][0]["aligned_by"], "align-at");
    assert_eq!(report["runs"][0]["window_s"], 60.0);
}

#[test]
fn the_table_names_the_better_run_and_says_what_is_not_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let health = health_recording(dir.path(), "3s");
    let o = run(&[
        "analyze",
        health.to_str().expect("utf-8"),
        "--no-bundled-plugins",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    for kpi in [
        "queue peak pending",
        "CPU-seconds spent",
        "pods created",
        "rescale events",
    ] {
        let line = table
            .lines()
            .find(|l| l.starts_with(kpi))
            .unwrap_or_else(|| panic!("{kpi}:\n{table}"));
        assert!(line.contains("not recorded"), "{line}");
        assert!(
            !line.contains(" 0"),
            "never 0 for what was not recorded: {line}"
        );
    }

    let o = run(&[
        "analyze",
        &bundled("conflict"),
        "--vs",
        &bundled("harmony"),
        "--no-bundled-plugins",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(!table.contains('\x1b'), "no colour in a pipe");
    let header = table.lines().next().expect("header");
    assert!(
        header.contains("CONFLICT") && header.contains("HARMONY") && header.contains("BETTER"),
        "{header}"
    );
    let reversals = table
        .lines()
        .find(|l| l.starts_with("replica direction reversals"))
        .expect("reversals");
    assert!(reversals.trim_end().ends_with("harmony"), "{reversals}");
    assert!(table.contains("Against conflict, harmony"), "{table}");
}

#[test]
fn recordings_of_different_systems_say_what_could_not_be_compared() {
    let dir = tempfile::tempdir().expect("tempdir");
    let health = health_recording(dir.path(), "2s");
    let o = run(&[
        "analyze",
        &bundled("conflict"),
        "--vs",
        health.to_str().expect("utf-8"),
        "--no-bundled-plugins",
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("no series and no object kind in common"),
        "{err}"
    );
    assert!(
        err.contains("only in conflict: container_cpu_cfs_periods_total"),
        "{err}"
    );
    assert!(err.contains("understudy_samples_written_total"), "{err}");
}

#[test]
fn a_corrupt_segment_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("conflict");
    copy_dir(Path::new(&bundled("conflict")), &copy);
    let segment = copy.join("samples/000002.parquet");
    std::fs::write(&segment, b"PAR1 this is not a parquet file PAR1").expect("corrupt");
    let o = run(&[
        "analyze",
        copy.to_str().expect("utf-8"),
        "--no-bundled-plugins",
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("samples/000002.parquet"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target: PathBuf = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

#[test]
fn the_html_report_renders_both_runs_in_a_real_browser() {
    use understudy_testkit::chromium::{self, Options};

    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("report.html");
    let o = run(&[
        "analyze",
        &bundled("conflict"),
        "--vs",
        &bundled("harmony"),
        "--no-bundled-plugins",
        "--html",
        html.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&html).expect("report");
    assert!(
        !text.contains("src=\"http") && !text.contains("href=\"http"),
        "nothing from the network"
    );

    let page = chromium::load(&chromium::file_url(&html), &Options::default());
    assert!(
        page.errors().is_empty(),
        "console errors: {:?}\n{}",
        page.errors(),
        page.log
    );
    let body = page.body();
    assert_eq!(body.attr("data-errors"), None, "{}", page.dom);
    assert_eq!(body.attr("data-rendered"), Some("true"), "{}", page.log);
    // Replicas change a few times in harmony; the rest is sampled.
    for (chart, least) in [
        ("replicas", 3),
        ("pending", 50),
        ("cpu", 20),
        ("throttling", 20),
        ("productivity", 10),
    ] {
        let section = page
            .by_id(chart)
            .unwrap_or_else(|| panic!("no chart {chart}"));
        for run in ["data-points-run0", "data-points-run1"] {
            let n: usize = section.attr(run).and_then(|n| n.parse().ok()).unwrap_or(0);
            assert!(n >= least, "{chart} {run}: {n} points");
        }
    }
    assert!(
        page.dom.contains("Against conflict, harmony"),
        "the summary is on the page"
    );
    let shot = page.screenshot.as_deref().expect("screenshot");
    assert!(chromium::non_blank(shot), "the screenshot is blank");
}
