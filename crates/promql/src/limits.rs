//! Limits that keep one query from taking the process down with it.
//!
//! Parsing, checking, printing and evaluating an expression all recurse
//! over its tree, and so does dropping it. Go grows a goroutine's stack up
//! to 1 GB, so Prometheus takes expressions nested tens of thousands of
//! levels deep; a Rust thread has the stack it was given, and overflowing it
//! aborts the whole process. And promql-parser's time grows with the square
//! of the nesting (`cargo bench -p understudy-promql --bench parse_depth`:
//! 12,000 nested `sum(` parse in 6.8 s, 2,000 in 0.1 s; 208 KB of flat
//! label matchers in 16 ms), time no timeout can interrupt. So before the parser sees a query, [`check_nesting`] bounds
//! the depth of the tree the query could build, by counting its tokens
//! lexically, and refuses it when the bound is over [`MAX_NESTING`];
//! servers then evaluate on threads of [`EVAL_STACK_BYTES`], which holds
//! that depth with room to spare (a test walks the limit in a debug build,
//! where frames are largest).

use crate::QueryError;

/// The deepest expression tree understudy builds: far beyond any dashboard
/// (Grafana's deepest panels nest about ten levels) and a 2,000-term chain
/// `a + b + …`, while the slowest expression at the limit parses in about
/// 0.1 s.
pub const MAX_NESTING: usize = 2_000;

/// The stack of a thread that parses and evaluates queries up to
/// [`MAX_NESTING`] deep: three times what the deepest shapes need in a
/// debug build (nested calls, about 10 KiB a level; tests/limits.rs walks
/// them). Only the pages a query touches are ever resident.
pub const EVAL_STACK_BYTES: usize = 64 << 20;

/// Refuses a query whose tree could nest deeper than [`MAX_NESTING`], with
/// a `bad_data` error that names the limit.
pub fn check_nesting(query: &str) -> Result<(), QueryError> {
    let bound = nesting_bound(query);
    if bound > MAX_NESTING {
        return Err(QueryError::BadData(format!(
            "parse error: expression too deeply nested: it has {bound} operators and \
             brackets, understudy evaluates at most {MAX_NESTING} levels of nesting"
        )));
    }
    Ok(())
}

/// An upper bound on the depth of the expression tree of `query`. Every
/// inner node of the tree owns a token of its own: a bracket opens a call,
/// an aggregation, a parenthesis, a range or a subquery, and an operator
/// makes a binary or unary node. So the number of such tokens bounds the
/// depth. Label matchers (`{a!="b"}`) hold no operators; a sign inside a
/// number (`1e-3`) is counted too: an overestimate only ever by the size of
/// the query.
fn nesting_bound(query: &str) -> usize {
    let mut bound = 0usize;
    let mut chars = query.chars().peekable();
    let mut word = String::new();
    let mut in_matchers = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        bound += usize::from(!in_matchers && is_word_operator(&word));
        word.clear();
        match c {
            '"' | '\'' | '`' => skip_string(&mut chars, c),
            // Braces do not nest in PromQL.
            '{' => in_matchers = true,
            '}' => in_matchers = false,
            _ if in_matchers => {}
            '#' => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '+' | '-' | '*' | '/' | '%' | '^' | '<' | '>' => bound += 1,
            // `==` and `!=`; a lone `=` or `=~` is a label matcher.
            '=' | '!' if chars.peek() == Some(&'=') => {
                chars.next();
                bound += 1;
            }
            _ => {}
        }
    }
    bound + usize::from(is_word_operator(&word))
}

fn is_word_operator(word: &str) -> bool {
    ["and", "or", "unless", "atan2"]
        .iter()
        .any(|op| word.eq_ignore_ascii_case(op))
}

/// Skips a string literal up to its closing quote; backslash escapes apply
/// except in raw (backtick) strings.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, quote: char) {
    while let Some(c) = chars.next() {
        if c == quote {
            return;
        }
        if c == '\\' && quote != '`' {
            chars.next();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inner_node_is_counted() {
        assert_eq!(nesting_bound("up"), 0);
        assert_eq!(nesting_bound("1 + 2"), 1);
        assert_eq!(nesting_bound("sum by (pod) (rate(x[5m]))"), 4);
        assert_eq!(nesting_bound("a and b or c unless d"), 3);
        assert_eq!(nesting_bound("a == b != c"), 2);
        assert_eq!(nesting_bound("-x"), 1);
        assert_eq!(nesting_bound("max_over_time(x[5m:1m])"), 2);
    }

    #[test]
    fn strings_and_comments_do_not_count() {
        assert_eq!(nesting_bound(r#"x{a="((((", b='[[', c=`\`}"#), 0);
        assert_eq!(nesting_bound(r#"x{a="\"(("}"#), 0);
        assert_eq!(nesting_bound("x # (((((\n + y"), 1);
        assert_eq!(nesting_bound("x{a=~\"b\", c!=\"d\"}"), 0);
    }

    #[test]
    fn the_limit_is_a_clear_bad_data() {
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        let Err(QueryError::BadData(m)) = check_nesting(&deep) else {
            panic!("100,000 parentheses must be refused");
        };
        assert!(m.contains("too deeply nested") && m.contains("2000"), "{m}");
        let chain = vec!["up"; 2_000].join(" + ");
        assert_eq!(check_nesting(&chain), Ok(()));
        let chain = vec!["up"; 10_000].join(" + ");
        assert!(check_nesting(&chain).is_err());
    }
}
