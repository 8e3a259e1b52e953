//! A small JSON reader that remembers where every value and key starts.
//!
//! Policy errors must point at the offending element (line and column), find
//! duplicate keys, and stay bounded on hostile input; `serde_json::Value`
//! keeps none of the positions and silently drops duplicates, so the policy
//! parser reads documents through this module instead. It accepts exactly
//! RFC 8259 JSON: no comments, no trailing commas.

use std::borrow::Cow;
use std::fmt;

/// Deepest nesting accepted. A policy needs about eight levels
/// (document, statement list, statement, condition, operator, key, values);
/// the rest is headroom, and the bound keeps recursion off the stack limit.
pub const MAX_DEPTH: usize = 32;

/// Where something starts in the source text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Byte offset from the start of the text.
    pub offset: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A JSON value with the position of its first character.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<'a> {
    pub value: JsonValue<'a>,
    pub pos: Position,
    /// Byte offset just past the value's last character.
    pub end: usize,
}

/// An object member: its key (with the key's own position) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'a> {
    pub key: Cow<'a, str>,
    pub key_pos: Position,
    pub value: Json<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue<'a> {
    Null,
    Bool(bool),
    /// The number exactly as written, so nothing is lost by a float round trip.
    Number(&'a str),
    /// Borrowed from the text unless it held escapes.
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Members in document order, duplicates included.
    Object(Vec<Member<'a>>),
}

impl JsonValue<'_> {
    /// The name a person would use for this kind of value.
    pub fn kind_name(&self) -> &'static str {
        match self {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "a boolean",
            JsonValue::Number(_) => "a number",
            JsonValue::String(_) => "a string",
            JsonValue::Array(_) => "an array",
            JsonValue::Object(_) => "an object",
        }
    }
}

/// Why the text is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub message: String,
    pub pos: Position,
    /// A guess at the slip behind the error, when the shape is a common one.
    pub hint: Option<String>,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.message, self.pos)
    }
}

impl std::error::Error for JsonError {}

/// Reads bytes that should be UTF-8 JSON.
pub fn parse_bytes(bytes: &[u8]) -> Result<Json<'_>, JsonError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            // `valid` is valid UTF-8 by construction.
            let prefix = std::str::from_utf8(valid).unwrap_or_default();
            Err(JsonError {
                message: "the document is not valid UTF-8".into(),
                pos: position_after(prefix),
                hint: None,
            })
        }
    }
}

/// Reads one JSON value that fills the whole text (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Json<'_>, JsonError> {
    let mut reader = Reader::new(text);
    reader.skip_whitespace();
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.at < reader.bytes.len() {
        return Err(reader.error_here("unexpected text after the end of the JSON document"));
    }
    Ok(value)
}

/// The length of the run at the start of `bytes` free of `"`, `\` and
/// control characters: what a JSON string holds as it is, both when it is
/// read and when it is written.
pub fn plain_run(bytes: &[u8]) -> usize {
    // Strings are most of a request: eight bytes are tested at a time, with
    // the word trick "which bytes are below n" (`(w - n·ONES) & !w & HIGHS`,
    // for n ≤ 128), after an XOR with the byte sought for `"` and `\` (below
    // 1: zero). A borrow may flag bytes above the first one below n, never
    // one before it, so the lowest flag is the first byte at fault.
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = ONES * 0x80;
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let found = below(w, 0x20) | below(w ^ (ONES * u64::from(b'"')), 1) | below(w ^ (ONES * u64::from(b'\\')), 1);
        if found != 0 {
            // Little-endian: the lowest byte of the word is the first in the text.
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let rest = chunks.remainder();
    at + rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(rest.len())
}

/// The position just past `prefix`, as if it were the start of a longer text.
fn position_after(prefix: &str) -> Position {
    let line = 1 + prefix.bytes().filter(|b| *b == b'\n').count();
    let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
    Position {
        offset: prefix.len(),
        line: line as u32,
        column: 1 + prefix[line_start..].chars().count() as u32,
    }
}

#[derive(Clone)]
struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    line: u32,
    line_start: usize,
    /// (offset scanned up to, continuation bytes between the line start and it).
    column_cache: std::cell::Cell<(usize, usize)>,
}

impl<'a> Reader<'a> {
    fn pos(&self) -> Position {
        // Columns count characters: a column is the bytes since the line start
        // less the UTF-8 continuation bytes among them. Those are counted
        // incrementally, so positions cost amortised O(1) even on a document
        // that is one long line.
        let is_continuation = |b: &u8| (*b & 0xC0) == 0x80;
        let (mut scanned, mut continuations) = self.column_cache.get();
        if scanned < self.line_start || scanned > self.at {
            scanned = self.line_start;
            continuations = 0;
        }
        continuations += self.bytes[scanned..self.at]
            .iter()
            .filter(|b| is_continuation(b))
            .count();
        self.column_cache.set((self.at, continuations));
        Position {
            offset: self.at,
            line: self.line,
            column: (self.at - self.line_start - continuations) as u32 + 1,
        }
    }

    fn error_at(&self, pos: Position, message: impl Into<String>) -> JsonError {
        JsonError {
            message: message.into(),
            pos,
            hint: None,
        }
    }

    fn error_here(&self, message: impl Into<String>) -> JsonError {
        self.error_at(self.pos(), message)
    }

    /// A reader at the start of `text`.
    fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
            line_start: 0,
            column_cache: std::cell::Cell::new((0, 0)),
        }
    }

    /// The position of `offset`, an earlier offset on the current line:
    /// strings and numbers take their start position only for an error.
    fn pos_of(&self, offset: usize) -> Position {
        Reader {
            at: offset,
            ..self.clone()
        }
        .pos()
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline(always)]
    fn skip_whitespace(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' => self.at += 1,
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                _ => break,
            }
        }
    }

    fn describe_here(&self) -> String {
        match self.text.get(self.at..).and_then(|rest| rest.chars().next()) {
            None => "the end of the document".into(),
            Some(c) if c.is_control() => format!("the control character U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.error_here(format!("the document nests deeper than {MAX_DEPTH} levels")));
        }
        let pos = self.pos();
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => JsonValue::String(self.string()?),
            Some(b't') => self.keyword("true", JsonValue::Bool(true))?,
            Some(b'f') => self.keyword("false", JsonValue::Bool(false))?,
            Some(b'n') => self.keyword("null", JsonValue::Null)?,
            Some(b'-' | b'0'..=b'9') => JsonValue::Number(self.number()?),
            Some(b'\'') => {
                let mut e = self.error_here("expected a JSON value, found `'`");
                e.hint = Some("JSON strings use double quotes (\"), not single quotes".into());
                return Err(e);
            }
            _ => {
                return Err(self.error_here(format!("expected a JSON value, found {}", self.describe_here())));
            }
        };
        Ok(Json {
            value,
            pos,
            end: self.at,
        })
    }

    fn keyword(&mut self, word: &str, value: JsonValue<'a>) -> Result<JsonValue<'a>, JsonError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error_here(format!("expected a JSON value, found {}", self.describe_here())))
        }
    }

    fn number(&mut self) -> Result<&'a str, JsonError> {
        let start = self.at;
        // A number spans no line break: its start is on the line of the error.
        let bad = |r: &Self| r.error_at(r.pos_of(start), "invalid number");
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(bad(self)),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(bad(self));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(bad(self));
            }
            self.digits();
        }
        Ok(&self.text[start..self.at])
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        let open = self.at;
        self.at += 1; // the opening quote
        let start = self.at;
        let mut out = String::new();
        loop {
            // Copy the longest run that needs no attention in one go.
            let run_start = self.at;
            self.at += plain_run(&self.bytes[self.at..]);
            match self.peek() {
                None => {
                    // No line break can be inside a string: `open` is on this line.
                    return Err(self.error_at(
                        self.pos_of(open),
                        "a string is not closed before the end of the document",
                    ));
                }
                // Without escapes the string is a slice of the text: no copy.
                Some(b'"') if run_start == start => {
                    self.at += 1;
                    return Ok(Cow::Borrowed(&self.text[start..self.at - 1]));
                }
                Some(b'"') => {
                    out.push_str(&self.text[run_start..self.at]);
                    self.at += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    out.push_str(&self.text[run_start..self.at]);
                    self.at += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => {
                    let mut e = self.error_here(format!("{} is not allowed inside a string", self.describe_here()));
                    if self.peek() == Some(b'\n') {
                        e.hint = Some("a string must end on the line it starts; write \\n for a line break".into());
                    }
                    return Err(e);
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.at += 1;
                let first = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate must be followed by an escaped low one.
                    if !self.bytes[self.at..].starts_with(b"\\u") {
                        return Err(self.error_here("an unpaired UTF-16 surrogate in a \\u escape"));
                    }
                    self.at += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error_here("an unpaired UTF-16 surrogate in a \\u escape"));
                    }
                    char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
                } else {
                    char::from_u32(first)
                };
                match c {
                    Some(c) => {
                        out.push(c);
                        return Ok(());
                    }
                    None => {
                        return Err(self.error_here("an unpaired UTF-16 surrogate in a \\u escape"));
                    }
                }
            }
            _ => {
                return Err(self.error_here(format!(
                    "invalid escape `\\{}` in a string",
                    self.describe_here().trim_matches('`')
                )));
            }
        };
        self.at += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self.text.get(self.at..self.at + 4).unwrap_or("");
        match u32::from_str_radix(digits, 16) {
            Ok(v) if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.at += 4;
                Ok(v)
            }
            _ => Err(self.error_here("a \\u escape needs four hexadecimal digits")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<JsonValue<'a>, JsonError> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(JsonValue::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.at += 1;
                    self.skip_whitespace();
                    if self.peek() == Some(b']') {
                        let mut e = self.error_here("expected a value after `,`, found `]`");
                        e.hint = Some("JSON does not allow a comma after the last element".into());
                        return Err(e);
                    }
                }
                Some(b']') => {
                    self.at += 1;
                    return Ok(JsonValue::Array(items));
                }
                Some(b':') => {
                    let mut e = self.error_here("expected `,` or `]` in an array, found `:`");
                    e.hint = Some(
                        "a key and value (`\"Key\": value`) belong in an object `{...}`, not in an array `[...]`"
                            .into(),
                    );
                    return Err(e);
                }
                _ => {
                    return Err(self.error_here(format!(
                        "expected `,` or `]` in an array, found {}",
                        self.describe_here()
                    )));
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonValue<'a>, JsonError> {
        self.at += 1;
        let mut members: Vec<Member<'a>> = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(JsonValue::Object(members));
        }
        loop {
            self.skip_whitespace();
            let key_pos = self.pos();
            match self.peek() {
                Some(b'"') => {}
                Some(b'{' | b'[') => {
                    let mut e = self.error_here(format!(
                        "expected a key in double quotes, found {}",
                        self.describe_here()
                    ));
                    e.hint = Some(
                        "a list of values needs square brackets: write `[ {...}, {...} ]` where `{ {...} }` was written".into(),
                    );
                    return Err(e);
                }
                Some(b'}') => {
                    let mut e = self.error_here("expected a key after `,`, found `}`");
                    e.hint = Some("JSON does not allow a comma after the last member".into());
                    return Err(e);
                }
                _ => {
                    return Err(self.error_here(format!(
                        "expected a key in double quotes, found {}",
                        self.describe_here()
                    )));
                }
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error_here(format!(
                    "expected `:` after the key \"{key}\", found {}",
                    self.describe_here()
                )));
            }
            self.at += 1;
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            members.push(Member { key, key_pos, value });
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(JsonValue::Object(members));
                }
                Some(b'"') => {
                    let mut e = self.error_here("expected `,` or `}` in an object, found `\"`");
                    e.hint = Some("a comma is missing between two members".into());
                    return Err(e);
                }
                _ => {
                    return Err(self.error_here(format!(
                        "expected `,` or `}}` in an object, found {}",
                        self.describe_here()
                    )));
                }
            }
        }
    }
}

/// A scalar read by a [`Cursor`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(Cow<'a, str>),
}

/// Reads JSON of a shape known in advance in one pass, with no tree and no
/// positions, for hot paths that build their result as they read.
///
/// Every method answers `None` when the text is not what it expects (bad JSON
/// included) and says nothing more: the caller then reads the text again with
/// [`parse`], whose error says what is wrong and where. The grammar is the
/// same as [`parse`]'s: strings and numbers are read by the same code.
pub(crate) struct Cursor<'a> {
    reader: Reader<'a>,
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            reader: Reader::new(text),
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.reader.skip_whitespace();
        self.reader.peek()
    }

    /// Consumes `b` if it comes next (after whitespace).
    #[inline]
    fn eat(&mut self, b: u8) -> bool {
        let next = self.peek() == Some(b);
        if next {
            self.reader.at += 1;
        }
        next
    }

    /// Whether nothing but whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// A string.
    pub fn string(&mut self) -> Option<Cow<'a, str>> {
        if self.peek() != Some(b'"') {
            return None;
        }
        // Most strings are a plain run closed by a quote: a slice of the
        // text, taken here. Escapes (and errors) are left to the reader.
        let r = &mut self.reader;
        let start = r.at + 1;
        let end = start + plain_run(&r.bytes[start..]);
        if r.bytes.get(end) == Some(&b'"') {
            r.at = end + 1;
            return r.text.get(start..end).map(Cow::Borrowed);
        }
        r.string().ok()
    }

    /// A string, a number, a boolean or null.
    pub fn scalar(&mut self) -> Option<Scalar<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Scalar::String),
            b'-' | b'0'..=b'9' => self.reader.number().ok().map(Scalar::Number),
            b't' => self.keyword("true", Scalar::Bool(true)),
            b'f' => self.keyword("false", Scalar::Bool(false)),
            b'n' => self.keyword("null", Scalar::Null),
            _ => None,
        }
    }

    /// `null`, consumed if it comes next.
    pub fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.keyword("null", ()).is_some()
    }

    fn keyword<T>(&mut self, word: &str, value: T) -> Option<T> {
        let r = &mut self.reader;
        r.bytes[r.at..].starts_with(word.as_bytes()).then(|| {
            r.at += word.len();
            value
        })
    }

    /// An object: `member` is called with each key and must read its value.
    pub fn object(&mut self, mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            member(self, key)?;
            if !self.eat(b',') {
                return self.eat(b'}').then_some(());
            }
        }
    }

    /// An array: `item` is called for each element and must read it.
    pub fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if !self.eat(b'[') {
            return None;
        }
        if self.eat(b']') {
            return Some(());
        }
        loop {
            item(self)?;
            if !self.eat(b',') {
                return self.eat(b']').then_some(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_with_positions() {
        let doc = parse("{\n  \"a\": [1, \"x\", true, null],\n  \"b\": {}\n}").unwrap();
        let JsonValue::Object(members) = &doc.value else {
            panic!("object expected")
        };
        assert_eq!(members[0].key, "a");
        assert_eq!((members[0].key_pos.line, members[0].key_pos.column), (2, 3));
        assert_eq!((members[1].value.pos.line, members[1].value.pos.column), (3, 8));
        let JsonValue::Array(items) = &members[0].value.value else {
            panic!("array expected")
        };
        assert_eq!(items[1].value, JsonValue::String("x".into()));
        assert_eq!(items[0].value, JsonValue::Number("1"));
    }

    #[test]
    fn keeps_duplicate_keys_in_order() {
        let doc = parse(r#"{"k": 1, "k": 2}"#).unwrap();
        let JsonValue::Object(members) = doc.value else {
            panic!()
        };
        assert_eq!(members.len(), 2);
    }

    #[test]
    fn decodes_escapes_and_surrogates() {
        let doc = parse(r#""a\"\\\/\n\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(doc.value, JsonValue::String("a\"\\/\né😀".into()));
        assert!(parse(r#""\ud83d""#).is_err());
        assert!(parse(r#""\x""#).is_err());
    }

    #[test]
    fn the_seed_trust_policy_slip_gets_a_hint() {
        let text = "{\n\t\"Statement\": {\n\t\t{\n\t\t\t\"Effect\": \"Allow\"\n\t\t}\n\t}\n}";
        let e = parse(text).unwrap_err();
        assert_eq!((e.pos.line, e.pos.column), (3, 3));
        assert!(e.hint.unwrap().contains("square brackets"));
    }

    #[test]
    fn rejects_what_json_rejects() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "tru",
            "'a'",
            "{a:1}",
            "[1 2]",
            "\"a\nb\"",
            "1 2",
            "{\"a\" 1}",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2048, ..Default::default() })]

        #[test]
        fn plain_runs_end_at_the_first_byte_a_string_cannot_hold_as_is(
            bytes in proptest::collection::vec(proptest::prop_oneof![0x1eu8..0x24, 0x5au8..0x5e, proptest::num::u8::ANY], 0..40)
        ) {
            let expected = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(bytes.len());
            proptest::prop_assert_eq!(plain_run(&bytes), expected);
        }
    }

    #[test]
    fn bounds_nesting() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nests deeper"));
    }

    #[test]
    fn reports_invalid_utf8_position() {
        let e = parse_bytes(b"{\n \"a\": \"\xff\"}").unwrap_err();
        assert_eq!((e.pos.line, e.pos.column), (2, 8));
    }
}
