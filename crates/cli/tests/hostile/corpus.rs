//! The hostile-request corpus: one `NAME.req` file per request, read into
//! [`Case`]s (the format: `hostile_requests/README.md`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::wire::Outcome;

/// Which listener a case is sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `understudy replay`: the Prometheus API, control API and dashboard.
    Prometheus,
    /// `understudy replay --kube-listen`: the Kubernetes API.
    Kube,
    /// `understudy record`: `/metrics` and `/healthz`.
    RecordHealth,
    /// `understudy record` with `[source.prometheus.remote_write]`.
    RemoteWrite,
}

impl Target {
    fn parse(s: &str) -> Result<Target, String> {
        Ok(match s {
            "prometheus" => Target::Prometheus,
            "kube" => Target::Kube,
            "record-health" => Target::RecordHealth,
            "remote-write" => Target::RemoteWrite,
            other => {
                return Err(format!(
                    "unknown server {other:?}: prometheus, kube, record-health, remote-write"
                ));
            }
        })
    }
}

/// What goes over the wire: byte chunks, with pauses before some of them.
#[derive(Debug, Default)]
pub struct Request {
    pub chunks: Vec<(Duration, Vec<u8>)>,
    /// Shut down the sending side after the last chunk.
    pub close_write: bool,
    /// Read only the status line and headers (a watch never ends).
    pub headers_only: bool,
    /// A HEAD request: no body follows the headers.
    pub head: bool,
    /// How long an answer may take before the case is a hang.
    pub timeout: Duration,
}

/// One corpus file: where it goes, what it sends, what must come back.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub path: PathBuf,
    pub target: Target,
    pub request: Request,
    /// Acceptable statuses; `None` is "no answer: the connection is closed,
    /// or left open, without a byte" (a slow or cut-off client).
    pub statuses: Vec<Option<u16>>,
    pub error_type: Option<String>,
    pub contains: Vec<String>,
}

impl Case {
    /// What is wrong with `o` as the answer to this case (nothing: empty).
    pub fn check(&self, o: &Outcome) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(e) = &o.error {
            problems.push(e.clone());
        }
        if !self.statuses.contains(&o.status) {
            problems.push(format!(
                "expected status {}, got {}; body: {}",
                self.statuses
                    .iter()
                    .map(|s| s.map_or_else(|| "none".to_owned(), |s| s.to_string()))
                    .collect::<Vec<_>>()
                    .join(" | "),
                o.status
                    .map_or_else(|| "none".to_owned(), |s| s.to_string()),
                excerpt(&o.body)
            ));
            return problems;
        }
        if let Some(kind) = &self.error_type {
            let got = serde_json::from_str::<serde_json::Value>(&o.body)
                .ok()
                .and_then(|v| v["errorType"].as_str().map(str::to_owned));
            if got.as_deref() != Some(kind.as_str()) {
                problems.push(format!(
                    "expected errorType {kind}, got {got:?}; body: {}",
                    excerpt(&o.body)
                ));
            }
        }
        for want in &self.contains {
            if !o.body.contains(want.as_str()) {
                problems.push(format!(
                    "expected {want:?} in the body: {}",
                    excerpt(&o.body)
                ));
            }
        }
        problems
    }
}

/// `s`, quoted and cut short enough for a failure message.
pub fn excerpt(s: &str) -> String {
    if s.len() <= 300 {
        return format!("{s:?}");
    }
    let cut = (0..=300)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    format!("{:?}… ({} bytes)", &s[..cut], s.len())
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile_requests")
}

/// Every case, by file name; a file that does not parse, or a stray file,
/// fails the suite.
pub fn corpus() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the corpus directory")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    let mut cases = Vec::new();
    for path in paths {
        match path.file_name().and_then(|n| n.to_str()) {
            Some("README.md") => continue,
            Some(n) if n.ends_with(".req") => {}
            _ => panic!(
                "unexpected file {} in the corpus: cases are NAME.req",
                path.display()
            ),
        }
        let text = std::fs::read_to_string(&path).expect("read a corpus file");
        cases.push(parse_case(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
    cases
}

fn parse_case(path: &Path, text: &str) -> Result<Case, String> {
    let name = path
        .file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let (mut target, mut method, mut uri) = (None, b"GET".to_vec(), None);
    let (mut headers, mut body, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    let (mut pause, mut snappy) = (Duration::ZERO, false);
    let mut request = Request {
        timeout: Duration::from_secs(20),
        ..Request::default()
    };
    let (mut statuses, mut error_type, mut contains) = (None, None, Vec::new());
    for (n, line) in text.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}", n + 1);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| at(format!("expected `key: value`, got {line:?}")))?;
        let value = value.strip_prefix(' ').unwrap_or(value);
        match key {
            "server" => target = Some(Target::parse(value).map_err(at)?),
            "method" => method = expand(value, false).map_err(at)?,
            "path" => uri = Some(expand(value, false).map_err(at)?),
            "header" => headers.push(expand(value, false).map_err(at)?),
            "body" => body.extend(expand(value, false).map_err(at)?),
            "body-encoding" if value == "snappy" => snappy = true,
            "raw" => {
                raw.push((pause, expand(value, true).map_err(at)?));
                pause = Duration::ZERO;
            }
            "pause" => {
                pause = humantime::parse_duration(value).map_err(|e| at(e.to_string()))?;
            }
            "close-write" => request.close_write = value == "true",
            "read" if value == "headers" => request.headers_only = true,
            "timeout" => {
                request.timeout =
                    humantime::parse_duration(value).map_err(|e| at(e.to_string()))?;
            }
            "expect-status" => {
                let list = value
                    .split('|')
                    .map(|s| match s.trim() {
                        "none" => Ok(None),
                        s => s.parse().map(Some).map_err(|_| {
                            at(format!(
                                "bad status {s:?}: a number, several joined by |, or none"
                            ))
                        }),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                statuses = Some(list);
            }
            "expect-error-type" => error_type = Some(value.to_owned()),
            "expect-body-contains" => contains.push(value.to_owned()),
            // What a real Prometheus or API server answers, where it differs.
            "real-server" => {}
            other => return Err(at(format!("unknown key {other:?}"))),
        }
    }
    let target = target.ok_or("no `server:` line")?;
    let statuses = statuses.ok_or("no `expect-status:` line: add what the server must answer")?;
    if snappy {
        body = snappy_literal(&body);
    }
    request.head = method == b"HEAD";
    request.chunks = match (uri, raw.is_empty()) {
        (Some(uri), true) => vec![(Duration::ZERO, http_request(&method, &uri, &headers, &body))],
        (None, false) if headers.is_empty() && body.is_empty() => raw,
        _ => return Err("give either `path:` (with headers and body) or `raw:` lines".into()),
    };
    Ok(Case {
        name,
        path: path.to_owned(),
        target,
        request,
        statuses,
        error_type,
        contains,
    })
}

/// `{{N*TEXT}}` is TEXT N times, `{{hex:0a ff}}` raw bytes (`{{N*hex:0a}}`
/// both); in `raw:` lines `\r`, `\n`, `\t` and `\\` are escapes too.
fn expand(value: &str, escapes: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("{{") {
        out.extend(unescape(&rest[..start], escapes)?);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("`{{` without `}}`")?;
        let inner = &after[..end];
        rest = &after[end + 2..];
        let (n, text) = match inner.split_once('*') {
            Some((n, text))
                if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'_') =>
            {
                let n: usize = n
                    .replace('_', "")
                    .parse()
                    .map_err(|_| format!("bad count {n:?}"))?;
                (n, text)
            }
            _ => (1, inner),
        };
        let bytes = match text.strip_prefix("hex:") {
            Some(hex) => hex
                .split_whitespace()
                .map(|b| u8::from_str_radix(b, 16).map_err(|_| format!("bad hex {b:?}")))
                .collect::<Result<Vec<u8>, _>>()?,
            None if n == 1 => {
                return Err(format!(
                    "`{{{{{inner}}}}}`: expected N*TEXT, hex:.. or N*hex:.."
                ));
            }
            None => unescape(text, escapes)?,
        };
        out.extend(bytes.repeat(n));
    }
    out.extend(unescape(rest, escapes)?);
    Ok(out)
}

fn unescape(s: &str, escapes: bool) -> Result<Vec<u8>, String> {
    if !escapes {
        return Ok(s.as_bytes().to_vec());
    }
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.extend(c.to_string().as_bytes());
            continue;
        }
        out.push(match chars.next() {
            Some('r') => b'\r',
            Some('n') => b'\n',
            Some('t') => b'\t',
            Some('\\') => b'\\',
            other => return Err(format!("unknown escape \\{other:?}")),
        });
    }
    Ok(out)
}

/// An HTTP/1.1 request; `Host`, `Content-Length` (with a body or for a
/// POST) and `Connection: close` are added unless the case sets them.
pub fn http_request(method: &[u8], uri: &[u8], headers: &[Vec<u8>], body: &[u8]) -> Vec<u8> {
    let has = |name: &str| {
        headers.iter().any(|h| {
            h.split(|&b| b == b':')
                .next()
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
        })
    };
    let mut out = Vec::new();
    out.extend(method);
    out.push(b' ');
    out.extend(uri);
    out.extend(b" HTTP/1.1\r\n");
    if !has("host") {
        out.extend(b"Host: hostile.test\r\n");
    }
    if !has("content-length")
        && !has("transfer-encoding")
        && (!body.is_empty() || matches!(method, b"POST" | b"PUT" | b"PATCH"))
    {
        out.extend(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    if !has("connection") {
        out.extend(b"Connection: close\r\n");
    }
    for h in headers {
        out.extend(h);
        out.extend(b"\r\n");
    }
    out.extend(b"\r\n");
    out.extend(body);
    out
}

/// A snappy block of literals (valid, uncompressed): `body-encoding: snappy`.
fn snappy_literal(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(&mut out, data.len() as u64);
    for chunk in data.chunks(1 << 16) {
        let n = chunk.len() - 1;
        if n < 60 {
            out.push((n as u8) << 2);
        } else if n < 1 << 8 {
            out.extend([60 << 2, n as u8]);
        } else {
            out.extend([61 << 2, n as u8, (n >> 8) as u8]);
        }
        out.extend(chunk);
    }
    out
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
