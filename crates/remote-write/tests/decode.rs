//! Request bodies in, samples and counts out; no server.

use std::sync::Arc;

use understudy_core::TimeRange;
use understudy_remote_write::proto::{self, Label, TimeSeries, WriteRequest};
use understudy_remote_write::{DecodeError, Decoder, DropReason, decode};

const LIMIT: usize = 1 << 20;
const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

fn series(labels: &[(&str, &str)], samples: &[(i64, f64)]) -> TimeSeries {
    TimeSeries {
        labels: labels.iter().map(|(k, v)| Label::new(*k, *v)).collect(),
        samples: samples
            .iter()
            .map(|&(timestamp, value)| proto::Sample { value, timestamp })
            .collect(),
        ..Default::default()
    }
}

fn body(ts: Vec<TimeSeries>) -> Vec<u8> {
    WriteRequest {
        timeseries: ts,
        ..Default::default()
    }
    .to_body()
}

/// `(series as Prometheus prints it, timestamp, value bits)` of each sample.
fn flat(d: &understudy_remote_write::Decoded) -> Vec<(String, i64, u64)> {
    d.samples
        .iter()
        .map(|s| (s.series.to_string(), s.timestamp_ms, s.value.to_bits()))
        .collect()
}

#[test]
fn round_trip_of_a_hand_built_request() {
    let b = body(vec![
        // Unsorted, as a sender may send them; the empty value is no label.
        series(
            &[
                ("job", "node"),
                ("__name__", "node_cpu_seconds_total"),
                ("cpu", "0"),
                ("mode", ""),
            ],
            &[(1_000, 1.5), (2_000, 2.5)],
        ),
        // -0.0 would not survive: protobuf omits fields equal to 0.
        series(&[("__name__", "up")], &[(-5, -1e-300)]),
        series(
            &[("__name__", "x:y"), ("le", "+Inf")],
            &[(i64::MAX, f64::INFINITY)],
        ),
    ]);
    let d = decode(&b, LIMIT).expect("decodes");
    assert_eq!(
        flat(&d),
        vec![
            (
                r#"node_cpu_seconds_total{cpu="0",job="node"}"#.into(),
                1_000,
                1.5f64.to_bits()
            ),
            (
                r#"node_cpu_seconds_total{cpu="0",job="node"}"#.into(),
                2_000,
                2.5f64.to_bits()
            ),
            ("up".into(), -5, (-1e-300f64).to_bits()),
            (
                r#"x:y{le="+Inf"}"#.into(),
                i64::MAX,
                f64::INFINITY.to_bits()
            ),
        ]
    );
    assert_eq!(d.skipped, Default::default());
    // Both samples of a series share its `Series`.
    let s: Vec<_> = d.samples.iter().collect();
    assert!(Arc::ptr_eq(&s[0].series, &s[1].series));
}

#[test]
fn an_empty_request_is_fine() {
    let d = decode(&body(vec![]), LIMIT).expect("decodes");
    assert!(d.samples.is_empty());
}

#[test]
fn bad_snappy_says_snappy() {
    let e = decode(b"not snappy at all", LIMIT).expect_err("refused");
    assert!(matches!(e, DecodeError::Snappy(_)), "{e:?}");
    assert!(e.to_string().starts_with("snappy: "), "{e}");
    let e = decode(b"", LIMIT).expect_err("refused");
    assert_eq!(e.to_string(), "snappy: corrupt input (empty)");
    // A framed stream (the other snappy format) is not a block.
    let framed = {
        let mut w = snap::write::FrameEncoder::new(Vec::new());
        std::io::Write::write_all(&mut w, b"hello").expect("in memory");
        w.into_inner().expect("in memory")
    };
    assert!(decode(&framed, LIMIT).is_err());
}

#[test]
fn bad_protobuf_says_what_and_where() {
    let snappy = |raw: &[u8]| snap::raw::Encoder::new().compress_vec(raw).expect("small");
    // Field 1 (TimeSeries) claims 5 bytes, 1 follows.
    let e = decode(&snappy(&[0x0a, 0x05, 0x01]), LIMIT).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "protobuf: length-delimited field of 5 bytes, only 1 left at byte 1 of the decompressed body"
    );
    // Field 1 as a varint.
    let e = decode(&snappy(&[0x08, 0x01]), LIMIT).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "protobuf: WriteRequest field 1 has wire type 0, expected 2 at byte 0 of the decompressed body"
    );
    // A Sample whose value is a varint, inside a TimeSeries.
    let e = decode(&snappy(&[0x0a, 0x04, 0x12, 0x02, 0x08, 0x01]), LIMIT).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "protobuf: Sample field 1 has wire type 0, expected 1 at byte 4 of the decompressed body"
    );
    // Truncated varint, field number 0, group wire type.
    for raw in [&[0x80][..], &[0x00, 0x00], &[0x0b]] {
        let e = decode(&snappy(raw), LIMIT).expect_err("refused");
        assert!(e.to_string().starts_with("protobuf: "), "{e}");
    }
}

#[test]
fn size_cap_is_checked_before_decompressing() {
    let raw = vec![0u8; 1 << 20];
    let bomb = snap::raw::Encoder::new().compress_vec(&raw).expect("small");
    assert!(bomb.len() < 100 << 10);
    let e = decode(&bomb, 1000).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "decompressed body would be 1048576 bytes, limit 1000"
    );
    // A header promising 4 GiB - 1 and nothing behind it: refused without
    // allocating anything.
    let e = decode(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0x00], 64 << 20).expect_err("refused");
    assert!(
        matches!(
            e,
            DecodeError::TooLarge {
                len: 4_294_967_295,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn series_without_name_or_with_bad_labels_are_dropped_and_counted() {
    let b = body(vec![
        series(&[("job", "x")], &[(1, 1.0)]),
        series(&[("__name__", ""), ("job", "x")], &[(1, 1.0)]),
        series(&[("__name__", "1up")], &[(1, 1.0)]),
        series(&[("__name__", "up"), ("a-b", "x")], &[(1, 1.0)]),
        series(&[("__name__", "up"), ("__meta_x", "x")], &[(1, 1.0)]),
        series(&[("__name__", "up"), ("a", "1"), ("a", "2")], &[(1, 1.0)]),
        series(&[("__name__", "up"), ("job", "kept")], &[(1, 1.0)]),
        // No samples (a histogram-only series): nothing to drop.
        series(&[("job", "x")], &[]),
    ]);
    let d = decode(&b, LIMIT).expect("decodes");
    assert_eq!(
        flat(&d),
        vec![(r#"up{job="kept"}"#.into(), 1, 1f64.to_bits())]
    );
    let s = d.skipped;
    assert_eq!(s.series(DropReason::MissingName), 2);
    assert_eq!(s.series(DropReason::InvalidMetricName), 1);
    assert_eq!(s.series(DropReason::InvalidLabelName), 2);
    assert_eq!(s.series(DropReason::DuplicateLabel), 1);
    assert_eq!(s.series_total(), 6);
}

#[test]
fn invalid_utf8_drops_the_series_only() {
    // Hand-encoded: prost cannot build a string that is not UTF-8.
    fn field(tag: u8, b: &[u8]) -> Vec<u8> {
        let mut v = vec![tag, b.len() as u8];
        v.extend_from_slice(b);
        v
    }
    let label = |k: &[u8], v: &[u8]| field(0x0a, &[field(0x0a, k), field(0x12, v)].concat());
    let sample = field(0x12, &[0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x07]);
    let bad = [
        label(b"__name__", b"up"),
        label(b"job", b"\xff"),
        sample.clone(),
    ]
    .concat();
    let good = [label(b"__name__", b"up"), sample].concat();
    let raw = [field(0x0a, &bad), field(0x0a, &good)].concat();
    let b = snap::raw::Encoder::new().compress_vec(&raw).expect("small");
    let d = decode(&b, LIMIT).expect("decodes");
    assert_eq!(flat(&d), vec![("up".into(), 7, 1f64.to_bits())]);
    assert_eq!(d.skipped.series(DropReason::InvalidUtf8), 1);
}

#[test]
fn exemplars_histograms_and_metadata_are_counted_and_skipped() {
    let mut ts = series(&[("__name__", "rpc_seconds_bucket")], &[(10, 3.0)]);
    ts.exemplars = vec![proto::Exemplar {
        labels: vec![Label::new("trace_id", "abc")],
        value: 0.2,
        timestamp: 9,
    }];
    let mut only_histograms = series(&[("__name__", "rpc_seconds")], &[]);
    only_histograms.histograms = vec![
        proto::Histogram {
            sum: 1.0,
            schema: 3,
            zero_threshold: 1e-128,
            timestamp: 10,
        };
        2
    ];
    let b = WriteRequest {
        timeseries: vec![ts, only_histograms],
        metadata: vec![proto::MetricMetadata {
            r#type: 1,
            metric_family_name: "rpc_seconds".into(),
            help: "RPC latency.".into(),
            unit: String::new(),
        }],
    }
    .to_body();
    let d = decode(&b, LIMIT).expect("decodes");
    assert_eq!(d.samples.len(), 1);
    assert_eq!(d.skipped.exemplars, 1);
    assert_eq!(d.skipped.histograms, 2);
    assert_eq!(d.skipped.metadata, 1);
    assert_eq!(d.skipped.series_total(), 0);
}

#[test]
fn unknown_fields_are_skipped() {
    // Field 15 (varint), 14 (fixed64), 13 (bytes), 12 (fixed32) before the
    // series, as a newer sender might add.
    let mut raw = vec![0x78, 0x01, 0x71, 0, 0, 0, 0, 0, 0, 0, 0, 0x6a, 0x01, 0x00];
    raw.extend_from_slice(&[0x65, 0, 0, 0, 0]);
    let known = prost::Message::encode_to_vec(&WriteRequest {
        timeseries: vec![series(&[("__name__", "up")], &[(1, 1.0)])],
        ..Default::default()
    });
    raw.extend_from_slice(&known);
    let b = snap::raw::Encoder::new().compress_vec(&raw).expect("small");
    assert_eq!(decode(&b, LIMIT).expect("decodes").samples.len(), 1);
}

#[test]
fn stale_markers_keep_their_bits() {
    let stale = f64::from_bits(STALE_NAN_BITS);
    let b = body(vec![series(
        &[("__name__", "up"), ("job", "gone")],
        &[(1_000, 1.0), (2_000, stale), (3_000, f64::NAN)],
    )]);
    let d = decode(&b, LIMIT).expect("decodes");
    let bits: Vec<u64> = d.samples.iter().map(|s| s.value.to_bits()).collect();
    assert_eq!(
        bits,
        vec![1f64.to_bits(), STALE_NAN_BITS, f64::NAN.to_bits()]
    );

    // And the recording keeps them, journal and Parquet alike.
    let dir = tempfile::tempdir().expect("temp dir");
    let meta = understudy_store::RecordingMeta {
        name: "stale".into(),
        ..Default::default()
    };
    let (mut w, _) =
        understudy_store::RecordingWriter::open(dir.path(), meta, Default::default(), 0)
            .expect("opens");
    w.append(&d.samples.into()).expect("appends");
    w.close(4_000).expect("closes");
    let rec = understudy_store::Recording::open(dir.path()).expect("reads");
    let got = rec.samples(TimeRange::ALL, |_| true).expect("samples");
    let bits: Vec<u64> = got[0].values.iter().map(|v| v.to_bits()).collect();
    assert_eq!(
        bits,
        vec![1f64.to_bits(), STALE_NAN_BITS, f64::NAN.to_bits()]
    );
}

#[test]
fn series_are_built_once_across_requests() {
    let b = body(vec![
        series(&[("__name__", "up"), ("job", "a")], &[(1, 1.0)]),
        series(&[("job", "nameless")], &[(1, 1.0)]),
    ]);
    let mut dec = Decoder::new(LIMIT);
    let first = dec.decode(&b).expect("decodes");
    let second = dec.decode(&b).expect("decodes");
    let a = &first.samples.iter().next().expect("a sample").series;
    let b2 = &second.samples.iter().next().expect("a sample").series;
    assert!(Arc::ptr_eq(a, b2), "the cached series is reused");
    // Refusals are remembered, and still counted every time.
    assert_eq!(second.skipped.series(DropReason::MissingName), 1);
    assert_eq!(dec.cached_series(), 2);
}

#[test]
fn the_series_cache_is_bounded() {
    let mut dec = Decoder::new(LIMIT).with_cache_capacity(10);
    for i in 0..100 {
        let job = i.to_string();
        let d = dec
            .decode(&body(vec![series(
                &[("__name__", "up"), ("job", &job)],
                &[(i, 1.0)],
            )]))
            .expect("decodes");
        assert_eq!(d.samples.len(), 1);
        assert!(dec.cached_series() <= 20, "{}", dec.cached_series());
    }
    // A series of the previous generation moves back without being rebuilt.
    let b = body(vec![series(
        &[("__name__", "up"), ("job", "x")],
        &[(1, 1.0)],
    )]);
    let first = dec.decode(&b).expect("decodes");
    for i in 0..10 {
        let job = format!("filler{i}");
        dec.decode(&body(vec![series(
            &[("__name__", "up"), ("job", &job)],
            &[(1, 1.0)],
        )]))
        .expect("decodes");
    }
    let again = dec.decode(&b).expect("decodes");
    let s = |d: &understudy_remote_write::Decoded| {
        Arc::clone(&d.samples.iter().next().expect("a sample").series)
    };
    assert!(Arc::ptr_eq(&s(&first), &s(&again)));
}

/// The in-place reader and prost agree on what a request holds.
#[test]
fn agrees_with_prost() {
    let req = WriteRequest {
        timeseries: (0..50)
            .map(|i| {
                let inst = format!("10.0.0.{i}:9100");
                series(
                    &[
                        ("__name__", "node_network_receive_bytes_total"),
                        ("device", "eth0"),
                        ("instance", &inst),
                        ("job", "node"),
                    ],
                    &[(i * 15_000, i as f64 * 1e9), (i * 15_000 + 15_000, -1.0)],
                )
            })
            .collect(),
        ..Default::default()
    };
    let b = req.to_body();
    let via_prost: WriteRequest = prost::Message::decode(
        snap::raw::Decoder::new()
            .decompress_vec(&b)
            .expect("snappy")
            .as_slice(),
    )
    .expect("protobuf");
    let expected: Vec<(String, i64, u64)> = via_prost
        .timeseries
        .iter()
        .flat_map(|ts| {
            let mut labels: Vec<_> = ts
                .labels
                .iter()
                .filter(|l| l.name != "__name__")
                .map(|l| format!("{}={:?}", l.name, l.value))
                .collect();
            labels.sort();
            let name = &ts.labels[0].value;
            let shown = format!("{name}{{{}}}", labels.join(","));
            ts.samples
                .iter()
                .map(move |s| (shown.clone(), s.timestamp, s.value.to_bits()))
        })
        .collect();
    assert_eq!(flat(&decode(&b, LIMIT).expect("decodes")), expected);
}
