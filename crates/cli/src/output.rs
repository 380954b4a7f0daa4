//! Where the commands print: reports and exports on standard output, status
//! lines on standard error.
//!
//! A reader that stops reading (`understudy inspect DIR | head -3`) is a
//! normal end, not an error: Rust ignores SIGPIPE, so a write to the closed
//! pipe fails with `BrokenPipe`, which `println!` turns into a panic. Every
//! command writes through [`stdout`] instead and returns the error with `?`;
//! the writer notes that the reader went away, and `main` then exits 0
//! without a word, as ripgrep does. Restoring SIGPIPE's default would do the
//! same for stdout but would also kill `record` and `replay` over any closed
//! socket or child pipe. `main.rs` denies `print!` and friends, so this
//! stays the only way out.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Standard output, locked and line-buffered. Flush it before returning, so
/// that the last write's error reaches the caller rather than being dropped.
pub fn stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

/// Whether a write to standard output found its reader gone.
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// See [`stdout`].
#[derive(Debug)]
pub struct Stdout(io::StdoutLock<'static>);

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).inspect_err(note)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf).inspect_err(note)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().inspect_err(note)
    }
}

fn note(e: &io::Error) {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// A line on standard error that is rewritten in place (`\r`), or ended
/// with `status(format_args!("\n"))`. Nothing is lost when it cannot be
/// shown (a terminal gone, stderr closed), so errors are ignored.
pub fn status(line: std::fmt::Arguments<'_>) {
    let mut e = io::stderr().lock();
    let _ = e.write_fmt(line);
    let _ = e.flush();
}

/// The last word of a failed command, on standard error. Ignoring a failure
/// to print it is all that is left to do.
pub fn error(message: &str) {
    let _ = writeln!(io::stderr().lock(), "error: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_noted_and_other_errors_are_not() {
        note(&io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(!closed());
        note(&io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(closed());
    }
}
