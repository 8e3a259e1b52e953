//! `*` and `?` matching, as IAM uses it in actions, resources and `...Like`.
//!
//! A pattern is a sequence of atoms: literal text, `?` (exactly one
//! character) and `*` (any run, including none). Literal text may itself
//! contain `*` or `?` (from `${*}` or a substituted variable), which is why
//! patterns are atoms and not strings.
//!
//! Matching is greedy over the pieces between stars: the first piece must be
//! a prefix, the last a suffix, and each middle piece is taken at its
//! leftmost occurrence — which is always correct for glob patterns and never
//! backtracks, so no pattern makes matching exponential. With literal pieces
//! the search is `str::find` (linear); a piece holding `?` is tried at each
//! position, `O(text × piece)` at worst.

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Atom<'a> {
    /// Text that must appear as is.
    Lit(&'a str),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters.
    Star,
}

/// An owned pattern, compiled once from policy text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    atoms: Vec<OwnedAtom>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum OwnedAtom {
    Lit(Box<str>),
    One,
    Star,
}

/// Anything that reads as an atom: borrowed atoms and the owned ones of a [`Glob`].
trait AsAtom {
    fn atom(&self) -> Atom<'_>;
}

impl AsAtom for Atom<'_> {
    #[inline(always)]
    fn atom(&self) -> Atom<'_> {
        *self
    }
}

impl AsAtom for OwnedAtom {
    fn atom(&self) -> Atom<'_> {
        match self {
            OwnedAtom::Lit(s) => Atom::Lit(s),
            OwnedAtom::One => Atom::One,
            OwnedAtom::Star => Atom::Star,
        }
    }
}

impl Glob {
    /// Compiles `pattern`, where `*` and `?` are wildcards.
    pub fn new(pattern: &str) -> Glob {
        let mut atoms = Vec::new();
        push_pattern(pattern, &mut |a| {
            atoms.push(match a {
                Atom::Lit(s) => OwnedAtom::Lit(s.into()),
                Atom::One => OwnedAtom::One,
                Atom::Star => OwnedAtom::Star,
            })
        });
        Glob { atoms }
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        // Most action patterns are `service:Action` or `service:Prefix*`, and
        // most statements fail on their actions: these shapes skip the
        // general matcher (which gives the same answer for them).
        match self.atoms.as_slice() {
            [OwnedAtom::Lit(literal)] => **literal == *text,
            [OwnedAtom::Lit(prefix), OwnedAtom::Star] => text.starts_with(&**prefix),
            [OwnedAtom::Star] => true,
            atoms => matches_atoms(atoms, text),
        }
    }

    /// True for `*` alone, which matches everything.
    pub fn is_match_all(&self) -> bool {
        matches!(self.atoms.as_slice(), [OwnedAtom::Star])
    }

    pub fn has_wildcards(&self) -> bool {
        self.atoms.iter().any(|a| !matches!(a, OwnedAtom::Lit(_)))
    }
}

/// Splits `pattern` into atoms, treating `*` and `?` as wildcards.
pub fn push_pattern<'a>(pattern: &'a str, push: &mut impl FnMut(Atom<'a>)) {
    let mut start = 0;
    for (i, b) in pattern.bytes().enumerate() {
        if b == b'*' || b == b'?' {
            if start < i {
                push(Atom::Lit(&pattern[start..i]));
            }
            push(if b == b'*' { Atom::Star } else { Atom::One });
            start = i + 1;
        }
    }
    if start < pattern.len() {
        push(Atom::Lit(&pattern[start..]));
    }
}

/// Whether the whole of `text` matches the pattern given as atoms.
pub fn matches(atoms: &[Atom<'_>], text: &str) -> bool {
    matches_atoms(atoms, text)
}

fn matches_atoms<T: AsAtom>(atoms: &[T], text: &str) -> bool {
    let mut pieces = atoms.split(|a| matches!(a.atom(), Atom::Star));
    let Some(first) = pieces.next() else {
        return text.is_empty();
    };
    let Some(mut after_prefix) = match_piece_at(first, text, 0) else {
        return false;
    };
    // No star at all: the one piece must cover the text exactly.
    let Some(last) = pieces.next_back() else {
        return after_prefix == text.len();
    };
    let Some(suffix_start) = suffix_start(last, text) else {
        return false;
    };
    if suffix_start < after_prefix {
        return false;
    }
    let middle_text = &text[..suffix_start];
    for piece in pieces {
        match find_piece(piece, middle_text, after_prefix) {
            Some(end) => after_prefix = end,
            None => return false,
        }
    }
    true
}

/// Matches `piece` (no stars) starting at byte `at`; returns where it ends.
fn match_piece_at<T: AsAtom>(piece: &[T], text: &str, mut at: usize) -> Option<usize> {
    for atom in piece {
        match atom.atom() {
            Atom::Lit(s) => {
                if !text.get(at..)?.starts_with(s) {
                    return None;
                }
                at += s.len();
            }
            Atom::One => at += text.get(at..)?.chars().next()?.len_utf8(),
            Atom::Star => return None,
        }
    }
    Some(at)
}

/// Finds the leftmost place at or after `from` where `piece` matches; returns its end.
fn find_piece<T: AsAtom>(piece: &[T], text: &str, from: usize) -> Option<usize> {
    if piece.is_empty() {
        return Some(from);
    }
    let mut start = from;
    loop {
        if let Some(Atom::Lit(first)) = piece.first().map(AsAtom::atom) {
            // Jump straight to the next occurrence of the leading literal
            // (a one-byte literal, such as `:`, with a plain byte scan).
            let rest = text.get(start..)?;
            start += match first.as_bytes() {
                [b] => rest.bytes().position(|c| c == *b)?,
                _ => rest.find(first)?,
            };
        }
        if let Some(end) = match_piece_at(piece, text, start) {
            return Some(end);
        }
        start += text.get(start..)?.chars().next()?.len_utf8();
    }
}

/// Where `piece` must start so that it ends exactly at the end of `text`.
fn suffix_start<T: AsAtom>(piece: &[T], text: &str) -> Option<usize> {
    // A piece has a fixed length in characters: count them from the end.
    let mut start = text.len();
    for atom in piece.iter().rev() {
        match atom.atom() {
            Atom::Lit(s) => start = start.checked_sub(s.len())?,
            Atom::One => start -= text.get(..start)?.chars().next_back()?.len_utf8(),
            Atom::Star => return None,
        }
        if !text.is_char_boundary(start) {
            return None;
        }
    }
    (match_piece_at(piece, text, start) == Some(text.len())).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_globs() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "a", false),
            ("a", "a", true),
            ("a", "ab", false),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("a*c", "ac", true),
            ("a*c", "ab", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXcYb", false),
            ("*a*a*", "aa", true),
            ("*a*a*", "a", false),
            ("?", "é", true),
            ("??", "é", false),
            ("dynamodb:get*", "dynamodb:getitem", true),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/x", true),
            ("a*ab", "aab", true),
            ("*ab*ab", "abab", true),
            ("*?b", "b", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(Glob::new(p).matches(t), want, "{p:?} vs {t:?}");
        }
    }

    #[test]
    fn literal_wildcard_characters_are_not_wildcards() {
        // `${*}` substitutes a literal star: it must match only a star.
        let atoms = [Atom::Lit("a*")];
        assert!(matches(&atoms, "a*"));
        assert!(!matches(&atoms, "ab"));
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let text = "a".repeat(20_000);
        let pattern = format!("{}b", "a*".repeat(2_000));
        assert!(!Glob::new(&pattern).matches(&text));
    }
}
