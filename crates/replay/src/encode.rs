//! Query answers written as a stream of JSON chunks. A range query over a
//! large recording can answer millions of points; built as one
//! `serde_json::Value` tree first, such an answer took ten times the memory
//! of its points. Here each series is written out in turn and then freed,
//! so the memory of an answer is its points and one chunk of text.

use std::convert::Infallible;
use std::io::Write as _;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use understudy_promql::{Labels, Sample, Series, Value};

use crate::format::value;
use crate::queries::Slot;

/// Text handed to the connection at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// The `success` answer of a query, in Prometheus' key order; `slot` is
/// held until the answer is written.
pub fn query_success(v: Value, slot: Slot) -> Response {
    let (kind, parts) = match v {
        Value::Scalar { t, v } => {
            let mut out = Vec::new();
            point(&mut out, t, v);
            return whole("scalar", out);
        }
        Value::String { t, v } => {
            let mut out = b"[".to_vec();
            seconds(&mut out, t);
            out.push(b',');
            json_str(&mut out, &v);
            out.push(b']');
            return whole("string", out);
        }
        Value::Vector(samples) => ("vector", Parts::Vector(samples)),
        Value::Matrix(series) => ("matrix", Parts::Matrix(series)),
    };
    let mut chunks = Chunks {
        head: Some(head(kind)),
        parts,
        next: 0,
        _slot: slot,
    };
    let first = chunks.next().unwrap_or(Ok(Bytes::new()));
    // Most answers fit one chunk: those go out whole, with a length.
    let body = if chunks.done() {
        first.map_or_else(|never| match never {}, Body::from)
    } else {
        Body::from_stream(futures_util::stream::iter(
            std::iter::once(first).chain(chunks),
        ))
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn head(kind: &str) -> Vec<u8> {
    format!(r#"{{"status":"success","data":{{"resultType":"{kind}","result":"#).into_bytes()
}

fn whole(kind: &str, result: Vec<u8>) -> Response {
    let mut out = head(kind);
    out.extend_from_slice(&result);
    out.extend_from_slice(b"}}");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        out,
    )
        .into_response()
}

enum Parts {
    Vector(Vec<Sample>),
    Matrix(Vec<Series>),
}

impl Parts {
    fn len(&self) -> usize {
        match self {
            Parts::Vector(v) => v.len(),
            Parts::Matrix(m) => m.len(),
        }
    }

    /// Writes element `i` and frees its points.
    fn write(&mut self, i: usize, out: &mut Vec<u8>) {
        match self {
            Parts::Vector(v) => {
                let s = std::mem::replace(
                    &mut v[i],
                    Sample {
                        labels: Labels::default(),
                        t: 0,
                        v: 0.0,
                    },
                );
                out.extend_from_slice(br#"{"metric":"#);
                labels(out, &s.labels);
                out.extend_from_slice(br#","value":"#);
                point(out, s.t, s.v);
                out.push(b'}');
            }
            Parts::Matrix(m) => {
                let s = std::mem::replace(
                    &mut m[i],
                    Series {
                        labels: Labels::default(),
                        timestamps: Vec::new(),
                        values: Vec::new(),
                    },
                );
                out.extend_from_slice(br#"{"metric":"#);
                labels(out, &s.labels);
                out.extend_from_slice(br#","values":["#);
                for (k, (&t, &v)) in s.timestamps.iter().zip(&s.values).enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    point(out, t, v);
                }
                out.extend_from_slice(b"]}");
            }
        }
    }
}

struct Chunks {
    head: Option<Vec<u8>>,
    parts: Parts,
    next: usize,
    _slot: Slot,
}

impl Chunks {
    fn done(&self) -> bool {
        self.head.is_none() && self.next > self.parts.len()
    }
}

impl Iterator for Chunks {
    type Item = Result<Bytes, Infallible>;

    fn next(&mut self) -> Option<Self::Item> {
        let total = self.parts.len();
        let mut out = match self.head.take() {
            Some(mut head) => {
                head.push(b'[');
                head
            }
            None if self.next > total => return None,
            None => Vec::with_capacity(CHUNK_BYTES + 1024),
        };
        while self.next < total && out.len() < CHUNK_BYTES {
            if self.next > 0 {
                out.push(b',');
            }
            self.parts.write(self.next, &mut out);
            self.next += 1;
        }
        if self.next == total {
            out.extend_from_slice(b"]}}");
            self.next += 1;
        }
        Some(Ok(Bytes::from(out)))
    }
}

fn labels(out: &mut Vec<u8>, l: &Labels) {
    out.push(b'{');
    for (i, (k, v)) in l.0.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, k);
        out.push(b':');
        json_str(out, v);
    }
    out.push(b'}');
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    // Writing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn point(out: &mut Vec<u8>, t: i64, v: f64) {
    out.push(b'[');
    seconds(out, t);
    out.extend_from_slice(b",\"");
    out.extend_from_slice(value(v).as_bytes());
    out.extend_from_slice(b"\"]");
}

/// A timestamp in seconds as Prometheus writes it: `60`, `1795648515.5`,
/// `-1.5` (Go's shortest float of the milliseconds over 1000).
fn seconds(out: &mut Vec<u8>, ms: i64) {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    let (whole, frac) = (abs / 1000, abs % 1000);
    let _ = if frac == 0 {
        write!(out, "{sign}{whole}")
    } else {
        let frac = format!("{frac:03}");
        write!(out, "{sign}{whole}.{}", frac.trim_end_matches('0'))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn text(v: Value) -> String {
        let body = query_success(v, Slot::detached()).into_body();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("the answer is valid");
        String::from_utf8(bytes.to_vec()).expect("the answer is valid")
    }

    fn labels_of(pairs: &[(&str, &str)]) -> Labels {
        Labels::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[tokio::test]
    async fn answers_read_as_prometheus_writes_them() {
        assert_eq!(
            text(Value::Scalar { t: 4000, v: 2.0 }).await,
            r#"{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}"#
        );
        assert_eq!(
            text(Value::String {
                t: -1500,
                v: "a\"b".into()
            })
            .await,
            r#"{"status":"success","data":{"resultType":"string","result":[-1.5,"a\"b"]}}"#
        );
        assert_eq!(
            text(Value::Vector(Vec::new())).await,
            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#
        );
        let v = Value::Vector(vec![Sample {
            labels: labels_of(&[("__name__", "up"), ("pod", "a\nb")]),
            t: 1_795_648_515_500,
            v: f64::NAN,
        }]);
        assert_eq!(
            text(v).await,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","pod":"a\nb"},"value":[1795648515.5,"NaN"]}]}}"#
        );
    }

    #[test]
    fn timestamps_are_seconds_with_milliseconds() {
        let text = |ms| {
            let mut out = Vec::new();
            seconds(&mut out, ms);
            String::from_utf8(out).expect("the answer is valid")
        };
        assert_eq!(text(60_000), "60");
        assert_eq!(text(1_795_648_515_500), "1795648515.5");
        assert_eq!(text(1_795_648_515_001), "1795648515.001");
        assert_eq!(text(4_000), "4");
        assert_eq!(text(-1_500), "-1.5");
        assert_eq!(text(-500), "-0.5");
        assert_eq!(text(0), "0");
    }

    #[tokio::test]
    async fn a_large_matrix_streams_as_one_valid_document() {
        let series: Vec<Series> = (0..500)
            .map(|i| Series {
                labels: labels_of(&[("i", &i.to_string())]),
                timestamps: (0..300).map(|t| t * 15_000 + 1).collect(),
                values: (0..300).map(|v| v as f64 / 7.0).collect(),
            })
            .collect();
        let expected = series.clone();
        let body = text(Value::Matrix(series)).await;
        assert!(body.len() > 4 * CHUNK_BYTES, "several chunks");
        let json: serde_json::Value = serde_json::from_str(&body).expect("the answer is valid");
        let result = json["data"]["result"]
            .as_array()
            .expect("the answer is valid");
        assert_eq!(result.len(), expected.len());
        for (got, want) in result.iter().zip(&expected) {
            assert_eq!(got["metric"]["i"], want.labels.0[0].1.as_str());
            let values = got["values"].as_array().expect("the answer is valid");
            assert_eq!(values.len(), want.values.len());
            assert_eq!(values[7][0].as_f64(), Some(105.001));
            assert_eq!(values[7][1].as_str(), Some(value(want.values[7]).as_str()));
        }
    }
}
