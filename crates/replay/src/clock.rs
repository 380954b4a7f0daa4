//! The replay clock: which moment of the recording is "now", and how
//! recording times map onto wall time.
//!
//! While playing, recording time `r` shows at wall time
//! `anchor_wall + (r - anchor_pos) / speed`; the anchor moves only when the
//! presenter pauses, seeks or changes speed, so between those the mapping
//! is fixed and dashboards see one consistent, shifted dataset. While
//! paused the anchor follows the wall clock: the picture holds still.

use std::time::Duration;

use tokio::time::Instant;

/// The fastest replay: a 15-minute run in under a second. Faster would
/// only push clock arithmetic towards overflow.
pub const MAX_SPEED: f64 = 1000.0;

/// The recording's span and how replay walks through it.
#[derive(Debug, Clone)]
pub struct ClockOptions {
    /// The recording's start, ms since the epoch.
    pub rec_start: i64,
    /// The recording's end, ms since the epoch; the position never passes it.
    pub rec_end: i64,
    /// Where to begin, from the recording's start.
    pub start_at_ms: i64,
    /// Recording ms per wall ms; outside (0, [`MAX_SPEED`]] it is taken
    /// as 1.
    pub speed: f64,
    /// Start over at the end instead of stopping there.
    pub looping: bool,
    /// Serve original timestamps, the whole recording visible.
    pub no_shift: bool,
}

/// Where a replay is: recording time as a function of wall time, moved by
/// the control API. Callers share it behind a mutex; every method is quick.
#[derive(Debug)]
pub struct Clock {
    opts: ClockOptions,
    /// Wall time (ms since the epoch) and monotonic instant of the anchor.
    anchor_wall: i64,
    anchor_instant: Instant,
    anchor_pos: i64,
    speed: f64,
    paused: bool,
    /// Seeks and loops so far: the Kubernetes API tells a jump from play by
    /// this count, as positions alone cannot (a jump forward looks like
    /// fast play).
    jumps: u64,
}

/// How recording times appear at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mapping {
    /// Recording time that is "now".
    pub position: i64,
    /// Display (wall) time of recording time `anchor_pos`.
    pub anchor_wall: i64,
    /// The recording time displayed at `anchor_wall`.
    pub anchor_pos: i64,
    /// Recording ms per wall ms (the speed set, also while paused).
    pub speed: f64,
    /// Display time is recording time.
    pub no_shift: bool,
    /// Wall time of this snapshot.
    pub now_wall: i64,
}

impl Mapping {
    /// The display time of recording time `r`.
    pub fn display(&self, r: i64) -> i64 {
        if self.no_shift {
            return r;
        }
        // Saturating: a hostile time or speed must not overflow (f64 → i64
        // casts saturate already).
        self.anchor_wall
            .saturating_add((r.saturating_sub(self.anchor_pos) as f64 / self.speed).round() as i64)
    }

    /// The recording time shown at display time `d`.
    pub fn recording(&self, d: i64) -> i64 {
        if self.no_shift {
            return d;
        }
        self.anchor_pos
            .saturating_add((d.saturating_sub(self.anchor_wall) as f64 * self.speed).round() as i64)
    }
}

/// What `/-/replay` reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Status {
    /// The replay position, recording time (ms since the epoch).
    pub position_ms: i64,
    /// The display time of the position: "now" on the replay's graphs.
    pub now_ms: i64,
    /// The position from the recording's start, ms.
    pub offset_ms: i64,
    /// The recording's length, ms.
    pub duration_ms: i64,
    /// The speed set, kept while paused.
    pub speed: f64,
    /// Whether the position stands still.
    pub paused: bool,
    /// Whether the replay starts over at the end.
    pub looping: bool,
    /// Whether original timestamps are served.
    pub no_shift: bool,
    /// The recording's start, ms since the epoch.
    pub recording_start_ms: i64,
    /// The recording's end, ms since the epoch.
    pub recording_end_ms: i64,
}

impl Clock {
    /// A clock at `opts.start_at_ms`, playing, with that position shown at
    /// `now_wall` (ms since the epoch).
    pub fn new(opts: ClockOptions, now_wall: i64) -> Clock {
        let start = opts
            .rec_start
            .saturating_add(opts.start_at_ms.max(0))
            .min(opts.rec_end);
        Clock {
            anchor_wall: now_wall,
            anchor_instant: Instant::now(),
            anchor_pos: start,
            speed: if opts.speed > 0.0 && opts.speed <= MAX_SPEED {
                opts.speed
            } else {
                1.0
            },
            paused: false,
            jumps: 0,
            opts,
        }
    }

    fn elapsed_ms(&self) -> i64 {
        Instant::now()
            .saturating_duration_since(self.anchor_instant)
            .as_millis() as i64
    }

    /// The mapping now; with `--loop`, passing the end starts over.
    pub fn mapping(&mut self) -> Mapping {
        let elapsed = self.elapsed_ms();
        let now_wall = self.anchor_wall + elapsed;
        if self.opts.no_shift {
            return Mapping {
                position: self.opts.rec_end,
                anchor_wall: now_wall,
                anchor_pos: self.opts.rec_end,
                speed: 1.0,
                no_shift: true,
                now_wall,
            };
        }
        if self.paused {
            return Mapping {
                position: self.anchor_pos,
                anchor_wall: now_wall,
                anchor_pos: self.anchor_pos,
                speed: self.speed,
                no_shift: false,
                now_wall,
            };
        }
        let mut position = self
            .anchor_pos
            .saturating_add((elapsed as f64 * self.speed) as i64);
        if position > self.opts.rec_end {
            if self.opts.looping && self.opts.rec_end > self.opts.rec_start {
                let len = self.opts.rec_end - self.opts.rec_start;
                let over = position - self.opts.rec_end;
                // Start over: re-anchor at the recording's start.
                let wrapped = self.opts.rec_start + over % len;
                let back = ((wrapped - self.opts.rec_start) as f64 / self.speed) as i64;
                self.anchor_instant = Instant::now() - Duration::from_millis(back as u64);
                self.anchor_wall = now_wall - back;
                self.anchor_pos = self.opts.rec_start;
                self.jumps += 1;
                position = wrapped;
            } else {
                position = self.opts.rec_end;
            }
        }
        Mapping {
            position,
            anchor_wall: self.anchor_wall,
            anchor_pos: self.anchor_pos,
            speed: self.speed,
            no_shift: false,
            now_wall,
        }
    }

    /// Re-anchors at the current position (before changing how time moves).
    fn reanchor(&mut self) {
        let m = self.mapping();
        self.anchor_pos = m.position;
        self.anchor_wall = m.now_wall;
        self.anchor_instant = Instant::now();
    }

    /// Stops the position where it is; pausing twice changes nothing.
    pub fn pause(&mut self) {
        self.reanchor();
        self.paused = true;
    }

    /// Plays on from where the position stands.
    pub fn resume(&mut self) {
        self.reanchor();
        self.paused = false;
    }

    /// Jumps to `offset_ms` from the recording's start (clamped to it).
    pub fn seek(&mut self, offset_ms: i64) {
        self.reanchor();
        self.anchor_pos = (self.opts.rec_start + offset_ms.max(0)).min(self.opts.rec_end);
        self.jumps += 1;
    }

    /// How many times the position has jumped (seeks, skips, a loop
    /// starting over) rather than played on; read after [`Clock::mapping`],
    /// which may start a loop over.
    pub fn jumps(&self) -> u64 {
        self.jumps
    }

    /// Moves by `delta_ms` of recording time.
    pub fn skip(&mut self, delta_ms: i64) {
        let offset = self.mapping().position - self.opts.rec_start + delta_ms;
        self.seek(offset);
    }

    /// Plays at `speed` from now on; a speed not above 0 or over
    /// [`MAX_SPEED`] is ignored (the control API refuses it first).
    pub fn set_speed(&mut self, speed: f64) {
        if speed > 0.0 && speed <= MAX_SPEED {
            self.reanchor();
            self.speed = speed;
        }
    }

    /// The state `/-/replay` reports; like [`Clock::mapping`], may start
    /// a loop over.
    pub fn status(&mut self) -> Status {
        let m = self.mapping();
        Status {
            position_ms: m.position,
            now_ms: m.display(m.position),
            offset_ms: m.position - self.opts.rec_start,
            duration_ms: self.opts.rec_end - self.opts.rec_start,
            speed: self.speed,
            paused: self.paused,
            looping: self.opts.looping,
            no_shift: self.opts.no_shift,
            recording_start_ms: self.opts.rec_start,
            recording_end_ms: self.opts.rec_end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ClockOptions {
        ClockOptions {
            rec_start: 1_000_000,
            rec_end: 1_900_000,
            start_at_ms: 0,
            speed: 1.0,
            looping: false,
            no_shift: false,
        }
    }

    const NOW: i64 = 2_000_000_000_000;

    #[tokio::test(start_paused = true)]
    async fn the_recording_start_lands_at_now_and_plays_in_real_time() {
        let mut c = Clock::new(opts(), NOW);
        let m = c.mapping();
        assert_eq!((m.position, m.display(1_000_000)), (1_000_000, NOW));
        tokio::time::advance(Duration::from_secs(30)).await;
        let m = c.mapping();
        assert_eq!(m.position, 1_030_000);
        // The mapping does not drift: the same sample shows at the same time.
        assert_eq!(m.display(1_000_000), NOW);
        assert_eq!(m.recording(NOW + 30_000), 1_030_000);
    }

    #[tokio::test(start_paused = true)]
    async fn pause_holds_the_position_and_the_picture() {
        let mut c = Clock::new(opts(), NOW);
        tokio::time::advance(Duration::from_secs(10)).await;
        c.pause();
        tokio::time::advance(Duration::from_secs(60)).await;
        let m = c.mapping();
        assert_eq!(m.position, 1_010_000, "paused");
        // The latest sample shows at "now": the dashboard looks frozen.
        assert_eq!(m.display(1_010_000), NOW + 70_000);
        c.resume();
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(c.mapping().position, 1_015_000);
    }

    #[tokio::test(start_paused = true)]
    async fn seek_speed_and_the_end() {
        let mut c = Clock::new(
            ClockOptions {
                start_at_ms: 300_000,
                ..opts()
            },
            NOW,
        );
        assert_eq!(c.mapping().position, 1_300_000, "--start-at 5m");
        c.set_speed(2.0);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(c.mapping().position, 1_320_000, "twice as fast");
        assert_eq!(c.jumps(), 0, "speed is no jump");
        c.skip(-30_000);
        assert_eq!(c.mapping().position, 1_290_000);
        assert_eq!(c.jumps(), 1);
        c.seek(10_000_000);
        assert_eq!(c.mapping().position, 1_900_000, "clamped to the end");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(
            c.mapping().position,
            1_900_000,
            "stays at the end without --loop"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn loop_starts_over() {
        let mut c = Clock::new(
            ClockOptions {
                looping: true,
                start_at_ms: 890_000,
                ..opts()
            },
            NOW,
        );
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(
            c.mapping().position,
            1_010_000,
            "10 s past the end is 10 s into the next loop"
        );
        assert_eq!(c.jumps(), 1, "starting over is a jump back");
    }

    #[tokio::test(start_paused = true)]
    async fn no_shift_shows_everything_at_original_times() {
        let mut c = Clock::new(
            ClockOptions {
                no_shift: true,
                ..opts()
            },
            NOW,
        );
        let m = c.mapping();
        assert_eq!((m.position, m.display(1_234_567)), (1_900_000, 1_234_567));
    }
}
