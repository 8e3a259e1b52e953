//! Lexer and recursive-descent parser for DynamoDB's expression grammar
//! ("Condition and filter expressions, operators, and functions", "Update
//! expressions", "Projection expressions" in the Developer Guide).
//!
//! Syntax errors are reported as DynamoDB reports them: the token where
//! reading stopped and the text from the token before it to the token after
//! it (`Syntax error; token: "/", near: "numx / :v"`). Where the grammar is
//! ambiguous (a `(` may open a condition or an operand) both readings are
//! tried and the error of the one that read furthest is kept.

use super::ast::*;

/// Deepest nesting of parentheses, NOT and function calls the parser follows;
/// DynamoDB caps document nesting at 32 and nothing legitimate comes close,
/// while the cap keeps hostile input from exhausting the stack.
const MAX_PARSE_DEPTH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keyword {
    And,
    Or,
    Not,
    Between,
    In,
    Set,
    Remove,
    Add,
    Delete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// A name starting with a letter.
    Ident,
    /// `#name`.
    Name,
    /// `:value`.
    Value,
    /// A list index: `0` or digits not starting with 0.
    Int,
    Kw(Keyword),
    /// One of `= <> < <= > >= ( ) [ ] , . + -`.
    Punct(&'static str),
    /// A character DynamoDB does not accept here.
    Bad,
    Eof,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

fn keyword(word: &str) -> Option<Keyword> {
    Some(match word.to_ascii_uppercase().as_str() {
        "AND" => Keyword::And,
        "OR" => Keyword::Or,
        "NOT" => Keyword::Not,
        "BETWEEN" => Keyword::Between,
        "IN" => Keyword::In,
        "SET" => Keyword::Set,
        "REMOVE" => Keyword::Remove,
        "ADD" => Keyword::Add,
        "DELETE" => Keyword::Delete,
        _ => return None,
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        let start = i;
        let tok = if c.is_ascii_alphabetic() {
            while i < bytes.len() && is_word_byte(bytes[i]) {
                i += 1;
            }
            keyword(&text[start..i]).map_or(Tok::Ident, Tok::Kw)
        } else if c == b'#' || c == b':' {
            i += 1;
            while i < bytes.len() && is_word_byte(bytes[i]) {
                i += 1;
            }
            match (i == start + 1, c) {
                (true, _) => Tok::Bad,
                (false, b'#') => Tok::Name,
                (false, _) => Tok::Value,
            }
        } else if c.is_ascii_digit() {
            i += 1;
            if c != b'0' {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            Tok::Int
        } else {
            let two = bytes.get(i + 1).copied();
            let punct = match (c, two) {
                (b'<', Some(b'>')) => Some("<>"),
                (b'<', Some(b'=')) => Some("<="),
                (b'>', Some(b'=')) => Some(">="),
                (b'=', _) => Some("="),
                (b'<', _) => Some("<"),
                (b'>', _) => Some(">"),
                (b'(', _) => Some("("),
                (b')', _) => Some(")"),
                (b'[', _) => Some("["),
                (b']', _) => Some("]"),
                (b',', _) => Some(","),
                (b'.', _) => Some("."),
                (b'+', _) => Some("+"),
                (b'-', _) => Some("-"),
                _ => None,
            };
            match punct {
                Some(p) => {
                    i += p.len();
                    Tok::Punct(p)
                }
                None => {
                    // One whole character, however many bytes it takes.
                    let width = text[i..].chars().next().map_or(1, char::len_utf8);
                    i += width;
                    Tok::Bad
                }
            }
        };
        toks.push(Token { tok, start, end: i });
    }
    toks.push(Token {
        tok: Tok::Eof,
        start: text.len(),
        end: text.len(),
    });
    toks
}

/// Why parsing stopped.
#[derive(Debug)]
pub(crate) enum ParseError {
    /// DynamoDB's syntax-error text.
    Syntax(String),
    /// Two parentheses straight around the same thing.
    RedundantParentheses,
}

enum Fail {
    Syntax(usize),
    Redundant,
}

type PResult<T> = Result<T, Fail>;

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            toks: tokenize(text),
            pos: 0,
            depth: 0,
        }
    }

    fn peek_at(&self, k: usize) -> Token {
        let last = self.toks.len() - 1;
        self.toks[(self.pos + k).min(last)]
    }

    fn peek(&self) -> Tok {
        self.peek_at(0).tok
    }

    fn text_of(&self, t: Token) -> &'a str {
        &self.text[t.start..t.end]
    }

    fn advance(&mut self) -> Token {
        let t = self.peek_at(0);
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn fail<T>(&self) -> PResult<T> {
        Err(Fail::Syntax(self.pos))
    }

    fn expect(&mut self, tok: Tok) -> PResult<Token> {
        if self.peek() == tok {
            Ok(self.advance())
        } else {
            self.fail()
        }
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if q == p)
    }

    fn end(&self) -> PResult<()> {
        if self.peek() == Tok::Eof { Ok(()) } else { self.fail() }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH {
            self.fail()
        } else {
            Ok(())
        }
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Tries each alternative from the same place; the first that reads wins,
    /// else the syntax error that got furthest (a redundant-parentheses
    /// error stops everything at once, as in DynamoDB).
    fn choose<T>(&mut self, alternatives: &[fn(&mut Self) -> PResult<T>]) -> PResult<T> {
        let (start, depth) = (self.pos, self.depth);
        let mut best: Option<usize> = None;
        for alt in alternatives {
            self.pos = start;
            self.depth = depth;
            match alt(self) {
                Ok(v) => return Ok(v),
                Err(Fail::Redundant) => return Err(Fail::Redundant),
                Err(Fail::Syntax(at)) => best = Some(best.map_or(at, |b: usize| b.max(at))),
            }
        }
        self.pos = start;
        self.depth = depth;
        Err(Fail::Syntax(best.unwrap_or(start)))
    }

    fn syntax_message(&self, at: usize) -> String {
        let at = at.min(self.toks.len() - 1);
        let tok = self.toks[at];
        let shown = if tok.tok == Tok::Eof {
            "<EOF>"
        } else {
            self.text_of(tok)
        };
        let from = if at > 0 { self.toks[at - 1].start } else { 0 };
        let to = self.toks.get(at + 1).map_or(tok.end, |t| t.end);
        format!("Syntax error; token: \"{shown}\", near: \"{}\"", &self.text[from..to])
    }

    // ---- conditions ----

    fn condition(&mut self) -> PResult<CondNode> {
        let mut terms = vec![self.and_condition()?];
        while self.peek() == Tok::Kw(Keyword::Or) {
            self.advance();
            terms.push(self.and_condition()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            CondNode::Or(terms)
        })
    }

    fn and_condition(&mut self) -> PResult<CondNode> {
        let mut terms = vec![self.not_condition()?];
        while self.peek() == Tok::Kw(Keyword::And) {
            self.advance();
            terms.push(self.not_condition()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            CondNode::And(terms)
        })
    }

    fn not_condition(&mut self) -> PResult<CondNode> {
        if self.peek() == Tok::Kw(Keyword::Not) {
            self.advance();
            self.enter()?;
            let inner = self.not_condition()?;
            self.leave();
            return Ok(CondNode::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<CondNode> {
        if self.is_punct("(") {
            return self.choose(&[Self::paren_condition, Self::comparison]);
        }
        self.comparison()
    }

    fn paren_condition(&mut self) -> PResult<CondNode> {
        self.expect(Tok::Punct("("))?;
        self.enter()?;
        let inner = self.condition()?;
        self.expect(Tok::Punct(")"))?;
        self.leave();
        if matches!(inner, CondNode::Paren(_)) {
            return Err(Fail::Redundant);
        }
        // `(size(a)) = :v`: what looked like a parenthesised condition is an
        // operand; let the comparison reading have it.
        if matches!(
            self.peek(),
            Tok::Punct("=" | "<>" | "<" | "<=" | ">" | ">=") | Tok::Kw(Keyword::Between | Keyword::In)
        ) {
            return self.fail();
        }
        Ok(CondNode::Paren(Box::new(inner)))
    }

    fn comparison(&mut self) -> PResult<CondNode> {
        let left = self.operand()?;
        let cmp = match self.peek() {
            Tok::Punct("=") => Some(Comparator::Eq),
            Tok::Punct("<>") => Some(Comparator::Ne),
            Tok::Punct("<") => Some(Comparator::Lt),
            Tok::Punct("<=") => Some(Comparator::Le),
            Tok::Punct(">") => Some(Comparator::Gt),
            Tok::Punct(">=") => Some(Comparator::Ge),
            _ => None,
        };
        if let Some(cmp) = cmp {
            self.advance();
            let right = self.operand()?;
            return Ok(CondNode::Compare(cmp, left, right));
        }
        match self.peek() {
            Tok::Kw(Keyword::Between) => {
                self.advance();
                let low = self.operand()?;
                self.expect(Tok::Kw(Keyword::And))?;
                let high = self.operand()?;
                Ok(CondNode::Between(left, low, high))
            }
            Tok::Kw(Keyword::In) => {
                self.advance();
                self.expect(Tok::Punct("("))?;
                let mut list = vec![self.operand()?];
                while self.is_punct(",") {
                    self.advance();
                    list.push(self.operand()?);
                }
                self.expect(Tok::Punct(")"))?;
                Ok(CondNode::In(left, list))
            }
            _ => match left {
                Operand::Call(call) => Ok(CondNode::Call(call)),
                _ => self.fail(),
            },
        }
    }

    fn operand(&mut self) -> PResult<Operand> {
        match self.peek() {
            Tok::Value => {
                let t = self.advance();
                Ok(Operand::Value(self.text_of(t).to_string()))
            }
            Tok::Punct("(") => {
                self.advance();
                self.enter()?;
                let inner = self.operand()?;
                self.expect(Tok::Punct(")"))?;
                self.leave();
                if matches!(inner, Operand::Paren(_)) {
                    return Err(Fail::Redundant);
                }
                Ok(Operand::Paren(Box::new(inner)))
            }
            Tok::Ident if self.peek_at(1).tok == Tok::Punct("(") => self.call(),
            Tok::Ident | Tok::Name => Ok(Operand::Path(self.path()?)),
            _ => self.fail(),
        }
    }

    fn call(&mut self) -> PResult<Operand> {
        let name_tok = self.advance();
        self.expect(Tok::Punct("("))?;
        self.enter()?;
        let mut args = vec![self.operand()?];
        while self.is_punct(",") {
            self.advance();
            args.push(self.operand()?);
        }
        self.expect(Tok::Punct(")"))?;
        self.leave();
        Ok(Operand::Call(Call {
            name: self.text_of(name_tok).to_string(),
            args,
        }))
    }

    fn path(&mut self) -> PResult<DocPath> {
        let first = self.peek_at(0);
        let mut parts = vec![match first.tok {
            Tok::Ident => PathPart::Name(self.text_of(first).to_string()),
            Tok::Name => PathPart::Placeholder(self.text_of(first).to_string()),
            _ => return self.fail(),
        }];
        self.advance();
        loop {
            if self.is_punct(".") {
                self.advance();
                let t = self.peek_at(0);
                parts.push(match t.tok {
                    Tok::Ident => PathPart::Name(self.text_of(t).to_string()),
                    Tok::Name => PathPart::Placeholder(self.text_of(t).to_string()),
                    _ => return self.fail(),
                });
                self.advance();
            } else if self.is_punct("[") {
                self.advance();
                let t = self.expect(Tok::Int)?;
                self.expect(Tok::Punct("]"))?;
                parts.push(PathPart::Index(self.text_of(t).to_string()));
            } else {
                return Ok(DocPath { parts });
            }
        }
    }

    // ---- updates ----

    fn update(&mut self) -> PResult<Vec<Clause>> {
        let mut clauses = Vec::new();
        loop {
            let kind = match self.peek() {
                Tok::Kw(Keyword::Set) => ClauseKind::Set,
                Tok::Kw(Keyword::Remove) => ClauseKind::Remove,
                Tok::Kw(Keyword::Add) => ClauseKind::Add,
                Tok::Kw(Keyword::Delete) => ClauseKind::Delete,
                _ => return self.fail(),
            };
            self.advance();
            let mut actions = vec![self.action(kind)?];
            while self.is_punct(",") {
                self.advance();
                actions.push(self.action(kind)?);
            }
            clauses.push(Clause { kind, actions });
            if self.peek() == Tok::Eof {
                return Ok(clauses);
            }
        }
    }

    fn action(&mut self, kind: ClauseKind) -> PResult<Action> {
        let path = self.path()?;
        let value = match kind {
            ClauseKind::Remove => None,
            ClauseKind::Add | ClauseKind::Delete => {
                let t = self.expect(Tok::Value)?;
                Some(Operand::Value(self.text_of(t).to_string()))
            }
            ClauseKind::Set => {
                self.expect(Tok::Punct("="))?;
                let left = self.operand()?;
                let op = match self.peek() {
                    Tok::Punct("+") => Some(ArithOp::Plus),
                    Tok::Punct("-") => Some(ArithOp::Minus),
                    _ => None,
                };
                Some(match op {
                    Some(op) => {
                        self.advance();
                        let right = self.operand()?;
                        Operand::Arith(op, Box::new(left), Box::new(right))
                    }
                    None => left,
                })
            }
        };
        Ok(Action { path, value })
    }

    // ---- projections ----

    fn projection(&mut self) -> PResult<Vec<DocPath>> {
        let mut paths = vec![self.path()?];
        while self.is_punct(",") {
            self.advance();
            paths.push(self.path()?);
        }
        Ok(paths)
    }

    fn finish<T>(&self, result: PResult<T>) -> Result<T, ParseError> {
        let result = result.and_then(|v| self.end().map(|_| v));
        result.map_err(|e| match e {
            Fail::Redundant => ParseError::RedundantParentheses,
            Fail::Syntax(at) => ParseError::Syntax(self.syntax_message(at)),
        })
    }
}

pub(crate) fn parse_condition_text(text: &str) -> Result<CondNode, ParseError> {
    let mut p = Parser::new(text);
    let r = p.condition();
    p.finish(r)
}

pub(crate) fn parse_update_text(text: &str) -> Result<Vec<Clause>, ParseError> {
    let mut p = Parser::new(text);
    let r = p.update();
    p.finish(r)
}

pub(crate) fn parse_projection_text(text: &str) -> Result<Vec<DocPath>, ParseError> {
    let mut p = Parser::new(text);
    let r = p.projection();
    p.finish(r)
}
