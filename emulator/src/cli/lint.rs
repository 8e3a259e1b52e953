//! `rolechain lint`: every finding of each policy document and each Kubernetes
//! or ccoctl artefact (CredentialsRequest, Deployment/Pod, Secret, the
//! `ccoctl aws create-iam-roles` command), with the file, the line, the column
//! and a fix — for a person (human) or a program (json). Files linted together
//! are also checked against each other (see `rolechain::artefacts`).
//!
//! Exit status: 0 when no document has an error, 1 when one has, 2 for usage
//! and I/O problems (the caller's `Err`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use rolechain_policy::lint::{LintReport, lint_bytes};
use rolechain_policy::{Finding, PolicyKind, Severity};
use serde::Serialize;

use super::output::{Color, Style, read_bytes};
use rolechain::artefacts::{self, Input};

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
    /// Policy documents, manifests or ccoctl commands to check; `-` reads standard input.
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
    report: Report,
}

/// A policy document's report, or an artefact's.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Report {
    Policy(LintReport),
    Artefact(ArtefactReport),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtefactReport {
    kind: &'static str,
    kind_inferred: bool,
    findings: Vec<Finding>,
}

impl Report {
    fn findings(&self) -> &[Finding] {
        match self {
            Report::Policy(r) => &r.findings,
            Report::Artefact(r) => &r.findings,
        }
    }

    fn has_errors(&self) -> bool {
        self.findings().iter().any(|f| f.severity == Severity::Error)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings().iter().filter(|f| f.severity == severity).count()
    }

    /// `kind: X` or `kind: X, inferred`.
    fn kind_label(&self) -> String {
        let (kind, inferred) = match self {
            Report::Policy(r) => (r.kind.to_string(), r.kind_inferred),
            Report::Artefact(r) => (r.kind.to_string(), r.kind_inferred),
        };
        if inferred {
            format!("kind: {kind}, inferred")
        } else {
            format!("kind: {kind}")
        }
    }
}

/// Lints each input as a policy document or an artefact (`--kind` forces policies),
/// then checks them against each other.
fn lint_all(inputs: Vec<(String, Vec<u8>)>, kind: Option<PolicyKind>) -> Vec<Linted> {
    let texts: Vec<String> = inputs
        .iter()
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    let policy: Vec<bool> = texts
        .iter()
        .map(|t| kind.is_some() || !artefacts::is_artefact(t))
        .collect();
    let as_inputs: Vec<Input<'_>> = texts
        .iter()
        .zip(&policy)
        .map(|(t, &p)| if p { Input::Policy(t) } else { Input::Artefact(t) })
        .collect();
    let mut reports = artefacts::lint(&as_inputs).into_iter();
    inputs
        .into_iter()
        .zip(texts)
        .zip(policy)
        .map(|(((name, bytes), text), policy)| {
            let extra = reports.next();
            let report = if policy {
                let mut report = lint_bytes(&bytes, kind);
                if let Some(extra) = extra
                    && !extra.findings.is_empty()
                {
                    report.findings.extend(extra.findings);
                    report.findings.sort_by(|a, b| {
                        (a.position.offset, a.severity, a.code).cmp(&(b.position.offset, b.severity, b.code))
                    });
                }
                Report::Policy(report)
            } else {
                let extra = extra.unwrap_or(artefacts::FileReport {
                    kind: "kubernetes",
                    findings: Vec::new(),
                });
                Report::Artefact(ArtefactReport {
                    kind: extra.kind,
                    kind_inferred: true,
                    findings: extra.findings,
                })
            };
            Linted { name, text, report }
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct JsonEntry<'a> {
    file: &'a str,
    #[serde(flatten)]
    report: &'a Report,
}

pub fn run(args: LintArgs) -> Result<ExitCode, String> {
    let mut inputs = Vec::with_capacity(args.files.len());
    for path in &args.files {
        inputs.push(read_bytes(path)?);
    }
    let linted = lint_all(inputs, args.kind);
    let out = match args.format {
        Format::Human => human(&linted, Style::for_stdout()),
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

// ---------------------------------------------------------------------------
// Human output
// ---------------------------------------------------------------------------

/// Columns a tab advances to (the next multiple of this).
const TAB_WIDTH: usize = 4;

fn human(linted: &[Linted], paint: Style) -> String {
    let mut out = String::new();
    for (i, l) in linted.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let lines: Vec<&str> = l.text.split('\n').collect();
        let width = l
            .report
            .findings()
            .iter()
            .map(|f| f.position.line.to_string().len())
            .max()
            .unwrap_or(1);
        for f in l.report.findings() {
            finding(&mut out, &l.name, &lines, f, width, paint);
            out.push('\n');
        }
        summary(&mut out, l, paint);
    }
    out
}

fn finding(out: &mut String, file: &str, lines: &[&str], f: &Finding, width: usize, paint: Style) {
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

fn summary(out: &mut String, l: &Linted, paint: Style) {
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
    let kind = r.kind_label();
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
        let report = Report::Policy(lint_bytes(text.as_bytes(), None));
        let l = Linted {
            name: "t.json".into(),
            text,
            report,
        };
        let out = human(&[l], Style::plain());
        assert!(out.contains("t.json:3:3: error[JSON_SYNTAX_ERROR]: "), "{out}");
        assert!(
            out.contains("    3 |         {\n      |         ^\n      = fix: "),
            "{out}"
        );
    }
}
