//! `rolechain demo`: the seed's chain, hop by hop, with every decision explained.
//!
//! Until the emulator serves the chain over the wire, the demo runs each hop's
//! authorization through the policy engine — compiled to WebAssembly and run
//! by wasmtime, unless `--evaluator native` — with the corrected policies of
//! `emulator/seed/`, then lints the post's trust policy as published.

use std::process::ExitCode;

use rolechain_policy::evaluator::{Evaluator, SetHandle};
use rolechain_policy::lint::{self, LintReport};
use rolechain_policy::wire::{PolicySetSpec, PolicySpec};
use rolechain_policy::{Context, Decision, PolicyKind, Principal, Request, Severity};
use serde::Serialize;

use super::output::{Color, Style};

const ISSUER: &str = "oidc.rolechain.local/my-cluster";
const PROVIDER_ARN: &str = "arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/my-cluster";
const WORKLOAD_ROLE: &str = "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader";
const READER_ROLE: &str = "arn:aws:iam::222222222222:role/dynamodb-reader";
const TABLE: &str = "arn:aws:dynamodb:eu-west-2:222222222222:table/orders";

const CCOCTL_TRUST: &str = include_str!("../../seed/ccoctl-trust-policy.json");
const CCOCTL_PERMISSIONS: &str = include_str!("../../seed/ccoctl-permissions-policy.json");
const READER_TRUST: &str = include_str!("../../seed/trust-policy.json");
const READER_PERMISSIONS: &str = include_str!("../../seed/dynamodb-reader-policy.json");
const TRUST_AS_PUBLISHED: &str = include_str!("../../seed/trust-policy.as-published.json");

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Print the steps as one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Who decides: `wasm` (rolechain_policy.wasm in wasmtime) or `native` (for debugging).
    #[arg(long, default_value = "wasm", value_parser = ["wasm", "native"])]
    evaluator: String,
}

/// One hop or promise of the chain and how it was decided.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Step {
    title: &'static str,
    action: String,
    resource: String,
    caller: String,
    /// What the step expects: the chain works only if every expectation holds.
    expected_allowed: bool,
    decision: Decision,
}

pub fn run(args: DemoArgs) -> Result<ExitCode, String> {
    let evaluator = super::evaluator(&args.evaluator)?;
    let steps = steps(evaluator.as_ref())?;
    let all_as_expected = steps.iter().all(|s| s.decision.is_allowed() == s.expected_allowed);
    // The post's trust policy as published: what lint finds before anything is deployed.
    let as_published = lint::lint(TRUST_AS_PUBLISHED, None);
    if args.json {
        let json = serde_json::json!({
            "evaluator": args.evaluator,
            "steps": steps,
            "allAsExpected": all_as_expected,
            "publishedTrustPolicyLint": as_published,
        });
        println!("{}", serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?);
    } else {
        let style = Style::for_stdout();
        print!("{}", render(&steps, &args.evaluator, style));
        print!("{}", render_lint(&as_published, style));
    }
    Ok(if all_as_expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn policy(kind: PolicyKind, id: &str, text: &str) -> PolicySpec {
    PolicySpec::new(kind, id, text)
}

fn session(role_arn: &str, session: &str) -> Principal {
    let (account, name) = role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(":role/"))
        .unwrap_or_default();
    Principal::AssumedRole {
        arn: format!("arn:aws:sts::{account}:assumed-role/{name}/{session}"),
        role_arn: Some(role_arn.to_string()),
    }
}

fn web_identity_context(subject: &str) -> Context {
    Context::new()
        .with(&format!("{ISSUER}:sub"), subject)
        .with(&format!("{ISSUER}:aud"), "openshift")
        .with("aws:FederatedProvider", PROVIDER_ARN)
}

fn steps(evaluator: &dyn Evaluator) -> Result<Vec<Step>, String> {
    let load = |spec: PolicySetSpec| evaluator.load(&spec).map_err(|e| format!("seed policies: {e}"));
    let workload_trust = load(PolicySetSpec {
        resource: Some(policy(
            PolicyKind::Trust,
            "my-namespace-creds-my-namespace-dev-dynamodb-reader (trust)",
            CCOCTL_TRUST,
        )),
        ..PolicySetSpec::default()
    })?;
    let cross_account = load(PolicySetSpec {
        identity: vec![policy(
            PolicyKind::Identity,
            "my-namespace-creds-my-namespace-dev-dynamodb-reader",
            CCOCTL_PERMISSIONS,
        )],
        resource: Some(policy(PolicyKind::Trust, "dynamodb-reader (trust)", READER_TRUST)),
        ..PolicySetSpec::default()
    })?;
    let reader = load(PolicySetSpec {
        identity: vec![policy(
            PolicyKind::Identity,
            "dynamodb-reader-policy",
            READER_PERMISSIONS,
        )],
        ..PolicySetSpec::default()
    })?;
    let web_identity = Principal::WebIdentity {
        provider: PROVIDER_ARN.into(),
    };
    let workload = session(WORKLOAD_ROLE, "botocore-session-1700000000");
    let reader_session = session(READER_ROLE, "orders-reader");
    let mut steps = Vec::new();
    let mut step = |title,
                    set: SetHandle,
                    principal: &Principal,
                    action: &str,
                    resource: &str,
                    context: Context,
                    expected_allowed| {
        let mut request = Request {
            principal: principal.clone(),
            action: action.into(),
            resource: resource.into(),
            resource_account: None,
            context,
        };
        request.context.add_principal_keys(principal);
        steps.push(Step {
            title,
            action: request.action.clone(),
            resource: request.resource.clone(),
            caller: principal.display_arn(),
            expected_allowed,
            decision: evaluator
                .authorize(set, &request)
                .map_err(|e| format!("{title}: {e}"))?,
        });
        Ok::<(), String>(())
    };
    step(
        "The pod's projected token assumes the ccoctl role (AssumeRoleWithWebIdentity)",
        workload_trust,
        &web_identity,
        "sts:AssumeRoleWithWebIdentity",
        WORKLOAD_ROLE,
        web_identity_context("system:serviceaccount:my-namespace:dev-db-reader"),
        true,
    )?;
    step(
        "The workload role assumes dynamodb-reader in account B (AssumeRole, cross-account)",
        cross_account,
        &workload,
        "sts:AssumeRole",
        READER_ROLE,
        Context::new(),
        true,
    )?;
    step(
        "dynamodb-reader reads an order (GetItem)",
        reader,
        &reader_session,
        "dynamodb:GetItem",
        TABLE,
        Context::new(),
        true,
    )?;
    step(
        "Least privilege: dynamodb-reader cannot write (PutItem)",
        reader,
        &reader_session,
        "dynamodb:PutItem",
        TABLE,
        Context::new(),
        false,
    )?;
    step(
        "Credential isolation: another service account's token is refused",
        workload_trust,
        &web_identity,
        "sts:AssumeRoleWithWebIdentity",
        WORKLOAD_ROLE,
        web_identity_context("system:serviceaccount:my-namespace:other-app"),
        false,
    )?;
    Ok(steps)
}

fn render_lint(report: &LintReport, style: Style) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let errors = report.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let _ = writeln!(
        out,
        "\n{}\n   {} findings, {errors} of them errors AWS would refuse (emulator/seed/README.md has the corrections):",
        style.bold("Before deploying: `rolechain lint` on the post's trust policy, as published"),
        report.findings.len()
    );
    for f in &report.findings {
        let _ = writeln!(
            out,
            "   {}:{} {} {}",
            f.position.line,
            f.position.column,
            style.color(
                if f.severity == Severity::Error {
                    Color::Red
                } else {
                    Color::Yellow
                },
                f.code
            ),
            f.message
        );
    }
    out
}

fn render(steps: &[Step], evaluator: &str, style: Style) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style.bold("rolechain demo: the seed's chain, every decision made by the IAM policy engine")
    );
    let by = match evaluator {
        "native" => "the engine, natively (--evaluator native)",
        _ => "rolechain_policy.wasm, run by wasmtime",
    };
    let _ = writeln!(out, "{}", style.color(Color::Cyan, &format!("decisions by {by}")));
    for (i, s) in steps.iter().enumerate() {
        let ok = s.decision.is_allowed() == s.expected_allowed;
        let verdict = if s.decision.is_allowed() {
            style.color(Color::Green, "ALLOWED")
        } else {
            style.color(Color::Red, s.decision.decision.as_str())
        };
        let _ = writeln!(out, "\n{}. {}", i + 1, style.bold(s.title));
        let _ = writeln!(out, "   {} → {} on {}: {verdict}", s.caller, s.action, s.resource);
        for st in &s.decision.deciding_statements {
            let sid = st.sid.as_deref().map(|s| format!(" (Sid {s})")).unwrap_or_default();
            let _ = writeln!(
                out,
                "   decided by statement {}{sid} of {} [{}], line {}",
                st.statement_index,
                st.policy_id,
                st.policy_type.phrase(),
                st.line
            );
        }
        if let Some(message) = &s.decision.message {
            let _ = writeln!(out, "   {message}");
        }
        if !ok {
            let _ = writeln!(
                out,
                "   {}",
                style.color(Color::Red, "UNEXPECTED: the chain does not behave as IRSA promises")
            );
        }
    }
    out
}
