//! What the HTTP tests share: a sink that keeps batches, a minimal HTTP
//! client, and time limits so that no test can hang.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use understudy_core::{BoxFuture, Sample, Sink, SinkClosed, TimelineBatch};

/// Keeps every batch; refuses them all once closed.
#[derive(Debug, Default)]
pub struct CollectSink {
    pub batches: Mutex<Vec<TimelineBatch>>,
    pub closed: std::sync::atomic::AtomicBool,
}

impl CollectSink {
    pub fn samples(&self) -> Vec<Sample> {
        let batches = self.batches.lock().expect("not poisoned");
        batches
            .iter()
            .flat_map(|b| b.samples.iter().cloned())
            .collect()
    }
}

impl Sink for CollectSink {
    fn send(&self, batch: TimelineBatch) -> BoxFuture<'_, Result<(), SinkClosed>> {
        Box::pin(async move {
            if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(SinkClosed);
            }
            self.batches.lock().expect("not poisoned").push(batch);
            Ok(())
        })
    }
}

/// A response: status code, headers (lowercased names) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request with `Connection: close`, read to the end; fails
/// after 10 s.
pub async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut s = TcpStream::connect(addr).await?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).await?;
        // A server may answer (413) and close before reading everything.
        let _ = s.write_all(body).await;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await?;
        parse(&raw)
    })
    .await
    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer within 10 s"))?
}

fn parse(raw: &[u8]) -> std::io::Result<Response> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = unchunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn unchunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&b[..eol]).ok()?.split(';').next()?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(eol + 2..eol + 2 + size)?);
        b = b.get(eol + 4 + size..)?;
    }
}

/// The headers a Prometheus sends with each remote-write request.
pub const PROMETHEUS_HEADERS: &[(&str, &str)] = &[
    ("Content-Encoding", "snappy"),
    ("Content-Type", "application/x-protobuf"),
    ("X-Prometheus-Remote-Write-Version", "0.1.0"),
];

/// A receiver serving on a loopback port chosen by the system.
pub async fn start(
    sink: Arc<CollectSink>,
    options: understudy_remote_write::Options,
) -> (
    std::net::SocketAddr,
    Arc<understudy_remote_write::Receiver>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("bound address");
    let receiver = Arc::new(understudy_remote_write::Receiver::new(sink, options));
    let rx = Arc::clone(&receiver);
    let task = tokio::spawn(async move {
        if let Err(e) = understudy_remote_write::serve(listener, rx).await {
            panic!("receiver failed: {e}");
        }
    });
    (addr, receiver, task)
}
