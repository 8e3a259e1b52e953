//! AWS's policy evaluation logic over every kind of policy at once, with the
//! reason for each decision.
//!
//! The order follows the IAM User Guide's evaluation logic (spec §3.4, §3.5):
//! an explicit deny anywhere; then resource control policies and service
//! control policies, every level of the organization path needing an allow;
//! then the resource-based policy, whose allow may be final in the same
//! account depending on how it names the caller; then identity-based
//! policies, the permissions boundary and session policies. Across accounts
//! both sides must allow.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::compile::{CallerFacts, CompiledStatement, Named};
use crate::json::Position;
use crate::kind::{PolicyKind, PolicyType};
use crate::model::Effect;
use crate::policy::Policy;
use crate::request::{Principal, Request};

/// Every policy that takes part in a decision.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// The caller's identity-based policies (inline and managed, its groups' too).
    pub identity: Vec<Policy>,
    /// The resource's policy: a role's trust policy, a table's policy, ...
    pub resource: Option<Policy>,
    /// The caller's permissions boundary.
    pub permissions_boundary: Option<Policy>,
    /// Session policies passed when the caller's session was made. An empty
    /// list means the session has none.
    pub session: Vec<Policy>,
    /// SCPs on the caller's organization path: one list per level (root,
    /// each OU, the account), every level needing an allow. Empty: no SCPs apply.
    pub scp_levels: Vec<Vec<Policy>>,
    /// RCPs on the resource's organization path, likewise.
    pub rcp_levels: Vec<Vec<Policy>>,
}

/// The three answers AWS gives, in the words of IAM's simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EvalDecision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl EvalDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            EvalDecision::Allowed => "allowed",
            EvalDecision::ExplicitDeny => "explicitDeny",
            EvalDecision::ImplicitDeny => "implicitDeny",
        }
    }
}

/// A statement that applied to the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedStatement {
    pub policy_id: Arc<str>,
    pub policy_type: PolicyType,
    /// Index of the statement in its policy, from 0.
    pub statement_index: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Arc<str>>,
    pub effect: Effect,
    pub line: u32,
    pub column: u32,
}

/// A decision with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub decision: EvalDecision,
    /// For a denial, the type of policy responsible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_by: Option<PolicyType>,
    /// The statements that decided: the deny statements for an explicit deny,
    /// the allow statements that granted access for an allow, none for an implicit deny.
    pub deciding_statements: Vec<MatchedStatement>,
    /// Every statement whose principal, action, resource and conditions matched.
    pub matched_statements: Vec<MatchedStatement>,
    /// Condition keys that a statement about this action and resource looked for and the request lacked.
    pub missing_context_keys: Vec<String>,
    /// For a denial, AWS's access-denied message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        self.decision == EvalDecision::Allowed
    }

    /// The reason phrase AWS appends to its access-denied message.
    pub fn reason(&self, action: &str) -> Option<String> {
        let by = self.denied_by?;
        Some(match self.decision {
            EvalDecision::Allowed => return None,
            EvalDecision::ExplicitDeny => format!("with an explicit deny in {}", by.with_article()),
            // SCP and RCP denials read "explicit deny" even when no statement matched (spec §3.4).
            EvalDecision::ImplicitDeny if matches!(by, PolicyType::ServiceControl | PolicyType::ResourceControl) => {
                format!("with an explicit deny in {}", by.with_article())
            }
            EvalDecision::ImplicitDeny => {
                format!("because no {} allows the {action} action", by.phrase())
            }
        })
    }
}

/// AWS's access-denied message: `User: ARN is not authorized to perform: ACTION on resource: RESOURCE REASON`.
pub fn access_denied_message(principal: &Principal, action: &str, resource: &str, reason: Option<&str>) -> String {
    let mut message = format!(
        "User: {} is not authorized to perform: {action} on resource: {resource}",
        principal.display_arn()
    );
    if let Some(reason) = reason {
        message.push(' ');
        message.push_str(reason);
    }
    message
}

/// Which policy of the set a hit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Rcp(usize, usize),
    Scp(usize, usize),
    Resource,
    Identity(usize),
    Boundary,
    Session(usize),
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    slot: Slot,
    statement: usize,
    effect: Effect,
    named: Option<Named>,
}

/// Decides `request` against `set`, as AWS would.
pub fn authorize(set: &PolicySet, request: &Request) -> Decision {
    let mut eval = Evaluation {
        request,
        lower_action: request.action.to_ascii_lowercase(),
        caller: CallerFacts::new(&request.principal),
        hits: Vec::new(),
        missing: Vec::new(),
        missing_seen: Vec::new(),
    };
    for (level, policies) in set.rcp_levels.iter().enumerate() {
        for (i, p) in policies.iter().enumerate() {
            eval.policy(p, Slot::Rcp(level, i));
        }
    }
    if let Some(p) = &set.resource {
        eval.policy(p, Slot::Resource);
    }
    // A web-identity caller, a service or an anonymous caller has no identity
    // of its own in an account: its identity policies, boundary, session
    // policies and SCPs are not consulted (the caller should give none).
    if request.principal.has_identity_side() {
        for (level, policies) in set.scp_levels.iter().enumerate() {
            for (i, p) in policies.iter().enumerate() {
                eval.policy(p, Slot::Scp(level, i));
            }
        }
        for (i, p) in set.identity.iter().enumerate() {
            eval.policy(p, Slot::Identity(i));
        }
        if let Some(p) = &set.permissions_boundary {
            eval.policy(p, Slot::Boundary);
        }
        // Session policies belong to sessions: an IAM user or the root user has none.
        if request.principal.is_session() {
            for (i, p) in set.session.iter().enumerate() {
                eval.policy(p, Slot::Session(i));
            }
        }
    }
    let (decision, denied_by, deciders) = decide(set, request, &eval.caller, &eval.hits);
    let statement = |hit: &Hit| matched_statement(set, hit);
    let deciding_statements = eval
        .hits
        .iter()
        .filter(|h| deciders.includes(h))
        .map(statement)
        .collect();
    let matched_statements = eval.hits.iter().map(statement).collect();
    let mut result = Decision {
        decision,
        denied_by,
        deciding_statements,
        matched_statements,
        missing_context_keys: eval.missing,
        message: None,
    };
    if decision != EvalDecision::Allowed {
        let reason = result.reason(&request.action);
        result.message = Some(access_denied_message(
            &request.principal,
            &request.action,
            &request.resource,
            reason.as_deref(),
        ));
    }
    result
}

struct Evaluation<'a> {
    request: &'a Request,
    lower_action: String,
    caller: CallerFacts<'a>,
    hits: Vec<Hit>,
    missing: Vec<String>,
    /// The lower-cased keys already in `missing`, with their hashes. A few
    /// keys at most: a list is enough (and smaller in the module than a set).
    missing_seen: Vec<(u64, &'a str)>,
}

impl<'a> Evaluation<'a> {
    fn policy(&mut self, policy: &'a Policy, slot: Slot) {
        let names_principals = policy.kind().names_principals();
        for st in &policy.statements {
            self.statement(st, slot, names_principals);
        }
    }

    fn statement(&mut self, st: &'a CompiledStatement, slot: Slot, names_principals: bool) {
        let ctx = &self.request.context;
        if !st.actions.matches(&self.lower_action) {
            return;
        }
        if let Some(resources) = &st.resources
            && !resources.matches(&self.request.resource, ctx)
        {
            return;
        }
        let named = if names_principals {
            match st.principal.as_ref().and_then(|p| p.names(&self.caller)) {
                Some(n) => Some(n),
                None => return,
            }
        } else {
            None
        };
        // Every condition is evaluated (no short cut) so that every missing key is reported.
        let mut holds = true;
        for c in &st.conditions {
            let (condition_holds, key_missing) = c.evaluate(ctx);
            if key_missing && !self.missing_seen.contains(&(c.key_hash, &*c.key)) {
                self.missing_seen.push((c.key_hash, &c.key));
                self.missing.push(c.key_as_written.to_string());
            }
            holds &= condition_holds;
        }
        if holds {
            self.hits.push(Hit {
                slot,
                statement: st.index,
                effect: st.effect,
                named,
            });
        }
    }
}

/// Which matched statements decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deciders {
    /// An implicit deny: no statement decided.
    Nobody,
    /// The deny statements of the policy type reported (by its `slot_order`).
    Denies(u8),
    /// The allow statements of the resource policy alone.
    ResourceAllows,
    /// The allow statements of the identity-based and resource-based policies.
    IdentityAndResourceAllows,
}

impl Deciders {
    fn includes(self, hit: &Hit) -> bool {
        match self {
            Deciders::Nobody => false,
            Deciders::Denies(group) => hit.effect == Effect::Deny && slot_order(hit.slot) == group,
            Deciders::ResourceAllows => hit.effect == Effect::Allow && hit.slot == Slot::Resource,
            Deciders::IdentityAndResourceAllows => {
                hit.effect == Effect::Allow && matches!(hit.slot, Slot::Identity(_) | Slot::Resource)
            }
        }
    }
}

type Outcome = (EvalDecision, Option<PolicyType>, Deciders);

fn implicit(by: PolicyType) -> Outcome {
    (EvalDecision::ImplicitDeny, Some(by), Deciders::Nobody)
}

fn granted(by: Deciders) -> Outcome {
    (EvalDecision::Allowed, None, by)
}

/// The evaluation logic proper, over the statements that matched.
fn decide(set: &PolicySet, request: &Request, caller: &CallerFacts<'_>, hits: &[Hit]) -> Outcome {
    let allows = |pred: &dyn Fn(Slot) -> bool| hits.iter().any(|h| h.effect == Effect::Allow && pred(h.slot));

    // 1. An explicit deny anywhere, reported by the first type in evaluation order.
    if let Some(first) = hits
        .iter()
        .filter(|h| h.effect == Effect::Deny)
        .min_by_key(|h| slot_order(h.slot))
    {
        return (
            EvalDecision::ExplicitDeny,
            Some(slot_type(set, first.slot)),
            Deciders::Denies(slot_order(first.slot)),
        );
    }

    // 2-3. Every level of the RCP and SCP paths must allow.
    for (level, policies) in set.rcp_levels.iter().enumerate() {
        if !policies.is_empty() && !allows(&|s| matches!(s, Slot::Rcp(l, _) if l == level)) {
            return implicit(PolicyType::ResourceControl);
        }
    }
    let scps_apply = request.principal.has_identity_side();
    for (level, policies) in set.scp_levels.iter().enumerate().filter(|_| scps_apply) {
        if !policies.is_empty() && !allows(&|s| matches!(s, Slot::Scp(l, _) if l == level)) {
            return implicit(PolicyType::ServiceControl);
        }
    }

    let resource_type = set
        .resource
        .as_ref()
        .map_or(PolicyType::Resource, |p| p.kind().policy_type());
    let is_trust = set.resource.as_ref().is_some_and(|p| p.kind() == PolicyKind::Trust);
    // How the resource policy's allow names the caller, the strongest naming first.
    let resource_named = hits
        .iter()
        .filter(|h| h.effect == Effect::Allow && h.slot == Slot::Resource)
        .filter_map(|h| h.named)
        .max();

    // Callers without an identity side (web identity, services, anonymous): the resource policy alone decides.
    if !caller.principal.has_identity_side() {
        return match resource_named {
            Some(_) => granted(Deciders::ResourceAllows),
            None => implicit(resource_type),
        };
    }

    // A resource whose ARN names no account (`*`, S3) and with no owner given
    // belongs to the caller's account: no second account takes part.
    let same_account = caller.account.is_some()
        && request
            .resource_account()
            .is_none_or(|owner| caller.account == Some(owner));
    let is_root = matches!(caller.principal, Principal::Root { .. });
    let identity_allows = is_root || allows(&|s| matches!(s, Slot::Identity(_)));
    let boundary_allows = set.permissions_boundary.is_none() || allows(&|s| s == Slot::Boundary);
    let session_allows = match caller.principal {
        Principal::AssumedRole { .. } => set.session.is_empty() || allows(&|s| matches!(s, Slot::Session(_))),
        // A federated user's session always carries its session policy: without one, nothing is allowed.
        Principal::FederatedUser { .. } => allows(&|s| matches!(s, Slot::Session(_))),
        _ => true,
    };

    // The caller's side, in the order AWS reports a denial: identity-based
    // policy (unless a resource policy stands in for it), boundary, session policy.
    let caller_side_denies = |identity_needed: bool| -> Option<PolicyType> {
        if identity_needed && !identity_allows {
            Some(PolicyType::Identity)
        } else if !boundary_allows {
            Some(PolicyType::PermissionsBoundary)
        } else if !session_allows {
            Some(PolicyType::Session)
        } else {
            None
        }
    };

    if !same_account {
        // 4'. Cross-account: the caller's side and the resource's side must both allow.
        if let Some(by) = caller_side_denies(true) {
            return implicit(by);
        }
        if resource_named.is_none() {
            return implicit(resource_type);
        }
        return granted(Deciders::IdentityAndResourceAllows);
    }

    // 4. Same account: a resource policy naming the caller itself is final;
    //    naming its role stands in for the identity policy; naming the account only delegates.
    match resource_named {
        Some(Named::Directly) => return granted(Deciders::ResourceAllows),
        Some(Named::Role) => {
            return match caller_side_denies(false) {
                Some(by) => implicit(by),
                None => granted(Deciders::IdentityAndResourceAllows),
            };
        }
        Some(Named::Account) | None => {}
    }
    // A role trust policy must itself allow the caller; delegating to the account is enough.
    if is_trust && resource_named.is_none() {
        return implicit(PolicyType::RoleTrust);
    }
    // 5-7. Identity-based policy, boundary, session policy.
    match caller_side_denies(true) {
        Some(by) => implicit(by),
        None => granted(Deciders::IdentityAndResourceAllows),
    }
}

/// §3.4's order, for reporting the first of several explicit denies.
fn slot_order(slot: Slot) -> u8 {
    match slot {
        Slot::Rcp(..) => 0,
        Slot::Scp(..) => 1,
        Slot::Resource => 2,
        Slot::Identity(_) => 3,
        Slot::Boundary => 4,
        Slot::Session(_) => 5,
    }
}

fn slot_policy(set: &PolicySet, slot: Slot) -> Option<&Policy> {
    match slot {
        Slot::Rcp(l, i) => set.rcp_levels.get(l)?.get(i),
        Slot::Scp(l, i) => set.scp_levels.get(l)?.get(i),
        Slot::Resource => set.resource.as_ref(),
        Slot::Identity(i) => set.identity.get(i),
        Slot::Boundary => set.permissions_boundary.as_ref(),
        Slot::Session(i) => set.session.get(i),
    }
}

fn slot_type(set: &PolicySet, slot: Slot) -> PolicyType {
    match slot_policy(set, slot) {
        Some(p) => p.kind().policy_type(),
        None => PolicyType::Identity,
    }
}

fn matched_statement(set: &PolicySet, hit: &Hit) -> MatchedStatement {
    let policy = slot_policy(set, hit.slot);
    let st = policy.and_then(|p| p.statements.get(hit.statement));
    let pos = st.map_or(Position::default(), |s| s.position);
    MatchedStatement {
        policy_id: policy.map_or_else(|| Arc::from(""), |p| p.id_arc().clone()),
        policy_type: slot_type(set, hit.slot),
        statement_index: hit.statement,
        sid: st.and_then(|s| s.sid.clone()),
        effect: hit.effect,
        line: pos.line,
        column: pos.column,
    }
}
