//! A query recorded live is answered from the recording, exactly as the
//! dashboard showed it; any other query is evaluated.

use std::sync::Arc;

use understudy_core::{Labels, SampleBatch, Series};
use understudy_promql::{Engine, Value};
use understudy_replay::view::ReplayView;
use understudy_replay::{ReplayOptions, load, state};
use understudy_store::{RecordingMeta, RecordingWriter, WriterOptions};

#[test]
fn recorded_answers_are_served_for_their_expression() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut w, _) = RecordingWriter::open(
        dir.path(),
        RecordingMeta::default(),
        WriterOptions::default(),
        0,
    )
    .expect("open");
    let up = Arc::new(
        Series::new("up", Labels::from_pairs([("job", "a")]).expect("labels")).expect("series"),
    );
    // What the live Prometheus answered for `sum(up)` (the raw data says 1).
    let answer = Arc::new(
        Series::new(
            "understudy_query_result",
            Labels::from_pairs([("understudy_query", "sum(up)")]).expect("labels"),
        )
        .expect("series"),
    );
    let mut b = SampleBatch::default();
    for t in (0..=60_000).step_by(15_000) {
        b.push(&up, t, 1.0);
        b.push(&answer, t, 42.0);
    }
    w.append(&b.into()).expect("append");
    w.close(60_000).expect("close");

    let loaded = load(dir.path()).expect("load");
    assert_eq!(loaded.recorded.len(), 1);
    let st = state(
        loaded,
        &ReplayOptions {
            start_at_ms: 0,
            speed: 1.0,
            looping: false,
            no_shift: true,
            limits: understudy_replay::QueryLimits::default(),
        },
        0,
    );
    let view = ReplayView {
        base: &st.storage,
        map: st.mapping(),
        recorded: Some(&st.recorded),
    };
    let recorded = st
        .recorded
        .find("sum (up)")
        .expect("the same expression, spelt differently");
    let rview = ReplayView {
        base: recorded,
        map: view.map,
        recorded: None,
    };
    match understudy_replay::recorded::instant(&rview, 30_000, 300_000) {
        Value::Vector(v) => {
            assert_eq!((v.len(), v[0].v, v[0].labels.0.is_empty()), (1, 42.0, true))
        }
        other => panic!("{other:?}"),
    }
    // Not recorded: evaluated over the data.
    assert!(st.recorded.find("sum(up) * 2").is_none());
    match Engine::default()
        .instant(&view, "sum(up) * 2", 30_000)
        .expect("evaluates")
    {
        Value::Vector(v) => assert_eq!(v[0].v, 2.0),
        other => panic!("{other:?}"),
    }
    // Recorded answers are not series of the data.
    let m = understudy_promql::parse_selector("{__name__=~\".+\"}").expect("selector");
    use understudy_promql::Queryable;
    assert_eq!(view.select(&m, 0, 60_000).len(), 1);
}
