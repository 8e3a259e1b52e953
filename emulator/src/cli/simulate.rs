//! `rolechain simulate`: IAM's SimulateCustomPolicy, offline.

use std::path::PathBuf;
use std::process::ExitCode;

use rolechain_policy::simulate::{
    self, ContextEntry, EvaluationResult, SimulateCustomPolicyInput, SimulatePolicyResponse,
};
use rolechain_policy::{EvalDecision, PolicyKind};

use super::output::{Color, Style, read_input};

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The whole request as JSON in SimulateCustomPolicy's shape (as `aws iam
    /// simulate-custom-policy --cli-input-json` takes it); `-` reads stdin.
    /// Flags below add to it.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// An identity-based policy file (repeatable): PolicyInputList.
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// The caller's permissions boundary: PermissionsBoundaryPolicyInputList.
    #[arg(long, value_name = "FILE")]
    boundary: Option<PathBuf>,
    /// A session policy of the caller's session (repeatable).
    #[arg(long = "session-policy", value_name = "FILE")]
    session_policies: Vec<PathBuf>,
    /// The resource's policy (a trust policy with --resource-policy-kind trust).
    #[arg(long, value_name = "FILE")]
    resource_policy: Option<PathBuf>,
    /// Kind of --resource-policy: resource, trust or dynamodb-table.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    resource_policy_kind: Option<PolicyKind>,
    /// A service control policy on the caller's account (repeatable; all form one level).
    #[arg(long = "scp", value_name = "FILE")]
    scps: Vec<PathBuf>,
    /// A resource control policy on the resource's account (repeatable; all form one level).
    #[arg(long = "rcp", value_name = "FILE")]
    rcps: Vec<PathBuf>,
    /// Who calls: a user, role, assumed-role session, federated-user or root ARN,
    /// or an OIDC provider ARN for an AssumeRoleWithWebIdentity caller.
    #[arg(long, value_name = "ARN")]
    caller_arn: Option<String>,
    /// The account that owns the resources (account ID or root ARN).
    #[arg(long, value_name = "ACCOUNT")]
    resource_owner: Option<String>,
    /// An action to simulate (repeatable), e.g. dynamodb:GetItem.
    #[arg(long = "action", value_name = "ACTION")]
    actions: Vec<String>,
    /// A resource ARN to simulate (repeatable); default `*`.
    #[arg(long = "resource", value_name = "ARN")]
    resources: Vec<String>,
    /// A context key: KEY=VALUE (repeat a key for a multivalued key, as with aws:TagKeys).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Output: `human` (with the explanation) or `json` (SimulateCustomPolicy's response).
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    format: String,
}

fn parse_kind(s: &str) -> Result<PolicyKind, String> {
    PolicyKind::from_name(s).ok_or_else(|| format!("unknown policy kind `{s}`"))
}

pub fn run(args: SimulateArgs) -> Result<ExitCode, String> {
    let input = build_input(&args)?;
    match simulate::simulate_custom_policy(&input) {
        Ok(response) => {
            if args.format == "json" {
                let json = serde_json::to_string_pretty(&response).map_err(|e| e.to_string())?;
                println!("{json}");
            } else {
                print!("{}", render(&response, Style::for_stdout()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("rolechain simulate: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn build_input(args: &SimulateArgs) -> Result<SimulateCustomPolicyInput, String> {
    let mut input = match &args.input {
        Some(path) => {
            let text = read_input(path)?;
            serde_json::from_str::<SimulateCustomPolicyInput>(&text)
                .map_err(|e| format!("{}: not a SimulateCustomPolicy request: {e}", path.display()))?
        }
        None => SimulateCustomPolicyInput::default(),
    };
    let read_all = |paths: &[PathBuf]| paths.iter().map(|p| read_input(p)).collect::<Result<Vec<_>, _>>();
    input.policy_input_list.extend(read_all(&args.policies)?);
    if let Some(b) = &args.boundary {
        input.permissions_boundary_policy_input_list.push(read_input(b)?);
    }
    input
        .session_policy_input_list
        .extend(read_all(&args.session_policies)?);
    if let Some(r) = &args.resource_policy {
        input.resource_policy = Some(read_input(r)?);
    }
    if args.resource_policy_kind.is_some() {
        input.resource_policy_kind = args.resource_policy_kind;
    }
    if !args.scps.is_empty() {
        input.service_control_policy_levels.push(read_all(&args.scps)?);
    }
    if !args.rcps.is_empty() {
        input.resource_control_policy_levels.push(read_all(&args.rcps)?);
    }
    if args.caller_arn.is_some() {
        input.caller_arn = args.caller_arn.clone();
    }
    if args.resource_owner.is_some() {
        input.resource_owner = args.resource_owner.clone();
    }
    input.action_names.extend(args.actions.iter().cloned());
    input.resource_arns.extend(args.resources.iter().cloned());
    for kv in &args.context {
        let (key, value) = kv
            .split_once('=')
            .ok_or_else(|| format!("--context takes KEY=VALUE, got `{kv}`"))?;
        match input
            .context_entries
            .iter_mut()
            .find(|e| e.context_key_name.eq_ignore_ascii_case(key))
        {
            Some(entry) => {
                entry.context_key_values.push(value.to_string());
                entry.context_key_type = "stringList".into();
            }
            None => input.context_entries.push(ContextEntry {
                context_key_name: key.to_string(),
                context_key_values: vec![value.to_string()],
                context_key_type: "string".into(),
            }),
        }
    }
    if input.action_names.is_empty() {
        return Err("give at least one --action (or ActionNames in --input)".into());
    }
    Ok(input)
}

/// The human form: one block per action and resource, with the reason.
pub fn render(response: &SimulatePolicyResponse, style: Style) -> String {
    let mut out = String::new();
    for r in &response.evaluation_results {
        render_result(&mut out, r, style);
    }
    out
}

fn render_result(out: &mut String, r: &EvaluationResult, style: Style) {
    use std::fmt::Write as _;
    let verdict = match r.eval_decision {
        EvalDecision::Allowed => style.color(Color::Green, "ALLOWED"),
        EvalDecision::ExplicitDeny => style.color(Color::Red, "EXPLICIT DENY"),
        EvalDecision::ImplicitDeny => style.color(Color::Red, "IMPLICIT DENY"),
    };
    let _ = writeln!(
        out,
        "{} on {}: {verdict}",
        style.bold(&r.eval_action_name),
        r.eval_resource_name
    );
    for st in &r.explanation.deciding_statements {
        let sid = st.sid.as_deref().map(|s| format!(" (Sid {s})")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  decided by {} statement {}{sid}, {} at line {}, column {}",
            st.source_policy_id, st.statement_index, st.effect, st.start_position.line, st.start_position.column
        );
    }
    if let Some(message) = &r.explanation.message {
        let _ = writeln!(out, "  {message}");
    }
    if !r.missing_context_values.is_empty() {
        let _ = writeln!(out, "  missing context keys: {}", r.missing_context_values.join(", "));
    }
}
