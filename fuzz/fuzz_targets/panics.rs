//! Which panics end a fuzzing run.
//!
//! libFuzzer's hook aborts on every panic, even one the code under test
//! catches on purpose: `understudy_promql` runs the generated PromQL parser
//! under `catch_unwind` and answers a panic there with a parse error, which
//! is what a server does with it too. Those panics are let through (and
//! unwound into the catch); every other one aborts as before.

use std::sync::Once;

pub fn abort_unless_caught_on_purpose() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let trace = std::backtrace::Backtrace::force_capture().to_string();
            if trace.contains("parse_unchecked") && trace.contains("promql_parser") {
                return;
            }
            abort(info);
        }));
    });
}
