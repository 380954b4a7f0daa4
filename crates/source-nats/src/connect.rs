//! Connecting with the configured servers, credentials and TLS.

use async_nats::{Client, ConnectOptions};
use understudy_core::SourceError;

use crate::config::{NatsAuth, NatsConfig};

/// A client for `config`, or why not: a server that cannot be reached is
/// `Unavailable` (the recorder retries), a credentials file that cannot be
/// read is `Fatal`.
pub async fn connect(config: &NatsConfig) -> Result<Client, SourceError> {
    let mut opts = ConnectOptions::new()
        .name("understudy recorder")
        .connection_timeout(config.timeout)
        .request_timeout(Some(config.timeout));
    opts = match &config.auth {
        None => opts,
        Some(NatsAuth::UserPassword { user, password }) => {
            opts.user_and_password(user.clone(), password.expose().to_owned())
        }
        Some(NatsAuth::Token { token }) => opts.token(token.expose().to_owned()),
        Some(NatsAuth::Credentials { file }) => ConnectOptions::with_credentials_file(file.clone())
            .await
            .map_err(|e| {
                SourceError::Fatal(format!("auth.credentials.file {}: {e}", file.display()))
            })?
            .name("understudy recorder")
            .connection_timeout(config.timeout)
            .request_timeout(Some(config.timeout)),
        Some(NatsAuth::Nkey { seed_file }) => {
            let seed = std::fs::read_to_string(seed_file).map_err(|e| {
                SourceError::Fatal(format!("auth.nkey.seed_file {}: {e}", seed_file.display()))
            })?;
            opts.nkey(seed.trim().to_owned())
        }
    };
    if let Some(tls) = &config.tls {
        opts = opts.require_tls(true);
        if let Some(ca) = &tls.ca_file {
            opts = opts.add_root_certificates(ca.clone());
        }
        if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
            opts = opts.add_client_certificate(cert.clone(), key.clone());
        }
    }
    let servers = config.servers.join(",");
    opts.connect(servers.as_str()).await.map_err(|e| {
        let message = format!("cannot connect to {servers}: {e}");
        // Wrong credentials will not fix themselves, but the server may
        // be restarting with new ones: retried, and said plainly.
        if e.kind() == async_nats::ConnectErrorKind::AuthorizationViolation {
            SourceError::Unavailable(format!("{message} (check [source.nats] auth)"))
        } else {
            SourceError::Unavailable(message)
        }
    })
}
