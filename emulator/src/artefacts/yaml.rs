//! A small, forgiving reader of Kubernetes-style block YAML that keeps the
//! line and column of every key and value.
//!
//! It reads what manifests use (block mappings and sequences, plain and quoted
//! scalars, `|`/`>` block scalars, one-line `[a, b]` lists) and keeps going
//! past the mistakes people make, reporting each: tabs in indentation (read as
//! two columns, so the rest of the file can still be checked), `...` elisions,
//! unterminated quotes and lines indented under a scalar.

use rolechain_policy::Finding;
use rolechain_policy::json::{JsonValue, Position};

/// Columns a tab in indentation is read as (YAML forbids tabs; this is a guess).
const TAB_INDENT: usize = 2;
/// Nesting deeper than this is not read (and reported).
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Position,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Position,
    pub value: Node,
}

impl Node {
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key == key)
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }
    /// Follows a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }
    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(v) => v,
            _ => &[],
        }
    }
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(v) => v,
            _ => &[],
        }
    }
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }
}

/// The documents of a YAML stream and what was wrong with its syntax.
#[derive(Debug, Default)]
pub struct Parsed {
    pub docs: Vec<Node>,
    pub findings: Vec<Finding>,
}

/// Converts a positioned JSON value (from the policy crate's parser).
pub fn from_json(json: &rolechain_policy::json::Json<'_>) -> Node {
    let value = match &json.value {
        JsonValue::Null => Value::Null,
        JsonValue::Bool(b) => Value::Scalar(b.to_string()),
        JsonValue::Number(n) => Value::Scalar((*n).to_string()),
        JsonValue::String(s) => Value::Scalar(s.to_string()),
        JsonValue::Array(items) => Value::Seq(items.iter().map(from_json).collect()),
        JsonValue::Object(members) => Value::Map(
            members
                .iter()
                .map(|m| Entry {
                    key: m.key.to_string(),
                    key_pos: m.key_pos,
                    value: from_json(&m.value),
                })
                .collect(),
        ),
    };
    Node { pos: json.pos, value }
}

struct Line<'a> {
    no: u32,
    offset: usize,
    raw: &'a str,
}

/// Where the current line's content starts: its byte index and indentation width.
#[derive(Clone, Copy)]
struct Cur {
    byte: usize,
    indent: usize,
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    i: usize,
    over: Option<Cur>,
    orphans: Vec<Entry>,
    findings: Vec<Finding>,
}

pub fn parse(text: &str) -> Parsed {
    let mut lines = Vec::new();
    let mut offset = 0;
    for (n, raw) in text.split('\n').enumerate() {
        lines.push(Line {
            no: u32::try_from(n + 1).unwrap_or(u32::MAX),
            offset,
            raw: raw.strip_suffix('\r').unwrap_or(raw),
        });
        offset += raw.len() + 1;
    }
    let mut p = Parser {
        lines,
        i: 0,
        over: None,
        orphans: Vec::new(),
        findings: Vec::new(),
    };
    p.prescan();
    let mut docs = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        p.skip();
        if p.i >= p.lines.len() {
            break;
        }
        if p.lines[p.i].raw.trim_end() == "---" || p.lines[p.i].raw.starts_with("--- ") {
            p.i += 1;
            docs.extend(root.take());
            continue;
        }
        let before = p.i;
        let Some(cur) = p.cur() else { break };
        let node = p.block(cur.indent, 0);
        p.orphans.clear();
        if p.i == before {
            p.i += 1;
        }
        match (&mut root, node) {
            (None, n) => root = n,
            (Some(r), Some(n)) => {
                let pos = n.pos;
                if let (Value::Map(a), Value::Map(b)) = (&mut r.value, n.value) {
                    a.extend(b);
                }
                p.findings.push(
                    Finding::error(
                        "YAML_BAD_INDENTATION",
                        "this line is indented differently from the document's first line, so YAML reads it \
                         as a second top-level node, which it refuses",
                        pos,
                    )
                    .with_fix("indent top-level keys at column 1 and nested keys two spaces deeper than their parent"),
                );
            }
            (Some(_), None) => {}
        }
    }
    docs.extend(root);
    Parsed {
        docs,
        findings: p.findings,
    }
}

fn pos_of(line: &Line<'_>, byte: usize) -> Position {
    let byte = byte.min(line.raw.len());
    let column = line.raw.get(..byte).map_or(byte, |s| s.chars().count()) + 1;
    Position {
        offset: line.offset + byte,
        line: line.no,
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

/// Indentation width (tabs as [`TAB_INDENT`]) and the byte index of the content.
fn indentation(raw: &str) -> (usize, usize) {
    let mut width = 0;
    for (i, c) in raw.char_indices() {
        match c {
            ' ' => width += 1,
            '\t' => width += TAB_INDENT,
            _ => return (width, i),
        }
    }
    (width, raw.len())
}

/// `text` without a trailing `# comment` (a `#` at the start or after blank, outside quotes).
fn strip_comment(text: &str) -> &str {
    let mut quote = None;
    let mut prev_blank = true;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '"' || c == '\'') && prev_blank => quote = Some(c),
            None if c == '#' && prev_blank => return text[..i].trim_end(),
            None => {}
        }
        prev_blank = c == ' ' || c == '\t';
    }
    text.trim_end()
}

fn is_elision(raw: &str) -> bool {
    let t = strip_comment(raw).trim();
    t == "..." || t == "…"
}

fn is_dash(content: &str) -> bool {
    content == "-" || content.starts_with("- ") || content.starts_with("-\t")
}

/// Splits `key: rest` (outside quotes); returns the key (unquoted) and the byte index of `rest`.
fn split_key(content: &str) -> Option<(String, usize)> {
    let bytes = content.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if (b == b'"' || b == b'\'') && i == 0 => quote = Some(b),
            None if b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\t') => {
                let key = content[..i].trim();
                let key = key
                    .strip_prefix('"')
                    .and_then(|k| k.strip_suffix('"'))
                    .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
                    .unwrap_or(key);
                let rest = content[i + 1..].len() - content[i + 1..].trim_start().len();
                return Some((key.to_string(), i + 1 + rest));
            }
            None => {}
        }
    }
    None
}

impl<'a> Parser<'a> {
    /// Syntax findings that need no structure: tabs and elisions.
    fn prescan(&mut self) {
        let mut tab_reported = false;
        for line in &self.lines {
            let (_, content) = indentation(line.raw);
            if !tab_reported && let Some(tab) = line.raw[..content].find('\t') {
                tab_reported = true;
                self.findings.push(
                    Finding::error(
                        "YAML_TAB_INDENTATION",
                        "tab character in indentation: YAML forbids tabs for indentation, so kubectl, oc and \
                         ccoctl refuse the file (\"found character that cannot start any token\")",
                        pos_of(line, tab),
                    )
                    .with_fix(
                        "indent with spaces only (two per level), e.g. `expand -t 2 FILE`; every later line \
                               is indented with tabs too",
                    ),
                );
            }
            if is_elision(line.raw) {
                self.findings.push(
                    Finding::error(
                        "YAML_ELISION",
                        "`...` stands for omitted lines, but YAML reads it as the end of the document: what \
                         follows is a separate document, and the manifest is incomplete",
                        pos_of(line, content),
                    )
                    .with_fix("write out the omitted fields (see the corrected manifest) and delete the `...` line"),
                );
            }
        }
    }

    /// Moves past blank lines, comments and elisions.
    fn skip(&mut self) {
        if self.over.is_some() {
            return;
        }
        while let Some(line) = self.lines.get(self.i) {
            let (_, byte) = indentation(line.raw);
            let content = strip_comment(&line.raw[byte..]);
            if content.is_empty() || is_elision(line.raw) {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn at_doc_marker(&self) -> bool {
        self.over.is_none()
            && self
                .lines
                .get(self.i)
                .is_some_and(|l| l.raw.trim_end() == "---" || l.raw.starts_with("--- "))
    }

    fn cur(&mut self) -> Option<Cur> {
        self.skip();
        if let Some(over) = self.over {
            return Some(over);
        }
        if self.at_doc_marker() {
            return None;
        }
        let line = self.lines.get(self.i)?;
        let (indent, byte) = indentation(line.raw);
        Some(Cur { byte, indent })
    }

    fn content(&self, cur: Cur) -> &'a str {
        self.lines.get(self.i).map_or("", |l| strip_comment(&l.raw[cur.byte..]))
    }

    fn pos(&self, byte: usize) -> Position {
        self.lines
            .get(self.i)
            .map_or_else(Position::default, |l| pos_of(l, byte))
    }

    fn consume(&mut self) {
        self.over = None;
        self.i += 1;
    }

    fn block(&mut self, indent: usize, depth: usize) -> Option<Node> {
        let cur = self.cur()?;
        if cur.indent < indent {
            return None;
        }
        if depth > MAX_DEPTH {
            let pos = self.pos(cur.byte);
            self.findings.push(Finding::error(
                "YAML_TOO_DEEP",
                "the document nests too deeply to be read",
                pos,
            ));
            self.consume();
            return None;
        }
        let content = self.content(cur);
        if is_dash(content) {
            Some(self.seq(cur.indent, depth))
        } else if split_key(content).is_some() {
            Some(self.map(cur.indent, depth))
        } else {
            let pos = self.pos(cur.byte);
            let node = self.scalar(content, pos);
            self.consume();
            self.stray(cur.indent, depth);
            Some(node)
        }
    }

    /// Lines indented deeper than a scalar that ended at `indent`: reported,
    /// and any keys among them handed to the enclosing mapping.
    fn stray(&mut self, indent: usize, depth: usize) {
        while let Some(cur) = self.cur() {
            if cur.indent <= indent || self.over.is_some() {
                return;
            }
            let pos = self.pos(cur.byte);
            let first = self.content(cur).split(':').next().unwrap_or("").trim().to_string();
            self.findings.push(
                Finding::error(
                    "YAML_BAD_INDENTATION",
                    format!(
                        "`{first}` is indented under a plain value, which cannot have children: YAML refuses the \
                         line (\"mapping values are not allowed in this context\")"
                    ),
                    pos,
                )
                .with_fix(format!(
                    "indent `{first}` at the same column as the key it belongs beside (one level up)"
                )),
            );
            let before = self.i;
            if let Some(node) = self.block(cur.indent, depth + 1)
                && let Value::Map(entries) = node.value
            {
                self.orphans.extend(entries);
            }
            if self.i == before {
                self.consume();
            }
        }
    }

    fn seq(&mut self, indent: usize, depth: usize) -> Node {
        let start = self.cur().map_or_else(Position::default, |c| self.pos(c.byte));
        let mut items = Vec::new();
        while let Some(cur) = self.cur() {
            let content = self.content(cur);
            if cur.indent != indent || !is_dash(content) {
                break;
            }
            let pos = self.pos(cur.byte);
            let after = &content[1..];
            let (width, skip) = indentation(after);
            let item = if after.trim().is_empty() {
                self.consume();
                self.block(indent + 1, depth + 1).unwrap_or(Node {
                    pos,
                    value: Value::Null,
                })
            } else {
                self.over = Some(Cur {
                    byte: cur.byte + 1 + skip,
                    indent: indent + 1 + width,
                });
                let inner = indent + 1 + width;
                let node = self.block(inner, depth + 1).unwrap_or(Node {
                    pos,
                    value: Value::Null,
                });
                if self.over.is_some() {
                    self.consume();
                }
                if matches!(node.value, Value::Scalar(_)) {
                    // Lines deeper than the dash, after a one-line value, belong to nothing.
                    self.stray(indent, depth);
                }
                node
            };
            items.push(item);
        }
        Node {
            pos: start,
            value: Value::Seq(items),
        }
    }

    fn map(&mut self, indent: usize, depth: usize) -> Node {
        let start = self.cur().map_or_else(Position::default, |c| self.pos(c.byte));
        let mut entries = Vec::new();
        while let Some(cur) = self.cur() {
            if cur.indent != indent {
                break;
            }
            let content = self.content(cur);
            if is_dash(content) {
                break;
            }
            let key_pos = self.pos(cur.byte);
            let Some((key, rest_at)) = split_key(content) else {
                self.findings.push(
                    Finding::error(
                        "YAML_NOT_A_KEY",
                        "this line is neither `key: value` nor a list item (`- ...`)",
                        key_pos,
                    )
                    .with_fix("write it as `key: value`, or remove it"),
                );
                self.consume();
                continue;
            };
            let rest = &content[rest_at..];
            let rest_pos = self.pos(cur.byte + rest_at);
            self.consume();
            let value = if rest.is_empty() {
                match self.cur() {
                    Some(next) if next.indent > indent => self.block(next.indent, depth + 1),
                    Some(next) if next.indent == indent && is_dash(self.content(next)) => {
                        Some(self.seq(indent, depth + 1))
                    }
                    _ => None,
                }
                .unwrap_or(Node {
                    pos: key_pos,
                    value: Value::Null,
                })
            } else if rest.starts_with('|') || rest.starts_with('>') {
                self.block_scalar(indent, rest.starts_with('>'), rest_pos)
            } else {
                let node = self.scalar(rest, rest_pos);
                self.stray(indent, depth);
                node
            };
            entries.push(Entry { key, key_pos, value });
            entries.append(&mut self.orphans);
        }
        Node {
            pos: start,
            value: Value::Map(entries),
        }
    }

    /// A `|`/`>` scalar: its node starts at its first content line.
    fn block_scalar(&mut self, indent: usize, folded: bool, header: Position) -> Node {
        let mut text_lines: Vec<&str> = Vec::new();
        let mut first: Option<(Position, usize)> = None;
        while let Some(line) = self.lines.get(self.i) {
            let (width, byte) = indentation(line.raw);
            let blank = line.raw.trim().is_empty();
            if !blank && width <= indent {
                break;
            }
            if !blank && first.is_none() {
                first = Some((pos_of(line, byte), byte));
            }
            let cut = first.map_or(0, |(_, b)| b);
            text_lines.push(line.raw.get(cut..).unwrap_or_else(|| line.raw.trim_start()));
            self.i += 1;
        }
        while text_lines.last().is_some_and(|l| l.trim().is_empty()) {
            text_lines.pop();
        }
        let sep = if folded { " " } else { "\n" };
        let pos = first.map_or(header, |(p, _)| p);
        // Blank lines before the first content line are not part of the position mapping.
        let lead = text_lines.iter().take_while(|l| l.trim().is_empty()).count();
        Node {
            pos,
            value: Value::Scalar(text_lines[lead..].join(sep)),
        }
    }

    fn scalar(&mut self, text: &str, pos: Position) -> Node {
        let text = text.trim();
        let value = if let Some(inner) = text.strip_prefix('"') {
            match inner.find('"') {
                Some(end) => Value::Scalar(inner[..end].replace("\\\\", "\\")),
                None => {
                    self.unterminated(pos, '"');
                    Value::Scalar(inner.to_string())
                }
            }
        } else if let Some(inner) = text.strip_prefix('\'') {
            match inner.rfind('\'') {
                Some(end) => Value::Scalar(inner[..end].replace("''", "'")),
                None => {
                    self.unterminated(pos, '\'');
                    Value::Scalar(inner.to_string())
                }
            }
        } else if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            let mut items = Vec::new();
            let mut at = 1;
            for part in inner.split(',') {
                let lead = part.len() - part.trim_start().len();
                let p = Position {
                    offset: pos.offset + at + lead,
                    line: pos.line,
                    column: pos.column + u32::try_from(at + lead).unwrap_or(0),
                };
                if !part.trim().is_empty() {
                    items.push(self.scalar(part, p));
                }
                at += part.len() + 1;
            }
            Value::Seq(items)
        } else if text == "{}" {
            Value::Map(Vec::new())
        } else if text.is_empty() || text == "~" || text == "null" {
            Value::Null
        } else {
            Value::Scalar(text.to_string())
        };
        Node { pos, value }
    }

    fn unterminated(&mut self, pos: Position, quote: char) {
        self.findings.push(
            Finding::error(
                "YAML_UNTERMINATED_QUOTE",
                format!("the quoted value opened here has no closing `{quote}`: YAML reads on into the next lines"),
                pos,
            )
            .with_fix(format!(
                "close the quote at the end of the value (e.g. `{quote}1.0{quote}`)"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_maps_and_lists_keep_positions() {
        let p = parse("a:\n  b: 1\n  c:\n  - x\n  - k: v\n    j: w\nd: |\n  [default]\n  k = v\n");
        assert!(p.findings.is_empty(), "{:?}", p.findings);
        let root = &p.docs[0];
        assert_eq!(root.path(&["a", "b"]).and_then(Node::str), Some("1"));
        let c = root.path(&["a", "c"]).unwrap();
        assert_eq!(c.items().len(), 2);
        assert_eq!(c.items()[1].get("j").and_then(Node::str), Some("w"));
        assert_eq!(c.items()[1].get("j").unwrap().pos.line, 6);
        let d = root.get("d").unwrap();
        assert_eq!(d.str(), Some("[default]\nk = v"));
        assert_eq!((d.pos.line, d.pos.column), (8, 3));
    }

    #[test]
    fn tabs_elisions_and_quotes_are_reported() {
        let p = parse("...\na:\n\tb: \"x\n");
        let codes: Vec<_> = p
            .findings
            .iter()
            .map(|f| (f.code, f.position.line, f.position.column))
            .collect();
        assert!(codes.contains(&("YAML_TAB_INDENTATION", 3, 1)), "{codes:?}");
        assert!(codes.contains(&("YAML_ELISION", 1, 1)), "{codes:?}");
        assert!(codes.contains(&("YAML_UNTERMINATED_QUOTE", 3, 5)), "{codes:?}");
        assert_eq!(p.docs[0].path(&["a", "b"]).and_then(Node::str), Some("x"));
    }

    #[test]
    fn keys_under_a_scalar_item_go_to_the_enclosing_mapping() {
        let p = parse("- action:\n  - a\n    effect: Allow\n");
        assert!(p.findings.iter().any(|f| f.code == "YAML_BAD_INDENTATION"));
        assert_eq!(p.docs[0].items()[0].get("effect").and_then(Node::str), Some("Allow"));
    }

    #[test]
    fn garbage_does_not_panic() {
        for text in [
            "",
            "-",
            ":",
            "- - -",
            "a: [",
            "'",
            "\t\t-\n\t-",
            "a:\n   - b\n  c",
            "x: |\n\n",
        ] {
            let _ = parse(text);
        }
    }
}
