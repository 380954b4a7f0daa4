//! Issue 16: one query must not exhaust the process. The sample limit works
//! as Prometheus' `--query.max-samples`; nesting is refused before parsing
//! with a clear `bad_data`; a cancelled query stops.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use understudy_promql::{
    Engine, Labels, MAX_NESTING, MemStorage, QueryError, Series, Value, format_query,
};

const TOO_MANY: &str =
    "query processing would load too many samples into memory in query execution";

/// `series` series `up{i="…"}` with a sample every 15 s for an hour.
fn storage(series: usize) -> MemStorage {
    MemStorage {
        series: (0..series)
            .map(|i| {
                Arc::new(Series {
                    labels: Labels::new([
                        ("__name__".to_string(), "up".to_string()),
                        ("i".to_string(), format!("{i:04}")),
                    ]),
                    timestamps: (0..240).map(|k| k * 15_000).collect(),
                    values: (0..240).map(|k| k as f64).collect(),
                })
            })
            .collect(),
    }
}

fn engine(max_samples: usize) -> Engine {
    Engine {
        max_samples,
        ..Engine::default()
    }
}

#[test]
fn issue_16_a_selection_over_the_limit_is_prometheus_execution_error() {
    let st = storage(100);
    // 100 series × 240 samples in the hour = 24,000 raw samples.
    let q = "max_over_time(up[1h])";
    let at = 3_600_000 - 15_000;
    assert!(engine(24_100).instant(&st, q, at).is_ok());
    assert_eq!(
        engine(20_000).instant(&st, q, at),
        Err(QueryError::Execution(TOO_MANY.to_string()))
    );
}

#[test]
fn issue_16_range_results_count_every_point() {
    let st = storage(100);
    // 100 series × 241 steps of a range query, plus the samples read.
    let run = |limit| engine(limit).range(&st, "up", 0, 3_600_000, 15_000);
    assert!(matches!(run(100_000), Ok(Value::Matrix(m)) if m.len() == 100));
    assert_eq!(
        run(30_000),
        Err(QueryError::Execution(TOO_MANY.to_string()))
    );
}

#[test]
fn issue_16_operands_are_released_when_their_operator_is_done() {
    let st = storage(10);
    // Each `up` holds 10 × 241 points; a chain of 50 adds holds at most two
    // operands and a result at once, never all 50 operands.
    let chain = vec!["up"; 50].join(" + ");
    assert!(
        engine(10_000)
            .range(&st, &chain, 0, 3_600_000, 15_000)
            .is_ok()
    );
}

#[test]
fn issue_16_a_fine_subquery_is_refused_before_its_grid_is_built() {
    let st = storage(1);
    // An hour of 1 ms steps: 3.6M steps, each holding a value.
    let r = engine(1_000_000).instant(&st, "max_over_time(vector(1)[1h:1ms])", 3_600_000);
    assert_eq!(r, Err(QueryError::Execution(TOO_MANY.to_string())));
}

#[test]
fn issue_16_deep_nesting_is_a_bad_data_naming_the_limit() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    for r in [
        engine(1000)
            .instant(&MemStorage::default(), &deep, 0)
            .map(drop),
        format_query(&deep).map(drop),
    ] {
        let Err(QueryError::BadData(m)) = r else {
            panic!("refused as bad_data: {r:?}")
        };
        assert!(m.contains(&MAX_NESTING.to_string()), "{m}");
    }
}

#[test]
fn issue_16_a_cancelled_query_stops() {
    let cancel = Arc::new(AtomicBool::new(true));
    let e = Engine {
        cancel: Some(cancel),
        ..Engine::default()
    };
    let r = e.range(&storage(10), "rate(up[5m])", 0, 3_600_000, 15_000);
    assert_eq!(
        r,
        Err(QueryError::Canceled("expression evaluation".to_string()))
    );
}

/// Every shape of deep expression at the limit evaluates on a thread of
/// `EVAL_STACK_BYTES` (a debug build has the largest frames): a stack
/// overflow would abort this test binary.
#[test]
fn issue_16_the_deepest_accepted_expressions_fit_the_query_stack() {
    let n = MAX_NESTING;
    let nested = |open: &str, close: &str, levels: usize| {
        format!("{}up{}", open.repeat(levels), close.repeat(levels))
    };
    let shapes = [
        format!("up{}", " + up".repeat(n)),
        format!("up{}", " > bool up".repeat(n)),
        format!("up{}", " + on(i) group_left up".repeat(n / 2)),
        nested("(", ")", n),
        format!("{}up", "-".repeat(n)),
        nested("abs(", ")", n),
        nested("round(", ", 1)", n),
        nested("clamp(", ", 0, 1)", n),
        nested("sum(", ")", n),
        nested("sum by (i) (", ")", n / 2),
        nested("topk(1, ", ")", n / 2),
        nested("sort(", ")", n),
        nested("vector(scalar(", "))", n / 2),
        nested(r#"label_replace("#, r#", "a", "b", "i", "(.*)")"#, n),
    ];
    for q in shapes {
        assert!(understudy_promql::check_nesting(&q).is_ok(), "{}", &q[..40]);
        let head = q[..40].to_string();
        let r = std::thread::Builder::new()
            .stack_size(understudy_promql::EVAL_STACK_BYTES)
            .spawn(move || {
                let r = Engine::default().range(&storage(2), &q, 0, 60_000, 15_000);
                r.map(drop).map_err(|e| e.to_string())
            })
            .expect("the thread ran")
            .join()
            .expect("the thread ran");
        assert!(r.is_ok(), "{head}…: {r:?}");
    }
}
