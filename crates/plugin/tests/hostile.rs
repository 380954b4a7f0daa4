//! Each hostile plugin of plugins/hostile is contained with the exact
//! expected outcome, and the host (and the evaluator) keep working after it.

mod common;

use std::time::{Duration, Instant};

use common::{SeriesCalls, assert_host_still_works, dist, empty_batch, host, load};
use understudy_plugin::{HostConfig, INTERFACE, Mode, PluginError};

/// Whether an error is the one expected.
type Expect = fn(&PluginError) -> bool;

fn faults(eval: &understudy_plugin::Evaluator) -> Vec<(String, u64)> {
    eval.faults().to_vec()
}

fn fault(reason: &str, n: u64) -> Vec<(String, u64)> {
    vec![(reason.to_string(), n)]
}

#[test]
fn infinite_loop_times_out_within_its_budget() {
    let config = HostConfig::live();
    let budget = config.call_timeout;
    let host = host(config);
    let mut eval = load(&host, "infinite-loop")
        .open(&[], Mode::Live)
        .expect("open");
    let started = Instant::now();
    assert_eq!(
        eval.push_series(&empty_batch()),
        Err(PluginError::Timeout(budget))
    );
    let took = started.elapsed();
    // The deadline fires one 10 ms tick short of the budget; the margin is
    // for the scheduler of a loaded 2-core machine running the other tests,
    // not for the plugin.
    println!("infinite loop stopped after {took:?} (budget {budget:?})");
    assert!(
        took >= budget / 2 && took < budget + Duration::from_millis(150),
        "took {took:?} for a {budget:?} budget"
    );
    assert!(eval.last_call().duration < budget + Duration::from_millis(150));
    assert_eq!(faults(&eval), fault("timeout", 1));
    // The evaluator is re-created from the pre-instantiated plugin: its
    // finish() does not loop.
    assert_eq!(eval.finish_series(), Ok(vec![]));
    assert_host_still_works(&host);
}

#[test]
fn infinite_loop_runs_out_of_fuel_when_metered() {
    let host = host(HostConfig {
        fuel: Some(50_000_000),
        ..HostConfig::offline()
    });
    let mut eval = load(&host, "infinite-loop")
        .open(&[], Mode::Offline)
        .expect("open");
    assert_eq!(
        eval.push_series(&empty_batch()),
        Err(PluginError::OutOfFuel)
    );
    assert_eq!(eval.last_call().fuel_used, Some(50_000_000));
    assert_eq!(faults(&eval), fault("fuel", 1));
    assert_eq!(eval.finish_series(), Ok(vec![]));
    assert_host_still_works(&host);
}

#[test]
fn memory_bomb_hits_the_memory_limit() {
    // Live memory cap; a time budget that filling 64 MiB on a loaded
    // machine cannot exhaust.
    let config = HostConfig {
        call_timeout: Duration::from_secs(10),
        ..HostConfig::live()
    };
    let limit = config.memory_limit_bytes;
    let host = host(config);
    let mut eval = load(&host, "memory-bomb")
        .open(&[], Mode::Live)
        .expect("open");
    assert_eq!(
        eval.push_series(&empty_batch()),
        Err(PluginError::MemoryLimit(limit))
    );
    let stats = eval.last_call();
    assert!(
        stats.memory_bytes <= limit && stats.memory_bytes > limit / 2,
        "{stats:?}"
    );
    assert_eq!(faults(&eval), fault("memory", 1));
    assert_eq!(eval.finish_series(), Ok(vec![]));
    assert!(
        eval.last_call().memory_bytes < limit / 2,
        "a fresh instance: {:?}",
        eval.last_call()
    );
    assert_host_still_works(&host);
}

#[test]
fn huge_output_is_refused_by_size() {
    // Offline limits, so that the plugin has the memory to build its 10
    // million samples and the size cap is what stops them.
    let config = HostConfig::offline();
    let limit = config.max_output_samples;
    let host = host(config);
    let mut eval = load(&host, "huge-output")
        .open(&[], Mode::Offline)
        .expect("open");
    assert_eq!(
        eval.push_series(&empty_batch()),
        Err(PluginError::OutputTooLarge {
            found: 10_000_000,
            limit
        })
    );
    assert_eq!(faults(&eval), fault("output_size", 1));
    assert_eq!(eval.finish_series(), Ok(vec![]));
    assert_host_still_works(&host);
}

#[test]
fn huge_output_within_live_limits_is_contained_too() {
    // Under the live memory cap the plugin cannot even build its output.
    let config = HostConfig {
        call_timeout: Duration::from_secs(10),
        ..HostConfig::live()
    };
    let limit = config.memory_limit_bytes;
    let host = host(config);
    let mut eval = load(&host, "huge-output")
        .open(&[], Mode::Live)
        .expect("open");
    assert_eq!(
        eval.push_series(&empty_batch()),
        Err(PluginError::MemoryLimit(limit))
    );
    assert_host_still_works(&host);
}

#[test]
fn panic_is_a_trap_with_the_panic_message() {
    let host = host(HostConfig::live());
    let mut eval = load(&host, "panic").open(&[], Mode::Live).expect("open");
    match eval.push_series(&empty_batch()) {
        Err(PluginError::Trap(message)) => {
            assert!(message.contains("unreachable"), "{message}");
            assert!(
                message
                    .contains("hostile plugin panics on purpose in push (window 1000000..1060000)"),
                "{message}"
            );
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(faults(&eval), fault("trap", 1));
    assert_eq!(eval.finish_series(), Ok(vec![]));
    assert_host_still_works(&host);
}

#[test]
fn nan_flood_is_invalid_output() {
    let host = host(HostConfig::live());
    let mut eval = load(&host, "nan-flood")
        .open(&[], Mode::Live)
        .expect("open");
    match eval.push_series(&empty_batch()) {
        Err(PluginError::InvalidOutput(message)) => {
            assert!(
                message.contains(
                    "timestamp -9223372036854775808 is outside the window [1000000, 1060000]"
                ),
                "{message}"
            );
        }
        other => panic!("expected invalid output, got {other:?}"),
    }
    assert_eq!(faults(&eval), fault("invalid_output", 1));
    // Not a trap: the same instance goes on.
    assert_eq!(eval.finish_series(), Ok(vec![]));
    assert_host_still_works(&host);
}

#[test]
fn wrong_version_is_refused_naming_both_versions() {
    let host = host(HostConfig::live());
    let path = dist("wrong-version");
    match host.load(&path) {
        Err(e @ PluginError::Version { .. }) => {
            assert_eq!(
                e,
                PluginError::Version {
                    path: path.display().to_string(),
                    found: "understudy:kpi@1.0.0".into(),
                    supported: INTERFACE.into(),
                }
            );
            let shown = e.to_string();
            assert!(
                shown.contains("understudy:kpi@1.0.0") && shown.contains("understudy:kpi@0.2.0"),
                "{shown}"
            );
            assert_eq!(e.reason(), "version");
        }
        other => panic!("expected a version error, got {other:?}"),
    }
    assert_host_still_works(&host);
}

#[test]
fn bad_config_is_a_plugin_error_on_open() {
    let host = host(HostConfig::live());
    let plugin = load(&host, "bad-config");
    assert_eq!(plugin.info().name, "bad-config");
    match plugin.open(&[], Mode::Live) {
        Err(PluginError::Plugin(message)) => {
            assert!(message.starts_with("invalid config: "), "{message}");
            assert!(message.contains("banana"), "{message}");
        }
        other => panic!("expected a plugin error, got {other:?}"),
    }
    assert_host_still_works(&host);
}

#[test]
fn repeated_faults_quarantine_the_evaluator() {
    let host = host(HostConfig {
        quarantine_after: 3,
        ..HostConfig::live()
    });
    let mut eval = load(&host, "panic").open(&[], Mode::Live).expect("open");
    for _ in 0..3 {
        assert!(matches!(
            eval.push_series(&empty_batch()),
            Err(PluginError::Trap(_))
        ));
    }
    for _ in 0..2 {
        let started = Instant::now();
        assert_eq!(
            eval.push_series(&empty_batch()),
            Err(PluginError::Quarantined(3))
        );
        assert_eq!(eval.finish_series(), Err(PluginError::Quarantined(3)));
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "the plugin is not run"
        );
    }
    assert_eq!(
        faults(&eval),
        vec![("trap".to_string(), 3), ("quarantined".to_string(), 4)]
    );
    // Other evaluators of the same plugin are not quarantined.
    let mut other = load(&host, "panic").open(&[], Mode::Live).expect("open");
    assert!(matches!(
        other.push_series(&empty_batch()),
        Err(PluginError::Trap(_))
    ));
    assert_host_still_works(&host);
}

#[test]
fn a_good_call_resets_the_fault_count() {
    let host = host(HostConfig {
        quarantine_after: 2,
        ..HostConfig::live()
    });
    let mut eval = load(&host, "nan-flood")
        .open(&[], Mode::Live)
        .expect("open");
    for _ in 0..3 {
        assert!(matches!(
            eval.push_series(&empty_batch()),
            Err(PluginError::InvalidOutput(_))
        ));
        assert_eq!(eval.finish_series(), Ok(vec![]));
    }
    assert!(matches!(
        eval.push_series(&empty_batch()),
        Err(PluginError::InvalidOutput(_))
    ));
    assert!(matches!(
        eval.push_series(&empty_batch()),
        Err(PluginError::InvalidOutput(_))
    ));
    assert_eq!(
        eval.push_series(&empty_batch()),
        Err(PluginError::Quarantined(2))
    );
    assert_eq!(
        faults(&eval),
        vec![
            ("invalid_output".to_string(), 5),
            ("quarantined".to_string(), 1)
        ]
    );
}

#[test]
fn every_hostile_plugin_in_one_host() {
    // All of them, one after the other, in one host; the good plugin works
    // after each. (Live limits, with a time budget that only the infinite
    // loop exhausts even on a loaded machine.)
    let host = host(HostConfig {
        call_timeout: Duration::from_secs(2),
        ..HostConfig::live()
    });
    let expected: [(&str, Expect); 5] = [
        ("infinite-loop", |e| matches!(e, PluginError::Timeout(_))),
        ("memory-bomb", |e| matches!(e, PluginError::MemoryLimit(_))),
        ("huge-output", |e| matches!(e, PluginError::MemoryLimit(_))),
        ("panic", |e| matches!(e, PluginError::Trap(_))),
        ("nan-flood", |e| matches!(e, PluginError::InvalidOutput(_))),
    ];
    for (name, is_expected) in expected {
        let mut eval = load(&host, name).open(&[], Mode::Live).expect("open");
        match eval.push_series(&empty_batch()) {
            Err(e) if is_expected(&e) => {}
            other => panic!("{name}: unexpected {other:?}"),
        }
        assert_host_still_works(&host);
    }
    assert!(matches!(
        host.load(&dist("wrong-version")),
        Err(PluginError::Version { .. })
    ));
    assert!(matches!(
        load(&host, "bad-config").open(&[], Mode::Live),
        Err(PluginError::Plugin(_))
    ));
    assert_host_still_works(&host);
}

#[test]
fn files_that_are_not_plugins_are_load_errors() {
    let host = host(HostConfig::live());
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.wasm");
    assert!(
        matches!(host.load(&missing), Err(PluginError::Load { message, .. }) if message.contains("cannot read"))
    );
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"not wasm at all").expect("write");
    assert!(
        matches!(host.load(&garbage), Err(PluginError::Load { message, .. }) if message.contains("not a valid component"))
    );
    // A core module is not a component.
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").expect("write");
    assert!(matches!(host.load(&core), Err(PluginError::Load { .. })));
    // An empty component exports no plugin.
    let empty = dir.path().join("empty.wasm");
    std::fs::write(&empty, b"\0asm\x0d\0\x01\0").expect("write");
    match host.load(&empty) {
        Err(PluginError::Load { message, .. }) => {
            assert!(
                message.contains("does not export understudy:kpi/plugin@0.2.0"),
                "{message}"
            );
        }
        other => panic!("expected a load error, got {other:?}"),
    }
    assert_host_still_works(&host);
}
