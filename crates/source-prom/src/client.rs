//! The HTTP client: auth, TLS, timeouts, and what a failure means.

use std::time::Duration;

use base64::Engine as _;
use prometheus_http_query::{Client, Error};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use understudy_core::read_secret;

use crate::config::{PromAuth, PromConfig};

/// What a failed request says about Prometheus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Unreachable, timing out or answering 5xx: record a gap, back off,
    /// try again.
    Down(String),
    /// It answered, but with an error or with something that is not an
    /// answer: log, count under `reason`, go on.
    Answer {
        reason: &'static str,
        message: String,
    },
}

impl Failure {
    pub fn classify(e: &Error) -> Failure {
        match e {
            Error::Prometheus(p) if p.is_unavailable() => Failure::Down(p.to_string()),
            Error::Prometheus(p) => Failure::Answer {
                reason: if p.is_timeout() {
                    "query_timeout"
                } else if p.is_bad_data() {
                    "bad_query"
                } else {
                    "query_error"
                },
                message: p.to_string(),
            },
            Error::Client(c) => match c.inner() {
                Some(r) if r.is_connect() || r.is_timeout() || r.is_request() => {
                    Failure::Down(chain(r))
                }
                Some(r) if r.status().is_some_and(|s| s.is_server_error()) => {
                    Failure::Down(chain(r))
                }
                Some(r)
                    if r.status()
                        .is_some_and(|s| s.as_u16() == 401 || s.as_u16() == 403) =>
                {
                    Failure::Answer {
                        reason: "unauthorized",
                        message: format!(
                            "Prometheus refused the credentials in [source.prometheus.auth]: {}",
                            chain(r)
                        ),
                    }
                }
                Some(r) => Failure::Answer {
                    reason: "bad_answer",
                    message: chain(r),
                },
                None => Failure::Answer {
                    reason: "bad_answer",
                    message: c.to_string(),
                },
            },
            other => Failure::Answer {
                reason: "client_error",
                message: other.to_string(),
            },
        }
    }
}

/// An error and its causes, one line (reqwest's own message hides them).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

/// A client for `config`'s Prometheus, with its auth and TLS settings.
/// Errors name the file or setting that is wrong.
///
/// reqwest panics building a client before a rustls crypto provider is
/// installed for the process; the binary installs one at start-up.
pub fn build(config: &PromConfig) -> Result<Client, String> {
    let mut headers = HeaderMap::new();
    if let Some(auth) = &config.auth {
        let mut value = HeaderValue::from_str(&authorization(auth)?)
            .map_err(|_| "auth: the credentials are not valid in an HTTP header".to_string())?;
        // Kept out of reqwest's debug output.
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    let mut builder = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(5)))
        .default_headers(headers);
    if let Some(path) = &config.tls.ca_file {
        let pem = read(path, "tls.ca_file")?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("tls.ca_file {}: {e}", path.display()))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if let (Some(cert), Some(key)) = (&config.tls.cert_file, &config.tls.key_file) {
        let mut pem = read(cert, "tls.cert_file")?;
        pem.extend(read(key, "tls.key_file")?);
        let identity = reqwest::Identity::from_pem(&pem)
            .map_err(|e| format!("tls.cert_file/key_file: {e}"))?;
        builder = builder.identity(identity);
    }
    if config.tls.insecure_skip_verify {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    let http = builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", chain(&e)))?;
    Client::from(http, &config.url).map_err(|e| format!("url = {:?}: {e}", config.url))
}

fn read(path: &std::path::Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{what} {}: {e}", path.display()))
}

/// The `Authorization` header value.
fn authorization(auth: &PromAuth) -> Result<String, String> {
    match auth {
        PromAuth::Basic {
            username,
            password,
            password_file,
        } => {
            let password = read_secret(
                password.as_ref(),
                password_file.as_deref(),
                "auth.basic.password_file",
            )?;
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            Ok(format!("Basic {encoded}"))
        }
        PromAuth::Bearer { token, token_file } => {
            let token = read_secret(
                token.as_ref(),
                token_file.as_deref(),
                "auth.bearer.token_file",
            )?;
            Ok(format!("Bearer {token}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn authorization_headers() {
        let basic = PromAuth::Basic {
            username: "admin".into(),
            password: Some(Secret::new("pw")),
            password_file: None,
        };
        // base64("admin:pw")
        assert_eq!(authorization(&basic), Ok("Basic YWRtaW46cHc=".into()));
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("token");
        std::fs::write(&file, "abc\n").expect("write");
        let bearer = PromAuth::Bearer {
            token: None,
            token_file: Some(file),
        };
        assert_eq!(authorization(&bearer), Ok("Bearer abc".into()));
        let missing = PromAuth::Bearer {
            token: None,
            token_file: Some(dir.path().join("nope")),
        };
        assert!(authorization(&missing).is_err_and(|m| m.contains("auth.bearer.token_file")));
    }
}
