//! The captured Prometheus request bodies the `ingest` bench replays still
//! decode, completely.

use understudy_remote_write::Decoder;

#[test]
fn captured_prometheus_bodies_decode_completely() {
    let raw = include_bytes!("fixtures/prometheus-2.42-self.bodies");
    let mut rest = &raw[..];
    let mut dec = Decoder::new(64 << 20);
    let (mut bodies, mut samples) = (0, 0);
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        let len = u32::from_le_bytes(*len) as usize;
        let (body, tail) = tail.split_at(len);
        let d = dec.decode(body).expect("a body Prometheus sent decodes");
        assert!(d.samples.len() <= 500, "max_samples_per_send is 500");
        assert_eq!(d.skipped.series_total(), 0);
        assert!(d.samples.iter().all(|s| s.timestamp_ms > 1_700_000_000_000));
        samples += d.samples.len();
        bodies += 1;
        rest = tail;
    }
    assert_eq!(bodies, 22);
    assert!(samples > 5_000, "{samples}");
}
