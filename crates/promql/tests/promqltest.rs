//! Runs the Prometheus test-file format (`promql/testdata/*.test` of the
//! Prometheus repository) over `tests/testdata/*.test`:
//!
//! ```text
//! load 1m
//!     metric{job="a"} 0+10x100 _ stale 5
//! eval instant at 5m sum(metric)
//!     {} 50
//! eval_ordered instant at 5m sort(metric)   # order checked
//! eval_fail instant at 5m metric + on() group_left metric
//! clear
//! ```
//!
//! Every instant case is also run as a range query with start = end, which
//! must give the same series.

use std::path::Path;
use std::sync::Arc;

use understudy_promql::{Engine, Labels, MemStorage, QueryError, Series, Value, parse_selector};

const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

#[test]
fn promqltest_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("testdata directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .test files in {}", dir.display());
    let mut failures = Vec::new();
    let mut cases = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read test file");
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        cases += run_file(&name, &text, &mut failures);
    }
    eprintln!("promqltest: {cases} eval cases in {} files", files.len());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One expected sample: labels (None for a scalar) and value.
#[derive(Debug)]
struct Expected {
    labels: Option<Labels>,
    value: f64,
}

fn run_file(name: &str, text: &str, failures: &mut Vec<String>) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut storage = MemStorage::default();
    let mut cases = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let at = format!("{name}:{}", i + 1);
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "clear" {
            storage = MemStorage::default();
        } else if let Some(interval) = line.strip_prefix("load ") {
            let interval = duration_ms(interval).unwrap_or_else(|| panic!("{at}: bad interval"));
            while i < lines.len() && is_indented(lines[i]) {
                load_series(
                    &mut storage,
                    lines[i].trim(),
                    interval,
                    &format!("{name}:{}", i + 1),
                );
                i += 1;
            }
            storage.series.sort_by(|a, b| a.labels.cmp(&b.labels));
        } else if let Some((kind, rest)) = line.split_once(" instant at ") {
            let (time, query) = rest
                .split_once(' ')
                .unwrap_or_else(|| panic!("{at}: no query"));
            let t = duration_ms(time).unwrap_or_else(|| panic!("{at}: bad time"));
            let mut expected = Vec::new();
            while i < lines.len() && is_indented(lines[i]) {
                expected.push(parse_expected(
                    lines[i].trim(),
                    &format!("{name}:{}", i + 1),
                ));
                i += 1;
            }
            cases += 1;
            let ctx = format!("{at}: {query}");
            match kind {
                "eval" => check(&storage, t, query, &expected, false, &ctx, failures),
                "eval_ordered" => check(&storage, t, query, &expected, true, &ctx, failures),
                "eval_fail" => check_fails(&storage, t, query, &ctx, failures),
                _ => panic!("{at}: unknown command {kind}"),
            }
        } else {
            panic!("{at}: cannot parse {line:?}");
        }
    }
    cases
}

fn is_indented(line: &str) -> bool {
    line.starts_with(' ') || line.starts_with('\t')
}

/// `5m`, `1h30m`, `90s`, `100ms`, `0`.
fn duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if s == "0" {
        return Some(0);
    }
    let mut total = 0i64;
    let mut digits = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        let unit = match c {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                1
            }
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            _ => return None,
        };
        total += n * unit;
    }
    digits.is_empty().then_some(total)
}

/// The labels of a series selector made of equality matchers.
fn parse_labels(selector: &str, at: &str) -> Labels {
    let matchers = parse_selector(selector).unwrap_or_else(|e| panic!("{at}: {selector}: {e}"));
    Labels::new(matchers.into_iter().map(|m| (m.name, m.value)))
}

/// Splits `metric{a="b c"} rest` at the end of the series part.
fn split_series(line: &str) -> (&str, &str) {
    let end = match line.find('{') {
        Some(open) if !line[..open].contains(' ') => {
            let close = line.rfind('}').unwrap_or(line.len() - 1);
            close + 1
        }
        _ => line.find(' ').unwrap_or(line.len()),
    };
    (line[..end].trim(), line[end..].trim())
}

fn load_series(storage: &mut MemStorage, line: &str, interval: i64, at: &str) {
    let (series, values) = split_series(line);
    let labels = parse_labels(series, at);
    let mut timestamps = Vec::new();
    let mut vs = Vec::new();
    let mut step = 0i64;
    for item in values.split_whitespace() {
        for v in expand(item, at) {
            if let Some(v) = v {
                timestamps.push(step * interval);
                vs.push(v);
            }
            step += 1;
        }
    }
    storage.series.push(Arc::new(Series {
        labels,
        timestamps,
        values: vs,
    }));
}

/// `a+bxn` / `a-bxn` (n+1 values), `axn`, `_`, `_xn`, `stale`, numbers.
fn expand(item: &str, at: &str) -> Vec<Option<f64>> {
    if item == "stale" {
        return vec![Some(f64::from_bits(STALE_NAN))];
    }
    if item == "_" {
        return vec![None];
    }
    if let Some((base, times)) = item.split_once('x') {
        let n: usize = times
            .parse()
            .unwrap_or_else(|_| panic!("{at}: bad repeat {item}"));
        if base == "_" {
            return vec![None; n];
        }
        // The sign of the increment is the last + or - not at the start.
        let split = base[1..].rfind(['+', '-']).map(|p| p + 1);
        let (start, inc) = match split {
            Some(p) => (number(&base[..p], at), number(&base[p..], at)),
            None => (number(base, at), 0.0),
        };
        return (0..=n).map(|k| Some(start + inc * k as f64)).collect();
    }
    vec![Some(number(item, at))]
}

fn number(s: &str, at: &str) -> f64 {
    match s.trim_start_matches('+') {
        "Inf" | "inf" => f64::INFINITY,
        "-Inf" | "-inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        other => other
            .parse()
            .unwrap_or_else(|_| panic!("{at}: bad number {s:?}")),
    }
}

fn parse_expected(line: &str, at: &str) -> Expected {
    let (series, value) = split_series(line);
    if value.is_empty() {
        // A scalar: the line is just the value.
        return Expected {
            labels: None,
            value: number(series, at),
        };
    }
    let labels = if series == "{}" {
        Labels::default()
    } else {
        parse_labels(series, at)
    };
    Expected {
        labels: Some(labels),
        value: number(value, at),
    }
}

fn same_value(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// The instant result as (labels, value) pairs; a scalar has no labels.
fn instant_pairs(v: &Value) -> Result<Vec<(Option<Labels>, f64)>, String> {
    match v {
        Value::Scalar { v, .. } => Ok(vec![(None, *v)]),
        Value::Vector(samples) => Ok(samples
            .iter()
            .map(|s| (Some(s.labels.clone()), s.v))
            .collect()),
        other => Err(format!("unexpected result {other:?}")),
    }
}

fn compare(
    got: &[(Option<Labels>, f64)],
    expected: &[Expected],
    ordered: bool,
) -> Result<(), String> {
    let mismatch = || format!("got {got:?}\n    expected {expected:?}");
    if got.len() != expected.len() {
        return Err(mismatch());
    }
    for (k, e) in expected.iter().enumerate() {
        let found = if ordered {
            got.get(k).filter(|g| g.0 == e.labels)
        } else {
            got.iter().find(|g| g.0 == e.labels)
        };
        match found {
            Some(g) if same_value(g.1, e.value) => {}
            _ => return Err(mismatch()),
        }
    }
    Ok(())
}

fn check(
    storage: &MemStorage,
    t: i64,
    query: &str,
    expected: &[Expected],
    ordered: bool,
    ctx: &str,
    failures: &mut Vec<String>,
) {
    let engine = Engine::default();
    let instant = engine
        .instant(storage, query, t)
        .map_err(|e| format!("error {e:?}"))
        .and_then(|v| instant_pairs(&v));
    match instant.and_then(|got| compare(&got, expected, ordered)) {
        Ok(()) => {}
        Err(e) => failures.push(format!("{ctx} (instant): {e}")),
    }
    // The same as a range query of one step.
    let range = engine
        .range(storage, query, t, t, 60_000)
        .map_err(|e| format!("error {e:?}"))
        .and_then(|v| match v {
            Value::Matrix(series) => Ok(series),
            other => Err(format!("unexpected {other:?}")),
        });
    let is_scalar = expected.first().is_some_and(|e| e.labels.is_none());
    let range = range.and_then(|series| {
        let got: Vec<(Option<Labels>, f64)> = series
            .iter()
            .map(|s| {
                if s.timestamps != [t] {
                    return Err(format!("range point times {:?}", s.timestamps));
                }
                let labels = (!is_scalar).then(|| s.labels.clone());
                Ok((labels, s.values[0]))
            })
            .collect::<Result<_, String>>()?;
        compare(&got, expected, false)
    });
    if let Err(e) = range {
        failures.push(format!("{ctx} (range): {e}"));
    }
}

fn check_fails(storage: &MemStorage, t: i64, query: &str, ctx: &str, failures: &mut Vec<String>) {
    let engine = Engine::default();
    let is_err = |r: Result<Value, QueryError>| r.is_err();
    if !is_err(engine.instant(storage, query, t)) {
        failures.push(format!("{ctx}: instant query did not fail"));
    }
    if !is_err(engine.range(storage, query, t, t, 60_000)) {
        failures.push(format!("{ctx}: range query did not fail"));
    }
}
