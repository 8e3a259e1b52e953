//! AWS's policy evaluation logic, case by case (spec §3.4, §3.5, §5.5):
//!
//! * `reference_policies_evaluation-logic` — explicit deny, RCPs, SCPs,
//!   resource-based policies and how the principal they name changes the
//!   outcome, identity-based policies, permissions boundaries, session policies;
//! * `reference_policies_evaluation-logic-cross-account` — both sides must allow;
//! * `reference_policies_elements_principal` — account, role, session, user and
//!   `*` principals; role trust policies must allow the caller themselves;
//! * `reference_policies_elements_notprincipal`, `..._notaction`, `..._notresource`;
//! * `troubleshoot_access-denied` — the access-denied message's wording.
//!
//! Each test checks the decision, the type of policy that denied, the exact
//! access-denied message, the deciding statements and, where it matters,
//! the missing context keys.

use rolechain_policy::*;

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";
const TABLE: &str = "arn:aws:dynamodb:us-east-1:111122223333:table/Books";
const GET: &str = "dynamodb:GetItem";

// ------------------------------------------------------------------ principals

fn alice() -> Principal {
    Principal::User {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/alice"),
    }
}

fn bob_user() -> Principal {
    Principal::User {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/bob"),
    }
}

const ROLE: &str = "arn:aws:iam::111122223333:role/reader";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/reader/app";

fn session() -> Principal {
    Principal::AssumedRole {
        arn: SESSION.into(),
        role_arn: Some(ROLE.into()),
    }
}

const FEDERATED: &str = "arn:aws:sts::111122223333:federated-user/carol";

fn federated() -> Principal {
    Principal::FederatedUser { arn: FEDERATED.into() }
}

fn root() -> Principal {
    Principal::Root {
        account: ACCOUNT.into(),
    }
}

/// A session of a role in the other account.
fn other_session() -> Principal {
    Principal::AssumedRole {
        arn: format!("arn:aws:sts::{OTHER}:assumed-role/auditor/app"),
        role_arn: Some(format!("arn:aws:iam::{OTHER}:role/auditor")),
    }
}

// ------------------------------------------------------------------ policies

fn policy(kind: PolicyKind, id: &str, text: &str) -> Policy {
    Policy::parse_with_id(kind, id, text).unwrap_or_else(|e| panic!("{id}: {e}\n{text}"))
}

/// An identity-style policy (identity, boundary, session, SCP) with one statement.
fn one(kind: PolicyKind, id: &str, sid: &str, effect: &str, action: &str, resource: &str) -> Policy {
    policy(
        kind,
        id,
        &format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{sid}", "Effect": "{effect}", "Action": "{action}", "Resource": "{resource}"}}]}}"#
        ),
    )
}

fn allow_all(kind: PolicyKind, id: &str) -> Policy {
    one(kind, id, "AllowAll", "Allow", "*", "*")
}

fn rcp(id: &str, sid: &str, effect: &str, action: &str) -> Policy {
    policy(
        PolicyKind::Rcp,
        id,
        &format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{sid}", "Effect": "{effect}", "Principal": "*", "Action": "{action}", "Resource": "*"}}]}}"#
        ),
    )
}

/// A table policy with one statement naming `principal` (a JSON value).
fn table_policy(sid: &str, effect: &str, principal: &str) -> Policy {
    policy(
        PolicyKind::DynamodbTable,
        "table-policy",
        &format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{sid}", "Effect": "{effect}", "Principal": {principal}, "Action": "dynamodb:GetItem", "Resource": "{TABLE}"}}]}}"#
        ),
    )
}

fn request(principal: Principal, action: &str, resource: &str) -> Request {
    Request {
        principal,
        action: action.into(),
        resource: resource.into(),
        resource_account: None,
        context: Context::new(),
    }
}

fn get_table(principal: Principal) -> Request {
    request(principal, GET, TABLE)
}

// ------------------------------------------------------------------ assertions

fn message(principal: &Principal, action: &str, resource: &str, reason: &str) -> String {
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} {reason}",
        principal.display_arn()
    )
}

/// `(policy id, statement index, sid)` of each deciding statement.
fn deciders(d: &Decision) -> Vec<(String, usize, Option<String>)> {
    let mut v: Vec<_> = d
        .deciding_statements
        .iter()
        .map(|s| {
            (
                s.policy_id.to_string(),
                s.statement_index,
                s.sid.as_deref().map(str::to_string),
            )
        })
        .collect();
    v.sort();
    v
}

fn st(policy: &str, index: usize, sid: &str) -> (String, usize, Option<String>) {
    (policy.to_string(), index, Some(sid.to_string()))
}

#[track_caller]
fn assert_allowed(d: &Decision) {
    assert_eq!(d.decision, EvalDecision::Allowed, "{d:#?}");
    assert_eq!(d.denied_by, None);
    assert_eq!(d.message, None);
}

#[track_caller]
fn assert_implicit(d: &Decision, by: PolicyType, req: &Request) {
    assert_eq!(d.decision, EvalDecision::ImplicitDeny, "{d:#?}");
    assert_eq!(d.denied_by, Some(by), "{d:#?}");
    assert!(d.deciding_statements.is_empty(), "{d:#?}");
    let reason = match by {
        PolicyType::ServiceControl | PolicyType::ResourceControl => {
            format!("with an explicit deny in a {}", by.phrase())
        }
        _ => format!("because no {} allows the {} action", by.phrase(), req.action),
    };
    if by != PolicyType::RoleTrust {
        // AWS's wording for a trust policy that does not allow is not documented (spec §5.5).
        assert_eq!(
            d.message.as_deref(),
            Some(message(&req.principal, &req.action, &req.resource, &reason).as_str())
        );
    }
}

#[track_caller]
fn assert_explicit(d: &Decision, by: PolicyType, req: &Request) {
    assert_eq!(d.decision, EvalDecision::ExplicitDeny, "{d:#?}");
    assert_eq!(d.denied_by, Some(by), "{d:#?}");
    assert!(!d.deciding_statements.is_empty());
    assert!(
        d.deciding_statements
            .iter()
            .all(|s| s.effect == Effect::Deny && s.policy_type == by),
        "{d:#?}"
    );
    let article = if by == PolicyType::Identity { "an" } else { "a" };
    if by != PolicyType::Identity && by != PolicyType::RoleTrust {
        assert_eq!(
            d.message.as_deref(),
            Some(
                message(
                    &req.principal,
                    &req.action,
                    &req.resource,
                    &format!("with an explicit deny in {article} {}", by.phrase())
                )
                .as_str()
            )
        );
    }
}

// ================================================================== implicit deny

#[test]
fn without_any_policy_the_request_is_implicitly_denied() {
    // evaluation-logic: "By default, all requests are implicitly denied".
    let req = get_table(alice());
    let d = authorize(&PolicySet::default(), &req);
    assert_implicit(&d, PolicyType::Identity, &req);
    assert!(d.matched_statements.is_empty());
    assert_eq!(
        d.message.as_deref(),
        Some(
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Books because no identity-based policy allows the dynamodb:GetItem action"
        )
    );
}

#[test]
fn an_identity_allow_for_another_action_or_resource_does_not_apply() {
    let set = PolicySet {
        identity: vec![
            one(PolicyKind::Identity, "p1", "Put", "Allow", "dynamodb:PutItem", TABLE),
            one(
                PolicyKind::Identity,
                "p2",
                "OtherTable",
                "Allow",
                "dynamodb:GetItem",
                "arn:aws:dynamodb:us-east-1:111122223333:table/Other",
            ),
        ],
        ..PolicySet::default()
    };
    let req = get_table(alice());
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
}

#[test]
fn an_identity_allow_allows_and_is_the_deciding_statement() {
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Sid\": \"Other\", \"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\"Sid\": \"ReadBooks\", \"Effect\": \"Allow\", \"Action\": \"dynamodb:Get*\", \"Resource\": \"arn:aws:dynamodb:*:*:table/Books\"}\n  ]\n}";
    let set = PolicySet {
        identity: vec![policy(
            PolicyKind::Managed,
            "arn:aws:iam::111122223333:policy/ReadBooks",
            text,
        )],
        ..PolicySet::default()
    };
    let d = authorize(&set, &get_table(alice()));
    assert_allowed(&d);
    assert_eq!(
        d.deciding_statements,
        vec![MatchedStatement {
            policy_id: "arn:aws:iam::111122223333:policy/ReadBooks".into(),
            policy_type: PolicyType::Identity,
            statement_index: 1,
            sid: Some("ReadBooks".into()),
            effect: Effect::Allow,
            line: 5,
            column: 5,
        }]
    );
    assert_eq!(d.matched_statements, d.deciding_statements);
    assert!(d.missing_context_keys.is_empty());
}

// ================================================================== explicit deny

/// A role session's full set of policies, every one of them allowing everything.
fn permissive_session_set() -> PolicySet {
    PolicySet {
        identity: vec![allow_all(PolicyKind::Identity, "identity")],
        resource: Some(table_policy("TableAllow", "Allow", &format!(r#"{{"AWS": "{ROLE}"}}"#))),
        permissions_boundary: Some(allow_all(PolicyKind::Boundary, "boundary")),
        session: vec![allow_all(PolicyKind::Session, "session")],
        scp_levels: vec![
            vec![allow_all(PolicyKind::Scp, "FullAWSAccess-root")],
            vec![allow_all(PolicyKind::Scp, "FullAWSAccess-ou")],
            vec![allow_all(PolicyKind::Scp, "FullAWSAccess-account")],
        ],
        rcp_levels: vec![vec![rcp("RCPFullAWSAccess", "All", "Allow", "*")]],
    }
}

/// The same set with an explicit deny of GetItem added to policies of type `by`.
fn with_deny(by: PolicyType) -> PolicySet {
    let mut set = permissive_session_set();
    let deny = |kind, id| one(kind, id, "DenyGet", "Deny", GET, "*");
    match by {
        PolicyType::Identity => set.identity.push(deny(PolicyKind::Identity, "deny-identity")),
        PolicyType::PermissionsBoundary => {
            set.permissions_boundary = Some(policy(
                PolicyKind::Boundary,
                "boundary",
                r#"{"Version": "2012-10-17", "Statement": [
                    {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Sid": "DenyGet", "Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"}]}"#,
            ))
        }
        PolicyType::Session => set.session.push(deny(PolicyKind::Session, "deny-session")),
        PolicyType::ServiceControl => set.scp_levels[1].push(deny(PolicyKind::Scp, "deny-scp")),
        PolicyType::ResourceControl => set.rcp_levels[0].push(rcp("deny-rcp", "DenyGet", "Deny", GET)),
        PolicyType::Resource => {
            set.resource = Some(policy(
                PolicyKind::DynamodbTable,
                "table-policy",
                &format!(
                    r#"{{"Version": "2012-10-17", "Statement": [
                    {{"Sid": "TableAllow", "Effect": "Allow", "Principal": {{"AWS": "{ROLE}"}}, "Action": "dynamodb:*", "Resource": "{TABLE}"}},
                    {{"Sid": "DenyGet", "Effect": "Deny", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "{TABLE}"}}]}}"#
                ),
            ))
        }
        PolicyType::RoleTrust => unreachable!(),
    }
    set
}

#[test]
fn the_permissive_set_allows() {
    let d = authorize(&permissive_session_set(), &get_table(session()));
    assert_allowed(&d);
}

#[test]
fn an_explicit_deny_beats_every_allow_in_each_policy_type() {
    // evaluation-logic step 1 and troubleshoot_access-denied's phrases.
    for by in [
        PolicyType::Identity,
        PolicyType::Resource,
        PolicyType::PermissionsBoundary,
        PolicyType::Session,
        PolicyType::ServiceControl,
        PolicyType::ResourceControl,
    ] {
        let req = get_table(session());
        let d = authorize(&with_deny(by), &req);
        assert_explicit(&d, by, &req);
        assert_eq!(d.deciding_statements.len(), 1, "{by:?}: {d:#?}");
        assert_eq!(d.deciding_statements[0].sid.as_deref(), Some("DenyGet"));
        // Every allow that matched is still listed among the matched statements.
        assert!(d.matched_statements.iter().any(|s| s.effect == Effect::Allow));
    }
}

#[test]
fn explicit_deny_messages_name_the_policy_type() {
    let req = get_table(session());
    let cases = [
        (PolicyType::Resource, "with an explicit deny in a resource-based policy"),
        (
            PolicyType::PermissionsBoundary,
            "with an explicit deny in a permissions boundary",
        ),
        (PolicyType::Session, "with an explicit deny in a session policy"),
        (
            PolicyType::ServiceControl,
            "with an explicit deny in a service control policy",
        ),
        (
            PolicyType::ResourceControl,
            "with an explicit deny in a resource control policy",
        ),
    ];
    for (by, reason) in cases {
        let d = authorize(&with_deny(by), &req);
        assert_eq!(
            d.message.unwrap(),
            format!(
                "User: arn:aws:sts::111122223333:assumed-role/reader/app is not authorized to perform: dynamodb:GetItem on resource: {TABLE} {reason}"
            )
        );
    }
}

#[test]
fn explicit_deny_in_an_identity_policy_message() {
    // troubleshoot_access-denied (spec §5.5): "with an explicit deny in an identity-based policy".
    let req = get_table(session());
    let d = authorize(&with_deny(PolicyType::Identity), &req);
    assert_eq!(
        d.message.unwrap(),
        format!(
            "User: {SESSION} is not authorized to perform: dynamodb:GetItem on resource: {TABLE} with an explicit deny in an identity-based policy"
        )
    );
}

#[test]
fn explicit_deny_in_the_same_policy_as_the_allow() {
    let set = PolicySet {
        identity: vec![policy(
            PolicyKind::Identity,
            "inline",
            r#"{"Version": "2012-10-17", "Statement": [
                {"Sid": "AllowDynamo", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
                {"Sid": "NoBooks", "Effect": "Deny", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:*:*:table/Books"}]}"#,
        )],
        ..PolicySet::default()
    };
    let req = get_table(alice());
    let d = authorize(&set, &req);
    assert_explicit(&d, PolicyType::Identity, &req);
    assert_eq!(deciders(&d), vec![st("inline", 1, "NoBooks")]);
    assert_eq!(d.matched_statements.len(), 2);
}

#[test]
fn the_first_explicit_deny_in_evaluation_order_is_reported() {
    // spec §5.5: only one policy type is reported; the engine reports the first in §3.4's order.
    let req = get_table(session());
    let pairs = [
        (PolicyType::ResourceControl, PolicyType::ServiceControl),
        (PolicyType::ServiceControl, PolicyType::Resource),
        (PolicyType::Resource, PolicyType::Identity),
        (PolicyType::Identity, PolicyType::PermissionsBoundary),
        (PolicyType::PermissionsBoundary, PolicyType::Session),
        (PolicyType::ServiceControl, PolicyType::Session),
    ];
    for (first, second) in pairs {
        let mut set = with_deny(second);
        let extra = with_deny(first);
        match first {
            PolicyType::ResourceControl => set.rcp_levels = extra.rcp_levels,
            PolicyType::ServiceControl => set.scp_levels = extra.scp_levels,
            PolicyType::Resource => set.resource = extra.resource,
            PolicyType::Identity => set.identity = extra.identity,
            PolicyType::PermissionsBoundary => set.permissions_boundary = extra.permissions_boundary,
            _ => unreachable!(),
        }
        let d = authorize(&set, &req);
        assert_eq!(d.decision, EvalDecision::ExplicitDeny);
        assert_eq!(d.denied_by, Some(first), "{first:?} before {second:?}");
        assert!(d.deciding_statements.iter().all(|s| s.policy_type == first), "{d:#?}");
        // Both denies matched.
        assert_eq!(
            d.matched_statements.iter().filter(|s| s.effect == Effect::Deny).count(),
            2
        );
    }
}

#[test]
fn an_explicit_deny_with_conditions_applies_only_when_they_hold() {
    let set = PolicySet {
        identity: vec![
            allow_all(PolicyKind::Identity, "admin"),
            policy(
                PolicyKind::Identity,
                "require-mfa",
                r#"{"Version": "2012-10-17", "Statement": [{"Sid": "NoMfaNoAccess", "Effect": "Deny", "Action": "*", "Resource": "*",
                    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}"#,
            ),
        ],
        ..PolicySet::default()
    };
    let mut req = get_table(alice());
    let d = authorize(&set, &req);
    assert_eq!(d.decision, EvalDecision::ExplicitDeny);
    assert_eq!(deciders(&d), vec![st("require-mfa", 0, "NoMfaNoAccess")]);
    assert_eq!(d.missing_context_keys, vec!["aws:MultiFactorAuthPresent"]);
    req.context.set("aws:MultiFactorAuthPresent", "true");
    let d = authorize(&set, &req);
    assert_allowed(&d);
    assert!(d.missing_context_keys.is_empty());
}

// ================================================================== SCPs and RCPs

#[test]
fn every_scp_level_must_allow() {
    // evaluation-logic / troubleshoot_access-denied: a level without an allow denies,
    // and the message still says "explicit deny in a service control policy".
    let s3_only = one(PolicyKind::Scp, "ou-s3-only", "S3", "Allow", "s3:*", "*");
    let set = PolicySet {
        identity: vec![allow_all(PolicyKind::Identity, "admin")],
        scp_levels: vec![
            vec![allow_all(PolicyKind::Scp, "FullAWSAccess")],
            vec![s3_only.clone()],
            vec![allow_all(PolicyKind::Scp, "FullAWSAccess")],
        ],
        ..PolicySet::default()
    };
    let req = get_table(alice());
    let d = authorize(&set, &req);
    assert_implicit(&d, PolicyType::ServiceControl, &req);
    assert_eq!(
        d.message.as_deref(),
        Some(
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Books with an explicit deny in a service control policy"
        )
    );
    // What every level allows passes.
    let mut s3 = request(alice(), "s3:GetObject", "arn:aws:s3:::bucket/key");
    s3.resource_account = Some(ACCOUNT.into());
    assert_allowed(&authorize(&set, &s3));

    // One allowing policy among several at a level is enough for that level.
    let mut set2 = set.clone();
    set2.scp_levels[1].push(one(PolicyKind::Scp, "ou-dynamo", "Dynamo", "Allow", "dynamodb:*", "*"));
    assert_allowed(&authorize(&set2, &req));

    // The root level alone lacking the allow denies too.
    let mut set3 = set.clone();
    set3.scp_levels = vec![vec![s3_only], vec![allow_all(PolicyKind::Scp, "FullAWSAccess")]];
    assert_implicit(&authorize(&set3, &req), PolicyType::ServiceControl, &req);
}

#[test]
fn scps_never_grant() {
    let set = PolicySet {
        scp_levels: vec![vec![allow_all(PolicyKind::Scp, "FullAWSAccess")]],
        ..PolicySet::default()
    };
    let req = get_table(alice());
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
}

#[test]
fn every_rcp_level_must_allow() {
    let set = PolicySet {
        identity: vec![allow_all(PolicyKind::Identity, "admin")],
        rcp_levels: vec![
            vec![rcp("RCPFullAWSAccess", "All", "Allow", "*")],
            vec![rcp("ou-s3-only", "S3", "Allow", "s3:*")],
        ],
        ..PolicySet::default()
    };
    let req = get_table(alice());
    let d = authorize(&set, &req);
    assert_implicit(&d, PolicyType::ResourceControl, &req);
    assert_eq!(
        d.message.as_deref(),
        Some(
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Books with an explicit deny in a resource control policy"
        )
    );
    let mut set2 = set.clone();
    set2.rcp_levels[1].push(rcp("ou-dynamo", "Dynamo", "Allow", "dynamodb:*"));
    assert_allowed(&authorize(&set2, &req));
}

#[test]
fn rcps_limit_even_a_resource_policy_that_names_the_caller() {
    let set = PolicySet {
        resource: Some(table_policy(
            "Direct",
            "Allow",
            r#"{"AWS": "arn:aws:iam::111122223333:user/alice"}"#,
        )),
        rcp_levels: vec![vec![rcp("s3-only", "S3", "Allow", "s3:*")]],
        ..PolicySet::default()
    };
    let req = get_table(alice());
    assert_implicit(&authorize(&set, &req), PolicyType::ResourceControl, &req);
}

// ================================================================== root user

#[test]
fn the_root_user_has_full_access_in_its_own_account() {
    let req = get_table(root());
    let d = authorize(&PolicySet::default(), &req);
    assert_allowed(&d);
}

#[test]
fn the_root_user_is_subject_to_scps_and_explicit_denies() {
    let req = get_table(root());
    let scp = PolicySet {
        scp_levels: vec![vec![one(PolicyKind::Scp, "s3-only", "S3", "Allow", "s3:*", "*")]],
        ..PolicySet::default()
    };
    let d = authorize(&scp, &req);
    assert_implicit(&d, PolicyType::ServiceControl, &req);
    assert_eq!(
        d.message.as_deref(),
        Some(
            "User: arn:aws:iam::111122223333:root is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Books with an explicit deny in a service control policy"
        )
    );
    let scp_deny = PolicySet {
        scp_levels: vec![vec![
            allow_all(PolicyKind::Scp, "FullAWSAccess"),
            one(PolicyKind::Scp, "no-dynamo", "NoDynamo", "Deny", "dynamodb:*", "*"),
        ]],
        ..PolicySet::default()
    };
    let d = authorize(&scp_deny, &req);
    assert_explicit(&d, PolicyType::ServiceControl, &req);
    assert_eq!(deciders(&d), vec![st("no-dynamo", 0, "NoDynamo")]);
    let resource_deny = PolicySet {
        resource: Some(table_policy("DenyAll", "Deny", r#""*""#)),
        ..PolicySet::default()
    };
    assert_explicit(&authorize(&resource_deny, &req), PolicyType::Resource, &req);
}

#[test]
fn the_root_user_of_another_account_needs_the_resource_policy() {
    let stranger = Principal::Root { account: OTHER.into() };
    let req = get_table(stranger);
    assert_implicit(&authorize(&PolicySet::default(), &req), PolicyType::Resource, &req);
    let set = PolicySet {
        resource: Some(table_policy("Other", "Allow", &format!(r#"{{"AWS": "{OTHER}"}}"#))),
        ..PolicySet::default()
    };
    assert_allowed(&authorize(&set, &req));
}

// ================================================================== same-account resource policies

/// A boundary and a session policy that allow only S3.
fn s3_only_limits(set: &mut PolicySet) {
    set.permissions_boundary = Some(one(PolicyKind::Boundary, "boundary", "S3", "Allow", "s3:*", "*"));
    set.session = vec![one(PolicyKind::Session, "session", "S3", "Allow", "s3:*", "*")];
}

#[test]
fn naming_the_session_arn_allows_despite_identity_boundary_and_session_policies() {
    // evaluation-logic: a resource-based policy naming the role session ARN allows
    // even when identity, boundary and session policies implicitly deny.
    let mut set = PolicySet {
        resource: Some(table_policy("Session", "Allow", &format!(r#"{{"AWS": "{SESSION}"}}"#))),
        ..PolicySet::default()
    };
    s3_only_limits(&mut set);
    let d = authorize(&set, &get_table(session()));
    assert_allowed(&d);
    assert_eq!(deciders(&d), vec![st("table-policy", 0, "Session")]);
    assert_eq!(d.deciding_statements[0].policy_type, PolicyType::Resource);
}

#[test]
fn naming_the_federated_user_arn_allows_despite_a_missing_session_policy() {
    let set = PolicySet {
        resource: Some(table_policy("Fed", "Allow", &format!(r#"{{"AWS": "{FEDERATED}"}}"#))),
        ..PolicySet::default()
    };
    let d = authorize(&set, &get_table(federated()));
    assert_allowed(&d);
    assert_eq!(deciders(&d), vec![st("table-policy", 0, "Fed")]);
}

#[test]
fn naming_the_iam_user_allows_despite_identity_and_boundary() {
    let set = PolicySet {
        resource: Some(table_policy(
            "Alice",
            "Allow",
            r#"{"AWS": ["arn:aws:iam::111122223333:user/someone-else", "arn:aws:iam::111122223333:user/alice"]}"#,
        )),
        permissions_boundary: Some(one(PolicyKind::Boundary, "boundary", "S3", "Allow", "s3:*", "*")),
        ..PolicySet::default()
    };
    let d = authorize(&set, &get_table(alice()));
    assert_allowed(&d);
    assert_eq!(deciders(&d), vec![st("table-policy", 0, "Alice")]);
    // Someone not named gets nothing from it.
    let req = get_table(bob_user());
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
}

#[test]
fn naming_the_role_allows_without_identity_policy_but_stays_limited() {
    // evaluation-logic: naming the role ARN counts as an allow, still limited by an
    // implicit deny in the permissions boundary or the session policy.
    let named = || table_policy("Role", "Allow", &format!(r#"{{"AWS": "{ROLE}"}}"#));
    let req = get_table(session());

    let set = PolicySet {
        resource: Some(named()),
        ..PolicySet::default()
    };
    let d = authorize(&set, &req);
    assert_allowed(&d);
    assert_eq!(deciders(&d), vec![st("table-policy", 0, "Role")]);

    let boundary = PolicySet {
        resource: Some(named()),
        permissions_boundary: Some(one(PolicyKind::Boundary, "boundary", "S3", "Allow", "s3:*", "*")),
        ..PolicySet::default()
    };
    let d = authorize(&boundary, &req);
    assert_implicit(&d, PolicyType::PermissionsBoundary, &req);
    assert_eq!(
        d.message.as_deref(),
        Some(
            "User: arn:aws:sts::111122223333:assumed-role/reader/app is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Books because no permissions boundary allows the dynamodb:GetItem action"
        )
    );

    let session_policy = PolicySet {
        resource: Some(named()),
        session: vec![one(PolicyKind::Session, "session", "S3", "Allow", "s3:*", "*")],
        ..PolicySet::default()
    };
    let d = authorize(&session_policy, &req);
    assert_implicit(&d, PolicyType::Session, &req);
    assert_eq!(
        d.message.as_deref(),
        Some(
            "User: arn:aws:sts::111122223333:assumed-role/reader/app is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Books because no session policy allows the dynamodb:GetItem action"
        )
    );

    let mut both = PolicySet {
        resource: Some(named()),
        ..PolicySet::default()
    };
    both.permissions_boundary = Some(allow_all(PolicyKind::Boundary, "boundary"));
    both.session = vec![allow_all(PolicyKind::Session, "session")];
    assert_allowed(&authorize(&both, &req));
}

#[test]
fn naming_the_account_only_delegates_to_identity_policies() {
    // elements_principal "AWS account principals": the account principal delegates;
    // an identity-based allow is still required.
    for principal in [
        format!(r#"{{"AWS": "{ACCOUNT}"}}"#),
        format!(r#"{{"AWS": "arn:aws:iam::{ACCOUNT}:root"}}"#),
    ] {
        let mut set = PolicySet {
            resource: Some(table_policy("Account", "Allow", &principal)),
            ..PolicySet::default()
        };
        for caller in [alice(), session(), federated()] {
            let req = get_table(caller);
            assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
        }
        set.identity = vec![one(PolicyKind::Identity, "read", "Read", "Allow", GET, TABLE)];
        let d = authorize(&set, &get_table(alice()));
        assert_allowed(&d);
        assert_eq!(
            deciders(&d),
            vec![st("read", 0, "Read"), st("table-policy", 0, "Account")]
        );
        // And the identity allow is limited by the boundary as usual.
        set.permissions_boundary = Some(one(PolicyKind::Boundary, "boundary", "S3", "Allow", "s3:*", "*"));
        let req = get_table(alice());
        assert_implicit(&authorize(&set, &req), PolicyType::PermissionsBoundary, &req);
    }
}

#[test]
fn principal_star_allows_same_account_callers_without_other_permissions() {
    // elements_principal "All principals".
    for principal in [r#""*""#, r#"{"AWS": "*"}"#] {
        let set = PolicySet {
            resource: Some(table_policy("Everyone", "Allow", principal)),
            ..PolicySet::default()
        };
        for caller in [alice(), session(), federated()] {
            let d = authorize(&set, &get_table(caller));
            assert_allowed(&d);
            assert_eq!(deciders(&d), vec![st("table-policy", 0, "Everyone")]);
        }
    }
}

#[test]
fn a_resource_policy_naming_someone_else_leaves_the_identity_policy_to_decide() {
    let mut set = PolicySet {
        resource: Some(table_policy(
            "Bob",
            "Allow",
            r#"{"AWS": "arn:aws:iam::111122223333:user/bob"}"#,
        )),
        ..PolicySet::default()
    };
    let req = get_table(alice());
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
    set.identity = vec![one(PolicyKind::Identity, "read", "Read", "Allow", GET, TABLE)];
    let d = authorize(&set, &req);
    assert_allowed(&d);
    assert_eq!(deciders(&d), vec![st("read", 0, "Read")]);
}

#[test]
fn an_identity_allow_needs_no_resource_policy_in_the_same_account() {
    let set = PolicySet {
        identity: vec![one(PolicyKind::Identity, "read", "Read", "Allow", GET, TABLE)],
        ..PolicySet::default()
    };
    assert_allowed(&authorize(&set, &get_table(alice())));
    assert_allowed(&authorize(&set, &get_table(session())));
}

#[test]
fn actions_on_resource_star_are_decided_by_identity_policies() {
    // elements_resource: actions without resource-level permissions take "Resource": "*";
    // no resource-based policy is involved, so identity-based policies decide (§3.4 step 5).
    let set = PolicySet {
        identity: vec![one(PolicyKind::Identity, "list", "List", "Allow", "iam:ListRoles", "*")],
        ..PolicySet::default()
    };
    let req = request(alice(), "iam:ListRoles", "*");
    assert_allowed(&authorize(&set, &req));
    let req = request(alice(), "iam:ListUsers", "*");
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
}

// ================================================================== role trust policies

fn trust(principal: &str) -> Policy {
    policy(
        PolicyKind::Trust,
        "reader-trust",
        &format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "Trust", "Effect": "Allow", "Principal": {principal}, "Action": "sts:AssumeRole"}}]}}"#
        ),
    )
}

fn assume(principal: Principal) -> Request {
    request(principal, "sts:AssumeRole", ROLE)
}

#[test]
fn a_role_trust_policy_must_itself_allow_the_caller() {
    // evaluation-logic: role trust policies are an exception: an identity-based allow
    // alone is not enough in the same account.
    let identity = one(
        PolicyKind::Identity,
        "may-assume",
        "Assume",
        "Allow",
        "sts:AssumeRole",
        ROLE,
    );
    let set = PolicySet {
        identity: vec![identity.clone()],
        resource: Some(trust(r#"{"AWS": "arn:aws:iam::111122223333:user/bob"}"#)),
        ..PolicySet::default()
    };
    let req = assume(alice());
    let d = authorize(&set, &req);
    assert_implicit(&d, PolicyType::RoleTrust, &req);

    // Trusting the account delegates to the identity policy.
    let mut set = PolicySet {
        identity: vec![identity],
        resource: Some(trust(&format!(r#"{{"AWS": "arn:aws:iam::{ACCOUNT}:root"}}"#))),
        ..PolicySet::default()
    };
    let d = authorize(&set, &req);
    assert_allowed(&d);
    assert_eq!(
        deciders(&d),
        vec![st("may-assume", 0, "Assume"), st("reader-trust", 0, "Trust")]
    );
    set.identity.clear();
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);

    // Trusting the user itself needs no identity policy.
    let set = PolicySet {
        resource: Some(trust(r#"{"AWS": "arn:aws:iam::111122223333:user/alice"}"#)),
        ..PolicySet::default()
    };
    let d = authorize(&set, &req);
    assert_allowed(&d);
    assert_eq!(deciders(&d), vec![st("reader-trust", 0, "Trust")]);
}

#[test]
fn cross_account_role_assumption_needs_trust_and_identity() {
    // evaluation-logic-cross-account: the trust policy (trusting account) and the caller's
    // identity policy allowing sts:AssumeRole (trusted account).
    let caller = other_session();
    let identity = one(
        PolicyKind::Identity,
        "may-assume",
        "Assume",
        "Allow",
        "sts:AssumeRole",
        ROLE,
    );
    let req = assume(caller.clone());
    let both = PolicySet {
        identity: vec![identity.clone()],
        resource: Some(trust(&format!(r#"{{"AWS": "arn:aws:iam::{OTHER}:role/auditor"}}"#))),
        ..PolicySet::default()
    };
    assert_allowed(&authorize(&both, &req));
    let no_identity = PolicySet {
        identity: vec![],
        ..both.clone()
    };
    assert_implicit(&authorize(&no_identity, &req), PolicyType::Identity, &req);
    let wrong_trust = PolicySet {
        resource: Some(trust(r#"{"AWS": "arn:aws:iam::999999999999:root"}"#)),
        ..both.clone()
    };
    let d = authorize(&wrong_trust, &req);
    assert_eq!(d.decision, EvalDecision::ImplicitDeny);
    assert_eq!(d.denied_by, Some(PolicyType::RoleTrust));
}

// ================================================================== cross-account

fn other_identity_read() -> Policy {
    one(PolicyKind::Identity, "read", "Read", "Allow", GET, TABLE)
}

#[test]
fn cross_account_needs_the_identity_side_and_the_resource_side() {
    let req = get_table(other_session());
    let identity_only = PolicySet {
        identity: vec![other_identity_read()],
        ..PolicySet::default()
    };
    let d = authorize(&identity_only, &req);
    assert_implicit(&d, PolicyType::Resource, &req);
    assert_eq!(
        d.message.as_deref(),
        Some(
            "User: arn:aws:sts::444455556666:assumed-role/auditor/app is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Books because no resource-based policy allows the dynamodb:GetItem action"
        )
    );

    let named_session = table_policy(
        "Auditor",
        "Allow",
        &format!(r#"{{"AWS": "arn:aws:sts::{OTHER}:assumed-role/auditor/app"}}"#),
    );
    let resource_only = PolicySet {
        resource: Some(named_session.clone()),
        ..PolicySet::default()
    };
    // Even naming the session itself is not enough across accounts.
    assert_implicit(&authorize(&resource_only, &req), PolicyType::Identity, &req);

    let both = PolicySet {
        identity: vec![other_identity_read()],
        resource: Some(named_session),
        ..PolicySet::default()
    };
    let d = authorize(&both, &req);
    assert_allowed(&d);
    assert_eq!(
        deciders(&d),
        vec![st("read", 0, "Read"), st("table-policy", 0, "Auditor")]
    );
}

#[test]
fn cross_account_a_resource_policy_naming_the_account_or_role_is_enough() {
    let req = get_table(other_session());
    for principal in [
        format!(r#"{{"AWS": "{OTHER}"}}"#),
        format!(r#"{{"AWS": "arn:aws:iam::{OTHER}:root"}}"#),
        format!(r#"{{"AWS": "arn:aws:iam::{OTHER}:role/auditor"}}"#),
        r#""*""#.to_string(),
    ] {
        let set = PolicySet {
            identity: vec![other_identity_read()],
            resource: Some(table_policy("Other", "Allow", &principal)),
            ..PolicySet::default()
        };
        assert_allowed(&authorize(&set, &req));
    }
    // Naming the resource's own account does not let the other account in.
    let set = PolicySet {
        identity: vec![other_identity_read()],
        resource: Some(table_policy("Own", "Allow", &format!(r#"{{"AWS": "{ACCOUNT}"}}"#))),
        ..PolicySet::default()
    };
    assert_implicit(&authorize(&set, &req), PolicyType::Resource, &req);
}

#[test]
fn cross_account_every_limit_of_the_caller_applies() {
    let req = get_table(other_session());
    let base = || PolicySet {
        identity: vec![other_identity_read()],
        resource: Some(table_policy("Other", "Allow", &format!(r#"{{"AWS": "{OTHER}"}}"#))),
        ..PolicySet::default()
    };
    let mut boundary = base();
    boundary.permissions_boundary = Some(one(PolicyKind::Boundary, "boundary", "S3", "Allow", "s3:*", "*"));
    assert_implicit(&authorize(&boundary, &req), PolicyType::PermissionsBoundary, &req);

    let mut session_policy = base();
    session_policy.session = vec![one(PolicyKind::Session, "session", "S3", "Allow", "s3:*", "*")];
    assert_implicit(&authorize(&session_policy, &req), PolicyType::Session, &req);

    let mut scp = base();
    scp.scp_levels = vec![vec![one(PolicyKind::Scp, "s3-only", "S3", "Allow", "s3:*", "*")]];
    assert_implicit(&authorize(&scp, &req), PolicyType::ServiceControl, &req);

    let mut rcp_set = base();
    rcp_set.rcp_levels = vec![vec![rcp("s3-only", "S3", "Allow", "s3:*")]];
    assert_implicit(&authorize(&rcp_set, &req), PolicyType::ResourceControl, &req);

    let mut denied = base();
    denied.resource = Some(policy(
        PolicyKind::DynamodbTable,
        "table-policy",
        &format!(
            r#"{{"Version": "2012-10-17", "Statement": [
            {{"Sid": "Other", "Effect": "Allow", "Principal": {{"AWS": "{OTHER}"}}, "Action": "dynamodb:*", "Resource": "{TABLE}"}},
            {{"Sid": "NoGet", "Effect": "Deny", "Principal": {{"AWS": "{OTHER}"}}, "Action": "dynamodb:GetItem", "Resource": "{TABLE}"}}]}}"#
        ),
    ));
    let d = authorize(&denied, &req);
    assert_explicit(&d, PolicyType::Resource, &req);
    assert_eq!(deciders(&d), vec![st("table-policy", 1, "NoGet")]);
}

// ================================================================== boundaries and session policies

#[test]
fn a_permissions_boundary_limits_but_never_grants() {
    let req = get_table(alice());
    let set = PolicySet {
        identity: vec![allow_all(PolicyKind::Identity, "admin")],
        permissions_boundary: Some(one(PolicyKind::Boundary, "boundary", "S3", "Allow", "s3:*", "*")),
        ..PolicySet::default()
    };
    let d = authorize(&set, &req);
    assert_implicit(&d, PolicyType::PermissionsBoundary, &req);
    assert_eq!(
        d.message.as_deref(),
        Some(
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Books because no permissions boundary allows the dynamodb:GetItem action"
        )
    );
    let mut allowed = set.clone();
    allowed.permissions_boundary = Some(one(
        PolicyKind::Boundary,
        "boundary",
        "Dynamo",
        "Allow",
        "dynamodb:Get*",
        "*",
    ));
    assert_allowed(&authorize(&allowed, &req));

    let boundary_only = PolicySet {
        permissions_boundary: Some(allow_all(PolicyKind::Boundary, "boundary")),
        ..PolicySet::default()
    };
    assert_implicit(&authorize(&boundary_only, &req), PolicyType::Identity, &req);
}

#[test]
fn session_policies_of_role_sessions() {
    // evaluation-logic step "Session policies": none => allowed; present and not
    // allowing => denied; allowing => allowed.
    let req = get_table(session());
    let base = || PolicySet {
        identity: vec![allow_all(PolicyKind::Identity, "admin")],
        ..PolicySet::default()
    };
    assert_allowed(&authorize(&base(), &req));

    let mut not_allowing = base();
    not_allowing.session = vec![one(PolicyKind::Session, "session", "S3", "Allow", "s3:*", "*")];
    let d = authorize(&not_allowing, &req);
    assert_implicit(&d, PolicyType::Session, &req);

    let mut allowing = base();
    allowing.session = vec![one(PolicyKind::Session, "session", "Get", "Allow", GET, TABLE)];
    let d = authorize(&allowing, &req);
    assert_allowed(&d);
    // The session policy limits; it is not a deciding allow.
    assert_eq!(deciders(&d), vec![st("admin", 0, "AllowAll")]);

    // A session policy never grants on its own.
    let session_only = PolicySet {
        session: vec![allow_all(PolicyKind::Session, "session")],
        ..PolicySet::default()
    };
    assert_implicit(&authorize(&session_only, &req), PolicyType::Identity, &req);
}

#[test]
fn federated_user_sessions_without_a_session_policy_are_denied() {
    let req = get_table(federated());
    let set = PolicySet {
        identity: vec![allow_all(PolicyKind::Identity, "caller-of-GetFederationToken")],
        ..PolicySet::default()
    };
    let d = authorize(&set, &req);
    assert_implicit(&d, PolicyType::Session, &req);
    assert_eq!(
        d.message.as_deref(),
        Some(
            "User: arn:aws:sts::111122223333:federated-user/carol is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Books because no session policy allows the dynamodb:GetItem action"
        )
    );
    let mut with_session = set.clone();
    with_session.session = vec![allow_all(PolicyKind::Session, "session")];
    assert_allowed(&authorize(&with_session, &req));
}

#[test]
fn session_policies_do_not_apply_to_iam_users() {
    let set = PolicySet {
        identity: vec![allow_all(PolicyKind::Identity, "admin")],
        session: vec![one(PolicyKind::Session, "session", "S3", "Allow", "s3:*", "*")],
        ..PolicySet::default()
    };
    assert_allowed(&authorize(&set, &get_table(alice())));
}

// ================================================================== web identity, services, anonymous

const PROVIDER: &str =
    "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

fn irsa_trust() -> Policy {
    policy(
        PolicyKind::Trust,
        "irsa-trust",
        &format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "Irsa", "Effect": "Allow",
            "Principal": {{"Federated": "{PROVIDER}"}},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {{"StringEquals": {{
                "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:default:my-sa",
                "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com"}}}}}}]}}"#
        ),
    )
}

fn web_identity_request(provider: &str, sub: &str) -> Request {
    let mut req = request(
        Principal::WebIdentity {
            provider: provider.into(),
        },
        "sts:AssumeRoleWithWebIdentity",
        "arn:aws:iam::111122223333:role/my-sa-role",
    );
    req.context = Context::new()
        .with(
            "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub",
            sub,
        )
        .with(
            "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud",
            "sts.amazonaws.com",
        );
    req
}

#[test]
fn web_identity_callers_are_decided_by_the_trust_policy() {
    // id_roles_create_for-idp_oidc: the trust policy names the provider under
    // `Federated`; no identity-based policy is involved.
    let set = PolicySet {
        resource: Some(irsa_trust()),
        ..PolicySet::default()
    };
    let d = authorize(
        &set,
        &web_identity_request(PROVIDER, "system:serviceaccount:default:my-sa"),
    );
    assert_allowed(&d);
    assert_eq!(deciders(&d), vec![st("irsa-trust", 0, "Irsa")]);

    let d = authorize(
        &set,
        &web_identity_request(PROVIDER, "system:serviceaccount:default:other"),
    );
    assert_eq!(d.decision, EvalDecision::ImplicitDeny);
    assert_eq!(d.denied_by, Some(PolicyType::RoleTrust));

    let d = authorize(
        &set,
        &web_identity_request(
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
            "system:serviceaccount:default:my-sa",
        ),
    );
    assert_eq!(d.decision, EvalDecision::ImplicitDeny);
}

#[test]
fn identity_allows_do_not_help_a_web_identity_caller() {
    let set = PolicySet {
        identity: vec![allow_all(PolicyKind::Identity, "admin")],
        resource: Some(trust(r#"{"AWS": "arn:aws:iam::111122223333:root"}"#)),
        ..PolicySet::default()
    };
    let d = authorize(
        &set,
        &web_identity_request(PROVIDER, "system:serviceaccount:default:my-sa"),
    );
    assert_eq!(d.decision, EvalDecision::ImplicitDeny);
    assert_eq!(d.denied_by, Some(PolicyType::RoleTrust));
    // And an `AWS` principal does not name a web identity, nor `Federated` a session.
    let set = PolicySet {
        resource: Some(irsa_trust()),
        ..PolicySet::default()
    };
    let mut req = web_identity_request(PROVIDER, "system:serviceaccount:default:my-sa");
    req.principal = session();
    req.action = "sts:AssumeRoleWithWebIdentity".into();
    let d = authorize(&set, &req);
    assert_eq!(d.decision, EvalDecision::ImplicitDeny);
}

#[test]
fn identity_policies_do_not_matter_for_a_web_identity_caller() {
    // evaluation-logic: identity-based policies are those attached to the IAM identity
    // making the request; the AssumeRoleWithWebIdentity caller is not one yet.
    let set = PolicySet {
        identity: vec![one(PolicyKind::Identity, "deny-all", "DenyAll", "Deny", "*", "*")],
        resource: Some(irsa_trust()),
        ..PolicySet::default()
    };
    let d = authorize(
        &set,
        &web_identity_request(PROVIDER, "system:serviceaccount:default:my-sa"),
    );
    assert_allowed(&d);
}

#[test]
fn service_principals_are_named_by_their_service() {
    let set = PolicySet {
        resource: Some(policy(
            PolicyKind::Trust,
            "ec2-trust",
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Ec2", "Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}"#,
        )),
        ..PolicySet::default()
    };
    let call = |service: &str| {
        authorize(
            &set,
            &request(
                Principal::Service {
                    service: service.into(),
                },
                "sts:AssumeRole",
                ROLE,
            ),
        )
    };
    let d = call("ec2.amazonaws.com");
    assert_allowed(&d);
    assert_eq!(deciders(&d), vec![st("ec2-trust", 0, "Ec2")]);
    let d = call("lambda.amazonaws.com");
    assert_eq!(d.decision, EvalDecision::ImplicitDeny);
    assert_eq!(d.denied_by, Some(PolicyType::RoleTrust));
}

#[test]
fn anonymous_callers_only_through_everyone() {
    // elements_principal: "*" is everyone, anonymous callers included.
    let req = get_table(Principal::Anonymous);
    for principal in [r#""*""#, r#"{"AWS": "*"}"#] {
        let set = PolicySet {
            resource: Some(table_policy("Public", "Allow", principal)),
            ..PolicySet::default()
        };
        assert_allowed(&authorize(&set, &req));
    }
    let set = PolicySet {
        resource: Some(table_policy("Account", "Allow", &format!(r#"{{"AWS": "{ACCOUNT}"}}"#))),
        ..PolicySet::default()
    };
    let d = authorize(&set, &req);
    assert_eq!(d.decision, EvalDecision::ImplicitDeny);
    assert_eq!(d.denied_by, Some(PolicyType::Resource));
    assert!(
        d.message
            .unwrap()
            .starts_with("User: anonymous is not authorized to perform: dynamodb:GetItem")
    );
}

// ================================================================== NotPrincipal

const BUCKET: &str = "arn:aws:s3:::amzn-s3-demo-bucket";

/// elements_notprincipal's example: deny everyone but the listed principals,
/// with an allow for everyone.
fn not_principal_bucket(listed: &[&str]) -> Policy {
    let listed = listed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ");
    policy(
        PolicyKind::Resource,
        "bucket-policy",
        &format!(
            r#"{{"Version": "2012-10-17", "Statement": [
            {{"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "{BUCKET}/*"}},
            {{"Sid": "OnlyAudit", "Effect": "Deny", "NotPrincipal": {{"AWS": [{listed}]}}, "Action": "s3:*", "Resource": ["{BUCKET}", "{BUCKET}/*"]}}]}}"#
        ),
    )
}

#[test]
fn not_principal_with_deny_excludes_a_session_only_when_account_role_and_session_are_listed() {
    // elements_notprincipal: list the account, the role and the session ARN.
    let account = "arn:aws:iam::444455556666:root";
    let role = "arn:aws:iam::444455556666:role/cross-account-read-only-role";
    let sess = "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app";
    let caller = Principal::AssumedRole {
        arn: sess.into(),
        role_arn: Some(role.into()),
    };
    let mut req = request(caller, "s3:GetObject", &format!("{BUCKET}/report.csv"));
    req.resource_account = Some(ACCOUNT.into());
    let identity = one(PolicyKind::Identity, "read", "Read", "Allow", "s3:GetObject", "*");

    let all = PolicySet {
        identity: vec![identity.clone()],
        resource: Some(not_principal_bucket(&[account, role, sess])),
        ..PolicySet::default()
    };
    let d = authorize(&all, &req);
    assert_allowed(&d);
    assert_eq!(
        deciders(&d),
        vec![st("bucket-policy", 0, "Everyone"), st("read", 0, "Read")]
    );

    for listed in [[account, role], [account, sess], [role, sess]] {
        let set = PolicySet {
            identity: vec![identity.clone()],
            resource: Some(not_principal_bucket(&listed)),
            ..PolicySet::default()
        };
        let d = authorize(&set, &req);
        assert_explicit(&d, PolicyType::Resource, &req);
        assert_eq!(deciders(&d), vec![st("bucket-policy", 1, "OnlyAudit")], "{listed:?}");
    }
}

#[test]
fn not_principal_with_deny_for_users() {
    let mut req = request(alice(), "s3:GetObject", &format!("{BUCKET}/x"));
    req.resource_account = Some(ACCOUNT.into());
    let listed = PolicySet {
        resource: Some(not_principal_bucket(&[
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:user/alice",
        ])),
        ..PolicySet::default()
    };
    assert_allowed(&authorize(&listed, &req));
    let mut bob = req.clone();
    bob.principal = bob_user();
    assert_explicit(&authorize(&listed, &bob), PolicyType::Resource, &bob);
}

#[test]
fn not_principal_with_allow_grants_everyone_else() {
    // elements_notprincipal: Allow + NotPrincipal grants to everyone not listed. The
    // caller is excluded by the same rule as with Deny: when its account and its own
    // ARN are both listed (AWS checks the account first).
    let set = PolicySet {
        resource: Some(table_policy_with(
            r#""NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:user/bob"]}"#,
        )),
        ..PolicySet::default()
    };
    assert_allowed(&authorize(&set, &get_table(alice())));
    let req = get_table(bob_user());
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
    // Listing bob without his account does not exclude him.
    let set = PolicySet {
        resource: Some(table_policy_with(
            r#""NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"}"#,
        )),
        ..PolicySet::default()
    };
    assert_allowed(&authorize(&set, &req));
}

fn table_policy_with(principal_member: &str) -> Policy {
    policy(
        PolicyKind::DynamodbTable,
        "table-policy",
        &format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "S", "Effect": "Allow", {principal_member}, "Action": "dynamodb:GetItem", "Resource": "{TABLE}"}}]}}"#
        ),
    )
}

// ================================================================== NotAction / NotResource

#[test]
fn not_action_with_allow_grants_every_other_action() {
    // elements_notaction: "Allow NotAction iam:*" allows everything except IAM.
    let set = PolicySet {
        identity: vec![policy(
            PolicyKind::Identity,
            "power-user",
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "NotIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}"#,
        )],
        ..PolicySet::default()
    };
    let d = authorize(&set, &get_table(alice()));
    assert_allowed(&d);
    assert_eq!(deciders(&d), vec![st("power-user", 0, "NotIam")]);
    let req = request(alice(), "iam:CreateUser", "arn:aws:iam::111122223333:user/eve");
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
    // Action names are case-insensitive in NotAction too.
    let req = request(alice(), "IAM:createuser", "arn:aws:iam::111122223333:user/eve");
    assert_eq!(authorize(&set, &req).decision, EvalDecision::ImplicitDeny);
}

#[test]
fn not_action_with_deny_denies_every_other_action() {
    let set = PolicySet {
        identity: vec![
            allow_all(PolicyKind::Identity, "admin"),
            policy(
                PolicyKind::Identity,
                "only-iam",
                r#"{"Version": "2012-10-17", "Statement": [{"Sid": "DenyAllButIam", "Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*"}]}"#,
            ),
        ],
        ..PolicySet::default()
    };
    let req = get_table(alice());
    let d = authorize(&set, &req);
    assert_eq!(d.decision, EvalDecision::ExplicitDeny);
    assert_eq!(deciders(&d), vec![st("only-iam", 0, "DenyAllButIam")]);
    let req = request(alice(), "iam:ListUsers", "arn:aws:iam::111122223333:user/x");
    assert_allowed(&authorize(&set, &req));
}

#[test]
fn not_resource_with_allow_grants_every_other_resource() {
    // elements_notresource: allow everything in S3 except the payroll folder.
    let set = PolicySet {
        identity: vec![policy(
            PolicyKind::Identity,
            "not-payroll",
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "NotPayroll", "Effect": "Allow", "Action": "s3:*",
                "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}]}"#,
        )],
        ..PolicySet::default()
    };
    let s3 = |resource: &str| {
        let mut r = request(alice(), "s3:GetObject", resource);
        r.resource_account = Some(ACCOUNT.into());
        r
    };
    assert_allowed(&authorize(&set, &s3("arn:aws:s3:::HRBucket/Benefits/plan.pdf")));
    let req = s3("arn:aws:s3:::HRBucket/Payroll/2024.csv");
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
    let req = s3("arn:aws:s3:::HRBucket/Payroll");
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
    // NotResource applies only among the statement's actions.
    let req = get_table(alice());
    assert_implicit(&authorize(&set, &req), PolicyType::Identity, &req);
}

#[test]
fn not_resource_with_deny_denies_every_other_resource() {
    let set = PolicySet {
        identity: vec![
            allow_all(PolicyKind::Identity, "admin"),
            policy(
                PolicyKind::Identity,
                "only-books",
                &format!(
                    r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "OnlyBooks", "Effect": "Deny", "Action": "dynamodb:*", "NotResource": "{TABLE}"}}]}}"#
                ),
            ),
        ],
        ..PolicySet::default()
    };
    assert_allowed(&authorize(&set, &get_table(alice())));
    let req = request(alice(), GET, "arn:aws:dynamodb:us-east-1:111122223333:table/Secrets");
    let d = authorize(&set, &req);
    assert_eq!(d.decision, EvalDecision::ExplicitDeny);
    assert_eq!(deciders(&d), vec![st("only-books", 0, "OnlyBooks")]);
}

// ================================================================== missing context keys

#[test]
fn missing_context_keys_are_those_the_applicable_statements_looked_for() {
    let set = PolicySet {
        identity: vec![policy(
            PolicyKind::Identity,
            "conditional",
            r#"{"Version": "2012-10-17", "Statement": [
                {"Sid": "Get", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*",
                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                               "StringEquals": {"aws:PrincipalTag/Team": "books", "aws:RequestedRegion": "us-east-1"}}},
                {"Sid": "Again", "Effect": "Allow", "Action": "dynamodb:Get*", "Resource": "*",
                 "Condition": {"Bool": {"AWS:MULTIFACTORAUTHPRESENT": "true"}}},
                {"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*",
                 "Condition": {"StringEquals": {"s3:prefix": "x"}}}]}"#,
        )],
        ..PolicySet::default()
    };
    let mut req = get_table(alice());
    req.context.set("aws:RequestedRegion", "us-east-1");
    let d = authorize(&set, &req);
    assert_implicit(&d, PolicyType::Identity, &req);
    // As written, once each (names are case-insensitive), only for statements about
    // this action and resource.
    assert_eq!(
        d.missing_context_keys,
        vec!["aws:MultiFactorAuthPresent", "aws:PrincipalTag/Team"]
    );
    req.context.set("aws:MultiFactorAuthPresent", "true");
    req.context.set("aws:principaltag/team", "books");
    let d = authorize(&set, &req);
    assert_allowed(&d);
    assert!(d.missing_context_keys.is_empty());
    assert_eq!(
        deciders(&d),
        vec![st("conditional", 0, "Get"), st("conditional", 1, "Again")]
    );
}

#[test]
fn principal_context_keys_come_from_the_principal_when_added() {
    // reference_policies_condition-keys: aws:username only for IAM users;
    // aws:PrincipalArn of a role session is the role ARN.
    let mut ctx = Context::new();
    ctx.add_principal_keys(&alice());
    assert_eq!(ctx.get("aws:username").unwrap().values(), ["alice"]);
    assert_eq!(ctx.get("aws:PrincipalAccount").unwrap().values(), [ACCOUNT]);
    assert_eq!(ctx.get("aws:PrincipalType").unwrap().values(), ["User"]);
    let mut ctx = Context::new();
    ctx.add_principal_keys(&session());
    assert_eq!(ctx.get("aws:PrincipalArn").unwrap().values(), [ROLE]);
    assert_eq!(ctx.get("aws:PrincipalType").unwrap().values(), ["AssumedRole"]);
    assert!(ctx.get("aws:username").is_none());
    let mut ctx = Context::new();
    ctx.add_principal_keys(&Principal::Anonymous);
    assert_eq!(ctx.get("aws:PrincipalAccount").unwrap().values(), ["anonymous"]);
    assert!(ctx.get("aws:PrincipalArn").is_none());
}

// Session policies belong to sessions (IAM User Guide, access_policies_session;
// spec §3.4 step 7 "non-session principal ⇒ ALLOW"): an IAM user's request is
// not touched by a session policy, not even by its deny.
#[test]
fn session_policies_do_not_apply_to_an_iam_user() {
    let set = PolicySet {
        identity: vec![allow_all(PolicyKind::Identity, "alice-policy")],
        session: vec![
            allow_all(PolicyKind::Session, "session-allow"),
            one(PolicyKind::Session, "session-deny", "NoGet", "Deny", GET, "*"),
        ],
        ..PolicySet::default()
    };
    let d = authorize(&set, &get_table(alice()));
    assert_eq!(d.decision, EvalDecision::Allowed);
    assert!(
        d.matched_statements
            .iter()
            .all(|m| m.policy_type != PolicyType::Session)
    );
    // The same deny does apply to a role session.
    let d = authorize(&set, &get_table(session()));
    assert_eq!(d.decision, EvalDecision::ExplicitDeny);
    assert_eq!(d.denied_by, Some(PolicyType::Session));
}
