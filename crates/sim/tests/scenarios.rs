//! Scenario files: the bundled ones load, and every bad one in
//! `bad_scenarios/` fails with the error in its `.expected` file, naming the
//! field (a scenario without one fails the suite).

use std::path::Path;

use understudy_sim::{BUNDLED, Scenario};

#[test]
fn bundled_scenarios_load() {
    for (name, _) in BUNDLED {
        let s = Scenario::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.file.name, *name);
        assert!(!s.autoscalers.is_empty());
    }
}

#[test]
fn every_bad_scenario_fails_with_its_expected_error() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_scenarios");
    let mut checked = 0;
    for entry in std::fs::read_dir(&corpus).expect("corpus") {
        let path = entry.expect("entry").path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml") => {}
            Some("expected") => {
                assert!(
                    path.with_extension("yaml").exists(),
                    "{} has no scenario",
                    path.display()
                );
                continue;
            }
            _ => panic!("unexpected file {}", path.display()),
        }
        let expected = std::fs::read_to_string(path.with_extension("expected"))
            .unwrap_or_else(|_| panic!("{} has no .expected file", path.display()));
        let err = Scenario::load(path.to_str().expect("utf-8"))
            .expect_err("refused")
            .to_string();
        assert!(
            err.starts_with(&format!("invalid scenario {}", path.display())),
            "names the file: {err}"
        );
        assert!(
            err.contains(expected.trim()),
            "{}: expected {:?} in {err:?}",
            path.display(),
            expected.trim()
        );
        checked += 1;
    }
    assert!(checked >= 12, "the corpus is there ({checked})");
}
