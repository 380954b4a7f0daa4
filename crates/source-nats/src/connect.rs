//! Connecting as `[[source.nats]]` says, through the connection code every
//! NATS client of understudy shares (crates/nats).

use async_nats::Client;
use understudy_core::SourceError;
use understudy_nats::{ConnectError, NatsConnect};

use crate::config::NatsConfig;

/// The shared connection settings of `config`: its `auth` and `tls` are
/// already the shared types, as `understudy loadgen` builds them.
pub fn settings(config: &NatsConfig) -> NatsConnect {
    NatsConnect {
        servers: config.servers.clone(),
        auth: config.auth.clone(),
        tls: config.tls.clone(),
        timeout: config.timeout,
        name: Some("understudy recorder".into()),
    }
}

/// A client for `config`, or why not: what retrying cannot fix (a bad URL,
/// a credentials or secret file that cannot be read, invalid settings) is
/// `Fatal`; everything else — unreachable, refused credentials (the server
/// may be restarting with new ones), TLS — is `Unavailable`: a gap and a
/// retry with backoff. Messages name the server and never a secret.
pub async fn connect(config: &NatsConfig) -> Result<Client, SourceError> {
    settings(config).connect().await.map_err(|e| match e {
        ConnectError::NoServer
        | ConnectError::BadUrl { .. }
        | ConnectError::Invalid(_)
        | ConnectError::File { .. } => SourceError::Fatal(e.to_string()),
        other => SourceError::Unavailable(other.to_string()),
    })
}
