//! Requests over raw TCP, and what came back.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use super::corpus::{Request, excerpt, http_request};

/// What came back for one request.
#[derive(Debug, Default)]
pub struct Outcome {
    /// `None`: not a byte came back.
    pub status: Option<u16>,
    pub body: String,
    /// Transport trouble that is a failure whatever the status (a hang).
    pub error: Option<String>,
    /// A connection the server left open without answering, kept open
    /// while the server is checked.
    pub held: Option<TcpStream>,
}

/// Sends `req` to `addr` and reads the answer, or waits `req.timeout` for
/// one.
pub fn send(req: &Request, addr: &str) -> Outcome {
    let mut s = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => {
            return Outcome {
                error: Some(format!("cannot connect to {addr}: {e}")),
                ..Outcome::default()
            };
        }
    };
    let _ = s.set_write_timeout(Some(req.timeout));
    for (pause, chunk) in &req.chunks {
        std::thread::sleep(*pause);
        // The server may answer (413, 431) and close before it has read
        // everything: what it answered is what counts.
        if s.write_all(chunk).is_err() {
            break;
        }
    }
    if req.close_write {
        let _ = s.shutdown(Shutdown::Write);
    }
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    let deadline = Instant::now() + req.timeout;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    let mut closed = false;
    loop {
        if response_complete(&buf, req) {
            break;
        }
        match s.read(&mut chunk) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if Instant::now() >= deadline {
                    break;
                }
            }
            // A reset after an early answer: keep what came.
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(final_response(&buf)).into_owned();
    let status = text
        .strip_prefix("HTTP/1.")
        .and_then(|r| r.get(2..5))
        .and_then(|c| c.parse().ok());
    let body = match text.split_once("\r\n\r\n") {
        Some((head, body))
            if head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked") =>
        {
            dechunk(body)
        }
        Some((_, body)) => body.to_owned(),
        None => String::new(),
    };
    let mut out = Outcome {
        status,
        body,
        ..Outcome::default()
    };
    if buf.is_empty() && !closed {
        // Nothing within the timeout: fine for a case that expects no
        // answer (checked by the statuses), which keeps the connection
        // open while the server is checked.
        out.held = Some(s);
    } else if !buf.is_empty() && !response_complete(&buf, req) && !closed {
        out.error = Some(format!(
            "the answer did not complete within {:?}: {}",
            req.timeout,
            excerpt(&text)
        ));
    }
    out
}

/// A chunked body's data (what came of it).
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 {
            break;
        }
        if rest.len() < n || !rest.is_char_boundary(n) {
            out.push_str(rest);
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
    }
    out
}

/// Whether `buf` holds a whole response: headers, then the body its
/// `Content-Length` or chunked encoding announces.
fn response_complete(buf: &[u8], req: &Request) -> bool {
    let buf = final_response(buf);
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    if req.headers_only || req.head {
        return true;
    }
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let body = &buf[end + 4..];
    if let Some(len) = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        return body.len() >= len;
    }
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    false
}

/// The response after any interim ones (`100 Continue`).
fn final_response(mut buf: &[u8]) -> &[u8] {
    while buf.starts_with(b"HTTP/1.1 1")
        && let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n")
    {
        buf = &buf[end + 4..];
    }
    buf
}

/// A plain GET with a short timeout: status and body.
pub fn get(addr: &str, path: &str) -> Result<(u16, String), String> {
    let req = Request {
        chunks: vec![(
            Duration::ZERO,
            http_request(b"GET", path.as_bytes(), &[], b""),
        )],
        timeout: Duration::from_secs(10),
        ..Request::default()
    };
    let o = send(&req, addr);
    match (o.error, o.status) {
        (Some(e), _) => Err(e),
        (None, Some(s)) => Ok((s, o.body)),
        (None, None) => Err("no answer".into()),
    }
}
