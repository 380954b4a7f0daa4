//! The commands that read a finished recording (replay, analyze, kpi run,
//! plugin test, export) read only its sealed segments. After a recorder
//! was killed, part of the recording (all of it, when it never sealed a
//! segment) is still in the journal: reading on would show a shorter run,
//! or "0 series", without a word. They refuse instead and say how to
//! repair; `inspect` shows the state and repairs with `--repair`.

use std::path::Path;

use anyhow::Result;
use tracing::warn;

use crate::human;

/// Refuses a recording that does not exist (naming a close one) or that a
/// killed recorder left unsealed; warns about one a recorder is still
/// writing (what it sealed so far is a consistent, if shorter, recording).
pub fn check(dir: &Path) -> Result<()> {
    crate::suggest::recording(dir)?;
    if let Some(journal) = understudy_store::check_sealed(dir)? {
        warn!(
            "{} is being recorded: reading what is sealed so far ({} more in the recorder's journal)",
            dir.display(),
            human::bytes(journal.bytes)
        );
    }
    Ok(())
}
