//! Conformance against Prometheus 2.42 beyond what the recordings exercise
//! (issue 16): a synthetic data set of awkward values — NaN, ±Inf, ±0,
//! ties, huge and tiny magnitudes — served by the real Prometheus and held
//! by the engine, queried through functions whose results must be the same
//! floats bit for bit and, for `sort`, in the same order; and the parse
//! errors of common typos, which must read the same.

use std::io::Write;
use std::sync::Arc;

use crate::oracle::{Failure, Normal, Precision, Prometheus, difference, failure, normalize};
use understudy_promql::{Engine, Labels, MemStorage, Series};

const T0: i64 = 1_700_000_000_000;
const MINUTE: i64 = 60_000;

/// Edge values for the element-wise functions: around 0 and ±1, where
/// Go's `Exp` overflows and underflows (≈709.09, ≈-745), where Go switches
/// algorithms (0.5, 0.625, 21, 2^28, 2^29 for the trigonometric reduction)
/// and beyond.
const EDGES: &[f64] = &[
    0.0,
    -0.0,
    5e-324,
    1e-300,
    -1e-20,
    1e-10,
    3.4e-8,
    0.1,
    0.5,
    0.625,
    0.7,
    0.999_999_9,
    1.0,
    -1.0,
    1.000_000_1,
    1.5,
    2.0,
    3.0,
    std::f64::consts::PI,
    10.0,
    21.0,
    22.0,
    -22.0,
    44.0,
    45.0,
    100.0,
    700.0,
    709.08,
    709.09,
    709.78,
    710.0,
    710.5,
    -710.0,
    -708.5,
    -709.0,
    -740.0,
    -745.0,
    -746.0,
    1000.5,
    268_435_457.0,
    536_870_913.0,
    1e9,
    1e15,
    1e22,
    1e300,
    -1e300,
    f64::MAX,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

/// Values for `sort`: ties, NaNs, infinities and signed zeros.
const SORT_VALUES: &[f64] = &[
    3.0,
    1.0,
    f64::NAN,
    2.0,
    2.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    f64::NAN,
    5.0,
    1.0,
    -7.5,
];

/// Timestamps (seconds) for the date functions: epoch, leap days, the
/// last day of a leap year, far past and future, NaN.
const DATES: &[f64] = &[
    0.0,
    -1.0,
    951_782_400.0,
    978_220_800.0,
    1_700_000_000.0,
    4_102_444_800.0,
    253_402_300_799.0,
    -62_135_596_800.0,
    1e10,
    -1e10,
    1e18,
    f64::NAN,
];

/// A deterministic sequence (Knuth's LCG) mapped to [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One synthetic series: its metric name, other labels and samples.
struct Synthetic {
    name: &'static str,
    labels: Vec<(&'static str, String)>,
    samples: Vec<(i64, f64)>,
}

/// A value held every minute for an hour, visible at any evaluation time.
fn constant(name: &'static str, labels: Vec<(&'static str, String)>, v: f64) -> Synthetic {
    let samples = (0..=60).map(|m| (T0 + m * MINUTE, v)).collect();
    Synthetic {
        name,
        labels,
        samples,
    }
}

fn data_set() -> Vec<Synthetic> {
    let mut out = Vec::new();
    let mut lcg = Lcg(16);
    let mut math: Vec<f64> = EDGES.to_vec();
    for i in 0..140 {
        let u = lcg.next();
        math.push(match i % 7 {
            0 => u * 2.0 - 1.0,
            1 => u * 20.0 - 10.0,
            2 => u * 1000.0,
            3 => 10f64.powf(u * 32.0 - 12.0),
            4 => 10f64.powf(u * 280.0 + 20.0),
            5 => u * 1455.0 - 745.0,
            _ => 0.9 + u * 0.2,
        });
    }
    for (i, v) in math.into_iter().enumerate() {
        out.push(constant("math_input", vec![("i", format!("{i:03}"))], v));
    }
    // 40 values exercise pdqsort's partitioning, 9 its insertion sort.
    for (group, n) in [("large", 40), ("small", 9)] {
        for i in 0..n {
            let v = SORT_VALUES[(i * 7 + n) % SORT_VALUES.len()];
            let labels = vec![("group", group.to_string()), ("i", format!("{i:02}"))];
            out.push(constant("sort_input", labels, v));
        }
    }
    for (i, v) in DATES.iter().enumerate() {
        out.push(constant("date_input", vec![("i", format!("{i:02}"))], *v));
    }
    // Every 15 s for an hour, in numerically awkward regimes.
    // A sample's value from its index and a uniform draw.
    type Regime = fn(i64, f64) -> f64;
    let kinds: [(&str, Regime); 7] = [
        ("random", |_, u| u * 2e6 - 1e6),
        ("offset", |k, u| {
            123_456_789.0 + (k % 7) as f64 * 0.1 + u * 1e-3
        }),
        ("mixed", |k, _| {
            if k % 2 == 0 {
                1e15 + k as f64
            } else {
                1.0 / (k + 1) as f64
            }
        }),
        ("nan", |k, u| if k % 17 == 5 { f64::NAN } else { u * 10.0 }),
        ("inf", |k, u| if k % 23 == 7 { f64::INFINITY } else { u }),
        ("ramp", |k, _| 0.1 * k as f64),
        ("flat", |_, _| 42.0),
    ];
    for (kind, f) in kinds {
        let samples = (0..=240)
            .map(|k| (T0 + k * 15_000, f(k, lcg.next())))
            .collect();
        out.push(Synthetic {
            name: "wobble",
            labels: vec![("kind", kind.to_string())],
            samples,
        });
    }
    out
}

fn labels(s: &Synthetic) -> Labels {
    let pairs = s.labels.iter().map(|(k, v)| (k.to_string(), v.clone()));
    Labels::new(pairs.chain(std::iter::once((
        "__name__".to_string(),
        s.name.to_string(),
    ))))
}

fn mem_storage(data: &[Synthetic]) -> MemStorage {
    let mut series: Vec<Arc<Series>> = data
        .iter()
        .map(|s| {
            Arc::new(Series {
                labels: labels(s),
                timestamps: s.samples.iter().map(|p| p.0).collect(),
                values: s.samples.iter().map(|p| p.1).collect(),
            })
        })
        .collect();
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    MemStorage { series }
}

/// Starts a Prometheus holding the same samples (metric families written
/// contiguously, as OpenMetrics requires).
fn serve(data: &[Synthetic], dir: &std::path::Path) -> Prometheus {
    let path = dir.join("synthetic.om");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    for s in data {
        let labels: Vec<String> = s
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        for (t, v) in &s.samples {
            let v = crate::oracle::openmetrics_value(*v);
            let t = crate::oracle::seconds(*t);
            writeln!(out, "{}{{{}}} {v} {t}", s.name, labels.join(",")).expect("write");
        }
    }
    writeln!(out, "# EOF").expect("write");
    out.into_inner().expect("flush");
    Prometheus::over_openmetrics(&path, dir)
}

/// Every function whose numerics Go defines, applied to the edge values.
const ELEMENTWISE: &[&str] = &[
    "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh", "deg", "exp",
    "floor", "ln", "log10", "log2", "rad", "sgn", "sin", "sinh", "sqrt", "tan", "tanh",
];

/// The other queries of issue 16; all compared exactly.
const QUERIES: &[&str] = &[
    "math_input ^ 3",
    "math_input ^ 100",
    "math_input ^ 0.37",
    "math_input ^ -2.5",
    "math_input ^ 1e6",
    "1.0001 ^ math_input",
    "(-1.5) ^ math_input",
    "math_input ^ math_input",
    "math_input atan2 0.5",
    "-3 atan2 math_input",
    "math_input atan2 -math_input",
    "clamp(math_input, 0, NaN)",
    "clamp(math_input, NaN, 0)",
    "clamp(math_input, NaN, NaN)",
    "clamp(math_input, -1, 1)",
    "clamp(math_input, 1, -1)",
    "clamp_min(math_input, NaN)",
    "clamp_max(math_input, NaN)",
    "quantile(0.3, sort_input)",
    "quantile(0.5, math_input)",
    "quantile_over_time(0.25, wobble[10m])",
    "quantile_over_time(0.9, wobble[30m])",
    "stddev_over_time(wobble[10m])",
    "stdvar_over_time(wobble[30m])",
    "stddev_over_time(math_input[5m])",
    "stddev by (kind) (wobble)",
    "stdvar(math_input)",
    "holt_winters(wobble[10m], 0.3, 0.3)",
    "holt_winters(wobble[5m], 0.1, 0.9)",
    "holt_winters(wobble[10m], NaN, 0.5)",
    "holt_winters(wobble[10m], 1, 0.5)",
    "holt_winters(wobble[10m], 0.5, 0)",
    "holt_winters(wobble[10m], 0.5, -Inf)",
    "holt_winters(nothing[10m], 7, 7)",
    "day_of_year()",
    "day_of_year(date_input)",
    "day_of_year(vector(time()))",
    "day_of_month(date_input)",
    "days_in_month(date_input)",
    "month(date_input)",
    "year(date_input)",
];

/// Queries whose instant result order matters.
const ORDERED: &[&str] = &[
    "sort(sort_input)",
    "sort_desc(sort_input)",
    "sort(sort_input{group=\"small\"})",
    "sort_desc(sort_input{group=\"small\"})",
    "sort(math_input)",
    "sort_desc(math_input)",
    "sort(wobble)",
    "sort_desc(-sort_input)",
];

#[test]
fn issue_16_functions_match_prometheus_2_42_exactly() {
    let data = data_set();
    let storage = mem_storage(&data);
    let dir = tempfile::tempdir().expect("tempdir");
    let prom = serve(&data, dir.path());
    let engine = Engine::default();
    let mut failures = Vec::new();
    let mut compared = 0;
    let elementwise = ELEMENTWISE.iter().map(|f| format!("{f}(math_input)"));
    let queries: Vec<String> = elementwise
        .chain(QUERIES.iter().map(|q| q.to_string()))
        .collect();
    let instants = [T0 + 30 * MINUTE + 7_000, T0 + 64 * MINUTE];
    for query in &queries {
        for &t in &instants {
            let ours = engine
                .instant(&storage, query, t)
                .map(|v| normalize(&v, false));
            let theirs = prom.query(query, t, false);
            compare(&mut failures, &format!("{query} @ {t}"), ours, theirs);
            compared += 1;
        }
        let (start, end, step) = (T0, T0 + 70 * MINUTE, MINUTE);
        let ours = engine
            .range(&storage, query, start, end, step)
            .map(|v| normalize(&v, false));
        let theirs = prom.query_range(query, start, end, step);
        compare(&mut failures, &format!("{query} [range]"), ours, theirs);
        compared += 1;
    }
    for query in ORDERED {
        for &t in &instants {
            let ours = engine
                .instant(&storage, query, t)
                .map(|v| normalize(&v, true));
            let theirs = prom.query(query, t, true);
            compare(
                &mut failures,
                &format!("{query} @ {t} (ordered)"),
                ours,
                theirs,
            );
            compared += 1;
        }
    }
    eprintln!("issue 16: {compared} evaluations compared exactly");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Results must be the same floats; failures the same type and text.
fn compare(
    failures: &mut Vec<String>,
    what: &str,
    ours: Result<Normal, understudy_promql::QueryError>,
    theirs: Result<Normal, Failure>,
) {
    let ours = ours.map_err(|e| failure(&e));
    match (&ours, &theirs) {
        (Ok(o), Ok(t)) => {
            if let Some(diff) = difference(o, t, Precision::Exact) {
                failures.push(format!("{what}: {diff}"));
            }
        }
        (Err(o), Err(t)) if o == t => {}
        _ => failures.push(format!("{what}:\n  ours {ours:?}\n  prometheus {theirs:?}")),
    }
}

/// Typos and their Prometheus 2.42 errors: unexpected end of input,
/// unclosed parentheses and brackets, unknown functions, bad durations,
/// misplaced tokens in each grammar context, type and argument errors.
const PARSE_ERRORS: &[&str] = &[
    "",
    "sum(",
    "sum(foo",
    "((1)",
    "(1))",
    ")",
    "foo +",
    "1 +",
    "-",
    "foo ==",
    "foo{",
    "foo{a=\"b\"",
    "foo[5m",
    "foo[5m:",
    "foo[5x]",
    "foo[]",
    "foo[1.5m]",
    "foo[0m]",
    "foo[5m:0s]",
    "foo[99999999999999999y]",
    "rate(foo[5m)",
    "rate(foo[5m]",
    "nope(foo)",
    "nope(foo) bar",
    "a\n+ nope()",
    "first_over_time(foo[5m])",
    "rate(foo[5m]) + nope(bar)",
    "foo offset",
    "foo offset 5x",
    "foo offset -",
    "foo offset 5m offset 1m",
    "1 offset 5m",
    "foo @",
    "foo @ 1e400",
    "foo @ start x",
    "foo bar",
    "foo{a=\"b\"} bar",
    "foo # comment\n+",
    "sum foo",
    "sum(foo bar)",
    "sum(foo +)",
    "sum without ()",
    "sum(foo) by",
    "sum(foo) by a",
    "sum by (a b) (foo)",
    "sum(x) by (a:b)",
    "sum(rate(foo[5m])) by (job",
    "foo{a=b}",
    "foo{a}",
    "foo{a=}",
    "foo{,}",
    "foo{a=\"b\" c=\"d\"}",
    "foo}",
    "foo ]",
    "\"abc",
    "`abc",
    "foo{a=\"\\q\"}",
    "foo !~ 1",
    "foo ^^ 1",
    "1 + * 2",
    ".5m",
    "1e",
    "foo[5m:1m:1m]",
    "rate(foo)[5m]",
    "foo offset 1m [5m]",
    "sum(foo,)",
    "clamp(foo, , -1)",
    "rate(foo)",
    "rate(foo[5m], 1)",
    "clamp(foo)",
    "clamp(foo, 0, bar)",
    "abs()",
    "label_replace(foo, \"a\", \"b\", \"c\")",
    "holt_winters(foo[5m], 0.3)",
    "count_values(1, foo)",
    "topk(foo, bar)",
    "topk(1 foo)",
    "foo[5m] + 1",
    "foo and 1",
    "1 == 1",
    "foo and bool bar",
    "-\"a\"",
    "{}",
    "@ foo",
];

/// `match[]` selectors, good and bad.
const SELECTOR_ERRORS: &[&str] = &[
    "sum(",
    "rate(x[5m])",
    "up offset 5m",
    "up[5m]",
    "up{a=b}",
    "{}",
    "up{",
    "up}",
    "1",
    "sum",
    "up{a=\"b\"} + 1",
    "",
    "a:b{c=\"d\"}",
    "{__name__=\"up\"}",
    "up @ 5",
];

#[test]
fn issue_16_parse_errors_match_prometheus_2_42() {
    let data = data_set();
    let storage = mem_storage(&data);
    let dir = tempfile::tempdir().expect("tempdir");
    let prom = serve(&data, dir.path());
    let engine = Engine::default();
    let mut failures = Vec::new();
    let queries: Vec<String> = PARSE_ERRORS
        .iter()
        .map(|q| q.to_string())
        .chain(typos())
        .collect();
    for query in &queries {
        let ours = engine.instant(&storage, query, T0).map_err(|e| failure(&e));
        let theirs = prom.query(query, T0, false).map_err(|f| Failure {
            message: f
                .message
                .trim_start_matches("invalid parameter \"query\": ")
                .to_string(),
            ..f
        });
        match (ours, theirs) {
            (Ok(_), Ok(_)) => {}
            (Err(o), Err(t)) if o == t => {}
            (o, t) => failures.push(format!(
                "{query:?}:\n  ours {:?}\n  prometheus {:?}",
                o.err(),
                t.err()
            )),
        }
    }
    // Series selectors have a grammar of their own in 2.42.
    for selector in SELECTOR_ERRORS {
        let ours = understudy_promql::parse_selector(selector)
            .map(drop)
            .map_err(|e| failure(&e));
        let theirs = prom.series(selector).map_err(|f| Failure {
            message: f
                .message
                .trim_start_matches("invalid parameter \"match[]\": ")
                .to_string(),
            ..f
        });
        if ours != theirs {
            failures.push(format!(
                "match[]={selector:?}:\n  ours {ours:?}\n  prometheus {theirs:?}"
            ));
        }
    }
    // The curated ones must all be errors, or the list tests nothing.
    for query in PARSE_ERRORS {
        if engine.instant(&storage, query, T0).is_ok() {
            failures.push(format!("{query:?} parsed"));
        }
    }
    eprintln!("issue 16: {} queries' errors compared", queries.len());
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The recordings' dashboard queries with a character dropped, a token
/// inserted or the rest cut off, at positions a fixed sequence picks.
fn typos() -> Vec<String> {
    const INSERTS: &[&str] = &[
        "(", ")", "[", "]", "{", "}", ",", " x ", "\"", "=", "by", "5m", ":", "@", "offset", "+",
        "\n", "sum", "rate(", "1e5", "0x1f", "[5m:", "bool", "on(", "=~", "#c\n", "`", "end",
    ];
    let mut lcg = Lcg(42);
    let mut pick = |n: usize| (lcg.next() * n as f64) as usize;
    let mut out = Vec::new();
    for query in crate::QUERIES {
        for _ in 0..4 {
            let chars: Vec<char> = query.chars().collect();
            let at = pick(chars.len() + 1);
            let (head, tail): (String, String) =
                (chars[..at].iter().collect(), chars[at..].iter().collect());
            out.push(match pick(3) {
                0 => head,
                1 => format!("{head}{}", tail.chars().skip(1).collect::<String>()),
                _ => format!("{head}{}{tail}", INSERTS[pick(INSERTS.len())]),
            });
        }
    }
    out
}
