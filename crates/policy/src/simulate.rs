//! IAM's `SimulateCustomPolicy`, in its own request and response shapes,
//! extended with SCPs, RCPs, session policies and an explanation per result.
//!
//! The field names are AWS's (PascalCase, as `aws iam simulate-custom-policy
//! --cli-input-json` takes them and as the CLI prints the answer), so the
//! emulator can later serve this very shape as IAM's API. Extensions are
//! marked as such and are optional.

use serde::{Deserialize, Serialize};

use crate::authorize::{self, Decision, EvalDecision, PolicySet};
use crate::kind::{PolicyKind, PolicyType};
use crate::policy::{Policy, PolicyError};
use crate::request::{Context, Principal, Request};

/// The input of `SimulateCustomPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SimulateCustomPolicyInput {
    /// Identity-based policies, as JSON text.
    #[serde(default)]
    pub policy_input_list: Vec<String>,
    #[serde(default)]
    pub permissions_boundary_policy_input_list: Vec<String>,
    pub action_names: Vec<String>,
    /// Defaults to `["*"]`.
    #[serde(default)]
    pub resource_arns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
    /// The account owning the resources: an account id or `arn:aws:iam::ACCOUNT:root`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_owner: Option<String>,
    /// The caller: a user, role, assumed-role session, federated user, the
    /// account root, or (extension) an OIDC/SAML provider ARN for a web-identity caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_arn: Option<String>,
    #[serde(default)]
    pub context_entries: Vec<ContextEntry>,
    /// Accepted for compatibility; every resource is simulated alike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_handling_option: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// Extension: the kind of `ResourcePolicy` (`resource`, `trust`, `dynamodb-table`). Default `resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy_kind: Option<PolicyKind>,
    /// Extension: session policies of the caller's session.
    #[serde(default)]
    pub session_policy_input_list: Vec<String>,
    /// Extension: SCPs, one list per level of the caller's organization path (root, OUs, account).
    #[serde(default)]
    pub service_control_policy_levels: Vec<Vec<String>>,
    /// Extension: RCPs, one list per level of the resource's organization path.
    #[serde(default)]
    pub resource_control_policy_levels: Vec<Vec<String>>,
}

/// One context key and its values, as IAM's simulator takes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ContextEntry {
    pub context_key_name: String,
    #[serde(default)]
    pub context_key_values: Vec<String>,
    /// `string`, `stringList`, `numeric`, `numericList`, `boolean`, `booleanList`,
    /// `ip`, `ipList`, `binary`, `binaryList`, `date`, `dateList`.
    pub context_key_type: String,
}

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

/// The output of `SimulateCustomPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SimulatePolicyResponse {
    pub evaluation_results: Vec<EvaluationResult>,
    pub is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EvaluationResult {
    pub eval_action_name: String,
    pub eval_resource_name: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub eval_decision: EvalDecision,
    pub matched_statements: Vec<Statement>,
    pub missing_context_values: Vec<String>,
    pub organizations_decision_detail: OrganizationsDecisionDetail,
    pub permissions_boundary_decision_detail: PermissionsBoundaryDecisionDetail,
    /// Decision per policy type, as IAM gives it when a resource policy takes part.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub eval_decision_details: std::collections::BTreeMap<String, EvalDecision>,
    /// Extension: why, in the engine's words.
    pub explanation: Explanation,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub source_policy_id: String,
    pub source_policy_type: String,
    pub start_position: Position,
    /// Extension: the statement's index in its policy and its Sid.
    pub statement_index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrganizationsDecisionDetail {
    pub allowed_by_organizations: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PermissionsBoundaryDecisionDetail {
    pub allowed_by_permissions_boundary: bool,
}

/// Extension: the engine's explanation of one result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Explanation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied_by: Option<PolicyType>,
    /// AWS's access-denied message, for a denial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The statements that decided.
    pub deciding_statements: Vec<Statement>,
}

/// Why a simulation could not run: AWS's error code and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SimulateError {
    /// `MalformedPolicyDocument`, `InvalidInput` or `LimitExceeded`.
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for SimulateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for SimulateError {}

fn invalid(message: impl Into<String>) -> SimulateError {
    SimulateError {
        code: "InvalidInput".into(),
        message: message.into(),
    }
}

fn malformed(what: &str, e: PolicyError) -> SimulateError {
    SimulateError {
        code: e.code.to_string(),
        message: format!("{what}: {e}"),
    }
}

/// Runs the simulation: every action against every resource.
pub fn simulate_custom_policy(input: &SimulateCustomPolicyInput) -> Result<SimulatePolicyResponse, SimulateError> {
    if input.action_names.is_empty() {
        return Err(invalid(
            "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
        ));
    }
    let set = policy_set(input)?;
    let principal = caller(input)?;
    let context = context(input, &principal)?;
    let resource_account = resource_owner(input)?;
    let resources: Vec<&str> = if input.resource_arns.is_empty() {
        vec!["*"]
    } else {
        input.resource_arns.iter().map(String::as_str).collect()
    };
    let mut evaluation_results = Vec::with_capacity(input.action_names.len() * resources.len());
    for action in &input.action_names {
        for resource in &resources {
            let request = Request {
                principal: principal.clone(),
                action: action.clone(),
                resource: (*resource).to_string(),
                resource_account: resource_account.clone().or_else(|| {
                    // A resource without an account field (`*`, S3) belongs to the caller's account.
                    let from_arn = resource.split(':').nth(4).filter(|a| !a.is_empty());
                    if from_arn.is_none() {
                        principal.account().map(str::to_string)
                    } else {
                        None
                    }
                }),
                context: context.clone(),
            };
            let decision = authorize::authorize(&set, &request);
            evaluation_results.push(result(&set, &request, &decision));
        }
    }
    Ok(SimulatePolicyResponse {
        evaluation_results,
        is_truncated: false,
        marker: None,
    })
}

fn policy_set(input: &SimulateCustomPolicyInput) -> Result<PolicySet, SimulateError> {
    let list = |kind: PolicyKind, name: &str, texts: &[String]| -> Result<Vec<Policy>, SimulateError> {
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let id = format!("{name}.{}", i + 1);
                Policy::parse_with_id(kind, &id, text).map_err(|e| malformed(&id, e))
            })
            .collect()
    };
    let levels = |kind: PolicyKind, name: &str, levels: &[Vec<String>]| -> Result<Vec<Vec<Policy>>, SimulateError> {
        levels
            .iter()
            .enumerate()
            .map(|(l, texts)| list(kind, &format!("{name}.{}", l + 1), texts))
            .collect()
    };
    let mut boundaries = list(
        PolicyKind::Boundary,
        "PermissionsBoundaryPolicyInputList",
        &input.permissions_boundary_policy_input_list,
    )?;
    if boundaries.len() > 1 {
        return Err(invalid(
            "A principal has at most one permissions boundary: give one policy in PermissionsBoundaryPolicyInputList",
        ));
    }
    let resource = match &input.resource_policy {
        Some(text) => {
            let kind = input.resource_policy_kind.unwrap_or(PolicyKind::Resource);
            if !kind.names_principals() {
                return Err(invalid(format!(
                    "ResourcePolicyKind {kind} is not a resource-based policy kind"
                )));
            }
            Some(Policy::parse_with_id(kind, "ResourcePolicy", text).map_err(|e| malformed("ResourcePolicy", e))?)
        }
        None => None,
    };
    Ok(PolicySet {
        identity: list(PolicyKind::Managed, "PolicyInputList", &input.policy_input_list)?,
        resource,
        permissions_boundary: boundaries.pop(),
        session: list(
            PolicyKind::Session,
            "SessionPolicyInputList",
            &input.session_policy_input_list,
        )?,
        scp_levels: levels(
            PolicyKind::Scp,
            "ServiceControlPolicyLevels",
            &input.service_control_policy_levels,
        )?,
        rcp_levels: levels(
            PolicyKind::Rcp,
            "ResourceControlPolicyLevels",
            &input.resource_control_policy_levels,
        )?,
    })
}

fn caller(input: &SimulateCustomPolicyInput) -> Result<Principal, SimulateError> {
    let Some(arn) = &input.caller_arn else {
        // Without a caller, IAM simulates an unnamed user of the resource owner's account.
        let account = resource_owner(input)?.unwrap_or_else(|| "123456789012".into());
        return Ok(Principal::User {
            arn: format!("arn:aws:iam::{account}:user/SimulatedCaller"),
        });
    };
    let provider = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, r)| r);
    if provider.is_some_and(|p| p.starts_with("oidc-provider/") || p.starts_with("saml-provider/")) {
        return Ok(Principal::WebIdentity { provider: arn.clone() });
    }
    Principal::from_arn(arn).ok_or_else(|| {
        invalid(format!(
            "Invalid CallerArn {arn}: give a user, role, assumed-role session, federated-user or root ARN"
        ))
    })
}

fn resource_owner(input: &SimulateCustomPolicyInput) -> Result<Option<String>, SimulateError> {
    let Some(owner) = &input.resource_owner else {
        return Ok(None);
    };
    let account = if owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit()) {
        Some(owner.as_str())
    } else {
        owner
            .strip_prefix("arn:")
            .and_then(|_| owner.split(':').nth(4))
            .filter(|a| a.len() == 12)
    };
    match account {
        Some(a) => Ok(Some(a.to_string())),
        None => Err(invalid(format!(
            "Invalid ResourceOwner {owner}: give an account ID or arn:aws:iam::ACCOUNT:root"
        ))),
    }
}

fn context(input: &SimulateCustomPolicyInput, principal: &Principal) -> Result<Context, SimulateError> {
    let mut ctx = Context::new();
    for entry in &input.context_entries {
        if !CONTEXT_KEY_TYPES.contains(&entry.context_key_type.as_str()) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{}' at 'contextEntries.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                entry.context_key_type,
                CONTEXT_KEY_TYPES.join(", ")
            )));
        }
        if entry.context_key_type.ends_with("List") || entry.context_key_values.len() > 1 {
            ctx.set_multi(&entry.context_key_name, entry.context_key_values.iter().cloned());
        } else if let Some(v) = entry.context_key_values.first() {
            ctx.set(&entry.context_key_name, v.clone());
        }
    }
    ctx.add_principal_keys(principal);
    Ok(ctx)
}

fn result(set: &PolicySet, request: &Request, decision: &Decision) -> EvaluationResult {
    let statement = |m: &authorize::MatchedStatement| Statement {
        source_policy_id: m.policy_id.to_string(),
        source_policy_type: m.policy_type.simulator_name().to_string(),
        start_position: Position {
            line: m.line,
            column: m.column,
        },
        statement_index: m.statement_index,
        sid: m.sid.as_ref().map(|s| s.to_string()),
        effect: m.effect.as_str().to_string(),
    };
    let denied_by = decision.denied_by;
    let mut details = std::collections::BTreeMap::new();
    if set.resource.is_some() {
        // Per-type decisions: what the identity side and the resource side each said.
        let side = |types: &[PolicyType]| {
            let matched = decision
                .matched_statements
                .iter()
                .filter(|m| types.contains(&m.policy_type));
            let mut verdict = EvalDecision::ImplicitDeny;
            for m in matched {
                match m.effect {
                    crate::Effect::Deny => return EvalDecision::ExplicitDeny,
                    crate::Effect::Allow => verdict = EvalDecision::Allowed,
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
    EvaluationResult {
        eval_action_name: request.action.clone(),
        eval_resource_name: request.resource.clone(),
        eval_decision: decision.decision,
        matched_statements: decision.matched_statements.iter().map(statement).collect(),
        missing_context_values: decision.missing_context_keys.clone(),
        organizations_decision_detail: OrganizationsDecisionDetail {
            allowed_by_organizations: !matches!(
                denied_by,
                Some(PolicyType::ServiceControl | PolicyType::ResourceControl)
            ),
        },
        permissions_boundary_decision_detail: PermissionsBoundaryDecisionDetail {
            allowed_by_permissions_boundary: denied_by != Some(PolicyType::PermissionsBoundary),
        },
        eval_decision_details: details,
        explanation: Explanation {
            denied_by,
            message: decision.message.clone(),
            deciding_statements: decision.deciding_statements.iter().map(statement).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> SimulateCustomPolicyInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn simulates_in_iam_shape() {
        let out = simulate_custom_policy(&input(
            r#"{"PolicyInputList":["{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Read\",\"Effect\":\"Allow\",\"Action\":\"dynamodb:GetItem\",\"Resource\":\"*\"}]}"],
                "ActionNames":["dynamodb:GetItem","dynamodb:PutItem"],
                "ResourceArns":["arn:aws:dynamodb:eu-west-2:222222222222:table/Orders"],
                "CallerArn":"arn:aws:sts::222222222222:assumed-role/dynamodb-reader/s"}"#,
        ))
        .unwrap();
        let json = serde_json::to_value(&out).unwrap();
        let results = json["EvaluationResults"].as_array().unwrap();
        assert_eq!(results[0]["EvalDecision"], "allowed");
        assert_eq!(
            results[0]["MatchedStatements"][0]["SourcePolicyId"],
            "PolicyInputList.1"
        );
        assert_eq!(results[0]["MatchedStatements"][0]["StartPosition"]["Line"], 1);
        assert_eq!(results[1]["EvalDecision"], "implicitDeny");
        assert_eq!(
            results[1]["Explanation"]["Message"],
            "User: arn:aws:sts::222222222222:assumed-role/dynamodb-reader/s is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-2:222222222222:table/Orders because no identity-based policy allows the dynamodb:PutItem action"
        );
    }

    #[test]
    fn web_identity_caller_and_missing_context() {
        let trust = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":\"arn:aws:iam::111111111111:oidc-provider/issuer.example\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{\"StringEquals\":{\"issuer.example:sub\":\"system:serviceaccount:ns:sa\"}}}]}"#;
        let out = simulate_custom_policy(&input(&format!(
            r#"{{"ResourcePolicy":"{trust}","ResourcePolicyKind":"trust","ActionNames":["sts:AssumeRoleWithWebIdentity"],
                "ResourceArns":["arn:aws:iam::111111111111:role/r"],"CallerArn":"arn:aws:iam::111111111111:oidc-provider/issuer.example"}}"#
        )))
        .unwrap();
        let r = &out.evaluation_results[0];
        assert_eq!(r.eval_decision, EvalDecision::ImplicitDeny);
        assert_eq!(r.missing_context_values, ["issuer.example:sub"]);
        assert_eq!(r.explanation.denied_by, Some(PolicyType::RoleTrust));
    }

    #[test]
    fn refuses_bad_input_with_aws_codes() {
        let e =
            simulate_custom_policy(&input(r#"{"PolicyInputList":["{"],"ActionNames":["s3:GetObject"]}"#)).unwrap_err();
        assert_eq!(e.code, "MalformedPolicyDocument");
        assert!(
            e.message
                .starts_with("PolicyInputList.1: MalformedPolicyDocument: Syntax errors in policy.")
        );
        let e = simulate_custom_policy(&input(r#"{"ActionNames":[]}"#)).unwrap_err();
        assert_eq!(e.code, "InvalidInput");
        let e = simulate_custom_policy(&input(r#"{"ActionNames":["a:b"],"CallerArn":"bob"}"#)).unwrap_err();
        assert!(e.message.contains("Invalid CallerArn bob"));
    }
}
