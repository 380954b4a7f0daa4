//! `understudy loadgen` as a user runs it, against a real `nats-server -js`.

mod common;

use common::*;
use serde_json::Value;
use understudy_testkit::NatsServer;

/// A server with the talk's stream MEMES on `meme.request`.
fn server_with_memes(
    dir: &std::path::Path,
    args: &[&str],
    login: Option<(&str, &str)>,
) -> NatsServer {
    let server = NatsServer::start(dir, args);
    let options = match login {
        Some((u, p)) => async_nats::ConnectOptions::with_user_and_password(u.into(), p.into()),
        None => async_nats::ConnectOptions::new(),
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let client = options.connect(&server.url).await.expect("connect");
            async_nats::jetstream::new(client)
                .create_stream(async_nats::jetstream::stream::Config {
                    name: "MEMES".into(),
                    subjects: vec!["meme.request".into()],
                    ..Default::default()
                })
                .await
                .expect("stream");
        });
    server
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn publish_then_consume_with_json_summaries() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = server_with_memes(tmp.path(), &[], None);
    let o = run(&[
        "loadgen",
        "--server",
        &server.url,
        "--stream",
        "MEMES",
        "--subject",
        "meme.request",
        "--messages",
        "600",
        "--clients",
        "12",
        "--payload-json",
        r#"{"prompt":"a cat","fast_mode":false}"#,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = json(&o);
    let keys: Vec<&str> = s
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "mode",
            "server",
            "stream",
            "subject",
            "clients",
            "connections",
            "rate_limit",
            "requested",
            "published",
            "acked",
            "failed",
            "unsent",
            "interrupted",
            "elapsed_s",
            "msgs_per_s",
            "ack_latency_ms",
            "last_stream_seq",
            "errors"
        ]
    );
    assert_eq!(s["mode"], "publish");
    assert_eq!(s["server"], server.url.as_str());
    assert_eq!(
        (&s["acked"], &s["failed"], &s["clients"]),
        (&600.into(), &0.into(), &12.into())
    );
    assert!(
        s["ack_latency_ms"]["p99"].as_f64().is_some_and(|v| v > 0.0),
        "{s}"
    );
    assert_eq!(s["errors"], serde_json::json!([]));
    let jsz = server.jsz();
    assert_eq!(
        jsz["account_details"][0]["stream_detail"][0]["state"]["messages"], 600,
        "{jsz}"
    );

    let o = run(&[
        "loadgen",
        "--consume",
        "--server",
        &server.url,
        "--stream",
        "MEMES",
        "--consumer",
        "meme-generator",
        "--clients",
        "6",
        "--work-ms",
        "2",
        "--messages",
        "120",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = json(&o);
    assert_eq!(s["mode"], "consume");
    assert_eq!((&s["consumed"], &s["failed"]), (&120.into(), &0.into()));
    assert_eq!(s["stopped_by"], "messages");
    assert_eq!(s["created"], true);
    assert_eq!(s["consumer_after"]["ack_floor_stream_seq"], 120, "{s}");
    assert_eq!(s["consumer_after"]["num_pending"], 480, "{s}");

    // Text for people, on standard output.
    let o = run(&[
        "loadgen",
        "--server",
        &server.url,
        "--stream",
        "MEMES",
        "--subject",
        "meme.request",
        "--messages",
        "10",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with(&format!(
            "published 10 of 10 messages to MEMES (meme.request) on {} from 1 client over 1 connection\nacked     10\nfailed    0\n",
            server.url
        )),
        "{text}"
    );
    assert!(text.contains("\nack       p50 "), "{text}");
}

#[test]
fn errors_exit_non_zero_and_say_what_is_wrong() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = server_with_memes(tmp.path(), &[], None);
    let publish = |server: &str, stream: &str, extra: &[&str]| {
        let mut args = vec![
            "loadgen",
            "--server",
            server,
            "--stream",
            stream,
            "--subject",
            "meme.request",
            "--messages",
            "5",
            "--json",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };

    let o = publish(&server.url, "MEMEZ", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(
        stderr(&o).contains(&format!(
            "error: understudy loadgen: stream \"MEMEZ\" not found on {}; streams there: MEMES",
            server.url
        )),
        "{}",
        stderr(&o)
    );

    let o = publish(&server.url, "MEMES", &["--payload-json", "{prompt: 1}"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "error: --payload-json {prompt: 1}: the payload is not JSON: key must be a string at line 1 column 2"
        ),
        "{}",
        stderr(&o)
    );

    let o = publish("http://127.0.0.1:4222", "MEMES", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("bad NATS server URL \"http://127.0.0.1:4222\": invalid scheme"),
        "{}",
        stderr(&o)
    );

    let port = understudy_testkit::free_port();
    let o = publish(&format!("nats://127.0.0.1:{port}"), "MEMES", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!(
            "cannot reach the NATS server at nats://127.0.0.1:{port}"
        )),
        "{}",
        stderr(&o)
    );

    let o = run(&["loadgen", "--stream", "MEMES", "--consume"]);
    assert_eq!(o.status.code(), Some(2), "clap's usage error");
    assert!(
        stderr(&o).contains("--consumer <CONSUMER>"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_wrong_password_fails_without_showing_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = server_with_memes(
        tmp.path(),
        &["--user", "u", "--pass", "p"],
        Some(("u", "p")),
    );
    let args = [
        "loadgen",
        "--server",
        &server.url,
        "--stream",
        "MEMES",
        "--subject",
        "meme.request",
        "--messages",
        "5",
        "--user",
        "u",
    ];
    let o = understudy()
        .args(args)
        .env("NATS_PASSWORD", "not-the-password-77")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("authorization violation: the NATS server at")
            && err.contains("refused user \"u\""),
        "{err}"
    );
    assert!(!err.contains("not-the-password-77") && !stdout(&o).contains("not-the-password-77"));

    // The right one, from a file as [[source.nats]] auth.basic.password_file.
    let password_file = tmp.path().join("password");
    std::fs::write(&password_file, "p\n").expect("write");
    let o = understudy()
        .args(args)
        .arg("--password-file")
        .arg(&password_file)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn help_shows_examples() {
    let o = run(&["loadgen", "--help"]);
    assert!(o.status.success());
    let help = stdout(&o);
    assert!(help.contains("--messages 6000 --clients 60"), "{help}");
    assert!(
        help.contains("--consume --stream MEMES --consumer meme-generator"),
        "{help}"
    );
}
