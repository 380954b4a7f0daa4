//! The remote-write 1.0 messages (`prometheus/prompb/remote.proto` and
//! `types.proto`), declared with `prost` derives instead of generated code.
//!
//! The receiver does not decode through these types (see [`crate::Decoder`]
//! for why); they are here for senders, tests and benchmarks, and as the
//! reference the fast decoder is tested against. Fields the receiver never
//! reads are declared only where a sender needs them to build a valid
//! message; protobuf decoders skip undeclared fields.

/// `prometheus.WriteRequest`. Field 2 is reserved.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    /// The series and their samples; one series may appear in several
    /// requests (Prometheus shards by series).
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    /// Type, help and unit of metric families; counted, not recorded.
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// `prometheus.TimeSeries`: one label set and its samples in time order.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// The label set, `__name__` included; Prometheus sends them sorted by
    /// name, the receiver does not rely on it.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Float samples, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Exemplars; counted, not recorded.
    #[prost(message, repeated, tag = "3")]
    pub exemplars: Vec<Exemplar>,
    /// Native histogram samples; counted, not recorded.
    #[prost(message, repeated, tag = "4")]
    pub histograms: Vec<Histogram>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Label {
    /// The label name (`__name__` for the metric name).
    #[prost(string, tag = "1")]
    pub name: String,
    /// The label value; empty means the label is absent.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `prometheus.Sample`: a value at a time in milliseconds since the epoch.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    /// The value; a staleness marker is a NaN with a particular bit pattern.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// `prometheus.Exemplar`: skipped by the receiver.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Exemplar {
    /// The exemplar's own labels (a trace id, typically).
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// The observed value.
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// `prometheus.Histogram` (native histograms): skipped by the receiver, so
/// only the scalar fields are declared.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    /// Sum of the observations.
    #[prost(double, tag = "3")]
    pub sum: f64,
    /// Bucket resolution: boundaries grow by a factor of 2^(2^-schema),
    /// -4 to 8.
    #[prost(sint32, tag = "4")]
    pub schema: i32,
    /// Observations with an absolute value at most this fall in the zero
    /// bucket.
    #[prost(double, tag = "5")]
    pub zero_threshold: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "15")]
    pub timestamp: i64,
}

/// `prometheus.MetricMetadata`: skipped by the receiver.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricMetadata {
    /// `MetricType` enum: 0 unknown, 1 counter, 2 gauge, 3 histogram, …
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    /// The family's name as in `# TYPE` (`http_request_duration_seconds`
    /// for the family of its `_bucket`, `_sum` and `_count` series).
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    /// The `# HELP` text.
    #[prost(string, tag = "4")]
    pub help: String,
    /// The unit (`seconds`, `bytes`); usually empty.
    #[prost(string, tag = "5")]
    pub unit: String,
}

impl WriteRequest {
    /// The request body a Prometheus sends: protobuf, then snappy (block
    /// format, not framed).
    pub fn to_body(&self) -> Vec<u8> {
        let raw = prost::Message::encode_to_vec(self);
        snap::raw::Encoder::new()
            .compress_vec(&raw)
            .expect("snappy compresses anything below its 4 GiB block limit")
    }
}

impl Label {
    /// A label from anything string-like.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Label {
        Label {
            name: name.into(),
            value: value.into(),
        }
    }
}
