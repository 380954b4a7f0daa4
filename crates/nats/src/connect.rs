//! Connecting: the servers, the login and TLS turned into async-nats
//! options, and a failure turned into a message that names the server and
//! never a secret.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::{ConnectErrorKind, ConnectOptions, ServerAddr};
use serde::Deserialize;

use crate::auth::{NatsAuth, NatsTls};
use crate::url::{percent_decode, redact_url};

/// Where a NATS server is, how to log in to it, and whether to use TLS.
///
/// Secrets never appear in `Debug` output or in error messages, and
/// neither does the password part of a `nats://user:pass@host` URL.
///
/// It reads from a config file with the keys of `[[source.nats]]`:
///
/// ```toml
/// servers = ["nats://nats.meme-generator:4222"]
/// timeout = "5s"
///
/// [auth.credentials]
/// file = "/etc/nats/loadgen.creds"
/// ```
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsConnect {
    /// Server URLs (`nats://host:4222`, `tls://host:4222`, or `host:port`);
    /// the client connects to one and fails over to the others.
    pub servers: Vec<String>,
    /// How to log in; without it, credentials in a URL are used, if any.
    pub auth: Option<NatsAuth>,
    /// TLS settings; given, TLS is required.
    pub tls: Option<NatsTls>,
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
            auth: None,
            tls: None,
            timeout: Duration::from_secs(5),
            name: None,
        }
    }
}

impl fmt::Debug for NatsConnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsConnect")
            .field("servers", &self.servers_display())
            .field("auth", &self.auth)
            .field("tls", &self.tls)
            .field("timeout", &self.timeout)
            .field("name", &self.name)
            .finish()
    }
}

/// Why connecting failed; every message names the server(s) and never a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// `servers` is empty.
    #[error("no NATS server given: pass a URL such as nats://127.0.0.1:4222")]
    NoServer,
    /// A server URL does not parse, has no host, or is a websocket URL;
    /// found before anything connects.
    #[error(
        "bad NATS server URL {url:?}: {reason} (write nats://host:4222, tls://host:4222 or host:port)"
    )]
    BadUrl {
        /// The URL as given, its password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The login or TLS settings contradict themselves (see
    /// [`NatsConnect::problems`]); found before anything connects.
    #[error("invalid NATS settings: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// A password, token, credentials, nkey or TLS file cannot be read,
    /// or an nkey file holds no seed.
    #[error("cannot read the {what} file {path}: {source}")]
    File {
        /// Which file: `password`, `token`, `credentials`, `nkey` or `TLS`.
        what: &'static str,
        /// The file as configured.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// No server answered in time, or none could be reached (DNS, refused
    /// connection, reconnects exhausted).
    #[error("cannot reach the NATS server at {servers}: {reason}")]
    Unreachable {
        /// The servers tried, as [`NatsConnect::servers_display`] prints them.
        servers: String,
        /// The innermost cause, e.g. "Connection refused (os error 111)".
        reason: String,
    },
    /// The server refused the login: wrong or unknown credentials.
    #[error(
        "authorization violation: the NATS server at {servers} refused {method}; check the credentials"
    )]
    Authorization {
        /// The servers tried, as [`NatsConnect::servers_display`] prints them.
        servers: String,
        /// How the connection logged in, as [`NatsConnect::auth_method`]
        /// says it.
        method: String,
    },
    /// The client could not sign the server's challenge (e.g. a bad nkey
    /// seed or credentials file).
    #[error("authentication with the NATS server at {servers} failed: {reason}")]
    Authentication {
        /// The servers tried, as [`NatsConnect::servers_display`] prints them.
        servers: String,
        /// The innermost cause.
        reason: String,
    },
    /// The TLS handshake failed: a certificate refused by either side, or
    /// TLS required by one side only.
    #[error("TLS with the NATS server at {servers} failed: {reason}")]
    Tls {
        /// The servers tried, as [`NatsConnect::servers_display`] prints them.
        servers: String,
        /// The innermost cause.
        reason: String,
    },
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

    /// How this connection authenticates, for messages: `user "u" with the
    /// given password`, `the given token`, `the credentials in X`, …
    pub fn auth_method(&self) -> String {
        match &self.auth {
            Some(a) => a.describe(),
            None if self.servers.iter().any(|s| redact_url(s) != *s) => {
                "the credentials in the URL".to_owned()
            }
            None => "a connection without credentials (give a user and password, a token, a credentials file or an nkey seed file)".to_owned(),
        }
    }

    /// What is wrong with the login and TLS settings, each problem naming
    /// its key (`auth.basic: …`, `tls: …`).
    pub fn problems(&self) -> Vec<String> {
        let mut p = self
            .auth
            .as_ref()
            .map(NatsAuth::problems)
            .unwrap_or_default();
        p.extend(self.tls.as_ref().map(NatsTls::problems).unwrap_or_default());
        p
    }

    /// Connects, giving up after `timeout`; no retries, no hang.
    ///
    /// TLS goes through rustls, which needs a process-wide crypto provider:
    /// the binary installs one at start-up (a library cannot know which of
    /// the providers its binary links).
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
            // async-nats reports a refused certificate as I/O.
            ConnectErrorKind::Io if is_tls(&error) => ConnectError::Tls { servers, reason },
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
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(ConnectError::Invalid(problems));
        }
        let mut o = ConnectOptions::new()
            .connection_timeout(self.timeout)
            .name(self.name.as_deref().unwrap_or("understudy"));
        match &self.auth {
            Some(NatsAuth::Basic {
                username,
                password,
                password_file,
            }) => {
                let password = secret(password.as_ref(), password_file.as_deref(), "password")?;
                o = o.user_and_password(username.clone(), password);
            }
            Some(NatsAuth::Bearer { token, token_file }) => {
                o = o.token(secret(token.as_ref(), token_file.as_deref(), "token")?);
            }
            Some(NatsAuth::Credentials { file }) => {
                o = o
                    .credentials_file(file)
                    .await
                    .map_err(|source| ConnectError::File {
                        what: "credentials",
                        path: file.clone(),
                        source,
                    })?;
            }
            Some(NatsAuth::Nkey { seed_file }) => o = o.nkey(nkey_seed(seed_file)?),
            // async-nats ignores credentials in URLs; the nats CLI and the
            // Go client use them, so users write them.
            None => {
                if let Some(a) = addrs.iter().find(|a| a.has_user_pass()) {
                    let user = percent_decode(a.username().unwrap_or_default());
                    o = match a.password() {
                        Some(p) => o.user_and_password(user, percent_decode(p)),
                        None => o.token(user),
                    };
                }
            }
        }
        if let Some(tls) = &self.tls {
            for path in [&tls.ca_file, &tls.cert_file, &tls.key_file]
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
            if let Some(ca) = &tls.ca_file {
                o = o.add_root_certificates(ca.clone());
            }
            if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
                o = o.add_client_certificate(cert.clone(), key.clone());
            }
            o = o.require_tls(true);
        }
        Ok(o)
    }
}

/// The inline secret, or the trimmed contents of its file (read anew at
/// every connect, so a rotated secret is picked up). `problems` has made
/// sure one of them is there.
fn secret(
    inline: Option<&understudy_core::Secret>,
    file: Option<&Path>,
    what: &'static str,
) -> Result<String, ConnectError> {
    match (inline, file) {
        (Some(s), _) => Ok(s.expose().to_owned()),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|t| t.trim().to_owned())
            .map_err(|source| ConnectError::File {
                what,
                path: path.to_owned(),
                source,
            }),
        (None, None) => Err(ConnectError::Invalid(vec![format!("no {what} given")])),
    }
}

/// The seed line of an nkey file (`nsc` writes them between comment lines).
fn nkey_seed(path: &Path) -> Result<String, ConnectError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConnectError::File {
        what: "nkey",
        path: path.to_owned(),
        source,
    })?;
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with('S') && !l.starts_with("--"))
        .map(str::to_owned)
        .ok_or_else(|| ConnectError::File {
            what: "nkey",
            path: path.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "no nkey seed (a line starting with S) in it",
            ),
        })
}

/// Whether a rustls error is among the causes (an I/O error carrying one:
/// a certificate refused by either side).
fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|inner| inner.is::<async_nats::rustls::Error>())
        {
            return true;
        }
        cur = c.source();
    }
    false
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
    use understudy_core::Secret;

    #[test]
    fn debug_hides_secrets() {
        let c = NatsConnect {
            auth: Some(NatsAuth::Basic {
                username: "u".into(),
                password: Some(Secret::new("hunter2")),
                password_file: None,
            }),
            servers: vec!["nats://u:hunter2@h".into()],
            ..NatsConnect::default()
        };
        let text = format!("{c:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn config_keys_are_checked() {
        let c: NatsConnect = serde_json::from_str(
            r#"{"servers":["nats://h:4222"],"timeout":"2s","auth":{"bearer":{"token":"t"}}}"#,
        )
        .unwrap_or_default();
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert_eq!(
            c.auth,
            Some(NatsAuth::Bearer {
                token: Some(Secret::new("t")),
                token_file: None
            })
        );
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

    #[tokio::test]
    async fn invalid_settings_are_refused_before_connecting() {
        let c = NatsConnect {
            auth: Some(NatsAuth::Bearer {
                token: None,
                token_file: None,
            }),
            tls: Some(NatsTls {
                key_file: Some("k.pem".into()),
                ..NatsTls::default()
            }),
            ..NatsConnect::default()
        };
        let e = c.connect().await.err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "invalid NATS settings: auth.bearer: give exactly one of token and token_file; tls: cert_file and key_file go together"
            )
        );
    }
}
