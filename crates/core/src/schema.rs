//! Arrow schemas of the recording format v1.
//!
//! Three tables, one Parquet file each per sealed segment:
//! - `samples`: `series_ref`, `timestamp`, `value` — grouped by series, each
//!   in time order. Narrow on purpose: the bulk of a recording is here, and
//!   three primitive columns encode to a few bits per sample.
//! - `series`: one row per series, written in the segment where the series
//!   first appears — `series_ref` (dense, this recording's), `series_id`
//!   (stable across recordings), `metric`, `labels` (a Parquet MAP). Join on
//!   `series_ref` to see labels next to samples.
//! - `objects`: Kubernetes object revisions and relist markers.
//!
//! See docs/recording-format.md for the encodings and the reasons behind them.

use std::sync::{Arc, LazyLock};

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// Name of the map entries struct and its fields, as the Parquet spec spells them.
pub const MAP_ENTRIES: &str = "key_value";
/// The `labels` map's key field: the label name, never null.
pub const MAP_KEY: &str = "key";
/// The `labels` map's value field: the label value (nullable as the spec
/// allows, though writers never write a null).
pub const MAP_VALUE: &str = "value";

/// `Timestamp(Millisecond, "UTC")`, the type of every time column.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// The `labels` column type: `MAP<string, string>`.
pub fn labels_type() -> DataType {
    let entries = Field::new(
        MAP_ENTRIES,
        DataType::Struct(Fields::from(vec![
            Field::new(MAP_KEY, DataType::Utf8, false),
            Field::new(MAP_VALUE, DataType::Utf8, true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

static SAMPLES: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("series_ref", DataType::UInt32, false),
        Field::new("timestamp", timestamp_type(), false),
        Field::new("value", DataType::Float64, false),
    ]))
});

static SERIES: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("series_ref", DataType::UInt32, false),
        Field::new("series_id", DataType::UInt64, false),
        Field::new("metric", DataType::Utf8, false),
        Field::new("labels", labels_type(), false),
    ]))
});

static OBJECTS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("observed_time", timestamp_type(), false),
        Field::new("server_time", timestamp_type(), true),
        Field::new("kind", DataType::Utf8, false),
        Field::new("api_version", DataType::Utf8, false),
        Field::new("namespace", DataType::Utf8, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("uid", DataType::Utf8, true),
        Field::new("resource_version", DataType::Utf8, true),
        Field::new("event_type", DataType::Utf8, false),
        Field::new("object", DataType::Utf8, true),
    ]))
});

/// Schema of `samples/*.parquet`.
pub fn samples() -> SchemaRef {
    Arc::clone(&SAMPLES)
}

/// Schema of `series/*.parquet`.
pub fn series() -> SchemaRef {
    Arc::clone(&SERIES)
}

/// Schema of `objects/*.parquet`.
pub fn objects() -> SchemaRef {
    Arc::clone(&OBJECTS)
}
