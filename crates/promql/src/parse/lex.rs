//! Prometheus 2.42's PromQL lexer (promql/parser/lex.go), kept only to
//! explain failed parses: promql-parser's errors carry no position and
//! word some messages differently, while this lexer yields Prometheus'
//! tokens with their byte offsets and its exact lexical errors.

/// Token kinds, named as in Prometheus' grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok {
    Eof,
    QueryError,
    Comment,
    Comma,
    Colon,
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Eql,
    Number,
    Duration,
    Str,
    Identifier,
    MetricIdentifier,
    /// `+ - * / % ^ == != <= < >= > =~ !~ and or unless atan2 @`
    Op(Op),
    /// `sum`, `avg`, … `topk`, `bottomk`, `count_values`, `quantile`.
    Aggregator(Aggregator),
    /// `bool by group_left group_right ignoring offset on without`.
    Keyword(Keyword),
    /// `start` and `end` of the `@` modifier.
    Preprocessor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eqlc,
    Neq,
    Lte,
    Lss,
    Gte,
    Gtr,
    EqlRegex,
    NeqRegex,
    And,
    Or,
    Unless,
    Atan2,
    At,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Aggregator {
    /// Takes no parameter.
    Plain,
    /// `topk`, `bottomk`, `quantile`: a scalar parameter first.
    ScalarParam,
    /// `count_values`: a string parameter first.
    StringParam,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    Bool,
    By,
    GroupLeft,
    GroupRight,
    Ignoring,
    Offset,
    On,
    Without,
}

/// One token: kind, byte offset and text (for `QueryError`, the message).
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub tok: Tok,
    pub pos: usize,
    pub val: String,
}

impl Item {
    /// `Item.desc()`: how "unexpected …" names a token.
    pub fn desc(&self) -> String {
        match self.tok {
            Tok::Eof => "end of input".to_string(),
            // Identifiers are quoted whole; other tokens cut to ten characters.
            Tok::Identifier => format!("identifier {}", go_quote(&self.val)),
            Tok::MetricIdentifier => format!("metric identifier {}", go_quote(&self.val)),
            Tok::Number => format!("number {}", self.quoted()),
            Tok::Str => format!("string {}", self.quoted()),
            Tok::Duration => format!("duration {}", self.quoted()),
            Tok::Comment => format!("comment {}", self.quoted()),
            Tok::QueryError => self.val.clone(),
            // `@` has no entry in Prometheus' table of token names, so Go
            // prints its number.
            Tok::Op(Op::At) => format!("\"<Item 57385>\" <op:{}>", self.val),
            Tok::Op(_) => format!("<op:{}>", self.val),
            Tok::Aggregator(_) => format!("<aggr:{}>", self.val),
            Tok::Keyword(_) => format!("<{}>", self.val),
            _ => self.quoted(),
        }
    }

    /// `Item.String()` for plain tokens: `%q`, cut to ten characters.
    fn quoted(&self) -> String {
        if self.val.chars().count() > 10 {
            let cut: String = self.val.chars().take(10).collect();
            format!("{}...", go_quote(&cut))
        } else {
            go_quote(&self.val)
        }
    }
}

/// Go's `%q` of a string.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            _ => push_escaped(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// Go's `%q` of a rune.
pub(super) fn go_quote_rune(c: char) -> String {
    let mut out = String::from("'");
    match c {
        '\'' => out.push_str("\\'"),
        _ => push_escaped(&mut out, c),
    }
    out.push('\'');
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

/// Tokens up to and including the first `Eof` or `QueryError`.
pub(super) fn lex(input: &str) -> Vec<Item> {
    let mut l = Lexer {
        input,
        pos: 0,
        start: 0,
        width: 0,
        paren_depth: 0,
        brace_open: false,
        bracket_open: false,
        got_colon: false,
        string_open: '"',
        items: Vec::new(),
    };
    let mut state = State::Statements;
    loop {
        state = match l.step(state) {
            Some(next) => next,
            None => return l.items,
        };
        if l.items.last().is_some_and(|i| i.tok == Tok::QueryError) {
            return l.items;
        }
    }
}

#[derive(Clone, Copy)]
enum State {
    Statements,
    InsideBraces,
    Str,
    RawStr,
    Escape,
    Duration,
    NumberOrDuration,
    KeywordOrIdentifier,
    Identifier,
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
    paren_depth: i64,
    brace_open: bool,
    bracket_open: bool,
    got_colon: bool,
    string_open: char,
    items: Vec<Item>,
}

impl Lexer<'_> {
    fn next(&mut self) -> Option<char> {
        match self.input.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
            None => {
                self.width = 0;
                None
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        let c = self.next();
        self.backup();
        c
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn emit(&mut self, tok: Tok) {
        let val = self.input.get(self.start..self.pos).unwrap_or_default();
        self.items.push(Item {
            tok,
            pos: self.start,
            val: val.to_string(),
        });
        self.start = self.pos;
    }

    fn error(&mut self, message: String) -> Option<State> {
        self.items.push(Item {
            tok: Tok::QueryError,
            pos: self.start,
            val: message,
        });
        None
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            _ => {
                self.backup();
                false
            }
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.next();
        }
        self.start = self.pos;
    }

    fn step(&mut self, state: State) -> Option<State> {
        match state {
            State::Statements => self.statements(),
            State::InsideBraces => self.inside_braces(),
            State::Str => self.string(),
            State::RawStr => self.raw_string(),
            State::Escape => self.escape(),
            State::Duration => self.duration(),
            State::NumberOrDuration => self.number_or_duration(),
            State::KeywordOrIdentifier => self.keyword_or_identifier(),
            State::Identifier => self.identifier(),
        }
    }

    fn line_comment(&mut self) -> Option<State> {
        self.pos += 1;
        while self.next().is_some_and(|c| c != '\r' && c != '\n') {}
        self.backup();
        self.emit(Tok::Comment);
        Some(State::Statements)
    }

    fn statements(&mut self) -> Option<State> {
        if self.brace_open {
            return Some(State::InsideBraces);
        }
        if self.input[self.pos..].starts_with('#') {
            return self.line_comment();
        }
        let Some(r) = self.next() else {
            if self.paren_depth != 0 {
                return self.error("unclosed left parenthesis".to_string());
            } else if self.bracket_open {
                return self.error("unclosed left bracket".to_string());
            }
            self.emit(Tok::Eof);
            return None;
        };
        match r {
            ',' => self.emit(Tok::Comma),
            c if is_space(c) => self.skip_spaces(),
            '*' => self.emit(Tok::Op(Op::Mul)),
            '/' => self.emit(Tok::Op(Op::Div)),
            '%' => self.emit(Tok::Op(Op::Mod)),
            '+' => self.emit(Tok::Op(Op::Add)),
            '-' => self.emit(Tok::Op(Op::Sub)),
            '^' => self.emit(Tok::Op(Op::Pow)),
            '=' => match self.peek() {
                Some('=') => {
                    self.next();
                    self.emit(Tok::Op(Op::Eqlc));
                }
                Some('~') => {
                    return self.error("unexpected character after '=': '~'".to_string());
                }
                _ => self.emit(Tok::Eql),
            },
            '!' => match self.next() {
                Some('=') => self.emit(Tok::Op(Op::Neq)),
                t => {
                    // Go quotes its end-of-input rune (-1) as the replacement character.
                    let t = go_quote_rune(t.unwrap_or('\u{fffd}'));
                    return self.error(format!("unexpected character after '!': {t}"));
                }
            },
            '<' | '>' => {
                let op = if self.peek() == Some('=') {
                    self.next();
                    if r == '<' { Op::Lte } else { Op::Gte }
                } else if r == '<' {
                    Op::Lss
                } else {
                    Op::Gtr
                };
                self.emit(Tok::Op(op));
            }
            c if c.is_ascii_digit()
                || (c == '.' && self.peek().is_some_and(|p| p.is_ascii_digit())) =>
            {
                self.backup();
                return Some(State::NumberOrDuration);
            }
            '"' | '\'' => {
                self.string_open = r;
                return Some(State::Str);
            }
            '`' => {
                self.string_open = r;
                return Some(State::RawStr);
            }
            c if is_alpha(c) || c == ':' => {
                if !self.bracket_open {
                    self.backup();
                    return Some(State::KeywordOrIdentifier);
                }
                if self.got_colon {
                    return self.error(format!("unexpected colon {}", go_quote_rune(c)));
                }
                self.emit(Tok::Colon);
                self.got_colon = true;
            }
            '(' => {
                self.emit(Tok::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                self.emit(Tok::RightParen);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    // Go's error overwrites the item just emitted: the
                    // parser sees only the error, placed after the ')'.
                    self.items.pop();
                    return self.error("unexpected right parenthesis ')'".to_string());
                }
            }
            '{' => {
                self.emit(Tok::LeftBrace);
                self.brace_open = true;
                return Some(State::InsideBraces);
            }
            '[' => {
                if self.bracket_open {
                    return self.error("unexpected left bracket '['".to_string());
                }
                self.got_colon = false;
                self.emit(Tok::LeftBracket);
                if self.peek().is_some_and(is_space) {
                    self.skip_spaces();
                }
                self.bracket_open = true;
                return Some(State::Duration);
            }
            ']' => {
                if !self.bracket_open {
                    return self.error("unexpected right bracket ']'".to_string());
                }
                self.emit(Tok::RightBracket);
                self.bracket_open = false;
            }
            '@' => self.emit(Tok::Op(Op::At)),
            c => return self.error(format!("unexpected character: {}", go_quote_rune(c))),
        }
        Some(State::Statements)
    }

    fn inside_braces(&mut self) -> Option<State> {
        if self.input[self.pos..].starts_with('#') {
            return self.line_comment();
        }
        let Some(r) = self.next() else {
            return self.error("unexpected end of input inside braces".to_string());
        };
        match r {
            c if is_space(c) => self.skip_spaces(),
            c if is_alpha(c) => {
                self.backup();
                return Some(State::Identifier);
            }
            ',' => self.emit(Tok::Comma),
            '"' | '\'' => {
                self.string_open = r;
                return Some(State::Str);
            }
            '`' => {
                self.string_open = r;
                return Some(State::RawStr);
            }
            '=' => {
                if self.next() == Some('~') {
                    self.emit(Tok::Op(Op::EqlRegex));
                } else {
                    self.backup();
                    self.emit(Tok::Eql);
                }
            }
            '!' => match self.next() {
                Some('~') => self.emit(Tok::Op(Op::NeqRegex)),
                Some('=') => self.emit(Tok::Op(Op::Neq)),
                nr => {
                    let nr = go_quote_rune(nr.unwrap_or('\u{fffd}'));
                    return self.error(format!(
                        "unexpected character after '!' inside braces: {nr}"
                    ));
                }
            },
            '{' => return self.error("unexpected left brace '{'".to_string()),
            '}' => {
                self.emit(Tok::RightBrace);
                self.brace_open = false;
                return Some(State::Statements);
            }
            c => {
                return self.error(format!(
                    "unexpected character inside braces: {}",
                    go_quote_rune(c)
                ));
            }
        }
        Some(State::InsideBraces)
    }

    fn string(&mut self) -> Option<State> {
        loop {
            match self.next() {
                Some('\\') => return Some(State::Escape),
                // What Go's decoder reports for invalid UTF-8.
                Some('\u{fffd}') => return self.error("invalid UTF-8 rune".to_string()),
                None | Some('\n') => return self.error("unterminated quoted string".to_string()),
                Some(c) if c == self.string_open => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::Str);
        Some(State::Statements)
    }

    fn raw_string(&mut self) -> Option<State> {
        loop {
            match self.next() {
                Some('\u{fffd}') => return self.error("invalid UTF-8 rune".to_string()),
                None => return self.error("unterminated raw string".to_string()),
                Some(c) if c == self.string_open => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::Str);
        Some(State::Statements)
    }

    fn escape(&mut self) -> Option<State> {
        let mut ch = self.next();
        let (mut n, base, max): (u32, u32, u32) = match ch {
            Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\') => return Some(State::Str),
            Some(c) if c == self.string_open => return Some(State::Str),
            Some('0'..='7') => (3, 8, 255),
            Some('x') => {
                ch = self.next();
                (2, 16, 255)
            }
            Some('u') => {
                ch = self.next();
                (4, 16, 0x10_FFFF)
            }
            Some('U') => {
                ch = self.next();
                (8, 16, 0x10_FFFF)
            }
            None => return self.error("escape sequence not terminated".to_string()),
            Some(c) => {
                return self.error(format!(
                    "unknown escape sequence U+{:04X} {}",
                    c as u32,
                    go_quote_rune(c)
                ));
            }
        };
        let mut x: u32 = 0;
        while n > 0 {
            let d = ch.and_then(|c| c.to_digit(16)).unwrap_or(16);
            if d >= base {
                return match ch {
                    None => self.error("escape sequence not terminated".to_string()),
                    Some(c) => self.error(format!(
                        "illegal character U+{:04X} {} in escape sequence",
                        c as u32,
                        go_quote_rune(c)
                    )),
                };
            }
            x = x.wrapping_mul(base).wrapping_add(d);
            n -= 1;
            if n > 0 {
                ch = self.next();
            }
        }
        if x > max || (0xD800..0xE000).contains(&x) {
            return self.error("escape sequence is an invalid Unicode code point".to_string());
        }
        Some(State::Str)
    }

    fn duration(&mut self) -> Option<State> {
        if self.scan_number() {
            return self.error("missing unit character in duration".to_string());
        }
        if !self.accept_remaining_duration() {
            let text = go_quote(&self.input[self.start..self.pos]);
            return self.error(format!("bad duration syntax: {text}"));
        }
        self.backup();
        self.emit(Tok::Duration);
        Some(State::Statements)
    }

    fn number_or_duration(&mut self) -> Option<State> {
        if self.scan_number() {
            self.emit(Tok::Number);
            return Some(State::Statements);
        }
        if self.accept_remaining_duration() {
            self.backup();
            self.emit(Tok::Duration);
            return Some(State::Statements);
        }
        let text = go_quote(&self.input[self.start..self.pos]);
        self.error(format!("bad number or duration syntax: {text}"))
    }

    fn accept_remaining_duration(&mut self) -> bool {
        if !self.accept("smhdwy") {
            return false;
        }
        self.accept("s");
        while self.accept("0123456789") {
            self.accept_run("0123456789");
            if !self.accept("smhdw") {
                return false;
            }
            self.accept("s");
        }
        !self.next().is_some_and(is_alphanumeric)
    }

    fn scan_number(&mut self) -> bool {
        let mut digits = "0123456789";
        if self.accept("0") && self.accept("xX") {
            digits = "0123456789abcdefABCDEF";
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789");
        }
        !self.peek().is_some_and(is_alphanumeric)
    }

    fn identifier(&mut self) -> Option<State> {
        while self.next().is_some_and(is_alphanumeric) {}
        self.backup();
        self.emit(Tok::Identifier);
        Some(State::Statements)
    }

    fn keyword_or_identifier(&mut self) -> Option<State> {
        while self.next().is_some_and(|c| is_alphanumeric(c) || c == ':') {}
        self.backup();
        let word = &self.input[self.start..self.pos];
        let tok = keyword(&word.to_ascii_lowercase()).unwrap_or(if word.contains(':') {
            Tok::MetricIdentifier
        } else {
            Tok::Identifier
        });
        self.emit(tok);
        Some(State::Statements)
    }
}

fn keyword(word: &str) -> Option<Tok> {
    use Aggregator::{Plain, ScalarParam, StringParam};
    Some(match word {
        "and" => Tok::Op(Op::And),
        "or" => Tok::Op(Op::Or),
        "unless" => Tok::Op(Op::Unless),
        "atan2" => Tok::Op(Op::Atan2),
        "sum" | "avg" | "count" | "min" | "max" | "group" | "stddev" | "stdvar" => {
            Tok::Aggregator(Plain)
        }
        "topk" | "bottomk" | "quantile" => Tok::Aggregator(ScalarParam),
        "count_values" => Tok::Aggregator(StringParam),
        "offset" => Tok::Keyword(Keyword::Offset),
        "by" => Tok::Keyword(Keyword::By),
        "without" => Tok::Keyword(Keyword::Without),
        "on" => Tok::Keyword(Keyword::On),
        "ignoring" => Tok::Keyword(Keyword::Ignoring),
        "group_left" => Tok::Keyword(Keyword::GroupLeft),
        "group_right" => Tok::Keyword(Keyword::GroupRight),
        "bool" => Tok::Keyword(Keyword::Bool),
        "start" | "end" => Tok::Preprocessor,
        "inf" | "nan" => Tok::Number,
        _ => return None,
    })
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn is_alpha(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_alphanumeric(c: char) -> bool {
    is_alpha(c) || c.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last(q: &str) -> (Tok, usize, String) {
        let items = lex(q);
        let i = items.last().cloned().expect("at least one item");
        (i.tok, i.pos, i.val)
    }

    #[test]
    fn errors_and_positions_as_prometheus() {
        assert_eq!(
            last("sum(foo"),
            (Tok::QueryError, 7, "unclosed left parenthesis".to_string())
        );
        assert_eq!(
            last("foo[5x]"),
            (Tok::QueryError, 4, "bad duration syntax: \"5\"".to_string())
        );
        assert_eq!(
            last("foo}"),
            (Tok::QueryError, 3, "unexpected character: '}'".to_string())
        );
        assert_eq!(last("(1))").1, 4);
        assert_eq!(last("foo + 1").0, Tok::Eof);
    }

    #[test]
    fn token_descriptions() {
        let items = lex("foo BY ^ \"abcdefghijkl\" sum");
        let descs: Vec<String> = items.iter().map(Item::desc).collect();
        assert_eq!(
            descs,
            [
                "identifier \"foo\"",
                "<BY>",
                "<op:^>",
                "string \"\\\"abcdefghi\"...",
                "<aggr:sum>",
                "end of input"
            ]
        );
    }
}
