//! [`ChunkStorage`]: a recording's series held compressed (XOR chunks, see
//! [`crate::chunk`]) behind a label index ([`crate::index::Postings`]). A
//! selection finds its series through the index and decodes only the
//! chunks that overlap its time range, so what a query costs follows the
//! data it touches, and what the storage holds at rest is the compressed
//! chunks (about 5 bytes a sample for a cluster's scrapes, 16 decoded).

use understudy_promql::{Labels, Matcher, Queryable, Series};

use crate::chunk::ChunkedSeries;
use crate::index::Postings;

/// Series in label order, compressed, with their label index.
#[derive(Debug, Default)]
pub struct ChunkStorage {
    /// Label sets by series id, sorted (selections come out in this order).
    labels: Vec<Labels>,
    /// Samples by series id.
    samples: Vec<ChunkedSeries>,
    index: Postings,
}

impl ChunkStorage {
    /// Compresses `series` (each in time order, one sample per timestamp),
    /// freeing each one's decoded samples as soon as it is encoded.
    pub fn new(series: impl IntoIterator<Item = Series>) -> ChunkStorage {
        ChunkStorage::from_chunks(
            series
                .into_iter()
                .map(|s| {
                    let chunks = ChunkedSeries::encode(&s.timestamps, &s.values);
                    (s.labels, chunks)
                })
                .collect(),
        )
    }

    /// Series already compressed, with their labels (from a streaming read).
    pub fn from_chunks(mut series: Vec<(Labels, ChunkedSeries)>) -> ChunkStorage {
        series.sort_by(|a, b| a.0.cmp(&b.0));
        let (labels, samples): (Vec<Labels>, Vec<ChunkedSeries>) = series.into_iter().unzip();
        let index = Postings::build(&labels);
        ChunkStorage {
            labels,
            samples,
            index,
        }
    }

    /// The values label `name` takes across the series, in order (the
    /// metric names for `__name__`), from the index.
    pub fn label_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.index.values(name)
    }

    /// How many series it holds.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether it holds no series.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// How many samples it holds.
    pub fn sample_count(&self) -> usize {
        self.samples.iter().map(ChunkedSeries::len).sum()
    }

    /// Bytes of compressed samples held (chunk payloads and headers).
    pub fn sample_bytes(&self) -> usize {
        self.samples.iter().map(ChunkedSeries::heap_bytes).sum()
    }

    /// The series matching every matcher (a missing label matches as ""):
    /// their labels and compressed samples, in label order, found through
    /// the index without decoding anything.
    pub fn matching<'a>(
        &'a self,
        matchers: &[Matcher],
    ) -> impl Iterator<Item = (&'a Labels, &'a ChunkedSeries)> + 'a {
        self.index
            .select(matchers)
            .into_iter()
            .map(|id| (&self.labels[id as usize], &self.samples[id as usize]))
    }

    /// Every series, decoded whole, in label order, one at a time (a
    /// reader that needs them all; selections go through the index).
    pub fn iter(&self) -> impl Iterator<Item = Series> + '_ {
        self.labels.iter().zip(&self.samples).map(|(l, c)| {
            let mut s = Series {
                labels: l.clone(),
                timestamps: Vec::with_capacity(c.len()),
                values: Vec::with_capacity(c.len()),
            };
            c.decode_into(i64::MIN, i64::MAX, &mut s.timestamps, &mut s.values);
            s
        })
    }
}

impl Queryable for ChunkStorage {
    fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<Series> {
        self.matching(matchers)
            .filter_map(|(labels, chunks)| {
                let mut s = Series {
                    labels: labels.clone(),
                    timestamps: Vec::new(),
                    values: Vec::new(),
                };
                chunks.decode_into(mint, maxt, &mut s.timestamps, &mut s.values);
                (!s.timestamps.is_empty()).then_some(s)
            })
            .collect()
    }

    fn count(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> usize {
        self.matching(matchers)
            .map(|(_, chunks)| chunks.count_in(mint, maxt))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use understudy_promql::{MemStorage, parse_selector};

    use super::*;

    /// Every selector over many windows answers as the plain in-memory
    /// storage does, on a bundled recording's real series.
    #[test]
    fn selections_equal_the_decoded_storage_on_a_bundled_recording() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings/conflict");
        let rec = understudy_store::Recording::open(&dir).expect("bundled recording");
        let plain: MemStorage = crate::storage(
            rec.samples(understudy_core::TimeRange::ALL, |_| true)
                .expect("samples")
                .into_iter()
                .map(|s| crate::series(&s.series, s.timestamps, s.values))
                .filter(|s| s.labels.get(understudy_core::QUERY_LABEL).is_none()),
        );
        let timeline = crate::Timeline::load_samples(&dir).expect("bundled recording");
        let chunked = &timeline.storage;
        assert_eq!(chunked.len(), plain.series.len());
        let (start, end) = (timeline.span.start, timeline.span.end);
        let windows = [
            (i64::MIN, i64::MAX),
            (start, end),
            (start - 60_000, start + 1),
            (start + 61_000, start + 61_000),
            (start + 90_000, start + 400_000),
            (end - 15_000, end + 15_000),
            (end + 1, end + 60_000),
        ];
        for selector in [
            "jetstream_consumer_num_pending",
            r#"{__name__=~"kube_.*"}"#,
            r#"{__name__=~"container_cpu_usage_seconds_total|kube_deployment_spec_replicas"}"#,
            r#"kube_pod_status_phase{phase!="Running"}"#,
            r#"{__name__=~".+",pod=~"meme-backend-.*",container!=""}"#,
            r#"{__name__="nosuch"}"#,
        ] {
            let matchers = parse_selector(selector).expect("parses");
            for (mint, maxt) in windows {
                let want = plain.select(&matchers, mint, maxt);
                let got = chunked.select(&matchers, mint, maxt);
                assert_eq!(got.len(), want.len(), "{selector} [{mint}, {maxt}]");
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(g.labels, w.labels);
                    assert_eq!(g.timestamps, w.timestamps, "{selector} {:?}", g.labels);
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&g.values), bits(&w.values), "{selector}");
                }
                assert_eq!(
                    chunked.count(&matchers, mint, maxt),
                    plain.count(&matchers, mint, maxt),
                    "{selector}"
                );
            }
        }
        let decoded: Vec<Series> = chunked.iter().collect();
        assert_eq!(decoded.len(), plain.series.len());
        assert!(
            // Short series (a 15 min run) pay a chunk header each.
            chunked.sample_bytes() * 2 < chunked.sample_count() * 16,
            "compressed to {} bytes for {} samples",
            chunked.sample_bytes(),
            chunked.sample_count()
        );
    }
}
