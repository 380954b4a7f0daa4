//! Kubernetes Events as the controllers' event recorders write them:
//! repeats of one event fold into a count on one object.

use std::collections::BTreeMap;

use crate::objects;
use crate::output::Output;
use crate::rng::Rng;

/// The object an Event is about: apiVersion, kind, name, uid.
pub type Involved<'a> = (&'a str, &'a str, &'a str, &'a str);

/// An Event's identity for aggregation: involved object, reason, message.
type EventKey = (String, String, String);

/// An Event object as last written.
#[derive(Debug)]
struct Known {
    name: String,
    uid: String,
    first_ms: i64,
    count: u32,
}

#[derive(Debug)]
pub struct Events {
    namespace: String,
    rng: Rng,
    known: BTreeMap<EventKey, Known>,
}

impl Events {
    pub fn new(namespace: &str, rng: Rng) -> Events {
        Events {
            namespace: namespace.to_owned(),
            rng,
            known: BTreeMap::new(),
        }
    }

    /// Writes the Event (`ty` Normal or Warning) at `at`, or its next count.
    pub fn emit(
        &mut self,
        out: &mut Output,
        at: i64,
        involved: Involved<'_>,
        (ty, reason, message): (&str, &str, &str),
    ) {
        let key = (
            format!("{}/{}", involved.1, involved.2),
            reason.to_owned(),
            message.to_owned(),
        );
        let entry = self.known.entry(key).or_insert_with(|| Known {
            name: format!("{}.{:016x}", involved.2, self.rng.next_u64() >> 4),
            uid: self.rng.uuid(),
            first_ms: at,
            count: 0,
        });
        entry.count += 1;
        let body = objects::event(
            &entry.name,
            &self.namespace,
            &entry.uid,
            involved,
            (ty, reason, message),
            entry.first_ms,
            at,
            entry.count,
        );
        out.object(at, body);
    }
}
