//! The demo for a person: each step, its calls, who decided and why.

use std::fmt::Write as _;

use rolechain_policy::Severity;
use rolechain_policy::authorize::MatchedStatement;
use rolechain_policy::lint::LintReport;
use serde_json::Value;

use super::chain::{Call, Step};
use crate::cli::output::{Color, Style};

pub fn walk(steps: &[Step], endpoint: &str, evaluator: &str, style: Style) -> String {
    let mut out = String::new();
    let by = match evaluator {
        "native" => "the engine, natively (--evaluator native)",
        _ => "rolechain_policy.wasm, run by wasmtime",
    };
    let _ = writeln!(
        out,
        "{}",
        style.bold("rolechain demo: the seed's IRSA chain, over the wire, every decision explained")
    );
    let _ = writeln!(
        out,
        "{}",
        style.color(
            Color::Cyan,
            &format!(
                "emulator at {endpoint} with the seed's world; the client is the AWS SDK for Rust; decisions by {by}"
            )
        )
    );
    for (i, step) in steps.iter().enumerate() {
        let mark = if step.held {
            style.color(Color::Green, "holds")
        } else {
            style.color(Color::Red, "DOES NOT HOLD")
        };
        let _ = writeln!(out, "\n{}. {}", i + 1, style.bold(step.title));
        let _ = writeln!(out, "   expected: {} — {mark}", step.expectation);
        // After the jump the same decisions come again; the calls tell the story (--json has them all).
        let with_decisions = step.id != "expiry";
        for call in &step.calls {
            render_call(&mut out, call, with_decisions, style);
        }
        render_detail(&mut out, step, style);
    }
    let held = steps.iter().filter(|s| s.held).count();
    let summary = format!("\n{held} of {} steps behave as IRSA promises.", steps.len());
    let _ = writeln!(
        out,
        "{}",
        if held == steps.len() {
            style.color(Color::Green, &summary)
        } else {
            style.color(Color::Red, &summary)
        }
    );
    out
}

fn render_call(out: &mut String, call: &Call, with_decisions: bool, style: Style) {
    let label = if call.label.is_empty() {
        String::new()
    } else {
        format!("{}: ", call.label)
    };
    let outcome = match &call.error_code {
        None => style.color(Color::Green, "OK"),
        Some(code) => style.color(Color::Red, code),
    };
    let _ = writeln!(out, "   {label}{} by {} → {outcome}", call.operation, call.caller);
    let decisions = if with_decisions { &call.decisions[..] } else { &[] };
    for decision in decisions {
        let verdict = decision["decision"].as_str().unwrap_or("?");
        let verdict = if verdict == "allowed" {
            style.color(Color::Green, "allowed")
        } else {
            style.color(Color::Red, verdict)
        };
        let _ = writeln!(
            out,
            "     {} on {}: {verdict}",
            decision["action"].as_str().unwrap_or_default(),
            decision["resource"].as_str().unwrap_or_default()
        );
        let statements: Vec<MatchedStatement> =
            serde_json::from_value(decision["decidingStatements"].clone()).unwrap_or_default();
        for st in statements {
            let sid = st.sid.as_deref().map(|s| format!(" (Sid {s})")).unwrap_or_default();
            let _ = writeln!(
                out,
                "       decided by statement {}{sid} of {} [{}], line {}, column {}",
                st.statement_index,
                st.policy_id,
                st.policy_type.phrase(),
                st.line,
                st.column
            );
        }
    }
    if let Some(message) = &call.error_message {
        let _ = writeln!(out, "     {}", style.color(Color::Yellow, message));
    }
}

fn render_detail(out: &mut String, step: &Step, style: Style) {
    let d = &step.detail;
    match step.id {
        "token" => {
            let _ = writeln!(
                out,
                "   iss {}\n   sub {}, aud {}, expires {} (kid {})",
                text(&d["iss"]),
                text(&d["sub"]),
                text(&d["aud"]),
                text(&d["expiration"]),
                text(&d["kid"])
            );
        }
        "assumeRoleWithWebIdentity" | "assumeRole" if !d["assumedRole"].is_null() => {
            let _ = writeln!(
                out,
                "   session {} until {}",
                text(&d["assumedRole"]),
                text(&d["expiration"])
            );
        }
        "getItem" => {
            let _ = writeln!(out, "   item {}", d["item"]);
        }
        "credentialIsolation" => {
            let _ = writeln!(out, "   the token's subject was {}", text(&d["sub"]));
        }
        "auditability" => {
            for e in d["events"].as_array().into_iter().flatten() {
                let outcome = match e["errorCode"].as_str() {
                    Some(code) => style.color(Color::Red, code),
                    None => style.color(Color::Green, "ok"),
                };
                let _ = writeln!(
                    out,
                    "   {} {:<28} {:<34} {outcome}  {}",
                    text(&e["eventTime"]),
                    text(&e["eventSource"]),
                    text(&e["eventName"]),
                    text(&e["caller"])
                );
            }
        }
        "expiry" => {
            let _ = writeln!(
                out,
                "   virtual clock {} → {}",
                text(&d["jumpedFrom"]),
                text(&d["jumpedTo"])
            );
        }
        _ => {}
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

pub fn lint(report: &LintReport, style: Style) -> String {
    let mut out = String::new();
    let errors = report.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let _ = writeln!(
        out,
        "\n{}\n   {} findings, {errors} of them errors AWS would refuse (emulator/seed/README.md has the corrections):",
        style.bold("Before deploying: `rolechain lint` on the post's trust policy, as published"),
        report.findings.len()
    );
    for f in &report.findings {
        let color = if f.severity == Severity::Error {
            Color::Red
        } else {
            Color::Yellow
        };
        let _ = writeln!(
            out,
            "   {}:{} {} {}",
            f.position.line,
            f.position.column,
            style.color(color, f.code),
            f.message
        );
    }
    out
}
