//! Every example in every `--help` pastes and runs as printed: clap never
//! wraps an example line (a wrapped `--write-kubeconfig FILE` ran without
//! its file), and every `understudy …` command in them is one clap accepts.

use clap::{CommandFactory, Parser};

use super::Cli;

/// Every command's path from the top (`["understudy", "kpi", "run"]`).
fn paths(cmd: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
    let mut here = path.to_vec();
    here.push(cmd.get_name().to_owned());
    for sub in cmd.get_subcommands() {
        paths(sub, &here, out);
    }
    out.push(here);
}

/// The lines of the "Examples:" section that are examples (indented), not
/// the prose after them.
fn example_lines(after_help: &str) -> Vec<&str> {
    after_help
        .lines()
        .skip_while(|l| !l.starts_with("Examples:"))
        .skip(1)
        .filter(|l| l.starts_with("  "))
        .collect()
}

/// The words of one shell command line, up to where it hands over to
/// another command (`|`, `&&`, `;`, `&`, `>`) or a comment starts.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c if c.is_whitespace() => words.extend(word.take()),
            '|' | '&' | ';' | '>' => break,
            '#' if word.is_none() => break,
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// The `understudy` commands of an Examples section, continuation lines
/// (` \`) joined.
fn commands(examples: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in examples {
        let line = line.trim();
        match line.strip_suffix('\\') {
            Some(start) => {
                current.push_str(start);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                if current.starts_with("understudy ") {
                    out.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    assert!(
        current.is_empty(),
        "an example ends with a continuation: {current}"
    );
    out
}

/// Issue 17: examples wrapped at 100 columns and broke when pasted.
#[test]
fn every_example_line_is_printed_whole_and_parses_at_any_width() {
    let mut all = Vec::new();
    paths(&Cli::command(), &[], &mut all);
    let mut examples_seen = 0;
    for width in [80, 200] {
        for path in &all {
            let mut args = path.clone();
            args.push("--help".into());
            let help = Cli::command()
                .term_width(width)
                .try_get_matches_from(&args)
                .expect_err("--help ends parsing")
                .render()
                .to_string();
            let rendered: Vec<&str> = help.lines().map(str::trim_end).collect();
            // The width applies to this command's help: nothing is wider.
            for line in &rendered {
                assert!(
                    line.chars().count() <= width,
                    "{} --help at {width} columns has a line of {}: {line}",
                    path.join(" "),
                    line.chars().count()
                );
            }
            let mut cmd = Cli::command();
            let mut sub = &mut cmd;
            for name in &path[1..] {
                sub = sub.find_subcommand_mut(name).expect("subcommand");
            }
            let Some(after) = sub.get_after_help().map(ToString::to_string) else {
                continue;
            };
            let examples = example_lines(&after);
            for line in &examples {
                assert!(
                    rendered.contains(&line.trim_end()),
                    "{} --help at {width} columns wraps the example line\n{line}\n{help}",
                    path.join(" ")
                );
            }
            for command in commands(&examples) {
                Cli::try_parse_from(words(&command)).unwrap_or_else(|e| {
                    panic!(
                        "{}'s example does not parse: {command}\n{e}",
                        path.join(" ")
                    )
                });
                examples_seen += 1;
            }
        }
    }
    // Every subcommand with examples was looked at, at both widths.
    assert!(
        examples_seen >= 2 * 30,
        "only {examples_seen} examples seen"
    );
}

#[test]
fn words_split_as_a_shell_would() {
    assert_eq!(
        words(r#"understudy export r --match 'a b' --x "c\"d" | jq . # note"#),
        ["understudy", "export", "r", "--match", "a b", "--x", "c\"d"]
    );
    assert_eq!(
        commands(&[
            "  understudy replay r \\",
            "      --speed 2",
            "  kubectl get hpa"
        ]),
        ["understudy replay r  --speed 2"]
    );
}
