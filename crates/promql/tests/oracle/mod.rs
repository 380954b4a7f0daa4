//! The oracle of the differential tests: a real Prometheus 2.42 (the test
//! kit's: Debian's `prometheus`, backfilled with `promtool`) on a loopback
//! port, and the comparison of its answers with the engine's.

use std::path::Path;

use serde_json::Value as Json;
use understudy_promql::{Labels, Value};

/// A result as comparable series: (labels, points), sorted by labels
/// unless the order itself is under test.
pub type Normal = Vec<(Labels, Vec<(i64, f64)>)>;

/// A failed query: Prometheus' `errorType` and `error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: String,
    pub message: String,
}

/// The engine's error in Prometheus' terms.
pub fn failure(e: &understudy_promql::QueryError) -> Failure {
    let kind = match e {
        understudy_promql::QueryError::BadData(_) => "bad_data",
        understudy_promql::QueryError::Execution(_) => "execution",
        understudy_promql::QueryError::Timeout(_) => "timeout",
        understudy_promql::QueryError::Canceled(_) => "canceled",
    };
    Failure {
        kind: kind.to_string(),
        message: e.to_string(),
    }
}

/// The engine's value as Prometheus' JSON would carry it; `ordered` keeps
/// the order of an instant vector instead of sorting it.
pub fn normalize(v: &Value, ordered: bool) -> Normal {
    let mut out: Normal = match v {
        Value::Scalar { t, v } => vec![(Labels::default(), vec![(*t, *v)])],
        Value::String { .. } => Vec::new(),
        Value::Vector(samples) => samples
            .iter()
            .map(|s| (s.labels.clone(), vec![(s.t, s.v)]))
            .collect(),
        Value::Matrix(series) => series
            .iter()
            .map(|s| {
                let points = s.timestamps.iter().copied().zip(s.values.iter().copied());
                (s.labels.clone(), points.collect())
            })
            .collect(),
    };
    if !ordered {
        out.sort_by(|a, b| a.0.cmp(&b.0));
    }
    out
}

/// How closely values must agree.
#[derive(Debug, Clone, Copy)]
pub enum Precision {
    /// Relative 1e-9: sums over different series orders may differ.
    Close,
    /// The same float, bit for bit (any NaN equal to any NaN).
    Exact,
}

/// The first difference between two results, if any.
pub fn difference(ours: &Normal, theirs: &Normal, precision: Precision) -> Option<String> {
    if ours.len() != theirs.len() {
        let names = |n: &Normal| n.iter().map(|s| format!("{:?}", s.0)).collect::<Vec<_>>();
        return Some(format!(
            "{} series vs {}:\n  ours {:?}\n  prometheus {:?}",
            ours.len(),
            theirs.len(),
            names(ours),
            names(theirs)
        ));
    }
    for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
        if o.0 != t.0 {
            return Some(format!("series {i}: labels {:?} vs {:?}", o.0, t.0));
        }
        if o.1.len() != t.1.len() {
            return Some(format!(
                "{:?}: {} points vs {}: {:?} vs {:?}",
                o.0,
                o.1.len(),
                t.1.len(),
                o.1,
                t.1
            ));
        }
        for (a, b) in o.1.iter().zip(&t.1) {
            if a.0 != b.0 || !same_value(a.1, b.1, precision) {
                return Some(format!("{:?}: point {a:?} vs {b:?}", o.0));
            }
        }
    }
    None
}

fn same_value(a: f64, b: f64, precision: Precision) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    match precision {
        Precision::Exact => a.to_bits() == b.to_bits(),
        Precision::Close => a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()),
    }
}

/// Seconds as the API takes them.
pub fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// One sample value as OpenMetrics (Go's `ParseFloat`) reads it back
/// exactly: Rust's shortest round-trip digits, Go's infinity spelling.
pub fn openmetrics_value(v: f64) -> String {
    match v {
        f64::INFINITY => "+Inf".to_string(),
        f64::NEG_INFINITY => "-Inf".to_string(),
        _ if v.is_nan() => "NaN".to_string(),
        _ => format!("{v:?}"),
    }
}

/// The test kit's Prometheus over backfilled data, asked as the engine is.
pub struct Prometheus(understudy_testkit::Prometheus);

impl Prometheus {
    /// Serves the samples of the recording in `dir`.
    pub fn over_recording(dir: &Path) -> Prometheus {
        Prometheus(understudy_testkit::Prometheus::over_recording(dir))
    }

    /// Serves `openmetrics` (a file ending in `# EOF`), backfilled into a
    /// TSDB under `dir`.
    pub fn over_openmetrics(openmetrics: &Path, dir: &Path) -> Prometheus {
        Prometheus(understudy_testkit::Prometheus::over_openmetrics(
            openmetrics,
            dir,
        ))
    }

    /// `/api/v1/query`; `ordered` keeps the vector's order.
    pub fn query(&self, query: &str, t: i64, ordered: bool) -> Result<Normal, Failure> {
        self.api(
            "/api/v1/query",
            &[("query", query), ("time", &seconds(t))],
            ordered,
        )
    }

    pub fn query_range(
        &self,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Normal, Failure> {
        let params = [
            ("query", query),
            ("start", &seconds(start)),
            ("end", &seconds(end)),
            ("step", &seconds(step)),
        ];
        self.api("/api/v1/query_range", &params, false)
    }

    /// `/api/v1/series` for one `match[]`: only whether it is accepted.
    pub fn series(&self, selector: &str) -> Result<(), Failure> {
        self.json("/api/v1/series", &[("match[]", selector)])
            .map(drop)
    }

    fn api(&self, path: &str, params: &[(&str, &str)], ordered: bool) -> Result<Normal, Failure> {
        let json = self.json(path, params)?;
        parse_result(&json["data"], ordered).map_err(|message| Failure {
            kind: "harness".to_string(),
            message,
        })
    }

    /// A successful answer's JSON, or its error.
    fn json(&self, path: &str, params: &[(&str, &str)]) -> Result<Json, Failure> {
        let harness = |message: String| Failure {
            kind: "harness".to_string(),
            message,
        };
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let target = format!("{path}?{}", query.join("&"));
        let body = understudy_testkit::get(self.0.port, &target)
            .ok_or_else(|| harness(format!("no answer to {target}")))?;
        let json: Json =
            serde_json::from_str(&body).map_err(|e| harness(format!("{e}: {body}")))?;
        if json["status"] != "success" {
            return Err(Failure {
                kind: json["errorType"].as_str().unwrap_or_default().to_string(),
                message: json["error"].as_str().unwrap_or_default().to_string(),
            });
        }
        Ok(json)
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn parse_result(data: &Json, ordered: bool) -> Result<Normal, String> {
    let result = &data["result"];
    let point = |p: &Json| -> Result<(i64, f64), String> {
        let t = p[0].as_f64().ok_or("bad time")?;
        let v = p[1].as_str().ok_or("bad value")?;
        let v = match v {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other.parse().map_err(|e| format!("{e}"))?,
        };
        Ok(((t * 1000.0).round() as i64, v))
    };
    let labels = |m: &Json| {
        Labels::new(
            m.as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())),
        )
    };
    let mut out: Normal = match data["resultType"].as_str() {
        Some("scalar") => vec![(Labels::default(), vec![point(result)?])],
        Some("string") => Vec::new(),
        Some("vector") => result
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| Ok((labels(&s["metric"]), vec![point(&s["value"])?])))
            .collect::<Result<_, String>>()?,
        Some("matrix") => result
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                let points = s["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(point)
                    .collect::<Result<_, String>>()?;
                Ok((labels(&s["metric"]), points))
            })
            .collect::<Result<_, String>>()?,
        other => return Err(format!("unknown result type {other:?}")),
    };
    if !ordered {
        out.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Ok(out)
}
