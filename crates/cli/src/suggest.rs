//! What a user probably meant: a misspelt recording or scenario named back
//! with its closest real neighbour ("did you mean recordings/conflict?").

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// The candidate closest to `typed`, if any is close enough to be the one
/// meant (`confict` → `conflict`, and nothing for `my-run`).
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(typed, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Refuses a recording directory that does not exist, naming a recording
/// close to it (beside it, or in `recordings/`) when there is one. Whatever
/// else can be wrong with it, the store says when it opens it.
pub fn recording(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if dir.exists() {
        bail!(
            "{} is a file, not a recording (a recording is a directory holding manifest.json)",
            dir.display()
        );
    }
    // Recordings beside it and in `recordings/`, by directory name: whole
    // paths share too long a prefix to tell near from far.
    let mut near: Vec<(String, PathBuf)> = Vec::new();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    for place in [parent, Path::new("recordings")] {
        for entry in std::fs::read_dir(place).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.join(understudy_store::MANIFEST_FILE).is_file() {
                let shown = if place == Path::new(".") {
                    PathBuf::from(entry.file_name())
                } else {
                    path
                };
                near.push((entry.file_name().to_string_lossy().into_owned(), shown));
            }
        }
    }
    let typed = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let meant = closest(&typed, near.iter().map(|(name, _)| name.as_str()))
        .and_then(|name| near.iter().find(|(n, _)| n == name))
        .map(|(_, shown)| format!("; did you mean {}?", shown.display()))
        .unwrap_or_default();
    bail!("{} does not exist{meant}", dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let bundled = ["conflict", "harmony"];
        assert_eq!(closest("confict", bundled), Some("conflict"));
        assert_eq!(closest("harmoni", bundled), Some("harmony"));
        assert_eq!(closest("my-run", bundled), None);
    }

    /// Issue 17: `replay recordings/conflcit` said "has no manifest.json".
    #[test]
    fn a_missing_recording_does_not_exist_and_names_its_neighbour() {
        let root = tempfile::tempdir().expect("tempdir");
        let conflict = root.path().join("conflict");
        std::fs::create_dir(&conflict).expect("mkdir");
        std::fs::write(conflict.join("manifest.json"), "{}").expect("write");
        std::fs::create_dir(root.path().join("conflicts-notes")).expect("mkdir");
        let typo = root.path().join("conflcit");
        let msg = recording(&typo).expect_err("missing").to_string();
        assert_eq!(
            msg,
            format!(
                "{} does not exist; did you mean {}?",
                typo.display(),
                conflict.display()
            )
        );
        let far = root.path().join("tuesday");
        let msg = recording(&far).expect_err("missing").to_string();
        assert_eq!(msg, format!("{} does not exist", far.display()));
        let file = conflict.join("manifest.json");
        let msg = recording(&file).expect_err("a file").to_string();
        assert!(
            msg.ends_with(
                "is a file, not a recording (a recording is a directory holding manifest.json)"
            ),
            "{msg}"
        );
        assert!(recording(&conflict).is_ok());
    }
}
