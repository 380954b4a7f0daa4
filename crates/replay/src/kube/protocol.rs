//! The pieces of the Kubernetes API protocol every handler needs: query
//! parameters, label and field selectors, `Status` errors as the API server
//! words them, watch event lines and streamed responses.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// A JSON response.
pub fn respond(code: StatusCode, body: &Value) -> Response {
    respond_as(code, body, "application/json")
}

/// The media type of aggregated discovery; clients tell it from a plain
/// APIGroupList by the Content-Type alone.
pub const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// A JSON answer with its media type.
pub fn respond_as(code: StatusCode, body: &Value, content_type: &'static str) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = code;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A `Status` object, as the API server sends with an error.
pub fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        s["details"] = d;
    }
    s
}

pub fn error(code: u16, reason: &str, message: &str, details: Option<Value>) -> Response {
    respond(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &status(code, reason, message, details),
    )
}

/// The API server's answer to a path it does not serve.
pub fn not_found_path() -> Response {
    error(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(
            json!({"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]}),
        ),
    )
}

/// `resource "name" not found`, with the group as the server qualifies it.
pub fn not_found_object(group: &str, resource: &str, name: &str) -> Response {
    let qualified = if group.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}.{group}")
    };
    error(
        404,
        "NotFound",
        &format!("{qualified} \"{name}\" not found"),
        Some(json!({"name": name, "group": group, "kind": resource})),
    )
}

/// Query parameters, decoded (`+` is a space, as in Go's url.ParseQuery).
pub fn query(q: Option<&str>) -> HashMap<String, String> {
    q.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

pub fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether a boolean query parameter is set.
/// A path's segments, percent-decoded (`/api/v1/namespaces/ns/pods` →
/// `api`, `v1`, …), for matching on the API server's path grammar.
pub fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect()
}

/// A 405 for anything but GET and HEAD: `why` says whose API is read-only.
pub fn read_only(method: &axum::http::Method, path: &str, why: &str) -> Option<Response> {
    (method != axum::http::Method::GET && method != axum::http::Method::HEAD).then(|| {
        error(
            405,
            "MethodNotAllowed",
            &format!("{why}: {method} {path} cannot change it (read-only)"),
            None,
        )
    })
}

pub fn flag(q: &HashMap<String, String>, name: &str) -> bool {
    q.get(name).is_some_and(|v| v == "true" || v == "1")
}

/// A `labelSelector` or `fieldSelector`: `a=b`, `a==b`, `a!=b`, `a`, `!a`,
/// `a in (x,y)`, `a notin (x,y)`.
#[derive(Debug, Clone, Default)]
pub struct Selector(Vec<(String, Op)>);

#[derive(Debug, Clone)]
enum Op {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    Absent,
}

impl Selector {
    pub fn parse(s: &str) -> Selector {
        Selector(split_terms(s).into_iter().map(|t| term(&t)).collect())
    }

    /// Whether an object with these values (`get(key)`) is selected.
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.0.iter().all(|(k, op)| {
            let v = get(k);
            match op {
                Op::Eq(want) => v.as_deref() == Some(want.as_str()),
                // Kubernetes: `a!=b` and `a notin (b)` also match objects without `a`.
                Op::Ne(want) => v.as_deref() != Some(want.as_str()),
                Op::In(set) => v.is_some_and(|v| set.contains(&v)),
                Op::NotIn(set) => v.is_none_or(|v| !set.contains(&v)),
                Op::Exists => v.is_some(),
                Op::Absent => v.is_none(),
            }
        })
    }
}

/// Terms split at commas outside parentheses.
fn split_terms(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0);
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

fn term(t: &str) -> (String, Op) {
    let set = |rest: &str| -> Vec<String> {
        rest.trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .split(',')
            .map(|v| v.trim().to_owned())
            .collect()
    };
    if let Some((k, rest)) = t.split_once(" notin ") {
        (k.trim().to_owned(), Op::NotIn(set(rest)))
    } else if let Some((k, rest)) = t.split_once(" in ") {
        (k.trim().to_owned(), Op::In(set(rest)))
    } else if let Some((k, v)) = t.split_once("!=") {
        (k.trim().to_owned(), Op::Ne(v.trim().to_owned()))
    } else if let Some((k, v)) = t.split_once("==") {
        (k.trim().to_owned(), Op::Eq(v.trim().to_owned()))
    } else if let Some((k, v)) = t.split_once('=') {
        (k.trim().to_owned(), Op::Eq(v.trim().to_owned()))
    } else if let Some(k) = t.strip_prefix('!') {
        (k.trim().to_owned(), Op::Absent)
    } else {
        (t.to_owned(), Op::Exists)
    }
}

/// Which objects of one resource a list or watch asks for.
#[derive(Debug, Clone)]
pub struct Filter {
    pub resource: usize,
    pub namespace: Option<String>,
    pub labels: Selector,
    pub fields: Selector,
}

impl Filter {
    pub fn new(resource: usize, namespace: Option<&str>, q: &HashMap<String, String>) -> Filter {
        Filter {
            resource,
            namespace: namespace.map(str::to_owned),
            labels: Selector::parse(q.get("labelSelector").map_or("", String::as_str)),
            fields: Selector::parse(q.get("fieldSelector").map_or("", String::as_str)),
        }
    }

    pub fn matches(&self, resource: usize, obj: &Value) -> bool {
        resource == self.resource
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| obj["metadata"]["namespace"].as_str() == Some(ns))
            && self
                .labels
                .matches(|k| obj["metadata"]["labels"][k].as_str().map(str::to_owned))
            && self.fields.matches(|path| {
                let mut v = obj;
                for part in path.split('.') {
                    v = &v[part];
                }
                match v {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                }
            })
    }
}

/// `/version`: the Kubernetes release whose API this speaks.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T00:00:00Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// One line of a watch stream.
pub fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut s = json!({"type": kind, "object": object}).to_string();
    s.push('\n');
    Bytes::from(s)
}

/// A chunked JSON stream fed by `rx`; an `Err` cuts the connection.
pub fn streaming(rx: mpsc::Receiver<Result<Bytes, std::io::Error>>) -> Response {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn selectors_as_kubectl_writes_them() {
        let l = labels(&[("app", "meme-backend"), ("tier", "api")]);
        assert!(Selector::parse("app=meme-backend").matches(&l));
        assert!(Selector::parse("app==meme-backend,tier").matches(&l));
        assert!(Selector::parse("tier in (api, web),!gone").matches(&l));
        assert!(Selector::parse("app notin (x),missing!=y").matches(&l));
        assert!(!Selector::parse("tier notin (api)").matches(&l));
        assert!(!Selector::parse("app,missing").matches(&l));
        assert!(Selector::parse("").matches(&l));
    }

    #[test]
    fn queries_decode_like_go() {
        let q = query(Some(
            "labelSelector=scaledobject.keda.sh%2Fname%3Dmeme-backend&x=a+b&watch=1",
        ));
        assert_eq!(q["labelSelector"], "scaledobject.keda.sh/name=meme-backend");
        assert_eq!(q["x"], "a b");
        assert!(flag(&q, "watch"));
    }
}
