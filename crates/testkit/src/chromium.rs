//! A page as a real browser shows it: Debian's `chromium` run headless on a
//! URL, giving back the DOM after its scripts ran, the console messages and
//! a screenshot.
//!
//! One Chromium run does both `--dump-dom` and `--screenshot` (so both show
//! the same state of the page), with a fresh profile and a virtual-time
//! budget: timers fire in virtual time, and the page is dumped once the
//! budget is spent. A browser that hangs is killed, with its whole process
//! group, at `Options::timeout`, and the test fails saying so.
//!
//! Console messages come from Chromium's log on stderr. Chromium logs the
//! messages of web pages at INFO whatever their level (only its own
//! `chrome://` pages keep theirs), so `console.error` cannot be told from
//! `console.log` there; uncaught exceptions can, by their `Uncaught`
//! prefix. A page under test that must log nothing is checked with
//! `console.is_empty()`; errors it catches itself it should record in the
//! DOM, where `Page::body` finds them.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Chromium's binary: `$CHROMIUM` if set, else the first of `chromium`,
/// `chromium-browser`, `google-chrome` found on `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Chromium's binary, or a panic that says how to install it.
pub fn require_chromium() -> PathBuf {
    chromium().unwrap_or_else(|| {
        panic!(
            "this test needs a headless Chromium and found none on PATH: \
             install it with `apt-get install chromium` (scripts/setup.sh), \
             or point $CHROMIUM at a Chromium binary"
        )
    })
}

/// How to load a page.
#[derive(Debug, Clone)]
pub struct Options {
    /// The window, in CSS pixels; the screenshot has this size.
    pub width: u32,
    /// The window's height, in CSS pixels.
    pub height: u32,
    /// Virtual time the page gets before it is dumped: its timers and
    /// animation frames run in it.
    pub virtual_time_budget: Duration,
    /// Wall-clock limit for the whole browser run.
    pub timeout: Duration,
    /// Take a screenshot too.
    pub screenshot: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            width: 1280,
            height: 1024,
            virtual_time_budget: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            screenshot: true,
        }
    }
}

/// What the browser showed.
#[derive(Debug)]
pub struct Page {
    /// The serialized DOM after the page's scripts ran.
    pub dom: String,
    /// Console messages, in order.
    pub console: Vec<ConsoleMessage>,
    /// The PNG screenshot (in a directory that lives as long as `self`).
    pub screenshot: Option<PathBuf>,
    /// Chromium's whole stderr, for failure messages.
    pub log: String,
    _dir: tempfile::TempDir,
}

/// One message of the page's console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleMessage {
    /// The log severity Chromium gave it: `INFO` for every web page's
    /// message (see the module docs).
    pub level: String,
    /// The logged text, as the page's `console.*` call formatted it.
    pub message: String,
    /// The script's URL.
    pub source: String,
    /// Line in `source`, from 1.
    pub line: u32,
}

impl ConsoleMessage {
    /// An uncaught exception or a message logged above WARNING.
    pub fn is_error(&self) -> bool {
        self.message.starts_with("Uncaught") || matches!(self.level.as_str(), "ERROR" | "FATAL")
    }
}

impl std::fmt::Display for ConsoleMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} ({}:{})",
            self.level, self.message, self.source, self.line
        )
    }
}

/// Loads `url` in a headless Chromium and returns the page once its
/// virtual-time budget is spent. Panics if Chromium is missing, fails or
/// outlives `opts.timeout`.
pub fn load(url: &str, opts: &Options) -> Page {
    let binary = require_chromium();
    let dir = tempfile::tempdir().expect("temporary directory");
    let shot = dir.path().join("screenshot.png");
    let mut cmd = Command::new(&binary);
    cmd.arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-background-networking")
        .arg("--disable-component-update")
        .arg("--no-first-run")
        .arg("--no-default-browser-check")
        .arg("--hide-scrollbars")
        .arg("--mute-audio")
        .arg("--enable-logging=stderr")
        .arg("--v=0")
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!(
            "--virtual-time-budget={}",
            opts.virtual_time_budget.as_millis()
        ))
        .arg(format!("--window-size={},{}", opts.width, opts.height))
        .arg("--dump-dom");
    if opts.screenshot {
        cmd.arg(format!("--screenshot={}", shot.display()));
    }
    cmd.arg(url);
    let out = run(cmd, opts.timeout);
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        panic!(
            "{} exited with {} loading {url}; its log:\n{}",
            binary.display(),
            out.status,
            tail(&log)
        );
    }
    let screenshot = opts.screenshot.then_some(shot);
    if let Some(s) = &screenshot {
        assert!(
            s.is_file(),
            "Chromium wrote no screenshot loading {url}; its log:\n{}",
            tail(&log)
        );
    }
    Page {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console: parse_console(&log),
        screenshot,
        log,
        _dir: dir,
    }
}

/// The `file://` URL of a local file (bytes outside the unreserved set
/// percent-encoded).
pub fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(char::from(b))
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url
}

struct Output {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs `cmd` in a process group of its own, so that a hung browser goes
/// with its renderer and GPU processes.
fn run(mut cmd: Command, timeout: Duration) -> Output {
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start {cmd:?}: {e}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                kill_group(&mut child);
                let log =
                    String::from_utf8_lossy(&recv(&stderr, Duration::from_secs(5))).into_owned();
                panic!(
                    "Chromium did not finish in {timeout:?} and was killed (a page that \
                     opens alert() or confirm() waits for ever); its log:\n{}",
                    tail(&log)
                );
            }
            Err(e) => panic!("failed to wait for Chromium: {e}"),
        }
    };
    // The pipes close when the last process of the group exits; one left
    // behind after the browser itself exited holds them open.
    let grace = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(5));
    let (stdout, stderr) = match (stdout.recv_timeout(grace), stderr.recv_timeout(grace)) {
        (Ok(o), Ok(e)) => (o, e),
        (o, e) => {
            kill_group(&mut child);
            let o = o.unwrap_or_else(|_| recv(&stdout, Duration::from_secs(5)));
            let e = e.unwrap_or_else(|_| recv(&stderr, Duration::from_secs(5)));
            (o, e)
        }
    };
    Output {
        status,
        stdout,
        stderr,
    }
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });
    rx
}

fn recv(rx: &mpsc::Receiver<Vec<u8>>, wait: Duration) -> Vec<u8> {
    rx.recv_timeout(wait).unwrap_or_default()
}

/// Kills the child's process group (the group id is the child's pid, set
/// by `process_group(0)`), then the child.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// The last 40 lines of a log.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// The console messages in Chromium's stderr log. Chromium 156 writes
/// `[pid:tid:MMDD/HHMMSS.micros:INFO:CONSOLE:7] "text", source: URL (7)`
/// (older versions `INFO:CONSOLE(7)]`), the text unescaped and possibly
/// spanning lines.
fn parse_console(log: &str) -> Vec<ConsoleMessage> {
    let mut out = Vec::new();
    let mut lines = log.lines();
    while let Some(line) = lines.next() {
        let Some((level, rest)) = console_header(line) else {
            continue;
        };
        let Some(mut text) = rest.strip_prefix('"').map(str::to_owned) else {
            continue;
        };
        // Until the text ends in `", source: URL (N)`.
        let parsed = loop {
            if let Some(p) = message_end(&text) {
                break Some(p);
            }
            match lines.next() {
                Some(next) => {
                    text.push('\n');
                    text.push_str(next);
                }
                None => break None,
            }
        };
        let (message, source, line_no) = parsed.unwrap_or((text.clone(), String::new(), 0));
        out.push(ConsoleMessage {
            level,
            message,
            source,
            line: line_no,
        });
    }
    out
}

/// The level and what follows `] ` of a console log line.
fn console_header(line: &str) -> Option<(String, &str)> {
    let inner = line.strip_prefix('[')?;
    let (header, rest) = inner.split_once("] ")?;
    let fields: Vec<&str> = header.split(':').collect();
    let at = fields.iter().position(|f| f.starts_with("CONSOLE"))?;
    let level = fields.get(at.checked_sub(1)?)?;
    Some(((*level).to_owned(), rest))
}

/// `text` split as `message", source: URL (N)` if it ends that way.
fn message_end(text: &str) -> Option<(String, String, u32)> {
    let (message, tail) = text.rsplit_once("\", source: ")?;
    let (source, n) = tail.strip_suffix(')')?.rsplit_once(" (")?;
    let line = n.parse().ok()?;
    Some((message.to_owned(), source.to_owned(), line))
}

/// One start tag of the dumped DOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The tag name, lowercase as Chromium serializes it.
    pub tag: String,
    /// Attributes with entities decoded, in document order.
    pub attrs: Vec<(String, String)>,
    /// Byte range of the start tag in `Page::dom`.
    start: usize,
    end: usize,
}

impl Element {
    /// The value of attribute `name`, decoded; `None` when absent.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Page {
    /// The console messages that are errors (see `ConsoleMessage::is_error`).
    pub fn errors(&self) -> Vec<&ConsoleMessage> {
        self.console.iter().filter(|m| m.is_error()).collect()
    }

    /// The start tags of the DOM, in order; script and style contents are
    /// skipped. Enough for the DOM Chromium serializes (quoted attributes),
    /// not a general HTML parser.
    pub fn elements(&self) -> Vec<Element> {
        tags(&self.dom)
            .into_iter()
            .filter_map(|t| match t {
                Tag::Open(e) => Some(e),
                Tag::Close { .. } => None,
            })
            .collect()
    }

    /// The element with this `id`.
    pub fn by_id(&self, id: &str) -> Option<Element> {
        self.elements()
            .into_iter()
            .find(|e| e.attr("id") == Some(id))
    }

    /// The `<body>` element, with the attributes the page's scripts set.
    pub fn body(&self) -> Element {
        self.elements()
            .into_iter()
            .find(|e| e.tag == "body")
            .unwrap_or_else(|| panic!("no <body> in the DOM:\n{}", self.dom))
    }

    /// The serialized content of `element`, up to its end tag.
    pub fn inner_html(&self, element: &Element) -> &str {
        let mut depth = 0usize;
        for t in tags(&self.dom) {
            match t {
                Tag::Open(e) if e.start > element.start && e.tag == element.tag => depth += 1,
                Tag::Close { tag, start } if start > element.start && tag == element.tag => {
                    if depth == 0 {
                        return &self.dom[element.end..start];
                    }
                    depth -= 1;
                }
                _ => {}
            }
        }
        &self.dom[element.end..]
    }
}

enum Tag {
    Open(Element),
    Close { tag: String, start: usize },
}

/// Elements whose content is raw text, not markup.
const RAW_TEXT: [&str; 5] = ["script", "style", "textarea", "title", "xmp"];

fn tags(dom: &str) -> Vec<Tag> {
    let b = dom.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = dom[i..].find('<') {
        let start = i + off;
        i = start + 1;
        if dom[i..].starts_with("!--") {
            i = dom[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        if closing {
            i += 1;
        }
        if !b.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let name_len = dom[i..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .unwrap_or(dom.len() - i);
        let tag = dom[i..i + name_len].to_ascii_lowercase();
        i += name_len;
        let mut attrs = Vec::new();
        loop {
            while b.get(i).is_some_and(u8::is_ascii_whitespace) || b.get(i) == Some(&b'/') {
                i += 1;
            }
            match b.get(i) {
                None => break,
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(_) => {}
            }
            let n = dom[i..]
                .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/')
                .unwrap_or(dom.len() - i)
                .max(1);
            let name = dom[i..i + n].to_ascii_lowercase();
            i += n;
            let mut value = String::new();
            if b.get(i) == Some(&b'=') {
                i += 1;
                if let Some(&q @ (b'"' | b'\'')) = b.get(i) {
                    let close = dom[i + 1..]
                        .find(char::from(q))
                        .map_or(b.len(), |e| i + 1 + e);
                    value = decode_entities(&dom[i + 1..close]);
                    i = (close + 1).min(b.len());
                } else {
                    let e = dom[i..]
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .unwrap_or(dom.len() - i);
                    value = decode_entities(&dom[i..i + e]);
                    i += e;
                }
            }
            attrs.push((name, value));
        }
        if closing {
            out.push(Tag::Close { tag, start });
            continue;
        }
        let raw = RAW_TEXT.contains(&tag.as_str());
        out.push(Tag::Open(Element {
            tag: tag.clone(),
            attrs,
            start,
            end: i,
        }));
        if raw {
            let close = format!("</{tag}");
            let lower = dom[i..].to_ascii_lowercase();
            i = lower.find(&close).map_or(b.len(), |e| i + e);
        }
    }
    out
}

fn decode_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Colours of a PNG, to tell a drawn page from a blank one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PngStats {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Distinct RGB colours (alpha ignored).
    pub colours: usize,
    /// Pixels that are not (near) white.
    pub non_white: usize,
}

/// Decodes a PNG and counts its colours.
pub fn png_stats(path: &Path) -> PngStats {
    let file = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("decode {}: {e}", path.display()));
    let size = reader
        .output_buffer_size()
        .unwrap_or_else(|| panic!("{} is too large to decode", path.display()));
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("decode {}: {e}", path.display()));
    let channels = info.color_type.samples();
    // One bit per 24-bit colour: far cheaper than a set in a debug build.
    let mut seen = vec![0u64; (1 << 24) / 64];
    let mut colours = 0;
    let mut non_white = 0;
    for px in buf[..info.buffer_size()].chunks_exact(channels) {
        let [r, g, b] = match channels {
            1 | 2 => [px[0]; 3],
            _ => [px[0], px[1], px[2]],
        };
        let rgb = usize::from(r) << 16 | usize::from(g) << 8 | usize::from(b);
        let bit = 1u64 << (rgb % 64);
        if seen[rgb / 64] & bit == 0 {
            seen[rgb / 64] |= bit;
            colours += 1;
        }
        if r < 240 || g < 240 || b < 240 {
            non_white += 1;
        }
    }
    PngStats {
        width: info.width,
        height: info.height,
        colours,
        non_white,
    }
}

impl PngStats {
    /// More than an empty page: at least 16 distinct colours (antialiased
    /// text alone gives more) and 0.5 % of the pixels not white.
    pub fn non_blank(&self) -> bool {
        let pixels = self.width as usize * self.height as usize;
        self.colours >= 16 && self.non_white * 200 >= pixels
    }
}

/// Whether a screenshot shows more than an empty page (see
/// `PngStats::non_blank`).
pub fn non_blank(path: &Path) -> bool {
    png_stats(path).non_blank()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_console_lines_of_chromium_156() {
        let log = "[1:2:1128/063956.854305:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n\
                   [1:1:1128/063957.622354:INFO:CONSOLE:2] \"hello log 42\", source: file:///t.html (2)\n\
                   [1:1:1128/063957.622566:INFO:CONSOLE:2] \"an error\n\
                   second line\", source: file:///t.html (2)\n\
                   [1:1:1128/063957.643992:INFO:CONSOLE(4)] \"Uncaught Error: boom\", source: file:///t.html (4)\n";
        let m = parse_console(log);
        assert_eq!(m.len(), 3, "{m:?}");
        assert_eq!(m[0].message, "hello log 42");
        assert_eq!(m[0].level, "INFO");
        assert_eq!(m[0].source, "file:///t.html");
        assert_eq!(m[1].message, "an error\nsecond line");
        assert!(!m[1].is_error());
        assert_eq!(m[2].line, 4);
        assert!(m[2].is_error());
    }

    #[test]
    fn finds_elements_and_their_content() {
        let page = Page {
            dom: r#"<html><head><script>if (a<b) x = "<div id='no'>";</script></head><body data-rendered="true" data-errors="a &amp; &quot;b&quot;"><div id="c" data-n=3><div>inner</div><p>x</p></div><div id=d></div></body></html>"#.to_owned(),
            console: Vec::new(),
            screenshot: None,
            log: String::new(),
            _dir: tempfile::tempdir().expect("tempdir"),
        };
        let body = page.body();
        assert_eq!(body.attr("data-rendered"), Some("true"));
        assert_eq!(body.attr("data-errors"), Some("a & \"b\""));
        assert!(page.by_id("no").is_none());
        let c = page.by_id("c").expect("c");
        assert_eq!(c.attr("data-n"), Some("3"));
        assert_eq!(page.inner_html(&c), "<div>inner</div><p>x</p>");
        assert_eq!(page.inner_html(&page.by_id("d").expect("d")), "");
    }

    #[test]
    #[should_panic(expected = "did not finish")]
    fn a_hung_process_group_is_killed_at_the_timeout() {
        // The background sleep holds the pipes too: the group goes, or the
        // reader threads would wait for it.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 60 & sleep 60"]);
        run(cmd, Duration::from_millis(200));
    }

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(
            file_url(Path::new("/tmp/a b/report#1.html")),
            "file:///tmp/a%20b/report%231.html"
        );
    }
}
