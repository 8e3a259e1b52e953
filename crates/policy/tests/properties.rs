//! Properties of the engine over generated inputs:
//!
//! * an explicit deny beats any allow, whichever type of policy holds it
//!   (`reference_policies_evaluation-logic`, step 1);
//! * adding an Allow statement to a policy never removes access;
//! * NotAction / NotResource agree with Action / Resource over the complement
//!   of the same universe (`reference_policies_elements_notaction`, `..._notresource`);
//! * the wildcard matcher agrees with a regular-expression oracle;
//! * parse → print → parse is the identity on documents, and printing is stable;
//! * decisions depend neither on the order of statements nor of policies.
//!
//! Case counts stay modest so that the suite is quick in debug builds.

use proptest::prelude::*;
use proptest::sample::select;
use rolechain_policy::json::Position;
use rolechain_policy::model::*;
use rolechain_policy::parse::parse_document;
use rolechain_policy::print::to_json;
use rolechain_policy::wildcard::Glob;
use rolechain_policy::*;

const CASES: u32 = 256;

/// No failure persistence: the regressions are the ignored and explicit tests.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ====================================================================== universe

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";

/// The concrete actions requests use.
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "iam:ListRoles",
    "sts:AssumeRole",
];

/// What policies may write in Action / NotAction.
const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "S3:getobject",
    "s3:PutObject",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "iam:ListRoles",
    "sts:AssumeRole",
    "*",
    "s3:*",
    "dynamodb:Get*",
    "*:Get*",
    "iam:List?oles",
];

/// The concrete resources requests use.
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::bucket/a.txt",
    "arn:aws:s3:::bucket/dir/b.txt",
    "arn:aws:dynamodb:us-east-1:111122223333:table/Books",
    "arn:aws:dynamodb:us-east-1:111122223333:table/Books/index/ByAuthor",
    "arn:aws:iam::111122223333:role/reader",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "arn:aws:s3:::bucket/a.txt",
    "arn:aws:s3:::bucket/dir/b.txt",
    "arn:aws:dynamodb:us-east-1:111122223333:table/Books",
    "arn:aws:dynamodb:us-east-1:111122223333:table/Books/index/ByAuthor",
    "arn:aws:iam::111122223333:role/reader",
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:dynamodb:*:*:table/Books*",
    "arn:aws:iam::*:role/?eader",
];

/// Principal elements of resource-policy statements.
const PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS": "111122223333"}"#,
    r#"{"AWS": "444455556666"}"#,
    r#"{"AWS": "arn:aws:iam::111122223333:user/alice"}"#,
    r#"{"AWS": "arn:aws:iam::111122223333:role/reader"}"#,
    r#"{"AWS": "arn:aws:sts::111122223333:assumed-role/reader/app"}"#,
    r#"{"AWS": "arn:aws:iam::444455556666:role/auditor"}"#,
];

const CONDITIONS: &[&str] = &[
    r#"{"StringEquals": {"aws:PrincipalTag/team": "a"}}"#,
    r#"{"StringNotEquals": {"aws:PrincipalTag/team": ["a", "b"]}}"#,
    r#"{"StringLikeIfExists": {"aws:principaltag/TEAM": "a*"}}"#,
    r#"{"Bool": {"aws:SecureTransport": "true"}}"#,
    r#"{"Null": {"aws:PrincipalTag/team": "true"}}"#,
];

fn callers() -> Vec<Principal> {
    vec![
        Principal::User {
            arn: format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        },
        Principal::AssumedRole {
            arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/app"),
            role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/reader")),
        },
        Principal::AssumedRole {
            arn: format!("arn:aws:sts::{OTHER}:assumed-role/auditor/app"),
            role_arn: Some(format!("arn:aws:iam::{OTHER}:role/auditor")),
        },
        Principal::Root {
            account: ACCOUNT.into(),
        },
    ]
}

// ====================================================================== generated policy sets

#[derive(Debug, Clone)]
struct St {
    sid: usize,
    allow: bool,
    not_action: bool,
    actions: Vec<&'static str>,
    not_resource: bool,
    resources: Vec<&'static str>,
    principal: &'static str,
    condition: Option<&'static str>,
}

impl St {
    fn render(&self, principal: Option<&str>) -> String {
        let list = |v: &[&str]| serde_json::to_string(v).unwrap_or_default();
        let mut parts = vec![
            format!(r#""Sid": "S{}""#, self.sid),
            format!(r#""Effect": "{}""#, if self.allow { "Allow" } else { "Deny" }),
        ];
        if let Some(p) = principal {
            parts.push(format!(r#""Principal": {p}"#));
        }
        parts.push(format!(
            r#""{}": {}"#,
            if self.not_action { "NotAction" } else { "Action" },
            list(&self.actions)
        ));
        parts.push(format!(
            r#""{}": {}"#,
            if self.not_resource { "NotResource" } else { "Resource" },
            list(&self.resources)
        ));
        if let Some(c) = self.condition {
            parts.push(format!(r#""Condition": {c}"#));
        }
        format!("{{{}}}", parts.join(", "))
    }
}

/// Where a policy sits in a set: decides its kind and whether it names principals.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Identity,
    Resource,
    Boundary,
    Session,
    Scp,
    Rcp,
}

impl Slot {
    fn kind(self) -> PolicyKind {
        match self {
            Slot::Identity => PolicyKind::Identity,
            Slot::Resource => PolicyKind::DynamodbTable,
            Slot::Boundary => PolicyKind::Boundary,
            Slot::Session => PolicyKind::Session,
            Slot::Scp => PolicyKind::Scp,
            Slot::Rcp => PolicyKind::Rcp,
        }
    }
}

fn render_policy(slot: Slot, id: &str, statements: &[St]) -> Policy {
    let body: Vec<String> = statements
        .iter()
        .map(|s| match slot {
            Slot::Resource => s.render(Some(s.principal)),
            Slot::Rcp => s.render(Some(r#""*""#)),
            _ => s.render(None),
        })
        .collect();
    let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#, body.join(", "));
    Policy::parse_with_id(slot.kind(), id, &text).unwrap_or_else(|e| panic!("{id}: {e}\n{text}"))
}

#[derive(Debug, Clone)]
struct SetSpec {
    identity: Vec<Vec<St>>,
    resource: Option<Vec<St>>,
    boundary: Option<Vec<St>>,
    session: Vec<Vec<St>>,
    scp: Vec<Vec<Vec<St>>>,
    rcp: Vec<Vec<Vec<St>>>,
}

impl SetSpec {
    fn build(&self) -> PolicySet {
        PolicySet {
            identity: self
                .identity
                .iter()
                .enumerate()
                .map(|(i, p)| render_policy(Slot::Identity, &format!("identity{i}"), p))
                .collect(),
            resource: self
                .resource
                .as_ref()
                .map(|p| render_policy(Slot::Resource, "resource", p)),
            permissions_boundary: self
                .boundary
                .as_ref()
                .map(|p| render_policy(Slot::Boundary, "boundary", p)),
            session: self
                .session
                .iter()
                .enumerate()
                .map(|(i, p)| render_policy(Slot::Session, &format!("session{i}"), p))
                .collect(),
            scp_levels: self
                .scp
                .iter()
                .enumerate()
                .map(|(l, level)| {
                    level
                        .iter()
                        .enumerate()
                        .map(|(i, p)| render_policy(Slot::Scp, &format!("scp{l}.{i}"), p))
                        .collect()
                })
                .collect(),
            rcp_levels: self
                .rcp
                .iter()
                .enumerate()
                .map(|(l, level)| {
                    level
                        .iter()
                        .enumerate()
                        .map(|(i, p)| render_policy(Slot::Rcp, &format!("rcp{l}.{i}"), p))
                        .collect()
                })
                .collect(),
        }
    }

    /// Every policy of the set, mutably, with its slot.
    fn policies_mut(&mut self) -> Vec<(Slot, &mut Vec<St>)> {
        let mut out: Vec<(Slot, &mut Vec<St>)> = Vec::new();
        out.extend(self.identity.iter_mut().map(|p| (Slot::Identity, p)));
        out.extend(self.resource.iter_mut().map(|p| (Slot::Resource, p)));
        out.extend(self.boundary.iter_mut().map(|p| (Slot::Boundary, p)));
        out.extend(self.session.iter_mut().map(|p| (Slot::Session, p)));
        out.extend(self.scp.iter_mut().flatten().map(|p| (Slot::Scp, p)));
        out.extend(self.rcp.iter_mut().flatten().map(|p| (Slot::Rcp, p)));
        out
    }
}

fn statement(allow_weight: f64) -> impl Strategy<Value = St> {
    (
        prop::bool::weighted(allow_weight),
        prop::bool::weighted(0.15),
        prop::collection::vec(select(ACTION_PATTERNS), 1..3),
        prop::bool::weighted(0.15),
        prop::collection::vec(select(RESOURCE_PATTERNS), 1..3),
        select(PRINCIPALS),
        prop::option::weighted(0.3, select(CONDITIONS)),
    )
        .prop_map(
            |(allow, not_action, actions, not_resource, resources, principal, condition)| St {
                sid: 0,
                allow,
                not_action,
                actions,
                not_resource,
                resources,
                principal,
                condition,
            },
        )
}

fn policy(allow_weight: f64) -> impl Strategy<Value = Vec<St>> {
    prop::collection::vec(statement(allow_weight), 1..4).prop_map(|mut v| {
        for (i, s) in v.iter_mut().enumerate() {
            s.sid = i;
        }
        v
    })
}

/// A policy that mostly limits (boundary, session, SCP, RCP): often it holds an
/// allow-everything statement, as `FullAWSAccess` does, somewhere among the others.
fn limiting_policy() -> impl Strategy<Value = Vec<St>> {
    (prop::bool::weighted(0.75), policy(0.9), any::<prop::sample::Index>()).prop_map(|(broad, mut v, at)| {
        if broad {
            let all = St {
                sid: 0,
                allow: true,
                not_action: false,
                actions: vec!["*"],
                not_resource: false,
                resources: vec!["*"],
                principal: r#""*""#,
                condition: None,
            };
            v.insert(at.index(v.len() + 1), all);
        }
        for (i, s) in v.iter_mut().enumerate() {
            s.sid = i;
        }
        v
    })
}

fn set_spec() -> impl Strategy<Value = SetSpec> {
    (
        prop::collection::vec(policy(0.8), 0..4),
        prop::option::weighted(0.6, policy(0.8)),
        prop::option::weighted(0.3, limiting_policy()),
        prop::collection::vec(limiting_policy(), 0..2),
        prop::collection::vec(prop::collection::vec(limiting_policy(), 1..3), 0..3),
        prop::collection::vec(prop::collection::vec(limiting_policy(), 1..2), 0..2),
    )
        .prop_map(|(identity, resource, boundary, session, scp, rcp)| SetSpec {
            identity,
            resource,
            boundary,
            session,
            scp,
            rcp,
        })
}

fn request() -> impl Strategy<Value = Request> {
    (
        select(callers()),
        select(ACTIONS),
        select(RESOURCES),
        prop::bool::weighted(0.8),
        prop::option::of(select(&["a", "b", "ab"][..])),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(principal, action, resource, own_account, team, secure)| {
            let mut context = Context::new();
            if let Some(team) = team {
                context.set("aws:PrincipalTag/team", team);
            }
            if let Some(secure) = secure {
                context.set("aws:SecureTransport", secure.to_string());
            }
            Request {
                principal,
                action: action.into(),
                resource: resource.into(),
                resource_account: Some(if own_account { ACCOUNT } else { OTHER }.into()),
                context,
            }
        })
}

/// What a decision says, without what reordering changes: statement indexes,
/// positions and policy ids (which follow the policies' places in the set).
type Summary = (
    EvalDecision,
    Option<PolicyType>,
    Option<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

fn summary(d: &Decision) -> Summary {
    let statements = |v: &[MatchedStatement]| {
        let mut out: Vec<String> = v
            .iter()
            .map(|s| format!("{:?}/{}/{:?}", s.policy_type, s.sid.as_deref().unwrap_or(""), s.effect))
            .collect();
        out.sort();
        out
    };
    // Keys are reported as first written; names are case-insensitive.
    let mut missing: Vec<String> = d.missing_context_keys.iter().map(|k| k.to_ascii_lowercase()).collect();
    missing.sort();
    (
        d.decision,
        d.denied_by,
        d.message.clone(),
        statements(&d.deciding_statements),
        statements(&d.matched_statements),
        missing,
    )
}

/// A deny of `action` on every resource, for a policy of `slot`.
fn deny_statement(action: &str) -> St {
    St {
        sid: 99,
        allow: false,
        not_action: false,
        actions: vec![ACTIONS.iter().copied().find(|a| *a == action).unwrap_or("*")],
        not_resource: false,
        resources: vec!["*"],
        principal: r#""*""#,
        condition: None,
    }
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn an_explicit_deny_beats_any_allow(spec in set_spec(), req in request(), target in 0usize..6) {
        // Policies that do not apply to the caller cannot deny it: session policies
        // apply to sessions only, and a caller without an identity side (web identity,
        // service, anonymous) is judged by resource-side policies alone.
        let applies = match target {
            3 => req.principal.is_session(),
            0 | 2 | 4 => req.principal.has_identity_side(),
            _ => true,
        };
        prop_assume!(applies);
        let mut spec = spec;
        let deny = deny_statement(&req.action);
        match target {
            0 => match spec.identity.first_mut() {
                Some(p) => p.push(deny),
                None => spec.identity.push(vec![deny]),
            },
            1 => spec.resource.get_or_insert_with(Vec::new).push(deny),
            2 => spec.boundary.get_or_insert_with(Vec::new).push(deny),
            3 => match spec.session.first_mut() {
                Some(p) => p.push(deny),
                None => spec.session.push(vec![deny]),
            },
            4 => match spec.scp.first_mut() {
                Some(level) => level[0].push(deny),
                None => spec.scp.push(vec![vec![deny]]),
            },
            _ => match spec.rcp.first_mut() {
                Some(level) => level[0].push(deny),
                None => spec.rcp.push(vec![vec![deny]]),
            },
        }
        let d = authorize(&spec.build(), &req);
        prop_assert_eq!(d.decision, EvalDecision::ExplicitDeny, "{:#?}", d);
        prop_assert!(!d.deciding_statements.is_empty());
        prop_assert!(d.deciding_statements.iter().all(|s| s.effect == Effect::Deny));
        prop_assert!(d.message.as_deref().is_some_and(|m| m.contains("with an explicit deny in a")), "{:?}", d.message);
    }

    #[test]
    fn adding_an_allow_statement_never_removes_access(
        spec in set_spec(),
        req in request(),
        extra in statement(1.0),
        target in any::<prop::sample::Index>(),
    ) {
        let set = spec.build();
        let before = authorize(&set, &req);
        if before.is_allowed() {
            let mut spec = spec;
            let mut policies = spec.policies_mut();
            if !policies.is_empty() {
                let i = target.index(policies.len());
                let mut extra = extra;
                extra.sid = 99;
                policies[i].1.push(extra);
                let after = authorize(&spec.build(), &req);
                prop_assert!(after.is_allowed(), "before: {:#?}\nafter: {:#?}", before, after);
            }
        }
    }

    #[test]
    fn decisions_do_not_depend_on_statement_or_policy_order(
        spec in set_spec(),
        req in request(),
        seed in any::<u64>(),
    ) {
        let before = authorize(&spec.build(), &req);
        let mut shuffled = spec.clone();
        let mut rng = Lcg(seed);
        for (_, p) in shuffled.policies_mut() {
            rng.shuffle(p);
        }
        rng.shuffle(&mut shuffled.identity);
        rng.shuffle(&mut shuffled.session);
        for level in shuffled.scp.iter_mut().chain(shuffled.rcp.iter_mut()) {
            rng.shuffle(level);
        }
        rng.shuffle(&mut shuffled.scp);
        rng.shuffle(&mut shuffled.rcp);
        let after = authorize(&shuffled.build(), &req);
        prop_assert_eq!(summary(&before), summary(&after));
    }
}

/// A tiny deterministic generator for shuffles inside a property.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

// ====================================================================== NotAction / NotResource

/// The regex oracle for `*` / `?` patterns.
fn oracle(pattern: &str) -> regex::Regex {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

fn action_matches(pattern: &str, action: &str) -> bool {
    oracle(&pattern.to_ascii_lowercase()).is_match(&action.to_ascii_lowercase())
}

fn one_statement_set(effect: &str, element: &str, values: &[&str], other: &str) -> PolicySet {
    let values = serde_json::to_string(values).unwrap_or_default();
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "Under", "Effect": "{effect}", "{element}": {values}, {other}}}]}}"#
    );
    let mut identity = vec![
        Policy::parse_with_id(PolicyKind::Identity, "under-test", &text).unwrap_or_else(|e| panic!("{e}\n{text}")),
    ];
    if effect == "Deny" {
        identity.push(
            Policy::parse_with_id(
                PolicyKind::Identity,
                "allow-all",
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
            )
            .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    PolicySet {
        identity,
        ..PolicySet::default()
    }
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn not_action_agrees_with_action_over_the_complement(
        excluded in prop::collection::vec(select(ACTION_PATTERNS), 0..4),
        allow in any::<bool>(),
        principal in select(callers()),
    ) {
        let effect = if allow { "Allow" } else { "Deny" };
        let complement: Vec<&str> = ACTIONS
            .iter()
            .copied()
            .filter(|a| !excluded.iter().any(|p| action_matches(p, a)))
            .collect();
        let negative = one_statement_set(effect, "NotAction", &excluded, r#""Resource": "*""#);
        let positive = one_statement_set(effect, "Action", &complement, r#""Resource": "*""#);
        for action in ACTIONS {
            for resource in RESOURCES {
                let req = Request {
                    principal: principal.clone(),
                    action: (*action).into(),
                    resource: (*resource).into(),
                    resource_account: Some(ACCOUNT.into()),
                    context: Context::new(),
                };
                let (n, p) = (authorize(&negative, &req), authorize(&positive, &req));
                prop_assert_eq!(n.decision, p.decision, "{} {:?} vs {:?} on {}", effect, excluded, complement, action);
                prop_assert_eq!(n.denied_by, p.denied_by);
                prop_assert_eq!(n.message, p.message);
            }
        }
    }

    #[test]
    fn not_resource_agrees_with_resource_over_the_complement(
        excluded in prop::collection::vec(select(RESOURCES), 0..4),
        star in prop::bool::weighted(0.1),
        allow in any::<bool>(),
        principal in select(callers()),
    ) {
        let effect = if allow { "Allow" } else { "Deny" };
        let mut excluded = excluded;
        if star {
            excluded.push("*");
        }
        let complement: Vec<&str> = RESOURCES
            .iter()
            .copied()
            .filter(|r| !excluded.iter().any(|e| *e == "*" || e == r))
            .collect();
        let negative = one_statement_set(effect, "NotResource", &excluded, r#""Action": "*""#);
        let positive = one_statement_set(effect, "Resource", &complement, r#""Action": "*""#);
        for action in ACTIONS {
            for resource in RESOURCES {
                let req = Request {
                    principal: principal.clone(),
                    action: (*action).into(),
                    resource: (*resource).into(),
                    resource_account: Some(ACCOUNT.into()),
                    context: Context::new(),
                };
                let (n, p) = (authorize(&negative, &req), authorize(&positive, &req));
                prop_assert_eq!(n.decision, p.decision, "{} {:?} vs {:?} on {}", effect, excluded, complement, resource);
                prop_assert_eq!(n.denied_by, p.denied_by);
            }
        }
    }
}

// ====================================================================== wildcard matcher

const PATTERN_CHARS: &[char] = &['a', 'b', 'é', '日', '😀', '.', '\\', '*', '?', '*', '?'];
const TEXT_CHARS: &[char] = &['a', 'b', 'é', '日', '😀', '.', '\\', '*', '?'];

fn text_over(chars: &'static [char], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(select(chars), 0..max).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(config(CASES * 4))]

    #[test]
    fn glob_agrees_with_a_regex_oracle(pattern in text_over(PATTERN_CHARS, 10), text in text_over(TEXT_CHARS, 14)) {
        prop_assert_eq!(
            Glob::new(&pattern).matches(&text),
            oracle(&pattern).is_match(&text),
            "{:?} vs {:?}", pattern, text
        );
    }

    #[test]
    fn glob_matches_its_own_instances(pattern in text_over(PATTERN_CHARS, 10), fill in text_over(TEXT_CHARS, 4)) {
        // Replace each `*` by `fill` and each `?` by one character: the result must match.
        let one = fill.chars().next().unwrap_or('x');
        let text: String = pattern
            .chars()
            .map(|c| match c {
                '*' => fill.clone(),
                '?' => one.to_string(),
                c => c.to_string(),
            })
            .collect();
        prop_assert!(Glob::new(&pattern).matches(&text), "{:?} vs {:?}", pattern, text);
        prop_assert!(oracle(&pattern).is_match(&text));
    }
}

#[test]
fn glob_oracle_agrees_on_hand_picked_cases() {
    for (p, t) in [
        ("a*b?", "a😀b日"),
        ("*?", ""),
        ("?*?", "é"),
        ("*a*", "日a日"),
        ("\\*", "\\anything"),
    ] {
        assert_eq!(Glob::new(p).matches(t), oracle(p).is_match(t), "{p:?} vs {t:?}");
    }
}

// ====================================================================== parse → print → parse

const STRING_CHARS: &[char] = &[
    'a', 'Z', '0', ':', '*', '?', '/', '$', '{', '}', '"', '\\', '\n', '\t', '\r', '\u{1}', '\u{1f}', '\u{7f}', 'é',
    '日', '😀', ' ', ',', '\'',
];

fn string() -> impl Strategy<Value = String> {
    text_over(STRING_CHARS, 7)
}

fn loc<T>(value: T) -> Located<T> {
    Located::new(value, Position::default())
}

fn strings() -> impl Strategy<Value = OneOrMany<Located<String>>> {
    prop_oneof![
        string().prop_map(|s| OneOrMany::One(loc(s))),
        prop::collection::vec(string(), 0..3).prop_map(|v| OneOrMany::Many(v.into_iter().map(loc).collect())),
    ]
}

/// JSON numbers as an author may write them.
fn number() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop_oneof![
            Just("0".to_string()),
            (1u64..10_000_000_000).prop_map(|n| n.to_string())
        ],
        prop::option::of(1u32..100_000),
        prop::option::of((select(&["e", "E"][..]), select(&["", "+", "-"][..]), 0u32..400)),
    )
        .prop_map(|(negative, int, frac, exp)| {
            let mut s = String::new();
            if negative {
                s.push('-');
            }
            s.push_str(&int);
            if let Some(f) = frac {
                s.push('.');
                s.push_str(&format!("{f:03}"));
            }
            if let Some((e, sign, n)) = exp {
                s.push_str(e);
                s.push_str(sign);
                s.push_str(&n.to_string());
            }
            s
        })
}

fn condition_value() -> impl Strategy<Value = ConditionValue> {
    prop_oneof![
        string().prop_map(ConditionValue::String),
        number().prop_map(ConditionValue::Number),
        any::<bool>().prop_map(ConditionValue::Bool),
    ]
}

fn condition_values() -> impl Strategy<Value = OneOrMany<Located<ConditionValue>>> {
    prop_oneof![
        condition_value().prop_map(|v| OneOrMany::One(loc(v))),
        prop::collection::vec(condition_value(), 0..3).prop_map(|v| OneOrMany::Many(v.into_iter().map(loc).collect())),
    ]
}

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotLike",
    "StringEqualsIgnoreCaseIfExists",
    "ForAllValues:StringLike",
    "ForAnyValue:ArnNotEquals",
    "NumericLessThanEquals",
    "DateGreaterThan",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddressIfExists",
    "ArnLike",
    "Null",
];

fn condition() -> impl Strategy<Value = Vec<ConditionBlock>> {
    prop::collection::vec(
        (
            select(OPERATORS),
            prop::collection::vec((string(), condition_values()), 0..3),
        ),
        0..3,
    )
    .prop_map(|blocks| {
        let mut out: Vec<ConditionBlock> = Vec::new();
        for (op, entries) in blocks {
            if out.iter().any(|b| b.operator.value == op) {
                continue;
            }
            let mut kept: Vec<ConditionEntry> = Vec::new();
            for (key, values) in entries {
                if !kept.iter().any(|e| e.key.value == key) {
                    kept.push(ConditionEntry { key: loc(key), values });
                }
            }
            out.push(ConditionBlock {
                operator: loc(op.to_string()),
                entries: kept,
            });
        }
        out
    })
}

fn principal_element() -> impl Strategy<Value = PrincipalElement> {
    let types = vec![
        PrincipalType::Aws,
        PrincipalType::Federated,
        PrincipalType::Service,
        PrincipalType::CanonicalUser,
    ];
    let map = (
        prop::sample::subsequence(types, 0..=4).prop_shuffle(),
        prop::collection::vec(strings(), 4),
    )
        .prop_map(|(types, values)| {
            PrincipalValue::Map(types.into_iter().zip(values).map(|(t, v)| (loc(t), v)).collect())
        });
    (any::<bool>(), prop_oneof![Just(PrincipalValue::Wildcard), map]).prop_map(|(negated, value)| PrincipalElement {
        negated,
        value,
        pos: Position::default(),
    })
}

fn statement_model() -> impl Strategy<Value = Statement> {
    (
        prop::option::of(string()),
        prop::option::of(prop_oneof![Just(Effect::Allow), Just(Effect::Deny)]),
        prop::option::of(principal_element()),
        prop::option::of((any::<bool>(), strings())),
        prop::option::of((any::<bool>(), strings())),
        prop::option::of(condition()),
    )
        .prop_flat_map(|(sid, effect, principal, action, resource, condition)| {
            let mut present = Vec::new();
            if sid.is_some() {
                present.push(StatementElement::Sid);
            }
            if effect.is_some() {
                present.push(StatementElement::Effect);
            }
            if principal.is_some() {
                present.push(StatementElement::Principal);
            }
            if action.is_some() {
                present.push(StatementElement::Action);
            }
            if resource.is_some() {
                present.push(StatementElement::Resource);
            }
            if condition.is_some() {
                present.push(StatementElement::Condition);
            }
            Just(present).prop_shuffle().prop_map(move |order| Statement {
                sid: sid.clone().map(loc),
                effect: effect.map(loc),
                principal: principal.clone(),
                action: action.clone().map(|(negated, values)| ActionElement {
                    negated,
                    values,
                    pos: Position::default(),
                }),
                resource: resource.clone().map(|(negated, values)| ResourceElement {
                    negated,
                    values,
                    pos: Position::default(),
                }),
                condition: condition.clone().map(loc),
                order,
                pos: Position::default(),
            })
        })
}

fn document_model() -> impl Strategy<Value = PolicyDocument> {
    let version = prop_oneof![
        3 => select(&["2012-10-17", "2008-10-17"][..]).prop_map(str::to_string),
        1 => string(),
    ];
    let statements = prop_oneof![
        statement_model().prop_map(OneOrMany::One),
        prop::collection::vec(statement_model(), 0..4).prop_map(OneOrMany::Many),
    ];
    (
        prop::option::of(version),
        prop::option::of(string()),
        prop::option::of(statements),
    )
        .prop_flat_map(|(version, id, statements)| {
            let mut present = Vec::new();
            if version.is_some() {
                present.push(TopElement::Version);
            }
            if id.is_some() {
                present.push(TopElement::Id);
            }
            if statements.is_some() {
                present.push(TopElement::Statement);
            }
            Just(present).prop_shuffle().prop_map(move |order| PolicyDocument {
                version: version.clone().map(loc),
                id: id.clone().map(loc),
                statements: statements.clone().unwrap_or(OneOrMany::Many(Vec::new())),
                order,
                pos: Position::default(),
            })
        })
}

/// Sets every position to the default: a position says where, not what.
fn without_positions(mut doc: PolicyDocument) -> PolicyDocument {
    let p = Position::default();
    doc.pos = p;
    if let Some(v) = &mut doc.version {
        v.pos = p;
    }
    if let Some(v) = &mut doc.id {
        v.pos = p;
    }
    let statements: &mut [Statement] = match &mut doc.statements {
        OneOrMany::One(s) => std::slice::from_mut(s),
        OneOrMany::Many(v) => v,
    };
    for st in statements {
        st.pos = p;
        if let Some(x) = &mut st.principal {
            x.pos = p;
        }
        if let Some(x) = &mut st.action {
            x.pos = p;
        }
        if let Some(x) = &mut st.resource {
            x.pos = p;
        }
    }
    doc
}

fn reparse(text: &str) -> PolicyDocument {
    let parsed = parse_document(text);
    match parsed.document {
        Some(d) => d,
        None => panic!("printed text does not parse: {:?}\n{text}", parsed.findings),
    }
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn parse_print_parse_is_the_identity(doc in document_model()) {
        let printed = to_json(&doc);
        let parsed = reparse(&printed);
        // Only the structural problems a generated document may carry: an unknown
        // Version, no Statement.
        let parsed_findings = parse_document(&printed).findings;
        prop_assert!(
            parsed_findings.iter().all(|f| matches!(f.code, "INVALID_VERSION" | "MISSING_STATEMENT")),
            "{:?}\n{}", parsed_findings, printed
        );
        prop_assert_eq!(without_positions(parsed.clone()), without_positions(doc), "{}", printed);
        // Printing what was read gives the same text again.
        prop_assert_eq!(to_json(&parsed), printed);
    }

    #[test]
    fn printing_generated_policy_sets_round_trips(spec in set_spec()) {
        // Documents as authors write them (compact, one line) survive printing.
        let set = spec.build();
        let policies = set
            .identity
            .iter()
            .chain(set.resource.iter())
            .chain(set.permissions_boundary.iter())
            .chain(set.session.iter())
            .chain(set.scp_levels.iter().flatten())
            .chain(set.rcp_levels.iter().flatten());
        for policy in policies {
            let printed = to_json(policy.document());
            let reread = Policy::parse(policy.kind(), &printed);
            prop_assert!(reread.is_ok(), "{:?}\n{}", reread.err(), printed);
            let reread = reread.unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(
                without_positions(reread.document().clone()),
                without_positions(policy.document().clone())
            );
            prop_assert_eq!(to_json(reread.document()), printed);
        }
    }
}

#[test]
fn documents_equal_up_to_layout_compare_equal() {
    // model.rs: "a position says where, not what" — yet only `Located` ignores positions.
    let compact = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let doc = reparse(compact);
    let printed = to_json(&doc);
    assert_eq!(reparse(&printed), doc);
}

#[test]
fn generated_sets_allow_often_enough_to_exercise_the_properties() {
    // The monotonicity property only bites on allowed requests: make sure the
    // generators produce a fair share of them, cross-account ones included.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (set_spec(), request());
    let (mut allowed, mut cross_account_allowed, mut explicit) = (0, 0, 0);
    let total = 1000;
    for _ in 0..total {
        let (spec, req) = strategy
            .new_tree(&mut runner)
            .unwrap_or_else(|e| panic!("{e}"))
            .current();
        let d = authorize(&spec.build(), &req);
        if d.is_allowed() {
            allowed += 1;
            if req.principal.account() != req.resource_account() {
                cross_account_allowed += 1;
            }
        }
        if d.decision == EvalDecision::ExplicitDeny {
            explicit += 1;
        }
    }
    assert!(allowed * 10 >= total, "only {allowed} of {total} allowed");
    assert!(cross_account_allowed > 0, "no cross-account request allowed");
    assert!(explicit * 10 >= total, "only {explicit} of {total} explicitly denied");
    eprintln!("allowed {allowed}, cross-account allowed {cross_account_allowed}, explicit deny {explicit} of {total}");
}
