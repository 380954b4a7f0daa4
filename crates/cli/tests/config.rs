//! Bad configuration files: each in `bad_configs/` with the lines its error
//! must contain in `NAME.expected`; a config without one fails the suite.

mod common;

use std::path::Path;

use common::*;

#[test]
fn every_bad_config_fails_with_its_expected_error_and_records_nothing() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_configs");
    let mut checked = 0;
    for entry in std::fs::read_dir(&corpus).expect("corpus") {
        let path = entry.expect("entry").path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => {}
            Some("expected") => {
                assert!(
                    path.with_extension("toml").exists(),
                    "{} has no config",
                    path.display()
                );
                continue;
            }
            _ => panic!("unexpected file {} in the corpus", path.display()),
        }
        let expected =
            std::fs::read_to_string(path.with_extension("expected")).unwrap_or_else(|_| {
                panic!(
                    "{} has no .expected file: add the error it must produce",
                    path.display()
                )
            });
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("r");
        let o = record(&path, &out, &["--duration", "1s"]);
        let err = stderr(&o);
        assert!(!o.status.success(), "{} was accepted", path.display());
        assert!(
            err.contains(&format!("invalid config {}", path.display())),
            "names the file: {err}"
        );
        for line in expected.lines().filter(|l| !l.is_empty()) {
            assert!(
                err.contains(line),
                "{}: expected {line:?} in:\n{err}",
                path.display()
            );
        }
        assert!(
            !out.exists(),
            "{}: nothing is recorded with a bad config",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 10, "the corpus is there ({checked} configs)");
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
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("failed to read config /nonexistent/understudy.toml"),
        "{}",
        stderr(&o)
    );
}
