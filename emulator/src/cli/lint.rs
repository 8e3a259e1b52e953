//! `rolechain lint`: every finding of each policy document, with the file, the
//! line, the column and a fix — for a person (human) or a program (json).
//!
//! Exit status: 0 when no document has an error, 1 when one has, 2 for usage
//! and I/O problems (the caller's `Err`).

use std::fmt::Write as _;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use rolechain_policy::lint::{LintReport, lint_bytes};
use rolechain_policy::{Finding, PolicyKind, Severity};
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// What the documents are attached to; inferred from each document when omitted.
    #[arg(
        long,
        value_name = "KIND",
        value_parser = PossibleValuesParser::new(PolicyKind::ALL.map(|k| k.name()))
            .try_map(|name| PolicyKind::from_name(&name).ok_or("unknown policy kind")),
    )]
    kind: Option<PolicyKind>,
    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Policy documents to check; `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// `file:line:column: severity[CODE]: message`, the source line, a caret and the fix.
    Human,
    /// One JSON array: `[{"file", "kind", "kindInferred", "findings"}]`.
    Json,
}

/// One linted input: its name as given, its text (for quoting lines) and the report.
#[derive(Debug)]
struct Linted {
    name: String,
    text: String,
    report: LintReport,
}

#[derive(Debug, Serialize)]
struct JsonEntry<'a> {
    file: &'a str,
    #[serde(flatten)]
    report: &'a LintReport,
}

pub fn run(args: LintArgs) -> Result<ExitCode, String> {
    let mut inputs = Vec::with_capacity(args.files.len());
    for path in &args.files {
        inputs.push(read(path)?);
    }
    let linted: Vec<Linted> = inputs
        .into_iter()
        .map(|(name, bytes)| Linted {
            report: lint_bytes(&bytes, args.kind),
            text: String::from_utf8_lossy(&bytes).into_owned(),
            name,
        })
        .collect();
    let out = match args.format {
        Format::Human => human(&linted, Paint::for_stdout()),
        Format::Json => {
            let entries: Vec<JsonEntry<'_>> = linted
                .iter()
                .map(|l| JsonEntry {
                    file: &l.name,
                    report: &l.report,
                })
                .collect();
            let mut json = serde_json::to_string_pretty(&entries).map_err(|e| format!("cannot write JSON: {e}"))?;
            json.push('\n');
            json
        }
    };
    print!("{out}");
    let failed = linted.iter().any(|l| l.report.has_errors());
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The bytes of `path` (standard input for `-`) and the name to show for it.
fn read(path: &PathBuf) -> Result<(String, Vec<u8>), String> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(("<stdin>".to_string(), bytes));
    }
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => Ok((name, bytes)),
        Err(e) => Err(format!("cannot read {name}: {}", io_reason(&e))),
    }
}

/// `No such file or directory` rather than `No such file or directory (os error 2)`.
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

// ---------------------------------------------------------------------------
// Human output
// ---------------------------------------------------------------------------

/// Columns a tab advances to (the next multiple of this).
const TAB_WIDTH: usize = 4;

fn human(linted: &[Linted], paint: Paint) -> String {
    let mut out = String::new();
    for (i, l) in linted.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let lines: Vec<&str> = l.text.split('\n').collect();
        let width = l
            .report
            .findings
            .iter()
            .map(|f| f.position.line.to_string().len())
            .max()
            .unwrap_or(1);
        for f in &l.report.findings {
            finding(&mut out, &l.name, &lines, f, width, paint);
            out.push('\n');
        }
        summary(&mut out, l, paint);
    }
    out
}

fn finding(out: &mut String, file: &str, lines: &[&str], f: &Finding, width: usize, paint: Paint) {
    let (label, color) = match f.severity {
        Severity::Error => ("error", Color::Red),
        Severity::SecurityWarning => ("security-warning", Color::Magenta),
        Severity::Warning => ("warning", Color::Yellow),
        Severity::Suggestion => ("suggestion", Color::Cyan),
    };
    let pos = f.position;
    let _ = writeln!(
        out,
        "{}: {}: {}",
        paint.bold(&format!("{file}:{}:{}", pos.line, pos.column)),
        paint.color(color, &format!("{label}[{}]", f.code)),
        f.message
    );
    let source = (pos.line as usize)
        .checked_sub(1)
        .and_then(|i| lines.get(i))
        .map(|l| l.trim_end_matches('\r'));
    let blank = " ".repeat(width);
    if let Some(source) = source {
        let shown = expand_tabs(source);
        let before: String = source.chars().take((pos.column as usize).saturating_sub(1)).collect();
        let caret_at = expand_tabs(&before).chars().count();
        let _ = writeln!(
            out,
            "    {} {} {}",
            paint.color(Color::Blue, &format!("{:>width$}", pos.line)),
            paint.color(Color::Blue, "|"),
            shown.trim_end()
        );
        let _ = writeln!(
            out,
            "    {blank} {} {}{}",
            paint.color(Color::Blue, "|"),
            " ".repeat(caret_at),
            paint.color(color, "^")
        );
    }
    if let Some(fix) = &f.fix {
        let _ = writeln!(out, "    {blank} {} {fix}", paint.color(Color::Blue, "= fix:"));
    }
}

fn summary(out: &mut String, l: &Linted, paint: Paint) {
    let r = &l.report;
    let plural = |n: usize, one: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let counts = format!(
        "{}, {}, {}, {}",
        plural(r.count(Severity::Error), "error"),
        plural(r.count(Severity::SecurityWarning), "security warning"),
        plural(r.count(Severity::Warning), "warning"),
        plural(r.count(Severity::Suggestion), "suggestion"),
    );
    let kind = if r.kind_inferred {
        format!("kind: {}, inferred", r.kind)
    } else {
        format!("kind: {}", r.kind)
    };
    let counts = if r.has_errors() {
        paint.color(Color::Red, &counts)
    } else {
        paint.color(Color::Green, &counts)
    };
    let _ = writeln!(out, "{}: {counts} ({kind})", paint.bold(&l.name));
}

/// `text` with each tab replaced by the spaces up to the next tab stop.
fn expand_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut col = 0;
    for c in text.chars() {
        if c == '\t' {
            let n = TAB_WIDTH - col % TAB_WIDTH;
            out.extend(std::iter::repeat_n(' ', n));
            col += n;
        } else {
            out.push(if c.is_control() { ' ' } else { c });
            col += 1;
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Color {
    Red,
    Magenta,
    Yellow,
    Cyan,
    Blue,
    Green,
}

/// ANSI colour, only when stdout is a terminal and NO_COLOR is not set (no-color.org).
#[derive(Debug, Clone, Copy)]
struct Paint {
    on: bool,
}

impl Paint {
    fn for_stdout() -> Paint {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Paint {
            on: std::io::stdout().is_terminal() && !no_color,
        }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    fn color(self, color: Color, text: &str) -> String {
        let code = match color {
            Color::Red => "1;31",
            Color::Magenta => "1;35",
            Color::Yellow => "1;33",
            Color::Cyan => "1;36",
            Color::Blue => "1;34",
            Color::Green => "1;32",
        };
        self.wrap(code, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_expand_to_stops() {
        assert_eq!(expand_tabs("\t\t{"), "        {");
        assert_eq!(expand_tabs("ab\tc"), "ab  c");
        assert_eq!(expand_tabs("a\u{1}b"), "a b");
    }

    #[test]
    fn the_caret_lines_up_under_tabs() {
        let text = "{\n\t\"Statement\": {\n\t\t{\n}".to_string();
        let report = lint_bytes(text.as_bytes(), None);
        let l = Linted {
            name: "t.json".into(),
            text,
            report,
        };
        let out = human(&[l], Paint { on: false });
        assert!(out.contains("t.json:3:3: error[JSON_SYNTAX_ERROR]: "), "{out}");
        assert!(
            out.contains("    3 |         {\n      |         ^\n      = fix: "),
            "{out}"
        );
    }

    #[test]
    fn os_error_suffix_is_dropped() {
        let e = std::io::Error::from_raw_os_error(2);
        assert!(!io_reason(&e).contains("os error"));
    }
}
