//! The simulated clock: the world advances in ticks of one CFS period, and
//! every periodic loop (scrapes, syncs, polls, the recorder's writes) runs
//! on ticks that fall on its own period and phase.

use std::time::Duration;

/// One tick: the kernel enforces a CPU limit per 100 ms period, the finest
/// grain any part of the system needs.
pub const TICK_MS: i64 = 100;

/// Whether a loop with `period`, first running at `phase_ms`, runs at `t`.
/// Loops of one period start at different phases, as real components
/// started at different moments do.
pub fn every(t: i64, period: Duration, phase_ms: i64) -> bool {
    let p = period.as_millis() as i64;
    t >= phase_ms && (t - phase_ms) % p == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_runs_on_its_phase_then_every_period() {
        let runs: Vec<i64> = (0..100)
            .map(|s| s * TICK_MS)
            .filter(|&t| every(t, Duration::from_secs(3), 500))
            .collect();
        assert_eq!(runs, [500, 3_500, 6_500, 9_500]);
    }
}
