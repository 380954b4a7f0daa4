//! What a new user trips on at the command line (issue 17): each mistake
//! gets one clear error line and the exit status the docs give (1 for an
//! error, 2 for bad arguments).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// The repository, where the docs' commands run.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `understudy ARGS` run from the repository's top.
fn at_root(args: &[&str]) -> Output {
    understudy()
        .current_dir(root())
        .args(args)
        .output()
        .expect("run understudy")
}

/// The one error line an error ends with, after any log lines.
fn error_line(o: &Output) -> String {
    let err = stderr(o);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one error line in\n{err}");
    errors[0].to_owned()
}

#[test]
fn issue_17_a_misspelt_recording_does_not_exist_and_names_the_bundled_one() {
    let flapping = "plugins/dist/flapping.wasm";
    for args in [
        &["replay", "recordings/conflcit"][..],
        &["inspect", "recordings/conflcit"],
        &["export", "recordings/conflcit", "--format", "csv"],
        &["analyze", "recordings/conflcit"],
        &["kpi", "run", "recordings/conflcit", "--plugin", flapping],
        &[
            "plugin",
            "test",
            flapping,
            "--recording",
            "recordings/conflcit",
        ],
    ] {
        let o = at_root(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert_eq!(
            error_line(&o),
            "error: recordings/conflcit does not exist; did you mean recordings/conflict?",
            "{args:?}"
        );
    }
    let o = at_root(&["inspect", "README.md"]);
    assert_eq!(
        error_line(&o),
        "error: README.md is a file, not a recording (a recording is a directory holding manifest.json)"
    );
    let o = at_root(&["replay", "crates"]);
    assert_eq!(
        error_line(&o),
        "error: failed to load recording crates: crates is not an understudy recording: it has no manifest.json"
    );
}

#[test]
fn issue_17_an_unknown_scenario_names_the_bundled_ones_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("r");
    let o = run(&[
        "simulate",
        "--scenario",
        "confict",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: unknown scenario `confict`: not a bundled scenario (conflict, harmony; did you mean conflict?) and no file of that name\n"
    );
    assert!(!out.exists(), "nothing is created");
}

/// Every OS error is said once, however many layers carry it.
#[test]
fn issue_17_errors_under_a_file_say_their_cause_once() {
    for args in [
        &["replay", "README.md/x"][..],
        &["inspect", "--repair", "README.md/x"],
        &["simulate", "--scenario", "conflict", "--out", "README.md/x"],
        &[
            "simulate",
            "--scenario",
            "README.md/x",
            "--out",
            "/nonexistent/x",
        ],
        &[
            "record",
            "--config",
            "README.md/x",
            "--out",
            "/nonexistent/x",
        ],
        &[
            "record",
            "--config",
            "deploy/empty.toml",
            "--out",
            "README.md/x",
        ],
        &[
            "export",
            "recordings/conflict",
            "--format",
            "csv",
            "--out",
            "README.md/x",
        ],
        &["plugin", "new", "x", "--dir", "README.md/x"],
        &[
            "kpi",
            "run",
            "recordings/conflict",
            "--plugin",
            "README.md/x",
        ],
    ] {
        let o = at_root(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let line = error_line(&o);
        assert!(line.matches("(os error").count() <= 1, "{args:?}: {line}");
        assert!(
            line.to_lowercase().matches("not a directory").count() <= 1,
            "{args:?}: {line}"
        );
    }
}

#[test]
fn issue_17_listen_takes_host_names_and_says_what_it_expects() {
    let mut cmd = understudy();
    cmd.current_dir(root())
        .args(["replay", "recordings/conflict", "--listen", "localhost:0"]);
    let replay = Server::start(cmd, "replaying");
    assert!(replay.addr.starts_with("127.0.0.1:"), "{}", replay.addr);
    let (status, _) = http_get(&replay.addr, "/-/replay");
    assert_eq!(status, 200);
    drop(replay);

    for (flag, args) in [
        (
            "--listen",
            &["replay", "recordings/conflict", "--listen", "localhost"][..],
        ),
        (
            "--kube-listen",
            &[
                "replay",
                "recordings/conflict",
                "--kube-listen",
                "localhost",
            ],
        ),
        (
            "--listen",
            &[
                "dashboard",
                "--prometheus",
                "http://127.0.0.1:9",
                "--listen",
                "localhost",
            ],
        ),
        (
            "--listen",
            &[
                "record",
                "--config",
                "deploy/empty.toml",
                "--listen",
                "localhost",
            ],
        ),
    ] {
        let o = at_root(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).starts_with(&format!(
                "error: invalid value 'localhost' for '{flag} <HOST:PORT>': no port in `localhost`; expected HOST:PORT, such as 127.0.0.1:9090, localhost:9090"
            )),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn issue_17_start_at_past_the_end_negative_or_garbage_is_refused() {
    let o = at_root(&["replay", "recordings/conflict", "--start-at", "20m"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        error_line(&o),
        "error: --start-at 20m is past the end of recordings/conflict (it lasts 15m)"
    );
    let o = at_root(&["replay", "recordings/conflict", "--start-at", "-5m"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("error: invalid value '-5m' for '--start-at <DURATION>': a negative offset; --start-at counts from the recording's start"),
        "{}",
        stderr(&o)
    );
    let o = at_root(&["replay", "recordings/conflict", "--start-at", "soon"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a duration (")
            && stderr(&o).contains("write it like 90s, 5m or 1h30m"),
        "{}",
        stderr(&o)
    );
}

/// `plugin test --expect` on the file its help describes: `--json`'s
/// outputs, rewritten by jq (`5.0` becomes `5`).
#[test]
fn issue_17_expect_compares_numbers_as_numbers_and_names_what_differs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let flapping = "plugins/dist/flapping.wasm";
    let o = at_root(&[
        "plugin",
        "test",
        flapping,
        "--recording",
        "recordings/conflict",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let mut outputs = report["outputs"].clone();
    let first = outputs[0].clone();
    assert!(!first.is_null(), "the plugin outputs something: {report}");
    // As jq 1.6 prints them: whole floats without their `.0`.
    let jq = serde_json::to_string(&outputs)
        .expect("JSON")
        .replace(".0,", ",")
        .replace(".0}", "}");
    assert!(
        jq != serde_json::to_string(&outputs).expect("JSON"),
        "some number was whole"
    );
    let golden = tmp.path().join("golden.json");
    std::fs::write(&golden, jq).expect("write");
    let golden = golden.to_str().expect("utf-8");
    let o = at_root(&[
        "plugin",
        "test",
        flapping,
        "--recording",
        "recordings/conflict",
        "--expect",
        golden,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("outputs match {golden}")),
        "{}",
        stdout(&o)
    );

    let points = first["points"].as_u64().expect("points");
    outputs[0]["points"] = (points + 1).into();
    std::fs::write(golden, outputs.to_string()).expect("write");
    let o = at_root(&[
        "plugin",
        "test",
        flapping,
        "--recording",
        "recordings/conflict",
        "--expect",
        golden,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let name = format!(
        "{}{{{}}}",
        first["metric"].as_str().expect("metric"),
        first["labels"]
            .as_object()
            .expect("labels")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert!(
        err.contains(&format!(
            "error: outputs differ from {golden} in 1 place (numbers compared within 1e-9):\n  {name} points: expected {}, got {points}\n",
            points + 1
        )),
        "{err}"
    );
}
