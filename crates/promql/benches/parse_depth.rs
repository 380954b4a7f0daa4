//! How parsing time grows with nesting (why `MAX_NESTING` is 2,000):
//! promql-parser's time is quadratic in the depth of an expression and
//! linear in its length, and no query timeout can interrupt it.
//!
//! `cargo bench -p understudy-promql --bench parse_depth`

use std::time::{Duration, Instant};

fn time(query: &str) -> Duration {
    // Deep trees need a deep stack to be parsed and dropped, as the
    // servers give their query threads.
    let query = query.to_owned();
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            let start = Instant::now();
            let parsed = promql_parser::parser::parse(&query);
            let took = start.elapsed();
            drop(parsed);
            took
        })
        .expect("a parse thread")
        .join()
        .expect("the parse finished")
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("{:>7}  {:>14}  {:>14}", "depth", "sum(sum(…))", "a + a + …");
    for depth in [500usize, 1_000, 2_000, 3_000, 6_000, 12_000] {
        let nested = format!("{}up{}", "sum(".repeat(depth), ")".repeat(depth));
        let chain = format!("up{}", " + up".repeat(depth));
        println!(
            "{depth:>7}  {:>14.3?}  {:>14.3?}",
            time(&nested),
            time(&chain)
        );
    }
    let flat: Vec<String> = (0..20_000).map(|i| format!("l{i}=\"v\"")).collect();
    let flat = format!("up{{{}}}", flat.join(","));
    println!(
        "flat: {} KB of label matchers, depth 0: {:.3?}",
        flat.len() / 1000,
        time(&flat)
    );
}
