//! How to reach and authenticate to a NATS server, in one struct that every
//! NATS client of understudy shares: `understudy loadgen` and the
//! `[[source.nats]]` recorder source.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use async_nats::{ConnectErrorKind, ConnectOptions, ServerAddr};
use serde::Deserialize;
use understudy_core::Secret;

/// Where a NATS server is and how to log in to it.
///
/// At most one way to authenticate: `user` with `password`, `token`, a
/// `.creds` file, or an nkey seed file. Secrets never appear in `Debug`
/// output or in error messages, and neither does the password part of a
/// `nats://user:pass@host` URL.
///
/// In a config file (TOML):
///
/// ```toml
/// servers = ["nats://nats.meme-generator:4222"]
/// creds = "/etc/nats/loadgen.creds"
/// timeout = "5s"
/// ```
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsConnect {
    /// Server URLs (`nats://host:4222`, `tls://host:4222`, or `host:port`);
    /// the client connects to one and fails over to the others.
    pub servers: Vec<String>,
    /// User name, with `password`.
    pub user: Option<String>,
    /// Password of `user`.
    pub password: Option<Secret>,
    /// An authentication token.
    pub token: Option<Secret>,
    /// A `.creds` file (user JWT and nkey seed), as `nsc` writes them.
    pub creds: Option<PathBuf>,
    /// A file holding an nkey seed (`SU…`).
    pub nkey: Option<PathBuf>,
    /// A PEM file of CA certificates to trust; implies TLS.
    pub tls_ca: Option<PathBuf>,
    /// A client certificate (PEM), with `tls_key`, for mutual TLS.
    pub tls_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Insist on TLS even when the server does not ask for it.
    pub require_tls: bool,
    /// How long connecting may take before the server counts as unreachable.
    #[serde(with = "understudy_core::duration")]
    pub timeout: Duration,
    /// The client name the server shows in its `/connz`.
    pub name: Option<String>,
}

impl Default for NatsConnect {
    fn default() -> Self {
        NatsConnect {
            servers: vec!["nats://127.0.0.1:4222".to_owned()],
            user: None,
            password: None,
            token: None,
            creds: None,
            nkey: None,
            tls_ca: None,
            tls_cert: None,
            tls_key: None,
            require_tls: false,
            timeout: Duration::from_secs(5),
            name: None,
        }
    }
}

impl fmt::Debug for NatsConnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsConnect")
            .field("servers", &self.servers_display())
            .field("user", &self.user)
            .field("password", &self.password)
            .field("token", &self.token)
            .field("creds", &self.creds)
            .field("nkey", &self.nkey)
            .field("tls_ca", &self.tls_ca)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("require_tls", &self.require_tls)
            .field("timeout", &self.timeout)
            .field("name", &self.name)
            .finish()
    }
}

/// Why connecting failed; every message names the server(s) and never a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no NATS server given: pass a URL such as nats://127.0.0.1:4222")]
    NoServer,
    #[error(
        "bad NATS server URL {url:?}: {reason} (write nats://host:4222, tls://host:4222 or host:port)"
    )]
    BadUrl { url: String, reason: String },
    #[error("conflicting NATS credentials: {0}")]
    Conflict(&'static str),
    #[error("cannot read the {what} file {path}: {source}")]
    File {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot reach the NATS server at {servers}: {reason}")]
    Unreachable { servers: String, reason: String },
    #[error(
        "authorization violation: the NATS server at {servers} refused {method}; check the credentials"
    )]
    Authorization { servers: String, method: String },
    #[error("authentication with the NATS server at {servers} failed: {reason}")]
    Authentication { servers: String, reason: String },
    #[error("TLS with the NATS server at {servers} failed: {reason}")]
    Tls { servers: String, reason: String },
}

impl NatsConnect {
    /// Options for one server and no authentication.
    pub fn new(server: impl Into<String>) -> NatsConnect {
        NatsConnect {
            servers: vec![server.into()],
            ..NatsConnect::default()
        }
    }

    /// The servers as they may be printed: the password part of a URL
    /// (`nats://user:pass@host`) replaced by `***`.
    pub fn servers_display(&self) -> String {
        self.servers
            .iter()
            .map(|s| redact_url(s))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// How this connects authenticates, for messages: `user "u" with a
    /// password`, `a token`, `creds file X`, …
    pub fn auth_method(&self) -> String {
        if let Some(u) = &self.user {
            format!("user {u:?} with the given password")
        } else if self.token.is_some() {
            "the given token".to_owned()
        } else if let Some(c) = &self.creds {
            format!("the credentials in {}", c.display())
        } else if let Some(n) = &self.nkey {
            format!("the nkey in {}", n.display())
        } else if self.servers.iter().any(|s| redact_url(s) != *s) {
            "the credentials in the URL".to_owned()
        } else {
            "a connection without credentials (pass --user/--password, --token, --creds or --nkey)"
                .to_owned()
        }
    }

    /// Connects, giving up after `timeout`; no retries, no hang.
    pub async fn connect(&self) -> Result<async_nats::Client, ConnectError> {
        let addrs = self.addrs()?;
        let options = self.options(&addrs).await?;
        let servers = self.servers_display();
        // The connection timeout bounds each attempt; this bounds the TLS
        // handshake and INFO/CONNECT exchange over all servers too.
        let limit =
            self.timeout * u32::try_from(addrs.len()).unwrap_or(u32::MAX) + Duration::from_secs(1);
        let result = tokio::time::timeout(limit, options.connect(addrs)).await;
        let error = match result {
            Ok(Ok(client)) => return Ok(client),
            Ok(Err(e)) => e,
            Err(_) => {
                return Err(ConnectError::Unreachable {
                    servers,
                    reason: format!("no answer in {}", humantime::format_duration(limit)),
                });
            }
        };
        let reason = source_text(&error);
        Err(match error.kind() {
            ConnectErrorKind::AuthorizationViolation => ConnectError::Authorization {
                servers,
                method: self.auth_method(),
            },
            ConnectErrorKind::Authentication => ConnectError::Authentication { servers, reason },
            ConnectErrorKind::Tls => ConnectError::Tls { servers, reason },
            ConnectErrorKind::ServerParse => ConnectError::BadUrl {
                url: servers,
                reason,
            },
            ConnectErrorKind::TimedOut => ConnectError::Unreachable {
                servers,
                reason: format!(
                    "timed out after {}",
                    humantime::format_duration(self.timeout)
                ),
            },
            ConnectErrorKind::Dns | ConnectErrorKind::Io | ConnectErrorKind::MaxReconnects => {
                ConnectError::Unreachable { servers, reason }
            }
        })
    }

    fn addrs(&self) -> Result<Vec<ServerAddr>, ConnectError> {
        if self.servers.is_empty() {
            return Err(ConnectError::NoServer);
        }
        self.servers
            .iter()
            .map(|s| {
                let bad = |reason: String| ConnectError::BadUrl {
                    url: redact_url(s),
                    reason,
                };
                let addr: ServerAddr = s.trim().parse().map_err(|e: std::io::Error| {
                    bad(e.to_string().replace("NATS server URL is invalid: ", ""))
                })?;
                if addr.host().is_empty() {
                    return Err(bad("no host".to_owned()));
                }
                if addr.is_websocket() {
                    return Err(bad("websocket URLs are not supported here".to_owned()));
                }
                Ok(addr)
            })
            .collect()
    }

    async fn options(&self, addrs: &[ServerAddr]) -> Result<ConnectOptions, ConnectError> {
        let ways = [
            self.user.is_some(),
            self.token.is_some(),
            self.creds.is_some(),
            self.nkey.is_some(),
        ];
        if ways.iter().filter(|w| **w).count() > 1 {
            return Err(ConnectError::Conflict(
                "give one of user and password, token, creds file or nkey file",
            ));
        }
        if self.user.is_some() != self.password.is_some() {
            return Err(ConnectError::Conflict(
                "a user needs a password and a password needs a user",
            ));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConnectError::Conflict(
                "a TLS client certificate needs its key and the key its certificate",
            ));
        }
        let mut o = ConnectOptions::new()
            .connection_timeout(self.timeout)
            .name(self.name.as_deref().unwrap_or("understudy"));
        if let (Some(u), Some(p)) = (&self.user, &self.password) {
            o = o.user_and_password(u.clone(), p.expose().to_owned());
        }
        if let Some(t) = &self.token {
            o = o.token(t.expose().to_owned());
        }
        // async-nats ignores credentials in URLs; the nats CLI and the Go
        // client use them, so users write them.
        if !ways.contains(&true)
            && let Some(a) = addrs.iter().find(|a| a.has_user_pass())
        {
            let user = percent_decode(a.username().unwrap_or_default());
            o = match a.password() {
                Some(p) => o.user_and_password(user, percent_decode(p)),
                None => o.token(user),
            };
        }
        if let Some(path) = &self.creds {
            o = o
                .credentials_file(path)
                .await
                .map_err(|source| ConnectError::File {
                    what: "credentials",
                    path: path.clone(),
                    source,
                })?;
        }
        if let Some(path) = &self.nkey {
            let text = std::fs::read_to_string(path).map_err(|source| ConnectError::File {
                what: "nkey",
                path: path.clone(),
                source,
            })?;
            let seed = text
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with('S') && !l.starts_with("--"))
                .ok_or_else(|| ConnectError::File {
                    what: "nkey",
                    path: path.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "no nkey seed (a line starting with S) in it",
                    ),
                })?;
            o = o.nkey(seed.to_owned());
        }
        for path in [&self.tls_ca, &self.tls_cert, &self.tls_key]
            .into_iter()
            .flatten()
        {
            if let Err(source) = std::fs::metadata(path) {
                return Err(ConnectError::File {
                    what: "TLS",
                    path: path.clone(),
                    source,
                });
            }
        }
        if let Some(ca) = &self.tls_ca {
            o = o.add_root_certificates(ca.clone());
        }
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            o = o.add_client_certificate(cert.clone(), key.clone());
        }
        if self.require_tls || self.tls_ca.is_some() || self.tls_cert.is_some() {
            o = o.require_tls(true);
        }
        // One TLS provider per process (FIELD-NOTES): rustls cannot pick
        // one itself once another crate of the binary enables aws-lc-rs.
        let _ = async_nats::rustls::crypto::ring::default_provider().install_default();
        Ok(o)
    }
}

/// `nats://user:***@host:4222` for `nats://user:secret@host:4222`, and
/// `nats://***@host` for a token in the URL.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let userinfo = match rest[..at].split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => "***".to_owned(),
    };
    format!("{scheme}{userinfo}{}", &rest[at..])
}

/// `%40` → `@`, as URLs carry user names and passwords.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The innermost cause of a client error, which says the most (e.g.
/// "Connection refused (os error 111)").
fn source_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_secrets() {
        assert_eq!(redact_url("nats://u:pw@h:4222"), "nats://u:***@h:4222");
        assert_eq!(redact_url("nats://tok@h"), "nats://***@h");
        assert_eq!(redact_url("h:4222"), "h:4222");
        assert_eq!(redact_url("u:pw@h:4222/x@y"), "u:***@h:4222/x@y");
    }

    #[test]
    fn url_credentials_are_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%3Aw"), "p@ss:w");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn debug_hides_secrets() {
        let c = NatsConnect {
            user: Some("u".into()),
            password: Some(Secret::new("hunter2")),
            token: Some(Secret::new("t0ken")),
            servers: vec!["nats://u:hunter2@h".into()],
            ..NatsConnect::default()
        };
        let text = format!("{c:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("t0ken"),
            "{text}"
        );
    }

    #[test]
    fn config_keys_are_checked() {
        let c: NatsConnect =
            serde_json::from_str(r#"{"servers":["nats://h:4222"],"timeout":"2s","token":"t"}"#)
                .unwrap_or_default();
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert_eq!(c.token.as_ref().map(Secret::expose), Some("t"));
        let e = serde_json::from_str::<NatsConnect>(r#"{"passwrd":"x"}"#).err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.starts_with("unknown field `passwrd`, expected one of"),
            "{e}"
        );
    }

    #[test]
    fn bad_urls_name_the_url() {
        for url in ["http://h:4222", "nats://", "nats://h:notaport"] {
            let e = NatsConnect::new(url).addrs().err().map(|e| e.to_string());
            let e = e.unwrap_or_default();
            assert!(e.starts_with("bad NATS server URL"), "{url}: {e}");
        }
    }
}
