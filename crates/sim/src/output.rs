//! Writing what the simulated system does into a recording, in the shapes a
//! live recording has: samples of named series, and object revisions as a
//! watch reports them (with resourceVersions, ADDED/MODIFIED/DELETED, and
//! an initial list bracketed by relist markers).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;
use understudy_core::{Labels, ObjectRevision, SampleBatch, Series, TimelineBatch, WatchEvent};
use understudy_store::{Manifest, RecordingWriter, StoreError};

use crate::objects::time;

#[derive(Debug)]
struct Known {
    api_version: String,
    namespace: Option<String>,
    uid: String,
    /// The object as last written, without its resourceVersion.
    body: Value,
}

pub struct Output {
    writer: RecordingWriter,
    series: HashMap<String, Arc<Series>>,
    samples: SampleBatch,
    objects: Vec<ObjectRevision>,
    known: BTreeMap<(String, String), Known>,
    resource_version: u64,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("objects", &self.known.len())
            .finish_non_exhaustive()
    }
}

impl Output {
    pub fn new(writer: RecordingWriter) -> Output {
        Output {
            writer,
            series: HashMap::new(),
            samples: SampleBatch::default(),
            objects: Vec::new(),
            known: BTreeMap::new(),
            resource_version: 1000,
        }
    }

    /// One sample; label names are the exporters' own.
    pub fn sample(&mut self, t: i64, metric: &str, labels: &[(&str, &str)], value: f64) {
        let mut key = String::with_capacity(64);
        key.push_str(metric);
        for (k, v) in labels {
            key.push('\u{1}');
            key.push_str(k);
            key.push('\u{1}');
            key.push_str(v);
        }
        let series = self.series.entry(key).or_insert_with(|| {
            let labels = Labels::from_pairs(labels.iter().copied())
                .expect("the simulator's label names are valid");
            Arc::new(Series::new(metric, labels).expect("the simulator's metric names are valid"))
        });
        self.samples.push(series, t, value);
    }

    /// Marks the start or end of the initial list of `kind`.
    pub fn relist(
        &mut self,
        t: i64,
        kind: &str,
        api_version: &str,
        namespace: Option<&str>,
        start: bool,
    ) {
        self.objects.push(ObjectRevision {
            observed_ms: t,
            server_time_ms: None,
            kind: kind.into(),
            api_version: api_version.into(),
            namespace: namespace.map(str::to_owned),
            name: None,
            uid: None,
            resource_version: Some(self.resource_version.to_string()),
            event: if start {
                WatchEvent::RelistStart
            } else {
                WatchEvent::RelistEnd
            },
            object: None,
        });
    }

    /// Records `body` as the current state of the object; a revision is
    /// written only when something changed.
    pub fn object(&mut self, t: i64, body: Value) {
        let kind = body["kind"].as_str().unwrap_or_default().to_owned();
        let name = body["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let key = (kind.clone(), name.clone());
        let event = match self.known.get(&key) {
            Some(k) if k.body == body => return,
            Some(_) => WatchEvent::Modified,
            None => WatchEvent::Added,
        };
        self.resource_version += 1;
        let rv = self.resource_version.to_string();
        let mut with_rv = body.clone();
        with_rv["metadata"]["resourceVersion"] = Value::from(rv.clone());
        let known = Known {
            api_version: body["apiVersion"].as_str().unwrap_or_default().to_owned(),
            namespace: body["metadata"]["namespace"].as_str().map(str::to_owned),
            uid: body["metadata"]["uid"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            body,
        };
        let server_time = with_rv["lastTimestamp"]
            .as_str()
            .and_then(|s| humantime::parse_rfc3339(s).ok())
            .and_then(|st| st.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64);
        self.objects.push(ObjectRevision {
            observed_ms: t,
            server_time_ms: server_time,
            kind,
            api_version: known.api_version.clone(),
            namespace: known.namespace.clone(),
            name: Some(name),
            uid: Some(known.uid.clone()),
            resource_version: Some(rv),
            event,
            object: Some(with_rv.to_string()),
        });
        self.known.insert(key, known);
    }

    /// The object is gone (a DELETED watch event with its last state).
    pub fn delete(&mut self, t: i64, kind: &str, name: &str) {
        let Some(k) = self.known.remove(&(kind.to_owned(), name.to_owned())) else {
            return;
        };
        self.resource_version += 1;
        let rv = self.resource_version.to_string();
        let mut body = k.body;
        body["metadata"]["resourceVersion"] = Value::from(rv.clone());
        if body["metadata"].get("deletionTimestamp").is_none() {
            body["metadata"]["deletionTimestamp"] = Value::from(time(t));
        }
        self.objects.push(ObjectRevision {
            observed_ms: t,
            server_time_ms: None,
            kind: kind.into(),
            api_version: k.api_version,
            namespace: k.namespace,
            name: Some(name.into()),
            uid: Some(k.uid),
            resource_version: Some(rv),
            event: WatchEvent::Deleted,
            object: Some(body.to_string()),
        });
    }

    /// Hands what was collected to the writer.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        let batch = TimelineBatch {
            samples: std::mem::take(&mut self.samples),
            objects: std::mem::take(&mut self.objects),
            gaps: Vec::new(),
        };
        if !batch.is_empty() {
            self.writer.append(&batch)?;
        }
        Ok(())
    }

    /// Makes everything handed over so far durable in the journal.
    pub fn sync(&mut self, t: i64) -> Result<(), StoreError> {
        self.writer.flush(t)
    }

    pub fn seal(&mut self, t: i64) -> Result<(), StoreError> {
        self.flush()?;
        self.writer.seal(t)
    }

    pub fn close(mut self, t: i64) -> Result<Manifest, StoreError> {
        self.flush()?;
        self.writer.close(t)
    }
}
