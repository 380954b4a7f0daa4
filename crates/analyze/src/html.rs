//! The HTML report: one self-contained file (uPlot and the data inline, no
//! network) with the KPI table, the summary and the charts.
//!
//! The table, the summary and the headings are HTML written here, so they
//! read without scripts; the charts are drawn in the browser by
//! `assets/report.js` with uPlot (vendored in `crates/uplot`) from the page
//! data, inlined as JSON. A Content-Security-Policy forbids every fetch, so
//! a report cannot reach the network even by mistake.

use std::fmt::{self, Write};

use serde::Serialize;

/// The vendored uPlot (see `crates/uplot/vendor/README.md`).
const UPLOT_VERSION: &str = understudy_uplot::VERSION;
const UPLOT_JS: &str = understudy_uplot::JS;
const UPLOT_CSS: &str = understudy_uplot::CSS;
const UPLOT_LICENSE: &str = understudy_uplot::LICENSE;
const REPORT_JS: &str = include_str!("../assets/report.js");
const REPORT_CSS: &str = include_str!("../assets/report.css");

/// Inline scripts and styles only; nothing is fetched, not even a favicon.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'";

/// One report page.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The document title, e.g. "understudy analyze: conflict vs harmony".
    pub title: String,
    /// The run names, in order; `ChartSeries::run` indexes this.
    pub runs: Vec<String>,
    /// The plain-words summary of a comparison, if any.
    pub summary: Option<String>,
    /// The KPI table: header cells, then rows of cells (already formatted).
    pub table: Table,
    /// The charts, in page order.
    pub charts: Vec<Chart>,
}

/// The KPI table of a page, its cells already formatted.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// The header cells.
    pub headers: Vec<String>,
    /// The rows, as many cells each as `headers`.
    pub rows: Vec<Vec<String>>,
    /// One per row, shown under its first cell when not empty (a KPI's
    /// definition).
    pub notes: Vec<String>,
}

/// One chart: time in seconds since the experiment start on x.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// A stable id (`replicas`, `pending`, `cpu`, `throttling`,
    /// `productivity`), used as the element id.
    pub id: String,
    /// The heading shown above the chart.
    pub title: String,
    /// The y axis' unit, e.g. "replicas", "messages", "CPU cores", "%".
    pub unit: String,
    /// Its lines, of every run.
    pub series: Vec<ChartSeries>,
}

/// One line (or set of markers) of a [`Chart`].
#[derive(Debug, Clone, Serialize)]
pub struct ChartSeries {
    /// Index into `Page::runs`.
    pub run: usize,
    /// The legend label, e.g. "conflict · Deployment meme-backend".
    pub label: String,
    /// Seconds since the experiment start, ascending.
    pub x: Vec<f64>,
    /// The values, one per `x`, in the chart's unit.
    pub y: Vec<f64>,
    /// Draw as event markers (points, no line): rescale events.
    pub markers: bool,
}

/// The page as one HTML document.
pub fn render(page: &Page) -> String {
    let mut out = String::with_capacity(UPLOT_JS.len() + UPLOT_CSS.len() + 64 * 1024);
    write_page(&mut out, page).expect("writing to a String does not fail");
    out
}

/// What `report.js` reads: the runs and the charts.
#[derive(Serialize)]
struct Data<'a> {
    runs: &'a [String],
    charts: &'a [Chart],
}

fn write_page(out: &mut String, page: &Page) -> fmt::Result {
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">\n<head>")?;
    writeln!(out, "<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
    )?;
    writeln!(out, "<meta name=\"generator\" content=\"understudy\">")?;
    writeln!(out, "<title>{}</title>", Esc(&page.title))?;
    // The notice its MIT licence asks to ship with every copy.
    writeln!(
        out,
        "<!-- uPlot {UPLOT_VERSION}, inlined below:\n{}-->",
        UPLOT_LICENSE.replace("--", "- -")
    )?;
    writeln!(out, "<style>{UPLOT_CSS}</style>")?;
    writeln!(out, "<style>{REPORT_CSS}</style>")?;
    writeln!(out, "</head>\n<body>")?;

    writeln!(out, "<header>\n<h1>{}</h1>", Esc(&page.title))?;
    if !page.runs.is_empty() {
        writeln!(out, "<ul class=\"runs\">")?;
        for (i, name) in page.runs.iter().enumerate() {
            writeln!(
                out,
                "<li class=\"run-{}\" data-run=\"{i}\"><span class=\"swatch\"></span>{}</li>",
                i % 4,
                Esc(name)
            )?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</header>")?;
    if let Some(summary) = &page.summary {
        writeln!(out, "<p class=\"summary\">{}</p>", Esc(summary))?;
    }
    write_table(out, &page.table)?;
    for (i, chart) in page.charts.iter().enumerate() {
        writeln!(
            out,
            "<section class=\"chart\" id=\"{}\" data-chart=\"{i}\">\n<h2>{}</h2>",
            Esc(&chart.id),
            Esc(&chart.title)
        )?;
        if chart.series.is_empty() {
            writeln!(out, "<p class=\"note\">not recorded</p>")?;
        } else {
            writeln!(out, "<div class=\"plot\"></div>")?;
        }
        writeln!(out, "</section>")?;
    }

    let data = serde_json::to_string(&Data {
        runs: &page.runs,
        charts: &page.charts,
    })
    .map_err(|_| fmt::Error)?;
    writeln!(
        out,
        "<script type=\"application/json\" id=\"data\">{}</script>",
        script_safe(&data)
    )?;
    // report.js first: it records errors, uPlot's included.
    writeln!(out, "<script>{REPORT_JS}</script>")?;
    writeln!(out, "<script>{UPLOT_JS}</script>")?;
    writeln!(out, "</body>\n</html>")
}

fn write_table(out: &mut String, table: &Table) -> fmt::Result {
    if table.headers.is_empty() && table.rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "<div class=\"table-wrap\">\n<table class=\"kpis\">")?;
    if !table.headers.is_empty() {
        write!(out, "<thead><tr>")?;
        for h in &table.headers {
            write!(out, "<th scope=\"col\">{}</th>", Esc(h))?;
        }
        writeln!(out, "</tr></thead>")?;
    }
    writeln!(out, "<tbody>")?;
    for (r, row) in table.rows.iter().enumerate() {
        write!(out, "<tr>")?;
        let note = table.notes.get(r).filter(|n| !n.is_empty());
        for (c, cell) in row.iter().enumerate() {
            if let (0, Some(note)) = (c, note) {
                write!(
                    out,
                    "<td>{}<div class=\"def\">{}</div></td>",
                    Esc(cell),
                    Esc(note)
                )?;
            } else if is_numeric(cell) {
                write!(out, "<td class=\"num\">{}</td>", Esc(cell))?;
            } else {
                write!(out, "<td>{}</td>", Esc(cell))?;
            }
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody>\n</table>\n</div>")
}

/// A formatted number, perhaps signed and with a unit: "12", "-3.5 s",
/// "+40 %", "1,204".
fn is_numeric(cell: &str) -> bool {
    let t = cell.trim();
    let t = t
        .strip_prefix(['+', '-', '\u{2212}', '\u{b1}'])
        .unwrap_or(t);
    t.starts_with(|c: char| c.is_ascii_digit())
}

/// JSON that no string in it can end the `<script>` element it sits in:
/// `<` only occurs inside JSON strings, where `\u003c` means the same. This
/// covers `</script>` and also `<!--`, which would otherwise put the HTML
/// parser in a state where the real `</script>` does not end the element.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
}

/// Text escaped for HTML content and quoted attribute values.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(label: &str, y: Vec<f64>) -> Page {
        Page {
            title: "t".to_owned(),
            runs: vec!["a".to_owned()],
            summary: None,
            table: Table {
                headers: vec![],
                rows: vec![],
                notes: vec![],
            },
            charts: vec![Chart {
                id: "replicas".to_owned(),
                title: "Replicas".to_owned(),
                unit: "replicas".to_owned(),
                series: vec![ChartSeries {
                    run: 0,
                    label: label.to_owned(),
                    x: (0..y.len()).map(|i| i as f64).collect(),
                    y,
                    markers: false,
                }],
            }],
        }
    }

    /// The text of the data element, as the HTML parser ends it.
    fn data_element(html: &str) -> &str {
        let start = html.find("id=\"data\">").expect("data element") + "id=\"data\">".len();
        let len = html[start..]
            .find("</script")
            .expect("end of the data element");
        &html[start..start + len]
    }

    #[test]
    fn no_string_closes_the_data_script() {
        let label = "</script><script>alert(1)</script> <!--<script> </SCRIPT >";
        let html = render(&page(label, vec![1.0]));
        let data = data_element(&html);
        assert!(!data.contains('<'), "{data}");
        let v: serde_json::Value = serde_json::from_str(data).expect("JSON");
        assert_eq!(v["charts"][0]["series"][0]["label"], label);
    }

    #[test]
    fn non_finite_values_are_null() {
        let html = render(&page(
            "s",
            vec![1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
        ));
        let v: serde_json::Value = serde_json::from_str(data_element(&html)).expect("JSON");
        assert_eq!(
            v["charts"][0]["series"][0]["y"],
            serde_json::json!([1.0, null, null, null])
        );
    }

    #[test]
    fn inlined_assets_cannot_end_their_element() {
        for (name, text, end) in [
            ("uPlot.iife.min.js", UPLOT_JS, "</script"),
            ("report.js", REPORT_JS, "</script"),
            ("uPlot.min.css", UPLOT_CSS, "</style"),
            ("report.css", REPORT_CSS, "</style"),
        ] {
            let lower = text.to_ascii_lowercase();
            assert!(!lower.contains(end), "{name} contains {end}");
            assert!(!lower.contains("<!--"), "{name} contains <!--");
        }
        assert!(UPLOT_JS.contains(&format!("(v{UPLOT_VERSION})")));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(Esc("a<b>&\"c'").to_string(), "a&lt;b&gt;&amp;&quot;c&#39;");
    }

    #[test]
    fn numbers_are_told_from_words() {
        for n in ["12", "-3.5 s", "+40 %", "\u{2212}2", "1,204", " 7 "] {
            assert!(is_numeric(n), "{n}");
        }
        for w in ["", "conflict", "n/a", "—", "-", "better: harmony"] {
            assert!(!is_numeric(w), "{w}");
        }
    }
}
