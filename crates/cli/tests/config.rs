//! Bad configuration files: each in `bad_configs/` with the exact error
//! `Config::parse` must give in `NAME.expected`; a config without one, or
//! an expected error without its config, fails the suite. After changing a
//! message on purpose, `UPDATE_EXPECTED=1 cargo test -p understudy-cli
//! --test config` rewrites the `.expected` files; read the diff.
//!
//! Parsing is checked through the library; two tests run the binary to see
//! what a user sees: the error on standard error, exit status 1, and no
//! recording.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use understudy_cli::config::{Config, SourceConfig, SourceKind};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_configs")
}

/// Every `.toml` of the corpus; fails on a file that is neither a config
/// nor the expected error of one.
fn bad_configs() -> Vec<PathBuf> {
    let mut configs = Vec::new();
    for entry in std::fs::read_dir(corpus()).expect("corpus") {
        let path = entry.expect("entry").path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => configs.push(path),
            Some("expected") => assert!(
                path.with_extension("toml").exists(),
                "{} has no config",
                path.display()
            ),
            _ => panic!("unexpected file {} in the corpus", path.display()),
        }
    }
    configs.sort();
    configs
}

#[test]
fn every_bad_config_fails_with_its_expected_error() {
    let update = std::env::var_os("UPDATE_EXPECTED").is_some();
    let configs = bad_configs();
    for path in &configs {
        let text = std::fs::read_to_string(path).expect("config");
        let err = match Config::parse(&text) {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(e) => format!("{e:#}\n"),
        };
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &err).expect("write the expected error");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "{} has no .expected file: add the error it must produce",
                path.display()
            )
        });
        assert_eq!(
            err,
            expected,
            "{}: if the new message is right, UPDATE_EXPECTED=1 rewrites the file",
            path.display()
        );
    }
    assert!(
        configs.len() >= 20,
        "the corpus is there ({} configs)",
        configs.len()
    );
}

#[test]
fn every_source_kind_has_a_bad_config_with_an_unknown_field() {
    for kind in SourceKind::ALL {
        let path = corpus().join(format!("{}-unknown-key.toml", kind.name()));
        assert!(path.exists(), "{} is missing", path.display());
    }
}

#[test]
fn every_source_kind_is_read_from_its_section_in_file_order() {
    let text = r#"
[[source.nats]]
servers = ["nats://127.0.0.1:4222"]

[[source.prometheus]]
url = "http://127.0.0.1:9090"

[[source.nats]]
servers = ["nats://127.0.0.1:4223"]

[[source.kubernetes]]

[[source.recording]]
path = "recordings/conflict"
"#;
    let config = Config::parse(text).expect("valid");
    let read: Vec<(&str, usize, usize)> = config
        .sources
        .iter()
        .map(|s| (s.config.kind().name(), s.index, s.line))
        .collect();
    assert_eq!(
        read,
        [
            ("nats", 0, 2),
            ("prometheus", 0, 5),
            ("nats", 1, 8),
            ("kubernetes", 0, 11),
            ("recording", 0, 13),
        ]
    );
    let kinds: Vec<SourceKind> = config.sources.iter().map(|s| s.config.kind()).collect();
    for kind in SourceKind::ALL {
        assert!(kinds.contains(&kind), "{} is read", kind.name());
    }
    match &config
        .sources
        .iter()
        .nth(2)
        .expect("the second nats")
        .config
    {
        SourceConfig::Nats(c) => assert_eq!(c.servers, ["nats://127.0.0.1:4223"]),
        other => panic!("expected nats, got {other:?}"),
    }
}

#[test]
fn the_binary_prints_the_error_naming_the_file_exits_1_and_records_nothing() {
    let path = corpus().join("source-misspelt.toml");
    let expected = std::fs::read_to_string(path.with_extension("expected")).expect("expected");
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("r");
    let o = record(&path, &out, &["--duration", "1s"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!("error: invalid config {}: {expected}", path.display())
    );
    assert!(!out.exists(), "nothing is recorded with a bad config");
}

#[test]
fn a_missing_config_file_is_named() {
    let o = run(&[
        "record",
        "--config",
        "/nonexistent/understudy.toml",
        "--duration",
        "1s",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("failed to read config /nonexistent/understudy.toml"),
        "{}",
        stderr(&o)
    );
}
