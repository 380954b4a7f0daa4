//! The report as a terminal table; colour only when asked (the CLI asks on
//! a TTY without NO_COLOR).

use crate::kpi::{Measure, Unit};
use crate::report::{Report, Row, secs};

/// A value in its unit, for people.
pub fn format_value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Count => format!("{v:.0}"),
        Unit::Seconds => secs(v),
        Unit::Messages => thousands(v),
        Unit::MessageSeconds => format!("{} msg·s", thousands(v)),
        Unit::MessagesPerSecond => format!("{v:.1} msg/s"),
        Unit::CpuSeconds => format!("{v:.1} CPU-s"),
        Unit::Ratio => format!("{:.1}%", v * 100.0),
        Unit::MessagesPerCpuSecond => format!("{v:.1} msg/CPU-s"),
        Unit::Plain => {
            if v.abs() >= 1e6 || (v != 0.0 && v.abs() < 1e-3) {
                format!("{v:.3e}")
            } else {
                let s = format!("{v:.3}");
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            }
        }
    }
}

fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A measure's cell.
pub fn format_measure(m: &Measure, unit: Unit) -> String {
    match m {
        Measure::Value { value } => format_value(*value, unit),
        Measure::NotRecorded { .. } => "not recorded".into(),
        Measure::NotReached { why } => format!("— ({why})"),
        Measure::Absent => "—".into(),
    }
}

/// The difference cell: `+3`, `-312.5 CPU-s (-38%)`.
pub fn format_difference(r: &Row) -> String {
    let Some(d) = r.difference else {
        return String::new();
    };
    let sign = if d > 0.0 { "+" } else { "" };
    let abs = match r.unit {
        Unit::Ratio => format!("{sign}{:.1} pt", d * 100.0),
        u => format!("{sign}{}", format_value(d, u)),
    };
    match r.ratio {
        Some(q) if r.unit != Unit::Ratio && d != 0.0 => {
            format!("{abs} ({:+.0}%)", (q - 1.0) * 100.0)
        }
        _ => abs,
    }
}

/// The report's table as cells, for the terminal and the HTML page: the
/// header (KPI, of, one column per run, then difference and better for a
/// comparison) and one row per KPI.
pub fn cells(report: &Report) -> (Vec<String>, Vec<Vec<String>>) {
    let names: Vec<&str> = report.runs.iter().map(|r| r.name.as_str()).collect();
    let mut header = vec!["KPI".to_owned(), "of".to_owned()];
    header.extend(names.iter().map(|n| (*n).to_owned()));
    if names.len() == 2 {
        header.extend(["difference".to_owned(), "better".to_owned()]);
    }
    let rows = report
        .kpis
        .iter()
        .map(|r| {
            let mut cells = vec![r.name.clone(), r.subject.clone()];
            cells.extend(r.measures.iter().map(|m| format_measure(m, r.unit)));
            if names.len() == 2 {
                cells.push(format_difference(r));
                cells.push(match r.winner {
                    Some(i) => names[i].to_owned(),
                    None if r.difference == Some(0.0) => "same".into(),
                    None => String::new(),
                });
            }
            cells
        })
        .collect();
    (header, rows)
}

/// What computed a row and how, in one line: `built in: …` or `plugin
/// flapping 0.2.0 (flapping.wasm): …`.
pub fn definition(r: &Row) -> String {
    format!("{}: {}", r.computed_by, r.definition)
}

/// One note per row: the definition under the first row of each KPI (rows
/// of one KPI follow each other), empty under the others.
pub fn notes(report: &Report) -> Vec<String> {
    let mut previous = None;
    report
        .kpis
        .iter()
        .map(|r| {
            let first = previous != Some(&r.id);
            previous = Some(&r.id);
            if first { definition(r) } else { String::new() }
        })
        .collect()
}

/// The whole report as text: a table, each KPI's definition under its first
/// row, then what could not be compared and the summary.
pub fn render(report: &Report, colour: bool) -> String {
    let (header, body) = cells(report);
    let notes = notes(report);
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_uppercase()).collect()];
    rows.extend(body);
    let winners: Vec<Option<usize>> = std::iter::once(None)
        .chain(report.kpis.iter().map(|r| r.winner))
        .collect();
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, (row, winner)) in rows.iter().zip(&winners).enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            // Numbers right-aligned, words left-aligned.
            let right = i > 0 && c >= 2;
            let text = if right {
                format!("{}{cell}", " ".repeat(pad))
            } else {
                format!("{cell}{}", " ".repeat(pad))
            };
            let styled = match (colour, i, winner) {
                (true, 0, _) => format!("\x1b[1m{text}\x1b[0m"),
                (true, _, Some(w)) if c == 2 + w || c == row.len() - 1 => {
                    format!("\x1b[32m{text}\x1b[0m")
                }
                _ => text,
            };
            line.push_str(&styled);
            if c + 1 < row.len() {
                line.push_str("  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        match notes.get(i.wrapping_sub(1)) {
            Some(note) if i > 0 && !note.is_empty() && colour => {
                out.push_str(&format!("  \x1b[2m{note}\x1b[0m\n"));
            }
            Some(note) if i > 0 && !note.is_empty() => out.push_str(&format!("  {note}\n")),
            _ => {}
        }
    }
    if !report.not_compared.is_empty() {
        out.push_str("\nNot compared:\n");
        for n in &report.not_compared {
            out.push_str(&format!("  {n}\n"));
        }
    }
    if let Some(s) = &report.summary {
        out.push('\n');
        out.push_str(&wrap(s, 78));
        out.push('\n');
    }
    out
}

fn wrap(text: &str, width: usize) -> String {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_their_units() {
        assert_eq!(format_value(5812.4, Unit::Messages), "5,812");
        assert_eq!(format_value(0.1234, Unit::Ratio), "12.3%");
        assert_eq!(format_value(185.0, Unit::Seconds), "3m05s");
        assert_eq!(format_value(2.5, Unit::Plain), "2.5");
        assert_eq!(
            format_measure(
                &Measure::NotRecorded {
                    missing: "x".into()
                },
                Unit::Count
            ),
            "not recorded"
        );
    }
}
