//! Issue 16: every command that prints treats a reader that stops reading
//! (`understudy inspect DIR | head -3`) as a normal end: exit 0, no panic,
//! nothing on standard error.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use common::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn conflict() -> String {
    root().join("recordings/conflict").display().to_string()
}

fn plugin(name: &str) -> String {
    let p = root().join("plugins/dist").join(format!("{name}.wasm"));
    assert!(
        p.is_file(),
        "{} is missing: run plugins/build.sh",
        p.display()
    );
    p.display().to_string()
}

/// Runs `understudy ARGS` with a standard output whose reader is gone
/// before the first write: every write fails with a broken pipe.
fn into_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    understudy()
        .args(args)
        .stdout(writer)
        .output()
        .expect("run understudy")
}

/// Exit 0 and not a word: the reader has what it wanted.
fn assert_quiet_success(args: &[&str], o: &Output) {
    assert!(
        o.status.success(),
        "{args:?}: {:?}\n{}",
        o.status,
        stderr(o)
    );
    assert_eq!(stderr(o), "", "{args:?}");
}

#[test]
fn issue_16_reports_into_a_closed_pipe_end_quietly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let new_plugin = tmp.path().join("mine");
    let conflict = conflict();
    let flapping = plugin("flapping");
    let commands: Vec<Vec<&str>> = vec![
        vec!["inspect", &conflict],
        vec!["inspect", &conflict, "--json"],
        vec!["export", &conflict, "--format", "openmetrics"],
        vec!["export", &conflict, "--format", "csv"],
        vec!["kpi", "run", &conflict, "--plugin", &flapping],
        vec!["kpi", "run", &conflict, "--plugin", &flapping, "--json"],
        vec!["plugin", "test", &flapping, "--recording", &conflict],
        vec![
            "plugin",
            "test",
            &flapping,
            "--recording",
            &conflict,
            "--json",
        ],
        vec!["analyze", &conflict, "--no-bundled-plugins"],
        vec!["analyze", &conflict, "--no-bundled-plugins", "--json"],
        vec![
            "plugin",
            "new",
            "mine",
            "--dir",
            new_plugin.to_str().expect("utf-8"),
        ],
    ];
    for args in &commands {
        let o = into_closed_pipe(args);
        assert_quiet_success(args, &o);
    }
    assert!(
        new_plugin.join("src/lib.rs").is_file(),
        "the plugin was created all the same"
    );
}

/// `| head -1`: the reader takes a line, then goes; the export is far
/// larger than a pipe holds, so the rest hits the closed pipe.
#[test]
fn issue_16_an_export_read_by_head_ends_quietly() {
    let mut child = understudy()
        .args(["export", &conflict(), "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start export");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a line");
    assert_eq!(first, "timestamp,metric,labels,value\n");
    let o = child.wait_with_output().expect("wait");
    assert_quiet_success(&["export"], &o);
}

/// A failure still fails when nobody reads the report: the exit status
/// is the failure's, not the closed pipe's.
#[test]
fn issue_16_a_closed_pipe_does_not_hide_a_failure() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let golden = write(&tmp.path().join("golden.json"), r#"{"outputs": []}"#);
    let conflict = conflict();
    let flapping = plugin("flapping");
    let args = [
        "plugin",
        "test",
        &flapping,
        "--recording",
        &conflict,
        "--expect",
        golden.to_str().expect("utf-8"),
    ];
    let o = into_closed_pipe(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(&format!(
            "error: outputs differ from {} in ",
            golden.display()
        )),
        "{}",
        stderr(&o)
    );
}

/// Commands that log rather than print are not bothered by a closed stdout.
#[test]
fn issue_16_simulate_with_a_closed_stdout_writes_its_recording() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("c");
    let args = [
        "simulate",
        "--scenario",
        "conflict",
        "--out",
        out.to_str().expect("utf-8"),
        "--duration",
        "1m",
    ];
    let o = into_closed_pipe(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_eq!(inspect_json(&out)["interrupted_sessions"], 0);
}

#[test]
fn issue_16_loadgen_summaries_into_a_closed_pipe_end_quietly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = understudy_testkit::NatsServer::start(tmp.path(), &[]);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(understudy_testkit::memes(&server.url));
    let publish = [
        "loadgen",
        "--server",
        &server.url,
        "--stream",
        "MEMES",
        "--subject",
        "meme.request",
        "--messages",
        "20",
        "--clients",
        "2",
    ];
    let consume = [
        "loadgen",
        "--consume",
        "--server",
        &server.url,
        "--stream",
        "MEMES",
        "--consumer",
        "meme-generator",
        "--clients",
        "2",
        "--messages",
        "10",
    ];
    for args in [&publish[..], &consume[..]] {
        for json in [false, true] {
            let mut args = args.to_vec();
            if json {
                args.push("--json");
            }
            let o = into_closed_pipe(&args);
            assert_quiet_success(&args, &o);
        }
    }
}
