//! TLS as `[[source.nats]]` and `understudy loadgen` configure it, against a
//! real `nats-server` that verifies client certificates.

use std::path::{Path, PathBuf};
use std::time::Duration;

use understudy_nats::{ConnectError, NatsAuth, NatsConnect, NatsTls};
use understudy_testkit::NatsServer;

/// A CA, a server certificate for 127.0.0.1 and a client certificate, all
/// signed by the CA, as PEM files in `dir`.
struct Certs {
    ca: PathBuf,
    server: (PathBuf, PathBuf),
    client: (PathBuf, PathBuf),
}

fn certs(dir: &Path) -> Certs {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "understudy test CA");
    let ca_cert = ca.self_signed(&ca_key).expect("CA");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let write = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let leaf = |name: &str, usage: rcgen::ExtendedKeyUsagePurpose| {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress(std::net::IpAddr::from([
                127, 0, 0, 1,
            ])));
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &issuer).expect("certificate");
        (
            write(&format!("{name}.pem"), cert.pem()),
            write(&format!("{name}-key.pem"), key.serialize_pem()),
        )
    };
    let server = leaf("server", rcgen::ExtendedKeyUsagePurpose::ServerAuth);
    let client = leaf("client", rcgen::ExtendedKeyUsagePurpose::ClientAuth);
    Certs {
        ca: write("ca.pem", ca_cert.pem()),
        server,
        client,
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// Connects with a deadline of its own, so a hang fails the test instead of
/// stalling it.
async fn connect(c: &NatsConnect) -> Result<async_nats::Client, ConnectError> {
    tokio::time::timeout(Duration::from_secs(30), c.connect())
        .await
        .expect("connect gives up by itself")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_with_a_password_file_connects_and_each_missing_piece_is_named() {
    // What the understudy binary does at start-up.
    let _ = async_nats::rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = certs(tmp.path());
    let server = NatsServer::start(
        tmp.path(),
        &[
            "--tlsverify",
            "--tlscert",
            path(&c.server.0),
            "--tlskey",
            path(&c.server.1),
            "--tlscacert",
            path(&c.ca),
            "--user",
            "recorder",
            "--pass",
            "from-a-file",
        ],
    );
    let password_file = tmp.path().join("password");
    std::fs::write(&password_file, "from-a-file\n").expect("write");
    let mutual = NatsTls {
        ca_file: Some(c.ca.clone()),
        cert_file: Some(c.client.0.clone()),
        key_file: Some(c.client.1.clone()),
    };
    let mut settings = NatsConnect::new(&server.url);
    settings.timeout = Duration::from_secs(5);
    settings.auth = Some(NatsAuth::Basic {
        username: "recorder".into(),
        password: None,
        password_file: Some(password_file),
    });
    settings.tls = Some(mutual.clone());
    let client = connect(&settings).await.expect("mutual TLS and a password");
    client.flush().await.expect("flush");
    drop(client);

    // Without the client certificate the server ends the handshake.
    settings.tls = Some(NatsTls {
        ca_file: Some(c.ca.clone()),
        ..NatsTls::default()
    });
    let e = connect(&settings).await.err().map(|e| e.to_string());
    assert!(
        e.as_deref().is_some_and(|e| e.contains(&server.url)),
        "{e:?}"
    );

    // Without the CA the server's certificate is not trusted.
    settings.tls = Some(NatsTls {
        ca_file: None,
        ..mutual.clone()
    });
    let e = connect(&settings).await.err();
    assert!(
        matches!(&e, Some(ConnectError::Tls { reason, .. }) if reason.contains("UnknownIssuer")),
        "{e:?}"
    );

    // A file that is not there is named before anything is sent.
    settings.tls = Some(NatsTls {
        ca_file: Some(tmp.path().join("no-such-ca.pem")),
        ..mutual
    });
    let e = connect(&settings).await.err().map(|e| e.to_string());
    assert!(
        e.as_deref().is_some_and(
            |e| e.starts_with("cannot read the TLS file ") && e.contains("no-such-ca.pem")
        ),
        "{e:?}"
    );
}
