//! Recordings read by other people's tools: promtool builds Prometheus
//! blocks from our OpenMetrics export, pyarrow reads our Parquet files
//! without our code, and both see the same labels, times and values.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use common::*;
use understudy_core::{Labels, SampleBatch, Series};
use understudy_store::export::STALE_NAN_BITS;
use understudy_store::{RecordingMeta, RecordingWriter, WriterOptions};
use understudy_testkit::prometheus::backfill;

/// (metric, labels, timestamp ms, value) — every sample a tool must see.
type Row = (String, Vec<(String, String)>, i64, f64);

fn series(metric: &str, labels: &[(&str, &str)]) -> Arc<Series> {
    Arc::new(
        Series::new(
            metric,
            Labels::from_pairs(labels.iter().copied()).expect("labels"),
        )
        .expect("series"),
    )
}

/// A recording with what trips formats up: escapes and unicode in label
/// values, special floats, millisecond timestamps, a staleness marker, a
/// late sample sealed in a later segment.
fn recording(dir: &Path) -> Vec<Row> {
    let pending = series(
        "jetstream_consumer_num_pending",
        &[
            ("stream_name", "MEMES"),
            ("consumer_name", "meme-generator"),
            ("server_name", "nats-0"),
        ],
    );
    let odd = series(
        "odd_gauge",
        &[
            ("note", "quote \" backslash \\ newline \n end"),
            ("city", "Zürich ☃"),
        ],
    );
    let up = series("up", &[]);
    let base = 1_795_648_515_000;
    let mut rows = Vec::new();
    let mut w = RecordingWriter::open(
        dir,
        RecordingMeta {
            name: "formats".into(),
            ..Default::default()
        },
        WriterOptions::default(),
        base,
    )
    .expect("open")
    .0;
    let mut seg = |w: &mut RecordingWriter, points: &[(&Arc<Series>, i64, f64)]| {
        let mut b = SampleBatch::default();
        for (s, t, v) in points {
            b.push(s, base + t, *v);
            if v.to_bits() != STALE_NAN_BITS {
                let labels = s
                    .labels()
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                rows.push((s.metric().to_owned(), labels, base + t, *v));
            }
        }
        w.append(&b.into()).expect("append");
    };
    seg(
        &mut w,
        &[
            (&pending, 0, 0.0),
            (&pending, 15_001, 1234.0),
            (&pending, 30_500, 6000.0),
        ],
    );
    seg(
        &mut w,
        &[
            (&odd, 0, f64::NAN),
            (&odd, 1_000, f64::INFINITY),
            (&odd, 2_000, f64::NEG_INFINITY),
        ],
    );
    seg(
        &mut w,
        &[
            (&odd, 3_000, 1e-7),
            (&odd, 4_000, -0.0),
            (&odd, 5_000, 1.5e300),
            (&odd, 6_000, 0.1),
        ],
    );
    seg(
        &mut w,
        &[(&up, 0, 1.0), (&up, 15_000, f64::from_bits(STALE_NAN_BITS))],
    );
    w.seal(base + 40_000).expect("seal");
    seg(&mut w, &[(&pending, 45_000, 5.5), (&up, 10_000, 1.0)]);
    w.close(base + 50_000).expect("close");
    rows
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

fn assert_rows_eq(mut got: Vec<Row>, mut want: Vec<Row>, tool: &str) {
    let key = |r: &Row| (r.0.clone(), r.1.clone(), r.2);
    got.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(
        got.len(),
        want.len(),
        "{tool}: sample count\n got {got:?}\nwant {want:?}"
    );
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(key(g), key(w), "{tool}");
        assert!(same(g.3, w.3), "{tool}: {g:?} vs {w:?}");
    }
}

#[test]
fn promtool_builds_blocks_from_the_openmetrics_export() {
    require("promtool");
    let tmp = tempfile::tempdir().expect("tempdir");
    let rec = tmp.path().join("rec");
    let want = recording(&rec);
    let om = tmp.path().join("rec.om");
    let o = export(
        &rec,
        &[
            "--format",
            "openmetrics",
            "--out",
            om.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("(1 staleness markers left out"),
        "{}",
        stderr(&o)
    );
    let text = std::fs::read_to_string(&om).expect("export");
    assert!(text.ends_with("# EOF\n"));
    assert!(text.contains("jetstream_consumer_num_pending{consumer_name=\"meme-generator\",server_name=\"nats-0\",stream_name=\"MEMES\"} 1234 1795648530.001\n"), "{text}");

    let blocks = tmp.path().join("blocks");
    backfill(&om, &blocks);
    // `promtool tsdb dump` wants a WAL directory, even an empty one.
    std::fs::create_dir_all(blocks.join("wal")).expect("wal dir");
    let o = std::process::Command::new("promtool")
        .args(["tsdb", "dump"])
        .arg(&blocks)
        .output()
        .expect("promtool");
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<Row> = stdout(&o).lines().map(parse_dump_line).collect();
    assert_rows_eq(got, want, "promtool");
}

/// `{__name__="m", a="x\"y"} 1.5 1795648515000` (Go-quoted label values).
fn parse_dump_line(line: &str) -> Row {
    let end = line.rfind('}').expect("labels");
    let mut fields = line[end + 1..].split_whitespace();
    let value = match fields.next().expect("value") {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().expect("number"),
    };
    let t: i64 = fields.next().expect("timestamp").parse().expect("ms");
    let mut labels = Vec::new();
    let mut metric = String::new();
    let mut rest = &line[1..end];
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").expect("label");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let close = loop {
            match chars.next().expect("closing quote") {
                (_, '\\') => match chars.next().expect("escape").1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        let name = name.trim_start_matches(", ").to_owned();
        if name == "__name__" {
            metric = value;
        } else {
            labels.push((name, value));
        }
        rest = &after[close + 1..];
    }
    labels.sort();
    (metric, labels, t, value)
}

const PYARROW_READER: &str = r#"
import sys, pyarrow.parquet as pq
rec = sys.argv[1]
samples = pq.read_table(rec + "/samples")
series = pq.read_table(rec + "/series")
print("types", samples.schema.field("timestamp").type, series.schema.field("labels").type, file=sys.stderr)
assert str(samples.schema.field("timestamp").type) == "timestamp[ms, tz=UTC]"
labels = {}
for ref, metric, lab in zip(series["series_ref"].to_pylist(), series["metric"].to_pylist(), series["labels"].to_pylist()):
    assert ref not in labels, "each series is written once per recording"
    labels[ref] = (metric, sorted(lab))
for ref, ts, v in zip(samples["series_ref"].to_pylist(), samples["timestamp"].cast("int64").to_pylist(), samples["value"].to_pylist()):
    metric, lab = labels[ref]
    print(repr((metric, lab, ts, repr(v))))
"#;

#[test]
fn pyarrow_reads_the_parquet_files_without_our_code() {
    require("python3");
    let tmp = tempfile::tempdir().expect("tempdir");
    let rec = tmp.path().join("rec");
    let mut want = recording(&rec);
    // Parquet holds every sample, staleness markers included.
    let up = want.iter().find(|r| r.0 == "up").expect("up").1.clone();
    want.push((
        "up".into(),
        up,
        1_795_648_515_000 + 15_000,
        f64::from_bits(STALE_NAN_BITS),
    ));
    let o = std::process::Command::new("python3")
        .args(["-c", PYARROW_READER])
        .arg(&rec)
        .output()
        .expect("python3");
    assert!(
        o.status.success(),
        "pyarrow failed (run scripts/setup.sh): {}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("map<string, string"),
        "labels are a Parquet MAP: {}",
        stderr(&o)
    );
    let got: Vec<Row> = stdout(&o).lines().map(parse_python_row).collect();
    assert_rows_eq(got, want, "pyarrow");
}

/// `('up', [('job', 'x')], 1795648515000, '1.0')` as Python's repr prints it.
fn parse_python_row(line: &str) -> Row {
    // Python repr is close enough to JSON once quotes and tuples are mapped;
    // our label values contain no single quotes besides the delimiters.
    let json = python_repr_to_json(line);
    let v: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {line} -> {json}"));
    let labels = v[1]
        .as_array()
        .expect("labels")
        .iter()
        .map(|p| {
            (
                p[0].as_str().expect("k").to_owned(),
                p[1].as_str().expect("v").to_owned(),
            )
        })
        .collect();
    let value: f64 = v[3].as_str().expect("value").parse().expect("float");
    (
        v[0].as_str().expect("metric").to_owned(),
        labels,
        v[2].as_i64().expect("ts"),
        value,
    )
}

fn python_repr_to_json(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '(') => out.push('['),
            (None, ')') => out.push(']'),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push('"');
            }
            (Some(q), c) if c == q => {
                quote = None;
                out.push('"');
            }
            (Some(_), '\\') => {
                let e = chars.next().expect("escape");
                match e {
                    '\'' => out.push('\''),
                    'n' => out.push_str("\\n"),
                    '\\' => out.push_str("\\\\"),
                    e => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            (Some(_), '"') => out.push_str("\\\""),
            (_, c) => out.push(c),
        }
    }
    out
}

#[test]
fn csv_has_one_row_per_sample_with_labels_quoted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let rec = tmp.path().join("rec");
    let want = recording(&rec);
    let o = export(
        &rec,
        &["--format", "csv", "--match", "{stream_name=\"MEMES\"}"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "timestamp,metric,labels,value");
    let pending = want
        .iter()
        .filter(|r| r.0 == "jetstream_consumer_num_pending")
        .count();
    assert_eq!(lines.len() - 1, pending);
    assert_eq!(
        lines[2],
        r#"2026-11-25T23:15:30.001Z,jetstream_consumer_num_pending,"{consumer_name=""meme-generator"",server_name=""nats-0"",stream_name=""MEMES""}",1234"#
    );
    let seen: BTreeSet<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).expect("metric"))
        .collect();
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        vec!["jetstream_consumer_num_pending"]
    );
}

#[test]
fn a_bad_selector_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let rec = tmp.path().join("rec");
    recording(&rec);
    let o = export(&rec, &["--format", "csv", "--match", "rate(up[5m])"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("expected a series selector"),
        "{}",
        stderr(&o)
    );
}
