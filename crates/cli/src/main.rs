//! The `understudy` binary: everything it does lives in the library
//! (`lib.rs`), so tests can call it without spawning a process.

fn main() -> std::process::ExitCode {
    understudy_cli::main()
}
