//! The interface version a component was built against.

/// The exported interface every plugin provides, without its version.
pub(crate) const PLUGIN_EXPORT: &str = "understudy:kpi/plugin";
/// The package, as [`crate::INTERFACE`] names it.
pub(crate) const PACKAGE: &str = "understudy:kpi";

/// What the export names say about the interface version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Check {
    /// A compatible version; the export's full name.
    Compatible(String),
    /// Another major version; `understudy:kpi@X.Y.Z`.
    Incompatible(String),
    /// No `understudy:kpi/plugin` export at all; the exports found.
    Missing(Vec<String>),
}

/// `(major, minor, patch)` of a `X.Y.Z[-pre][+build]` string.
fn parse(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let v = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    parts.next().is_none().then_some(v)
}

/// Semver compatibility as the component model's linker sees it: same major,
/// and for `0.x` the minor acts as the major (`0.1.0` ~ `0.1.7`, not `0.2.0`).
pub(crate) fn compatible(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Some((0, a_minor, _)), Some((0, b_minor, _))) => a_minor == b_minor,
        (Some((a_major, _, _)), Some((b_major, _, _))) => a_major == b_major,
        _ => false,
    }
}

/// The version this host speaks (`0.2.0`).
pub(crate) fn supported() -> &'static str {
    crate::INTERFACE.rsplit_once('@').map_or("", |(_, v)| v)
}

/// Looks for `understudy:kpi/plugin@X.Y.Z` among the export names.
pub(crate) fn check<'a>(exports: impl IntoIterator<Item = &'a str>) -> Check {
    let mut all = Vec::new();
    let mut incompatible = None;
    for name in exports {
        all.push(name.to_string());
        let (iface, version) = name.split_once('@').unwrap_or((name, ""));
        if iface != PLUGIN_EXPORT {
            continue;
        }
        if compatible(version, supported()) {
            return Check::Compatible(name.to_string());
        }
        let found = if version.is_empty() {
            PACKAGE.to_string()
        } else {
            format!("{PACKAGE}@{version}")
        };
        incompatible.get_or_insert(found);
    }
    match incompatible {
        Some(found) => Check::Incompatible(found),
        None => Check::Missing(all),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_rules() {
        assert_eq!(supported(), "0.2.0");
        assert!(compatible("0.1.0", "0.1.0"));
        assert!(compatible("0.1.3", "0.1.0"));
        assert!(compatible("0.1.0-rc1", "0.1.0"));
        assert!(!compatible("0.2.0", "0.1.0"));
        assert!(!compatible("1.0.0", "0.1.0"));
        assert!(compatible("1.2.0", "1.0.0"));
        assert!(!compatible("2.0.0", "1.0.0"));
        assert!(!compatible("", "0.1.0"));
        assert!(!compatible("x.y.z", "0.1.0"));
    }

    #[test]
    fn finds_the_plugin_export() {
        assert_eq!(
            check(["understudy:kpi/plugin@0.2.2"]),
            Check::Compatible("understudy:kpi/plugin@0.2.2".into())
        );
        assert_eq!(
            check(["understudy:kpi/plugin@0.1.0"]),
            Check::Incompatible("understudy:kpi@0.1.0".into()),
            "0.1 plugins need a rebuild"
        );
        assert_eq!(
            check(["understudy:kpi/plugin@1.0.0"]),
            Check::Incompatible("understudy:kpi@1.0.0".into())
        );
        assert_eq!(
            check(["understudy:kpi/plugin"]),
            Check::Incompatible("understudy:kpi".into())
        );
        assert_eq!(
            check(["wasi:cli/run@0.2.0"]),
            Check::Missing(vec!["wasi:cli/run@0.2.0".into()])
        );
    }
}
