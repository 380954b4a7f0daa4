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
    /// A `labelSelector`, checked as the API server checks it: keys are
    /// label names (`[prefix/]name`), values label values, sets in
    /// parentheses. A selector it cannot read is a 400 there, so here too,
    /// never a list filtered by a guess.
    pub fn labels(s: &str) -> Result<Selector, String> {
        let terms = split_terms(s)?;
        terms
            .iter()
            .map(|t| {
                label_term(t).map_err(|why| format!("unable to parse requirement {t:?}: {why}"))
            })
            .collect::<Result<_, _>>()
            .map(Selector)
    }

    /// A `fieldSelector`: `path=value`, `path==value` or `path!=value`.
    pub fn fields(s: &str) -> Result<Selector, String> {
        let terms = split_terms(s)?;
        terms
            .iter()
            .map(|t| {
                let (k, op) = if let Some((k, v)) = t.split_once("!=") {
                    (k, Op::Ne(v.trim().to_owned()))
                } else if let Some((k, v)) = t.split_once("==") {
                    (k, Op::Eq(v.trim().to_owned()))
                } else if let Some((k, v)) = t.split_once('=') {
                    (k, Op::Eq(v.trim().to_owned()))
                } else {
                    return Err(format!(
                        "invalid selector: {t:?}; field selectors take only =, == and !="
                    ));
                };
                let k = k.trim();
                let path_ok = !k.is_empty()
                    && k.split('.').all(|part| {
                        !part.is_empty()
                            && part
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
                    });
                if !path_ok {
                    return Err(format!(
                        "invalid field selector {t:?}: {k:?} is not a field path"
                    ));
                }
                Ok((k.to_owned(), op))
            })
            .collect::<Result<_, _>>()
            .map(Selector)
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
fn split_terms(s: &str) -> Result<Vec<String>, String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0u32);
    for c in s.chars() {
        match c {
            '(' if depth > 0 => return Err(format!("nested parentheses in selector {s:?}")),
            '(' => depth = 1,
            ')' if depth == 0 => return Err(format!("unbalanced ')' in selector {s:?}")),
            ')' => depth = 0,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if depth > 0 {
        return Err(format!("unclosed '(' in selector {s:?}"));
    }
    out.push(cur);
    let terms: Vec<String> = out.into_iter().map(|t| t.trim().to_owned()).collect();
    // An empty selector selects everything; an empty term among others is a typo.
    if terms.len() > 1 && terms.iter().any(String::is_empty) {
        return Err(format!("empty requirement in selector {s:?}"));
    }
    Ok(terms.into_iter().filter(|t| !t.is_empty()).collect())
}

fn label_term(t: &str) -> Result<(String, Op), String> {
    let set = |rest: &str| -> Result<Vec<String>, String> {
        let inner = rest
            .trim()
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .ok_or("a set of values must be in parentheses: (a, b)")?;
        inner.split(',').map(|v| label_value(v.trim())).collect()
    };
    let (k, op) = if let Some((k, rest)) = t.split_once(" notin ") {
        (k, Op::NotIn(set(rest)?))
    } else if let Some((k, rest)) = t.split_once(" in ") {
        (k, Op::In(set(rest)?))
    } else if let Some((k, v)) = t.split_once("!=") {
        (k, Op::Ne(label_value(v.trim())?))
    } else if let Some((k, v)) = t.split_once("==") {
        (k, Op::Eq(label_value(v.trim())?))
    } else if let Some((k, v)) = t.split_once('=') {
        (k, Op::Eq(label_value(v.trim())?))
    } else if let Some(k) = t.strip_prefix('!') {
        (k, Op::Absent)
    } else {
        (t, Op::Exists)
    };
    let k = k.trim();
    label_key(k)?;
    Ok((k.to_owned(), op))
}

/// A label name: `[prefix/]name`, the prefix a DNS subdomain.
fn label_key(k: &str) -> Result<(), String> {
    let (prefix, name) = k.rsplit_once('/').unwrap_or(("", k));
    let prefix_ok = prefix.len() <= 253
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !(prefix_ok && k.rsplit_once('/').is_none_or(|(p, _)| !p.is_empty()) && is_name(name)) {
        return Err(format!(
            "{k:?} is not a label name: a name of up to 63 letters, digits, '-', '_' or '.', \
             beginning and ending with a letter or digit, optionally after a DNS prefix and '/'"
        ));
    }
    Ok(())
}

fn label_value(v: &str) -> Result<String, String> {
    if v.is_empty() || is_name(v) {
        Ok(v.to_owned())
    } else {
        Err(format!(
            "{v:?} is not a label value: up to 63 letters, digits, '-', '_' or '.', \
             beginning and ending with a letter or digit"
        ))
    }
}

fn is_name(s: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    !s.is_empty()
        && s.len() <= 63
        && alnum(s.chars().next())
        && alnum(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
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
    /// The filter a request asks for; the error is the 400's message.
    pub fn new(
        resource: usize,
        namespace: Option<&str>,
        q: &HashMap<String, String>,
    ) -> Result<Filter, String> {
        Ok(Filter {
            resource,
            namespace: namespace.map(str::to_owned),
            labels: Selector::labels(q.get("labelSelector").map_or("", String::as_str))?,
            fields: Selector::fields(q.get("fieldSelector").map_or("", String::as_str))?,
        })
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

    fn sel(s: &str) -> Selector {
        Selector::labels(s).expect("a valid selector")
    }

    #[test]
    fn selectors_as_kubectl_writes_them() {
        let l = labels(&[("app", "meme-backend"), ("tier", "api")]);
        assert!(sel("app=meme-backend").matches(&l));
        assert!(sel("app==meme-backend,tier").matches(&l));
        assert!(sel("tier in (api, web),!gone").matches(&l));
        assert!(sel("app notin (x),missing!=y").matches(&l));
        assert!(!sel("tier notin (api)").matches(&l));
        assert!(!sel("app,missing").matches(&l));
        assert!(sel("").matches(&l));
        assert!(!sel("scaledobject.keda.sh/name=meme-backend").matches(|_: &str| None));
        let f = Selector::fields("status.phase=Running,metadata.name!=x").expect("valid");
        assert!(f.matches(|k| (k == "status.phase").then(|| "Running".to_owned())));
    }

    /// Issue 16: a selector the API server refuses is a 400 here too, not
    /// a list filtered by a guess.
    #[test]
    fn issue_16_bad_selectors_are_refused() {
        for bad in [
            "a b",
            "app=(x",
            "app in x",
            "app in (x",
            "app)",
            "app=a b",
            "=x",
            "app,,tier",
            "-app",
            "app=-x",
            "Example.com/app=x",
            "/app",
            &"a".repeat(64),
        ] {
            assert!(Selector::labels(bad).is_err(), "{bad:?}");
        }
        for bad in ["status.phase", "status.phase in (Running)", "a..b=c", "=x"] {
            assert!(Selector::fields(bad).is_err(), "{bad:?}");
        }
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
