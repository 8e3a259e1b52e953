//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}`,
//! and the escapes `${*}`, `${?}`, `${$}` — substituted only under Version
//! 2012-10-17; under 2008-10-17 the text is literal.

use crate::request::{Context, ContextValue};
use crate::wildcard::{self, Atom};

/// Text with variables, compiled once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Policy text: its `*` and `?` are wildcards in `...Like` and resources.
    Text(Box<str>),
    /// `${*}`, `${?}` or `${$}`: a literal character, never a wildcard.
    Escaped(&'static str),
    /// `${key}` or `${key, 'default'}`; the key is stored lower-cased.
    Var {
        key: Box<str>,
        hash: u64,
        default: Option<Box<str>>,
    },
}

impl Template {
    /// Compiles `text`; `variables` is false under Version 2008-10-17.
    pub fn new(text: &str, variables: bool) -> Template {
        let mut parts = Vec::new();
        let mut rest = text;
        // Under 2008-10-17 the whole text is literal.
        while let Some(open) = rest.find("${").filter(|_| variables) {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let inner = &rest[open + 2..open + close];
            if open > 0 {
                parts.push(Part::Text(rest[..open].into()));
            }
            parts.push(parse_variable(inner));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() || parts.is_empty() {
            parts.push(Part::Text(rest.into()));
        }
        Template { parts }
    }

    /// The template's atoms with variables resolved from `ctx`; `like` makes
    /// `*` and `?` in policy text wildcards. `None` when a variable has no
    /// value and no default: the policy value is then null and matches nothing.
    pub fn atoms<'a>(&'a self, ctx: &'a Context, like: bool) -> Option<Vec<Atom<'a>>> {
        let mut out = Vec::with_capacity(self.parts.len() + 2);
        for part in &self.parts {
            match part {
                Part::Text(t) if like => wildcard::push_pattern(t, &mut |a| out.push(a)),
                Part::Text(t) => out.push(Atom::Lit(t)),
                Part::Escaped(c) => out.push(Atom::Lit(c)),
                Part::Var { key, hash, default } => match ctx.get_hashed(*hash, key) {
                    // Only single-valued keys can be substituted.
                    Some(ContextValue::Single(v)) => out.push(Atom::Lit(v)),
                    _ => out.push(Atom::Lit(default.as_deref()?)),
                },
            }
        }
        Some(out)
    }

    /// The constant text (for templates without variables), escapes resolved.
    pub fn constant_text(&self) -> Option<String> {
        let mut s = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => s.push_str(t),
                Part::Escaped(c) => s.push_str(c),
                Part::Var { .. } => return None,
            }
        }
        Some(s)
    }
}

fn parse_variable(inner: &str) -> Part {
    match inner.trim() {
        "*" => return Part::Escaped("*"),
        "?" => return Part::Escaped("?"),
        "$" => return Part::Escaped("$"),
        _ => {}
    }
    // `${key, 'default'}`: the default is single-quoted after a comma.
    if let Some((key, default)) = inner.split_once(',') {
        let default = default.trim();
        if let Some(d) = default.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')) {
            return variable(key, Some(d));
        }
    }
    variable(inner, None)
}

fn variable(key: &str, default: Option<&str>) -> Part {
    let key = key.trim().to_ascii_lowercase();
    Part::Var {
        hash: crate::request::key_hash(&key),
        key: key.into(),
        default: default.map(Into::into),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(t: &Template, ctx: &Context) -> Option<String> {
        t.atoms(ctx, false).map(|atoms| {
            atoms
                .iter()
                .map(|a| match a {
                    Atom::Lit(s) => *s,
                    _ => "",
                })
                .collect()
        })
    }

    #[test]
    fn substitutes_variables() {
        let ctx = Context::new().with("aws:username", "bob");
        let t = Template::new("home/${aws:UserName}/*", true);
        assert_eq!(resolve(&t, &ctx).unwrap(), "home/bob/*");
        let t = Template::new("${aws:PrincipalTag/team, 'company-wide'}", true);
        assert_eq!(resolve(&t, &ctx).unwrap(), "company-wide");
        let t = Template::new("${aws:missing}", true);
        assert_eq!(resolve(&t, &ctx), None);
        let t = Template::new("a${*}b${?}${$}", true);
        assert_eq!(t.constant_text().unwrap(), "a*b?$");
    }

    #[test]
    fn legacy_version_keeps_text() {
        let t = Template::new("home/${aws:username}", false);
        assert_eq!(t.constant_text().unwrap(), "home/${aws:username}");
    }

    #[test]
    fn escapes_are_literal_in_like() {
        let ctx = Context::new();
        let t = Template::new("a${*}", true);
        let atoms = t.atoms(&ctx, true).unwrap();
        assert!(wildcard::matches(&atoms, "a*"));
        assert!(!wildcard::matches(&atoms, "ab"));
    }
}
