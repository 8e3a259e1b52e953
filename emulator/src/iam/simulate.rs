//! The policy simulator: `SimulateCustomPolicy` over policies given as
//! text, `SimulatePrincipalPolicy` over a role's or user's own policies.
//!
//! The input shape is the engine's ([`SimulateCustomPolicyInput`]); the
//! decisions come from the emulator's evaluator like every other decision,
//! not from calling the engine directly, so a simulation answers exactly as
//! the running emulator would decide.

use std::collections::{BTreeMap, HashMap};

use rolechain_policy::authorize::{Decision, EvalDecision};
use rolechain_policy::json::{self, Json, JsonValue};
use rolechain_policy::kind::{PolicyKind, PolicyType};
use rolechain_policy::request::{Context, Principal, Request};
use rolechain_policy::simulate::{ContextEntry, SimulateCustomPolicyInput};
use rolechain_policy::wire::{PolicySetSpec, PolicySpec};

use crate::authz::Caller;
use crate::emulator::Emulator;
use crate::error::{AwsError, Violations};
use crate::state::State;
use crate::sts::Trail;

use super::{Access, Owner, Page, Paging, authorize, check, invalid_input};

/// The context key types IAM's simulator takes (model `ContextKeyTypeEnum`).
const CONTEXT_KEY_TYPES: [&str; 12] = [
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimulatePrincipalPolicyInput {
    /// The user or role whose policies are simulated.
    pub policy_source_arn: String,
    /// Further policies simulated as if attached.
    pub policy_input_list: Vec<String>,
    /// Replaces the principal's own boundary when given.
    pub permissions_boundary_policy_input_list: Vec<String>,
    pub action_names: Vec<String>,
    pub resource_arns: Vec<String>,
    pub resource_policy: Option<String>,
    pub resource_owner: Option<String>,
    pub caller_arn: Option<String>,
    pub context_entries: Vec<ContextEntry>,
    pub paging: Paging,
}

/// Where a statement starts or ends: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub source_policy_id: String,
    /// IAM's `PolicySourceType`: `user`, `role`, `aws-managed`, `user-managed`, `resource` or `none`.
    pub source_policy_type: String,
    pub start: Position,
    /// Just past the statement's closing brace.
    pub end: Option<Position>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationResult {
    pub action: String,
    pub resource: String,
    pub decision: EvalDecision,
    pub matched_statements: Vec<MatchedStatement>,
    pub missing_context_values: Vec<String>,
    /// Present when SCPs took part.
    pub allowed_by_organizations: Option<bool>,
    /// Present when a permissions boundary took part.
    pub allowed_by_permissions_boundary: Option<bool>,
    /// Per policy type, when a resource policy took part.
    pub eval_decision_details: BTreeMap<String, EvalDecision>,
}

/// One policy of a simulation, kept to describe its matched statements.
#[derive(Debug, Clone)]
struct Source {
    source_type: &'static str,
    text: String,
}

/// A simulation ready to run: the set, who calls, with what context.
#[derive(Debug)]
struct Simulation {
    set: PolicySetSpec,
    sources: HashMap<String, Source>,
    principal: Principal,
    context: Context,
    resource_owner: Option<String>,
    actions: Vec<String>,
    resources: Vec<String>,
}

impl Simulation {
    fn add(&mut self, id: &str, source_type: &'static str, text: &str) {
        self.sources.insert(
            id.to_string(),
            Source {
                source_type,
                text: text.to_string(),
            },
        );
    }
}

/// `ActionNames` is required, and an empty list is no list on the wire.
fn check_actions(actions: &[String]) -> Result<(), AwsError> {
    if actions.is_empty() {
        return Err(super::missing("actionNames"));
    }
    Ok(())
}

fn check_common(
    v: &mut Violations,
    policies: &[String],
    boundaries: &[String],
    actions: &[String],
    resources: &[String],
    resource_policy: Option<&str>,
    paging: &Paging,
) {
    for (i, a) in actions.iter().enumerate() {
        v.length(a, &format!("actionNames.{}.member", i + 1), 3, 128);
    }
    for (i, r) in resources.iter().enumerate() {
        v.length(r, &format!("resourceArns.{}.member", i + 1), 1, 2048);
    }
    for (i, p) in policies.iter().enumerate() {
        check::document(v, p, &format!("policyInputList.{}.member", i + 1));
    }
    for (i, p) in boundaries.iter().enumerate() {
        check::document(v, p, &format!("permissionsBoundaryPolicyInputList.{}.member", i + 1));
    }
    if let Some(p) = resource_policy {
        check::document(v, p, "resourcePolicy");
    }
    paging.check(v);
}

/// Refuses a policy the simulation was given as IAM would, naming which.
fn parse_input(kind: PolicyKind, text: &str) -> Result<(), AwsError> {
    check::parse_document(kind, text, || {
        let limit = match kind {
            PolicyKind::Trust => 2048,
            _ => 6144,
        };
        format!("Cannot exceed quota for PolicySize: {limit}")
    })
}

fn context(entries: &[ContextEntry], principal: &Principal) -> Result<Context, AwsError> {
    let mut v = Violations::new();
    let mut ctx = Context::new();
    for (i, entry) in entries.iter().enumerate() {
        if !CONTEXT_KEY_TYPES.contains(&entry.context_key_type.as_str()) {
            v.add(
                &entry.context_key_type,
                &format!("contextEntries.{}.member.contextKeyType", i + 1),
                &format!("Member must satisfy enum value set: [{}]", CONTEXT_KEY_TYPES.join(", ")),
            );
            continue;
        }
        v.length(
            &entry.context_key_name,
            &format!("contextEntries.{}.member.contextKeyName", i + 1),
            5,
            256,
        );
        if entry.context_key_type.ends_with("List") || entry.context_key_values.len() > 1 {
            ctx.set_multi(&entry.context_key_name, entry.context_key_values.iter().cloned());
        } else if let Some(value) = entry.context_key_values.first() {
            ctx.set(&entry.context_key_name, value.clone());
        }
    }
    v.into_result()?;
    ctx.add_principal_keys(principal);
    Ok(ctx)
}

/// `CallerArn` as a principal: a user, role, session, federated user or
/// root, or (beyond IAM) an OIDC/SAML provider standing for a web identity.
fn caller_principal(arn: &str) -> Result<Principal, AwsError> {
    if check::split_iam_arn(arn, "oidc-provider").is_some() || check::split_iam_arn(arn, "saml-provider").is_some() {
        return Ok(Principal::WebIdentity {
            provider: arn.to_string(),
        });
    }
    Principal::from_arn(arn).ok_or_else(|| invalid_input(format!("Invalid CallerArn: {arn}")))
}

fn resource_owner(owner: Option<&str>) -> Result<Option<String>, AwsError> {
    let Some(owner) = owner else {
        return Ok(None);
    };
    if check::is_account_id(owner) {
        return Ok(Some(owner.to_string()));
    }
    match owner.strip_prefix("arn:aws:iam::").and_then(|r| r.split_once(':')) {
        Some((account, _)) if check::is_account_id(account) => Ok(Some(account.to_string())),
        _ => Err(invalid_input(format!("Invalid ResourceOwner: {owner}"))),
    }
}

/// A resource policy's kind from its shape: a role trust policy (principals,
/// no resource, only `sts:` actions) or another service's resource policy.
fn resource_policy_kind(text: &str) -> PolicyKind {
    match rolechain_policy::parse::parse_document(text).document {
        Some(doc) if PolicyKind::infer(&doc) == PolicyKind::Trust => PolicyKind::Trust,
        _ => PolicyKind::Resource,
    }
}

/// Adds the policies both simulations take as text: extra identity
/// policies, a boundary, a resource policy.
fn add_inputs(
    sim: &mut Simulation,
    policies: &[String],
    boundaries: &[String],
    resource_policy: Option<&str>,
) -> Result<(), AwsError> {
    for (i, text) in policies.iter().enumerate() {
        parse_input(PolicyKind::Managed, text)?;
        let id = format!("PolicyInputList.{}", i + 1);
        sim.set.identity.push(PolicySpec::new(PolicyKind::Managed, &id, text));
        sim.add(&id, "none", text);
    }
    if boundaries.len() > 1 {
        return Err(invalid_input(
            "A principal has at most one permissions boundary: give one policy in PermissionsBoundaryPolicyInputList.",
        ));
    }
    if let Some(text) = boundaries.first() {
        parse_input(PolicyKind::Boundary, text)?;
        let id = "PermissionsBoundaryPolicyInputList.1";
        sim.set.permissions_boundary = Some(PolicySpec::new(PolicyKind::Boundary, id, text));
        sim.add(id, "none", text);
    }
    if let Some(text) = resource_policy {
        let kind = resource_policy_kind(text);
        parse_input(kind, text)?;
        sim.set.resource = Some(PolicySpec::new(kind, "ResourcePolicy", text));
        sim.add("ResourcePolicy", "resource", text);
    }
    Ok(())
}

pub fn simulate_custom_policy(
    emulator: &Emulator,
    caller: &Caller,
    input: &SimulateCustomPolicyInput,
    trail: &mut Trail,
) -> Result<Page<EvaluationResult>, AwsError> {
    let paging = Paging {
        marker: input.marker.clone(),
        max_items: input.max_items.map(i64::from),
    };
    check_actions(&input.action_names)?;
    let mut v = Violations::new();
    check_common(
        &mut v,
        &input.policy_input_list,
        &input.permissions_boundary_policy_input_list,
        &input.action_names,
        &input.resource_arns,
        input.resource_policy.as_deref(),
        &paging,
    );
    v.into_result()?;
    {
        let state = emulator.read_state();
        authorize(
            emulator,
            caller,
            &state,
            trail,
            Access::new("SimulateCustomPolicy", "*"),
        )?;
    }
    let owner = resource_owner(input.resource_owner.as_deref())?;
    let principal = match &input.caller_arn {
        Some(arn) => caller_principal(arn)?,
        // Without a caller, an unnamed user of the resource owner's account (or the caller's).
        None => Principal::User {
            arn: format!(
                "arn:aws:iam::{}:user/SimulatedCaller",
                owner.as_deref().unwrap_or(&caller.account)
            ),
        },
    };
    let mut sim = Simulation {
        set: PolicySetSpec::default(),
        sources: HashMap::new(),
        context: context(&input.context_entries, &principal)?,
        principal,
        resource_owner: owner,
        actions: input.action_names.clone(),
        resources: input.resource_arns.clone(),
    };
    add_inputs(
        &mut sim,
        &input.policy_input_list,
        &input.permissions_boundary_policy_input_list,
        input.resource_policy.as_deref(),
    )?;
    run(emulator, &sim, &paging)
}

pub fn simulate_principal_policy(
    emulator: &Emulator,
    caller: &Caller,
    input: &SimulatePrincipalPolicyInput,
    trail: &mut Trail,
) -> Result<Page<EvaluationResult>, AwsError> {
    check_actions(&input.action_names)?;
    let mut v = Violations::new();
    check::arn(&mut v, &input.policy_source_arn, "policySourceArn");
    check_common(
        &mut v,
        &input.policy_input_list,
        &input.permissions_boundary_policy_input_list,
        &input.action_names,
        &input.resource_arns,
        input.resource_policy.as_deref(),
        &input.paging,
    );
    v.into_result()?;
    let source = &input.policy_source_arn;
    let (owner_kind, name) = if let Some((_, rest)) = check::split_iam_arn(source, "role") {
        (Owner::Role, rest.rsplit('/').next().unwrap_or(rest))
    } else if let Some((_, rest)) = check::split_iam_arn(source, "user") {
        (Owner::User, rest.rsplit('/').next().unwrap_or(rest))
    } else {
        return Err(invalid_input(format!(
            "PolicySourceArn {source} is not valid: give the ARN of a user or role of your account."
        )));
    };
    let state = emulator.read_state();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new("SimulatePrincipalPolicy", source.clone()),
    )?;
    let mut sim = Simulation {
        set: PolicySetSpec::default(),
        sources: HashMap::new(),
        context: Context::new(),
        principal: Principal::Anonymous,
        resource_owner: resource_owner(input.resource_owner.as_deref())?,
        actions: input.action_names.clone(),
        resources: input.resource_arns.clone(),
    };
    let entity_account = source.split(':').nth(4).unwrap_or_default();
    if entity_account != caller.account {
        return Err(owner_kind.not_found(name));
    }
    principal_policies(&state, &caller.account, owner_kind, name, &mut sim)?;
    drop(state);
    if !input.permissions_boundary_policy_input_list.is_empty() {
        sim.set.permissions_boundary = None;
    }
    add_inputs(
        &mut sim,
        &input.policy_input_list,
        &input.permissions_boundary_policy_input_list,
        input.resource_policy.as_deref(),
    )?;
    let principal = caller_principal(input.caller_arn.as_deref().unwrap_or(source))?;
    sim.context = context(&input.context_entries, &principal)?;
    sim.principal = principal;
    run(emulator, &sim, &input.paging)
}

/// The principal's own policies: inline, attached, boundary, and the SCPs of its account.
fn principal_policies(
    state: &State,
    account: &str,
    owner: Owner,
    name: &str,
    sim: &mut Simulation,
) -> Result<(), AwsError> {
    let (inline, attached) = owner
        .policies(state, account, name)
        .ok_or_else(|| owner.not_found(name))?;
    let inline_type = match owner {
        Owner::Role => "role",
        Owner::User => "user",
    };
    for (policy_name, text) in inline {
        sim.set
            .identity
            .push(PolicySpec::new(PolicyKind::Identity, policy_name, text));
        sim.add(policy_name, inline_type, text);
    }
    let managed_type = |arn: &str| {
        if arn.contains(":aws:policy/") {
            "aws-managed"
        } else {
            "user-managed"
        }
    };
    for arn in attached {
        let Some(policy) = state.managed_policy(arn) else {
            continue;
        };
        // Named as IAM names it; by ARN where an inline policy already has the name.
        let id = if sim.sources.contains_key(&policy.name) {
            arn.as_str()
        } else {
            policy.name.as_str()
        };
        sim.set
            .identity
            .push(PolicySpec::new(PolicyKind::Managed, id, policy.document()));
        sim.add(id, managed_type(arn), policy.document());
    }
    let key = name.to_ascii_lowercase();
    let boundary = state.account(account).and_then(|a| match owner {
        Owner::Role => a.roles.get(&key).and_then(|r| r.permissions_boundary.clone()),
        Owner::User => a.users.get(&key).and_then(|u| u.permissions_boundary.clone()),
    });
    if let Some(arn) = boundary
        && let Some(policy) = state.managed_policy(&arn)
    {
        sim.set.permissions_boundary = Some(PolicySpec::new(PolicyKind::Boundary, &policy.name, policy.document()));
        sim.add(&policy.name, managed_type(&arn), policy.document());
    }
    if let Some(a) = state.account(account) {
        for level in &a.scp_levels {
            let mut specs = Vec::new();
            for doc in level {
                specs.push(PolicySpec::new(PolicyKind::Scp, &doc.name, &doc.document));
                sim.add(&doc.name, "none", &doc.document);
            }
            sim.set.scp_levels.push(specs);
        }
    }
    Ok(())
}

/// Every action against every resource (`*` when none is given), one page of results.
fn run(emulator: &Emulator, sim: &Simulation, paging: &Paging) -> Result<Page<EvaluationResult>, AwsError> {
    let star = ["*".to_string()];
    let resources: &[String] = if sim.resources.is_empty() {
        &star
    } else {
        &sim.resources
    };
    let mut results = Vec::with_capacity(sim.actions.len() * resources.len());
    for action in &sim.actions {
        for resource in resources {
            // A resource with no account in its ARN (`*`, S3) belongs to the
            // caller's account. Without a resource policy there is nothing to
            // weigh on the resource's side, so the simulator (like IAM's)
            // judges the identity side alone: the resource counts as the caller's.
            let resource_account = sim.resource_owner.clone().or_else(|| {
                let in_arn = resource.split(':').nth(4).filter(|a| !a.is_empty());
                (in_arn.is_none() || sim.set.resource.is_none())
                    .then(|| sim.principal.account().map(str::to_string))
                    .flatten()
            });
            let request = Request {
                principal: sim.principal.clone(),
                action: action.clone(),
                resource: resource.clone(),
                resource_account,
                context: sim.context.clone(),
            };
            let decision = emulator
                .authorizer
                .decide(&sim.set, &request)
                .map_err(|e| AwsError::evaluator(&e))?;
            results.push(result(sim, &request, &decision));
        }
    }
    Ok(paging.page(super::roles::indexed(results)))
}

fn result(sim: &Simulation, request: &Request, decision: &Decision) -> EvaluationResult {
    let matched = decision
        .matched_statements
        .iter()
        .map(|m| {
            let source = sim.sources.get(m.policy_id.as_ref());
            MatchedStatement {
                source_policy_id: m.policy_id.to_string(),
                source_policy_type: source.map_or("none", |s| s.source_type).to_string(),
                start: Position {
                    line: m.line,
                    column: m.column,
                },
                end: source.and_then(|s| statement_end(&s.text, m.statement_index)),
            }
        })
        .collect();
    let mut details = BTreeMap::new();
    if sim.set.resource.is_some() {
        // What the identity side and the resource side each said, as IAM reports them.
        let side = |types: &[PolicyType]| {
            let mut verdict = EvalDecision::ImplicitDeny;
            for m in decision
                .matched_statements
                .iter()
                .filter(|m| types.contains(&m.policy_type))
            {
                match m.effect {
                    rolechain_policy::Effect::Deny => return EvalDecision::ExplicitDeny,
                    rolechain_policy::Effect::Allow => verdict = EvalDecision::Allowed,
                }
            }
            verdict
        };
        details.insert("IAM Policy".to_string(), side(&[PolicyType::Identity]));
        details.insert(
            "Resource Policy".to_string(),
            side(&[PolicyType::Resource, PolicyType::RoleTrust]),
        );
    }
    let denied_by = decision.denied_by;
    EvaluationResult {
        action: request.action.clone(),
        resource: request.resource.clone(),
        decision: decision.decision,
        matched_statements: matched,
        missing_context_values: decision.missing_context_keys.clone(),
        allowed_by_organizations: (!sim.set.scp_levels.is_empty()).then_some(!matches!(
            denied_by,
            Some(PolicyType::ServiceControl | PolicyType::ResourceControl)
        )),
        allowed_by_permissions_boundary: sim
            .set
            .permissions_boundary
            .is_some()
            .then_some(denied_by != Some(PolicyType::PermissionsBoundary)),
        eval_decision_details: details,
    }
}

/// Where statement `index` of a document ends: the line and column just past
/// its closing brace, as IAM's `EndPosition` gives it.
fn statement_end(text: &str, index: usize) -> Option<Position> {
    let root = json::parse(text).ok()?;
    let JsonValue::Object(members) = &root.value else {
        return None;
    };
    let statement = &members.iter().find(|m| m.key == "Statement")?.value;
    let node: &Json<'_> = match &statement.value {
        JsonValue::Array(items) => items.get(index)?,
        JsonValue::Object(_) if index == 0 => statement,
        _ => return None,
    };
    let before = text.get(..node.end)?;
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some(Position {
        line: u32::try_from(line).ok()?,
        column: u32::try_from(column).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_ends_just_past_the_closing_brace() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n    \"Action\": \"s3:*\",\n    \"Resource\": \"*\"\n  }\n}";
        assert_eq!(statement_end(text, 0), Some(Position { line: 7, column: 4 }));
        let one_line = r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"},{"Effect":"Deny","Action":"a:c","Resource":"*"}]}"#;
        let first_end = one_line.find('}').unwrap() + 2;
        assert_eq!(
            statement_end(one_line, 0),
            Some(Position {
                line: 1,
                column: first_end as u32
            })
        );
        assert!(statement_end(one_line, 5).is_none());
        assert!(statement_end("{", 0).is_none());
    }

    #[test]
    fn resource_policies_are_told_apart_from_trust_policies() {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/x"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#;
        assert_eq!(resource_policy_kind(trust), PolicyKind::Trust);
        let bucket = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
        assert_eq!(resource_policy_kind(bucket), PolicyKind::Resource);
    }
}
