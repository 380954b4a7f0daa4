//! Connecting as `[[source.nats]]` says, through the connection code every
//! NATS client of understudy shares (crates/nats).

use async_nats::Client;
use understudy_core::SourceError;
use understudy_nats::{ConnectError, NatsConnect};

use crate::config::{NatsAuth, NatsConfig};

/// The shared connection settings of `config`.
pub fn settings(config: &NatsConfig) -> NatsConnect {
    let mut c = NatsConnect {
        servers: config.servers.clone(),
        timeout: config.timeout,
        name: Some("understudy recorder".into()),
        ..NatsConnect::default()
    };
    match &config.auth {
        None => {}
        Some(NatsAuth::UserPassword { user, password }) => {
            c.user = Some(user.clone());
            c.password = Some(password.clone());
        }
        Some(NatsAuth::Token { token }) => c.token = Some(token.clone()),
        Some(NatsAuth::Credentials { file }) => c.creds = Some(file.clone()),
        Some(NatsAuth::Nkey { seed_file }) => c.nkey = Some(seed_file.clone()),
    }
    if let Some(tls) = &config.tls {
        c.require_tls = true;
        c.tls_ca = tls.ca_file.clone();
        c.tls_cert = tls.cert_file.clone();
        c.tls_key = tls.key_file.clone();
    }
    c
}

/// A client for `config`, or why not: what retrying cannot fix (a bad URL,
/// a credentials file that cannot be read, conflicting credentials) is
/// `Fatal`; everything else — unreachable, refused credentials (the server
/// may be restarting with new ones), TLS — is `Unavailable`: a gap and a
/// retry with backoff. Messages name the server and never a secret.
pub async fn connect(config: &NatsConfig) -> Result<Client, SourceError> {
    settings(config).connect().await.map_err(|e| match e {
        ConnectError::NoServer
        | ConnectError::BadUrl { .. }
        | ConnectError::Conflict(_)
        | ConnectError::File { .. } => SourceError::Fatal(e.to_string()),
        other => SourceError::Unavailable(other.to_string()),
    })
}
