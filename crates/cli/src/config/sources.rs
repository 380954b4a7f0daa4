//! The `[[source.KIND]]` sections: every kind of source this build knows,
//! parsed in the same pass as the rest of the file, so an error inside a
//! section keeps its line and column.
//!
//! [`SourceKind`] is the list, and its docs the checklist for adding a
//! source.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;
use understudy_source_kube::KubeConfig;
use understudy_source_nats::NatsConfig;
use understudy_source_prom::PromConfig;
use understudy_source_recording::RecordingConfig;

/// Every kind of source this build knows: the `KIND` of `[[source.KIND]]`.
///
/// # Adding a source
/// 1. A crate `crates/source-NAME` (package `understudy-source-NAME`) that
///    owns its client dependency, with a config struct (serde,
///    `#[serde(deny_unknown_fields)]`, doc comments written for users), a
///    `problems()` method listing every value problem, each naming its field,
///    and a type implementing `understudy_core::Source` named `NAME[N]`.
///    Its tests run it against the real service (or a fixture speaking the
///    real protocol): it sends batches, returns `Unavailable` when the
///    service goes away (the recorder records a gap), and resumes.
/// 2. The crate in the root Cargo.toml (`members`, `[workspace.dependencies]`)
///    and in crates/cli/Cargo.toml.
/// 3. A variant here, in [`SourceKind::ALL`] and in [`SourceConfig`]. The
///    compiler then names every `match` to complete: the name in
///    `[[source.NAME]]`, parsing, the checks, and `build_sources` in
///    record.rs, which starts it.
/// 4. Its section in docs/configuration.md, and in
///    crates/cli/tests/bad_configs/ `NAME-unknown-key.toml` (the suite asks
///    for it) and a bad config for each new error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `[[source.recording]]`: a recording's samples played back as now.
    Recording,
    /// `[[source.prometheus]]`: series, queries and remote write.
    Prometheus,
    /// `[[source.nats]]`: JetStream streams, consumers and advisories.
    Nats,
    /// `[[source.kubernetes]]`: object watches and polled API paths.
    Kubernetes,
}

impl SourceKind {
    /// Every kind, in the order messages list them.
    pub const ALL: [SourceKind; 4] = [
        SourceKind::Recording,
        SourceKind::Prometheus,
        SourceKind::Nats,
        SourceKind::Kubernetes,
    ];

    /// The name in `[[source.NAME]]`, and in the instance names (`nats[0]`).
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Recording => "recording",
            SourceKind::Prometheus => "prometheus",
            SourceKind::Nats => "nats",
            SourceKind::Kubernetes => "kubernetes",
        }
    }
}

impl<'de> Deserialize<'de> for SourceKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        SourceKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| de::Error::custom(unknown_kind(&name)))
    }
}

/// "unknown source kind `promethus`, did you mean `prometheus`? expected one
/// of `recording`, `prometheus`, `nats`, `kubernetes`"
fn unknown_kind(name: &str) -> String {
    let names = SourceKind::ALL.map(SourceKind::name);
    let expected = names.map(|n| format!("`{n}`")).join(", ");
    match crate::suggest::closest(name, names) {
        Some(best) => format!(
            "unknown source kind `{name}`, did you mean `{best}`? expected one of {expected}"
        ),
        None => format!("unknown source kind `{name}`, expected one of {expected}"),
    }
}

/// What one section asks for, by kind.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// A `[[source.recording]]` section.
    Recording(RecordingConfig),
    /// A `[[source.prometheus]]` section.
    Prometheus(PromConfig),
    /// A `[[source.nats]]` section.
    Nats(NatsConfig),
    /// A `[[source.kubernetes]]` section.
    Kubernetes(KubeConfig),
}

impl SourceConfig {
    /// Which kind of section this is.
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceConfig::Recording(_) => SourceKind::Recording,
            SourceConfig::Prometheus(_) => SourceKind::Prometheus,
            SourceConfig::Nats(_) => SourceKind::Nats,
            SourceConfig::Kubernetes(_) => SourceKind::Kubernetes,
        }
    }

    /// The problems serde cannot see (a URL without a scheme, a selector
    /// that is not one), each naming its field.
    pub fn problems(&self) -> Vec<String> {
        match self {
            SourceConfig::Recording(c) => c.problems(),
            SourceConfig::Prometheus(c) => c.problems(),
            SourceConfig::Nats(c) => c.problems(),
            SourceConfig::Kubernetes(c) => c.problems(),
        }
    }
}

/// One `[[source.KIND]]` section.
#[derive(Debug, Clone)]
pub struct Section {
    /// Its place among the sections of its kind, from 0: the `N` of the
    /// instance name `prometheus[N]`.
    pub index: usize,
    /// The line of the file it starts on (0 when it came from no file).
    pub line: usize,
    /// Byte offset of its start in the file, for `line`.
    pub(super) offset: usize,
    /// What the section asks for.
    pub config: SourceConfig,
}

impl Section {
    /// How messages name it: `[[source.prometheus]] #0`.
    pub fn label(&self) -> String {
        format!("[[source.{}]] #{}", self.config.kind().name(), self.index)
    }
}

/// The `[source]` table: every section, in the order of the file.
#[derive(Debug, Clone, Default)]
pub struct Sources(pub(super) Vec<Section>);

impl Sources {
    /// The sections in the order of the file.
    pub fn iter(&self) -> std::slice::Iter<'_, Section> {
        self.0.iter()
    }

    /// Whether the file has no `[[source.*]]` section.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Sources {
    type Item = &'a Section;
    type IntoIter = std::slice::Iter<'a, Section>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'de> Deserialize<'de> for Sources {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SourcesVisitor)
    }
}

struct SourcesVisitor;

impl<'de> Visitor<'de> for SourcesVisitor {
    type Value = Sources;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("source sections such as [[source.prometheus]]")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sources, A::Error> {
        let mut sections = Vec::new();
        while let Some(kind) = map.next_key::<SourceKind>()? {
            let s = &mut sections;
            match kind {
                SourceKind::Recording => add(s, &mut map, kind, SourceConfig::Recording)?,
                SourceKind::Prometheus => add(s, &mut map, kind, SourceConfig::Prometheus)?,
                SourceKind::Nats => add(s, &mut map, kind, SourceConfig::Nats)?,
                SourceKind::Kubernetes => add(s, &mut map, kind, SourceConfig::Kubernetes)?,
            }
        }
        // toml hands the kinds over by name, not in the order of the file.
        sections.sort_by_key(|s| s.offset);
        Ok(Sources(sections))
    }
}

/// Reads the sections of one kind and appends them, numbered.
fn add<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    sections: &mut Vec<Section>,
    map: &mut A,
    kind: SourceKind,
    wrap: fn(T) -> SourceConfig,
) -> Result<(), A::Error> {
    let list: Vec<Spanned<T>> = map.next_value_seed(Sections(kind, PhantomData))?;
    for (index, c) in list.into_iter().enumerate() {
        sections.push(Section {
            index,
            line: 0,
            offset: c.span().start,
            config: wrap(c.into_inner()),
        });
    }
    Ok(())
}

/// An array of tables. `[source.nats]`, one bracket short, is a table and
/// said to be so.
struct Sections<T>(SourceKind, PhantomData<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Sections<T> {
    type Value = Vec<Spanned<T>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Sections<T> {
    type Value = Vec<Spanned<T>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "an array of tables: write the header with two brackets, [[source.{}]]",
            self.0.name()
        )
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut list = Vec::new();
        while let Some(c) = seq.next_element()? {
            list.push(c);
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_read_back_from_its_name() {
        for kind in SourceKind::ALL {
            let read = SourceKind::deserialize(toml::Value::from(kind.name()));
            assert_eq!(read.expect("a known kind"), kind);
        }
    }

    #[test]
    fn an_unknown_kind_is_named_with_the_closest_known_one() {
        assert_eq!(
            unknown_kind("kubernets"),
            "unknown source kind `kubernets`, did you mean `kubernetes`? expected one of `recording`, `prometheus`, `nats`, `kubernetes`"
        );
    }
}
