//! Unit tests of the linter: each check is shown to fire, and not to fire.

use super::*;

const ACCT: &str = "111122223333";
const OIDC_HOST: &str = "oidc.example.com/cluster";

fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

fn findings(text: &str, kind: PolicyKind) -> Vec<Finding> {
    lint(text, Some(kind)).findings
}

fn codes(text: &str, kind: PolicyKind) -> Vec<&'static str> {
    findings(text, kind).into_iter().map(|f| f.code).collect()
}

fn has(text: &str, kind: PolicyKind, code: &str) -> bool {
    codes(text, kind).contains(&code)
}

fn count(text: &str, kind: PolicyKind, code: &str) -> usize {
    codes(text, kind).iter().filter(|c| **c == code).count()
}

fn get(text: &str, kind: PolicyKind, code: &str) -> Finding {
    findings(text, kind)
        .into_iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", findings(text, kind)))
}

/// An identity statement allowing `action` on `*` with `condition`.
fn with_condition(condition: &str) -> String {
    doc(&format!(
        r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}"#
    ))
}

fn oidc_trust(condition: &str) -> String {
    let cond = if condition.is_empty() {
        String::new()
    } else {
        format!(r#","Condition":{condition}"#)
    };
    doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{ACCT}:oidc-provider/{OIDC_HOST}"}},"Action":"sts:AssumeRoleWithWebIdentity"{cond}}}"#
    ))
}

fn trust_principal(principal: &str) -> String {
    doc(&format!(
        r#"{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}"#
    ))
}

// --- the acceptance test: the seed's trust policy -----------------------------

fn seed() -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/seed/trust-policy.as-published.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            println!("note: {} is absent; skipping the seed test", path.display());
            None
        }
    }
}

fn at(f: &Finding) -> (u32, u32) {
    (f.position.line, f.position.column)
}

#[test]
fn seed_trust_policy_reports_every_defect_at_its_place() {
    let Some(text) = seed() else { return };
    for kind in [None, Some(PolicyKind::Trust)] {
        let report = lint(&text, kind);
        assert_eq!(report.kind, PolicyKind::Trust);
        assert_eq!(report.kind_inferred, kind.is_none());
        assert!(report.has_errors());
        let f = &report.findings;
        let find = |code: &str| -> Vec<&Finding> { f.iter().filter(|x| x.code == code).collect() };

        let version = find("INVALID_VERSION");
        assert_eq!(version.len(), 1);
        assert_eq!(at(version[0]), (2, 13));
        assert!(version[0].message.contains("2021-10-17"));

        let json = find("JSON_SYNTAX_ERROR");
        assert_eq!(json.len(), 1);
        assert_eq!(at(json[0]), (4, 3));
        let fix = json[0].fix.as_deref().unwrap();
        assert!(
            fix.contains("line 3, column 15") && fix.contains("line 10, column 2"),
            "{fix}"
        );

        let action = find("MISSING_ACTION");
        assert_eq!(action.len(), 1);
        assert_eq!(at(action[0]), (4, 3));
        assert!(action[0].fix.as_deref().unwrap().contains("sts:AssumeRole"));

        let placeholders: Vec<_> = find("PLACEHOLDER_IN_VALUE").into_iter().map(at).collect();
        assert_eq!(placeholders, [(7, 26), (7, 66), (7, 88)]);
        assert!(
            find("PLACEHOLDER_IN_VALUE")[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("12-digit")
        );

        let session = find("ASSUMED_ROLE_SESSION_PRINCIPAL");
        assert_eq!(session.len(), 1);
        assert_eq!(at(session[0]), (7, 12));
        assert_eq!(session[0].severity, Severity::Warning);
        assert!(
            session[0]
                .fix
                .as_deref()
                .unwrap()
                .contains(":role/<ccoctl created role>")
        );

        // Sorted by position, every finding with a fix.
        assert!(f.windows(2).all(|w| w[0].position.offset <= w[1].position.offset));
        assert!(f.iter().all(|x| x.fix.is_some()));
    }
}

// --- clean documents give nothing -------------------------------------------

#[test]
fn clean_policies_have_no_findings() {
    let identity = doc(
        r#"{"Sid":"Read","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],
        "Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
        "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:userid}"]},
        "Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":["203.0.113.0/24"]}}}"#,
    );
    assert_eq!(codes(&identity, PolicyKind::Identity), Vec::<&str>::new());
    let trust = oidc_trust(&format!(
        r#"{{"StringEquals":{{"{OIDC_HOST}:sub":"system:serviceaccount:ns:app","{OIDC_HOST}:aud":"sts.amazonaws.com"}}}}"#
    ));
    assert_eq!(codes(&trust, PolicyKind::Trust), Vec::<&str>::new());
    let report = lint(&trust, None);
    assert_eq!(report.kind, PolicyKind::Trust);
    assert!(!report.has_errors());
}

// --- JSON slips ------------------------------------------------------------------

#[test]
fn trailing_comma_is_reported_and_the_rest_still_linted() {
    let text = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\n\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceVpc\":\"vpc-*\"}},}]}";
    let f = findings(text, PolicyKind::Identity);
    let json = f.iter().find(|x| x.code == "JSON_SYNTAX_ERROR").unwrap();
    assert!(json.fix.as_deref().unwrap().contains("remove the `,` at line 2"));
    let wildcard = f.iter().find(|x| x.code == "WILDCARD_WITHOUT_LIKE_OPERATOR").unwrap();
    assert_eq!(wildcard.position.line, 2);
}

#[test]
fn two_slips_are_both_reported() {
    let text = "{\"Statement\": {\n  {\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",},\n}}";
    let f = findings(text, PolicyKind::Identity);
    assert_eq!(f.iter().filter(|x| x.code == "JSON_SYNTAX_ERROR").count(), 3, "{f:#?}");
    assert!(f.iter().any(|x| x.code == "MISSING_VERSION"));
}

#[test]
fn other_json_errors_stop_the_lint() {
    let f = findings(r#"{"Version" "2012-10-17"}"#, PolicyKind::Identity);
    assert_eq!(f.iter().map(|x| x.code).collect::<Vec<_>>(), ["JSON_SYNTAX_ERROR"]);
    // An object-for-array slip whose brace is not the one before the error is left alone.
    let f = findings(r#"{"Statement": {"a": 1, {"b": 2}}}"#, PolicyKind::Identity);
    assert_eq!(f.iter().map(|x| x.code).collect::<Vec<_>>(), ["JSON_SYNTAX_ERROR"]);
}

#[test]
fn repair_is_same_length_and_skips_strings() {
    let text = r#"{"S": { {"k": "}{"} }}"#;
    let e = json::parse(text).unwrap_err();
    let (fixed, _) = repair(text, &e).unwrap();
    assert_eq!(fixed.len(), text.len());
    assert_eq!(fixed, r#"{"S": [ {"k": "}{"} ]}"#);
    assert!(json::parse(&fixed).is_ok());
}

#[test]
fn invalid_utf8_is_reported_with_the_rest() {
    let mut bytes = doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Sid":""}"#).into_bytes();
    let at = bytes.iter().position(|b| *b == b'G').unwrap();
    bytes[at] = 0xff;
    let report = lint_bytes(&bytes, Some(PolicyKind::Identity));
    let codes: Vec<_> = report.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"JSON_SYNTAX_ERROR"), "{codes:?}");
    assert!(codes.contains(&"EMPTY_SID_VALUE"), "{codes:?}");
    assert!(!report.findings.iter().any(|f| f.message.contains("U+FFFD")));
}

// --- version and variables -----------------------------------------------------

#[test]
fn missing_version_is_a_warning() {
    let text = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let f = get(text, PolicyKind::Identity, "MISSING_VERSION");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(
        f.message,
        "We recommend that you specify the Version element to help you with debugging permission issues."
    );
    assert!(!has(
        &doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#),
        PolicyKind::Identity,
        "MISSING_VERSION"
    ));
}

#[test]
fn variables_need_version_2012() {
    let stmt = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}"#;
    let legacy = format!(r#"{{"Statement":[{stmt}]}}"#);
    let old = format!(r#"{{"Version":"2008-10-17","Statement":[{stmt}]}}"#);
    let f = get(&legacy, PolicyKind::Identity, "VARIABLE_UNSUPPORTED_IN_VERSION");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.message,
        "To include variables in your policy, use the policy version 2012-10-17 or later."
    );
    assert!(has(&old, PolicyKind::Identity, "VARIABLE_UNSUPPORTED_IN_VERSION"));
    assert!(!has(
        &doc(stmt),
        PolicyKind::Identity,
        "VARIABLE_UNSUPPORTED_IN_VERSION"
    ));
    // In condition values too.
    let cond = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"${aws:username}"}}}]}"#;
    assert!(has(cond, PolicyKind::Identity, "VARIABLE_UNSUPPORTED_IN_VERSION"));
    // A `${NAME}` template variable is a placeholder, not a policy variable.
    let tmpl = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${BUCKET}"}]}"#;
    assert!(!has(tmpl, PolicyKind::Identity, "VARIABLE_UNSUPPORTED_IN_VERSION"));
    assert!(has(tmpl, PolicyKind::Identity, "PLACEHOLDER_IN_VALUE"));
}

#[test]
fn variables_only_in_string_and_arn_operators() {
    let numeric = with_condition(r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"${aws:TokenIssueTime}"}}"#);
    let f = get(&numeric, PolicyKind::Identity, "INVALID_VARIABLE_FOR_OPERATOR");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.message,
        "Policy variables can only be used with String and ARN operators."
    );
    assert!(!has(&numeric, PolicyKind::Identity, "TYPE_MISMATCH_NUMBER"));
    for op in ["DateLessThan", "Bool", "BinaryEquals", "IpAddress", "Null"] {
        let text = with_condition(&format!(r#"{{"{op}":{{"aws:SourceIp":"${{aws:username}}"}}}}"#));
        assert!(
            has(&text, PolicyKind::Identity, "INVALID_VARIABLE_FOR_OPERATOR"),
            "{op}"
        );
    }
    for op in ["StringEquals", "ArnLike"] {
        let text = with_condition(&format!(
            r#"{{"{op}":{{"aws:PrincipalArn":"arn:aws:iam::{ACCT}:user/${{aws:username}}"}}}}"#
        ));
        assert!(
            !has(&text, PolicyKind::Identity, "INVALID_VARIABLE_FOR_OPERATOR"),
            "{op}"
        );
    }
}

// --- principals --------------------------------------------------------------------

#[test]
fn wildcard_principal_without_condition() {
    for principal in [r#""*""#, r#"{"AWS":"*"}"#, r#"{"AWS":["111122223333","*"]}"#] {
        let text = trust_principal(principal);
        let f = get(&text, PolicyKind::Trust, "WILDCARD_PRINCIPAL");
        assert_eq!(f.severity, Severity::SecurityWarning);
    }
    let resource = doc(r#"{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*"}"#);
    assert!(has(&resource, PolicyKind::DynamodbTable, "WILDCARD_PRINCIPAL"));
    // A condition, a Deny, or another kind: no warning.
    let conditioned = doc(
        r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}"#,
    );
    assert!(!has(&conditioned, PolicyKind::Trust, "WILDCARD_PRINCIPAL"));
    let deny = doc(r#"{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}"#);
    assert!(!has(&deny, PolicyKind::Trust, "WILDCARD_PRINCIPAL"));
    let rcp = doc(r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}"#);
    assert!(!has(&rcp, PolicyKind::Rcp, "WILDCARD_PRINCIPAL"));
}

#[test]
fn allow_with_not_principal() {
    let allow =
        doc(r#"{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}"#);
    let f = get(&allow, PolicyKind::Resource, "ALLOW_WITH_NOT_PRINCIPAL");
    assert_eq!(f.severity, Severity::SecurityWarning);
    let deny = allow.replace("Allow", "Deny");
    assert!(!has(&deny, PolicyKind::Resource, "ALLOW_WITH_NOT_PRINCIPAL"));
}

#[test]
fn oidc_principal_needs_a_sub_condition() {
    let bare = oidc_trust("");
    let f = get(&bare, PolicyKind::Trust, "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL");
    assert_eq!(f.severity, Severity::SecurityWarning);
    assert!(f.fix.as_deref().unwrap().contains(&format!("{OIDC_HOST}:sub")));
    assert!(f.message.contains("any service account"));

    let sub = oidc_trust(&format!(
        r#"{{"StringEquals":{{"{OIDC_HOST}:sub":"system:serviceaccount:ns:app"}}}}"#
    ));
    assert!(
        codes(&sub, PolicyKind::Trust).is_empty(),
        "{:?}",
        codes(&sub, PolicyKind::Trust)
    );
    // Key names are case-insensitive.
    let upper = oidc_trust(&format!(
        r#"{{"StringEquals":{{"{}:SUB":"x"}}}}"#,
        OIDC_HOST.to_uppercase()
    ));
    assert!(!has(
        &upper,
        PolicyKind::Trust,
        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL"
    ));

    let aud = oidc_trust(&format!(
        r#"{{"StringEquals":{{"{OIDC_HOST}:aud":"sts.amazonaws.com"}}}}"#
    ));
    assert!(!has(
        &aud,
        PolicyKind::Trust,
        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL"
    ));
    assert_eq!(
        get(&aud, PolicyKind::Trust, "OIDC_PRINCIPAL_WITHOUT_SUB_CONDITION").severity,
        Severity::Warning
    );

    let other = oidc_trust(r#"{"StringEquals":{"oidc.other.example:sub":"system:serviceaccount:ns:app"}}"#);
    let f = get(&other, PolicyKind::Trust, "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL");
    assert!(f.message.contains("oidc.other.example:sub"), "{}", f.message);

    // Only trust policies, only Allow.
    assert!(!has(
        &bare.replace("Allow", "Deny"),
        PolicyKind::Trust,
        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL"
    ));
}

#[test]
fn github_and_web_identity_providers() {
    let gh = doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}}}}"#
    ));
    assert!(has(&gh, PolicyKind::Trust, "MISSING_GITHUB_REPO_CONDITION_KEY"));
    let gh_ok = gh.replace(
        r#""StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}"#,
        r#""StringLike":{"token.actions.githubusercontent.com:sub":"repo:o/r:*"}"#,
    );
    assert!(!has(&gh_ok, PolicyKind::Trust, "MISSING_GITHUB_REPO_CONDITION_KEY"));

    let cognito = doc(
        r#"{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#,
    );
    assert!(has(
        &cognito,
        PolicyKind::Trust,
        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL"
    ));
    let cognito_ok = cognito.replace(
        r#""Action""#,
        r#""Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:pool"}},"Action""#,
    );
    assert!(!has(
        &cognito_ok,
        PolicyKind::Trust,
        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL"
    ));
}

#[test]
fn provider_urls_are_not_arns_or_keys() {
    let url_in_arn = doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{ACCT}:oidc-provider/https://oidc.example.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"oidc.example.com:sub":"x"}}}}}}"#
    ));
    let f = get(&url_in_arn, PolicyKind::Trust, "INVALID_PRINCIPAL");
    assert!(f.fix.as_deref().unwrap().ends_with("oidc-provider/oidc.example.com"));
    assert!(!has(
        &url_in_arn,
        PolicyKind::Trust,
        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL"
    ));

    let url = doc(
        r#"{"Effect":"Allow","Principal":{"Federated":"https://oidc.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#,
    );
    assert!(has(&url, PolicyKind::Trust, "INVALID_PRINCIPAL"));

    let key = oidc_trust(&format!(r#"{{"StringEquals":{{"https://{OIDC_HOST}:sub":"x"}}}}"#));
    let f = get(&key, PolicyKind::Trust, "INVALID_OIDC_CONDITION_KEY");
    assert_eq!(f.fix.as_deref(), Some(format!("write `{OIDC_HOST}:sub`").as_str()));

    let claim = oidc_trust(&format!(
        r#"{{"StringEquals":{{"{OIDC_HOST}:sub":"x","{OIDC_HOST}:scope":"y"}}}}"#
    ));
    assert_eq!(count(&claim, PolicyKind::Trust, "INVALID_OIDC_CONDITION_KEY"), 1);
    let typo = oidc_trust(&format!(r#"{{"StringEquals":{{"{OIDC_HOST}:subb":"x"}}}}"#));
    assert!(
        get(&typo, PolicyKind::Trust, "INVALID_OIDC_CONDITION_KEY")
            .fix
            .unwrap()
            .contains(":sub`?")
    );
}

#[test]
fn principal_shapes() {
    let bad = [
        r#"{"AWS":"12345"}"#,
        r#"{"AWS":"arn:aws:iam::12345:root"}"#,
        r#"{"AWS":"arn:aws:iam::*:role/x"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:role/team-*"}"#,
        r#"{"AWS":"arn:aws:s3:::bucket"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:group/admins"}"#,
        r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/R"}"#,
        r#"{"AWS":"arn:aws:iam:us-east-1:111122223333:root"}"#,
        r#"{"AWS":"arn:aws:iam::${aws:PrincipalAccount}:root"}"#,
        r#"{"AWS":"someone"}"#,
        r#"{"Service":"EC2.amazonaws.com"}"#,
        r#"{"Service":"*.amazonaws.com"}"#,
        r#"{"Federated":"arn:aws:iam::111122223333:user/x"}"#,
    ];
    for principal in bad {
        let text = trust_principal(principal);
        let f = get(&text, PolicyKind::Trust, "INVALID_PRINCIPAL");
        assert_eq!(f.severity, Severity::Error, "{principal}");
        assert!(f.message.starts_with("Invalid principal in policy"), "{principal}");
    }
    let good = [
        r#"{"AWS":"111122223333"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:role/path/app"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
        r#"{"AWS":"arn:aws:sts::111122223333:federated-user/bob"}"#,
        r#"{"AWS":"AROAEXAMPLEID1234567"}"#,
        r#"{"Service":"ec2.amazonaws.com"}"#,
    ];
    for principal in good {
        let text = trust_principal(principal);
        assert!(
            codes(&text, PolicyKind::Trust).is_empty(),
            "{principal}: {:?}",
            codes(&text, PolicyKind::Trust)
        );
    }
}

#[test]
fn session_arn_principal_in_trust_policies() {
    let text = trust_principal(r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/app/session-1"}"#);
    let f = get(&text, PolicyKind::Trust, "ASSUMED_ROLE_SESSION_PRINCIPAL");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("session-1"));
    assert!(f.fix.as_deref().unwrap().contains("arn:aws:iam::111122223333:role/app"));
    let resource = doc(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/app/s"},"Action":"s3:GetObject","Resource":"*"}"#,
    );
    assert!(!has(&resource, PolicyKind::Resource, "ASSUMED_ROLE_SESSION_PRINCIPAL"));
}

#[test]
fn trust_action_must_fit_the_principal() {
    let wrong = doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{ACCT}:oidc-provider/{OIDC_HOST}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"{OIDC_HOST}:sub":"x"}}}}}}"#
    ));
    let f = get(&wrong, PolicyKind::Trust, "TRUST_ACTION_MISMATCH");
    assert!(f.fix.as_deref().unwrap().contains("sts:AssumeRoleWithWebIdentity"));
    for action in [
        "sts:AssumeRoleWithWebIdentity",
        "sts:*",
        "STS:assumerolewithwebidentity",
    ] {
        let right = wrong.replace(r#""sts:AssumeRole""#, &format!(r#""{action}""#));
        assert!(!has(&right, PolicyKind::Trust, "TRUST_ACTION_MISMATCH"), "{action}");
    }
    let aws = doc(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:TagSession"}"#);
    assert!(has(&aws, PolicyKind::Trust, "TRUST_ACTION_MISMATCH"));
}

#[test]
fn missing_action_fix_names_the_assume_call() {
    let fed = doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{ACCT}:oidc-provider/{OIDC_HOST}"}}}}"#
    ));
    let f = get(&fed, PolicyKind::Trust, "MISSING_ACTION");
    assert!(f.fix.unwrap().contains("sts:AssumeRoleWithWebIdentity"));
    let id = doc(r#"{"Effect":"Allow","Resource":"*"}"#);
    assert!(
        !get(&id, PolicyKind::Identity, "MISSING_ACTION")
            .fix
            .unwrap()
            .contains("AssumeRole")
    );
}

// --- placeholders ------------------------------------------------------------------

#[test]
fn placeholders_are_errors_with_a_fix() {
    let resource = |r: &str| {
        doc(&format!(
            r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{r}"}}"#
        ))
    };
    let f = get(
        &resource("arn:aws:s3:::<bucket name>/*"),
        PolicyKind::Identity,
        "PLACEHOLDER_IN_VALUE",
    );
    assert_eq!(f.severity, Severity::Error);
    assert!(f.fix.unwrap().contains("bucket's name"));
    let two = resource("arn:aws:dynamodb:REGION:ACCOUNT_ID:table/Orders");
    let fixes: Vec<String> = findings(&two, PolicyKind::Identity)
        .into_iter()
        .filter(|f| f.code == "PLACEHOLDER_IN_VALUE")
        .map(|f| f.fix.unwrap())
        .collect();
    assert_eq!(fixes.len(), 2, "{fixes:?}");
    assert!(fixes[0].contains("us-east-1") && fixes[1].contains("12-digit"));
    for r in [
        "arn:aws:iam::account:role/x",
        "arn:aws:s3:::{{bucket}}",
        "arn:aws:s3:::YOUR_BUCKET_NAME/*",
        "arn:aws:dynamodb:us-east-1:xxxxxxxxxxxx:table/T",
    ] {
        assert!(has(&resource(r), PolicyKind::Identity, "PLACEHOLDER_IN_VALUE"), "{r}");
    }
    for r in [
        "arn:aws:iam::123456789012:role/x",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:s3:::my-bucket/*",
        "*",
    ] {
        assert!(!has(&resource(r), PolicyKind::Identity, "PLACEHOLDER_IN_VALUE"), "{r}");
    }
    // A principal that is nothing but a placeholder word gets one finding, not two.
    let p = trust_principal(r#"{"AWS":"ACCOUNT_ID"}"#);
    assert_eq!(codes(&p, PolicyKind::Trust), ["PLACEHOLDER_IN_VALUE"]);
    // Condition values: `<...>` is a placeholder; a real value that is a word is not.
    let c = with_condition(r#"{"StringEquals":{"aws:PrincipalType":"Account","aws:PrincipalTag/ns":"<namespace>"}}"#);
    assert_eq!(count(&c, PolicyKind::Identity, "PLACEHOLDER_IN_VALUE"), 1);
}

// --- condition keys ----------------------------------------------------------------

#[test]
fn condition_key_case_and_typos() {
    let key = |k: &str| with_condition(&format!(r#"{{"StringEquals":{{"{k}":"x"}}}}"#));
    let f = get(&key("aws:SourceIP"), PolicyKind::Identity, "CONDITION_KEY_CASE");
    assert_eq!(f.severity, Severity::Suggestion);
    assert_eq!(f.fix.as_deref(), Some("write `aws:SourceIp`"));
    for (typo, canon) in [
        ("aws:SorceIp", "aws:SourceIp"),
        ("aws:PrincipleArn", "aws:PrincipalArn"),
        ("sts:ExternalID2", "sts:ExternalId"),
        ("dynamodb:LeadingKey", "dynamodb:LeadingKeys"),
        ("aws:ResourceTags/team", "aws:ResourceTag/team"),
    ] {
        let f = get(&key(typo), PolicyKind::Identity, "UNKNOWN_CONDITION_KEY");
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.message.contains(&format!("Did you mean `{canon}`?")),
            "{typo}: {}",
            f.message
        );
    }
    let tag = get(&key("AWS:resourcetag/Team"), PolicyKind::Identity, "CONDITION_KEY_CASE");
    assert_eq!(tag.fix.as_deref(), Some("write `aws:ResourceTag/Team`"));
    for fine in [
        "aws:SourceIp",
        "aws:ResourceTag/team",
        "aws:SourceVpce",
        "s3:prefix",
        "aws:SomethingQuiteDifferent",
        "ec2:Region",
    ] {
        let c = codes(&key(fine), PolicyKind::Identity);
        assert!(
            !c.contains(&"UNKNOWN_CONDITION_KEY") && !c.contains(&"CONDITION_KEY_CASE"),
            "{fine}: {c:?}"
        );
    }
}

#[test]
fn duplicate_keys_with_different_case() {
    let dup = with_condition(r#"{"StringEquals":{"aws:SourceVpc":"vpc-1","aws:sourcevpc":"vpc-2"}}"#);
    let f = get(&dup, PolicyKind::Identity, "DUPLICATE_KEYS_WITH_DIFFERENT_CASE");
    assert_eq!(f.severity, Severity::Error);
    let apart =
        with_condition(r#"{"StringEquals":{"aws:SourceVpc":"vpc-1"},"StringNotEquals":{"aws:sourcevpc":"vpc-2"}}"#);
    assert!(!has(&apart, PolicyKind::Identity, "DUPLICATE_KEYS_WITH_DIFFERENT_CASE"));
}

#[test]
fn set_qualifiers() {
    let all_single =
        with_condition(r#"{"ForAllValues:StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/x"}}"#);
    let f = get(
        &all_single,
        PolicyKind::Identity,
        "FOR_ALL_VALUES_WITH_SINGLE_VALUED_KEY",
    );
    assert_eq!(f.severity, Severity::SecurityWarning);
    assert!(f.fix.unwrap().contains("`StringEquals`"));
    let all_multi = with_condition(r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}"#);
    assert!(!has(
        &all_multi,
        PolicyKind::Identity,
        "FOR_ALL_VALUES_WITH_SINGLE_VALUED_KEY"
    ));
    assert!(!has(
        &all_multi,
        PolicyKind::Identity,
        "MULTIVALUED_KEY_WITHOUT_QUALIFIER"
    ));

    for k in [
        "aws:TagKeys",
        "dynamodb:LeadingKeys",
        "dynamodb:Attributes",
        "sts:TransitiveTagKeys",
        "aws:CalledVia",
        "cognito-identity.amazonaws.com:amr",
    ] {
        let bare = with_condition(&format!(r#"{{"StringEquals":{{"{k}":"a"}}}}"#));
        assert_eq!(
            get(&bare, PolicyKind::Identity, "MULTIVALUED_KEY_WITHOUT_QUALIFIER").severity,
            Severity::Warning,
            "{k}"
        );
    }
    let any = with_condition(r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":"a"}}"#);
    assert!(!has(&any, PolicyKind::Identity, "MULTIVALUED_KEY_WITHOUT_QUALIFIER"));
    let null = with_condition(r#"{"Null":{"aws:TagKeys":"false"}}"#);
    assert!(!has(&null, PolicyKind::Identity, "MULTIVALUED_KEY_WITHOUT_QUALIFIER"));
}

// --- condition values ------------------------------------------------------------

#[test]
fn like_without_wildcard() {
    let cond = |op: &str, v: &str| with_condition(&format!(r#"{{"{op}":{{"aws:PrincipalArn":"{v}"}}}}"#));
    for op in [
        "StringLike",
        "ForAnyValue:StringNotLikeIfExists",
        "ArnLike",
        "ArnNotLike",
    ] {
        let f = get(
            &cond(op, "arn:aws:iam::111122223333:role/x"),
            PolicyKind::Identity,
            "LIKE_OPERATOR_WITHOUT_WILDCARD",
        );
        assert_eq!(f.severity, Severity::Suggestion, "{op}");
    }
    assert!(has(
        &cond("StringLike", "a${*}b"),
        PolicyKind::Identity,
        "LIKE_OPERATOR_WITHOUT_WILDCARD"
    ));
    assert!(!has(
        &cond("StringLike", "arn:aws:iam::111122223333:role/*"),
        PolicyKind::Identity,
        "LIKE_OPERATOR_WITHOUT_WILDCARD"
    ));
    assert!(!has(
        &cond("StringLike", "ab?"),
        PolicyKind::Identity,
        "LIKE_OPERATOR_WITHOUT_WILDCARD"
    ));
    let f = get(
        &cond("StringLike", "x"),
        PolicyKind::Identity,
        "LIKE_OPERATOR_WITHOUT_WILDCARD",
    );
    assert!(f.fix.unwrap().contains("`StringEquals`"));
}

#[test]
fn wildcard_without_like() {
    let cond = |op: &str, v: &str| with_condition(&format!(r#"{{"{op}":{{"aws:PrincipalArn":"{v}"}}}}"#));
    for op in [
        "StringEquals",
        "StringNotEqualsIgnoreCase",
        "ForAnyValue:StringEqualsIfExists",
    ] {
        let f = get(
            &cond(op, "arn:aws:iam::111122223333:role/*"),
            PolicyKind::Identity,
            "WILDCARD_WITHOUT_LIKE_OPERATOR",
        );
        assert_eq!(f.severity, Severity::Warning, "{op}");
    }
    let f = get(
        &cond("StringEquals", "team-?"),
        PolicyKind::Identity,
        "WILDCARD_WITHOUT_LIKE_OPERATOR",
    );
    assert!(f.fix.unwrap().contains("`StringLike`"));
    let arn = get(
        &cond("ArnEquals", "arn:aws:iam::111122223333:role/*"),
        PolicyKind::Identity,
        "WILDCARD_WITHOUT_LIKE_OPERATOR",
    );
    assert_eq!(arn.severity, Severity::Suggestion);
    assert!(!has(
        &cond("StringEquals", "a${*}"),
        PolicyKind::Identity,
        "WILDCARD_WITHOUT_LIKE_OPERATOR"
    ));
    assert!(!has(
        &cond("StringEquals", "abc"),
        PolicyKind::Identity,
        "WILDCARD_WITHOUT_LIKE_OPERATOR"
    ));
    assert!(!has(
        &cond("StringLike", "a*"),
        PolicyKind::Identity,
        "WILDCARD_WITHOUT_LIKE_OPERATOR"
    ));
}

#[test]
fn type_mismatches() {
    let cond = |op: &str, key: &str, v: &str| with_condition(&format!(r#"{{"{op}":{{"{key}":{v}}}}}"#));
    let cases: [(&str, &str, &str, &str, &[&str]); 6] = [
        (
            "NumericLessThan",
            "aws:MultiFactorAuthAge",
            "TYPE_MISMATCH_NUMBER",
            r#""an hour""#,
            &[r#""3600""#, "3600", r#""1.5""#],
        ),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            "TYPE_MISMATCH_DATE",
            r#""yesterday""#,
            &[
                r#""2020-01-01T00:00:00Z""#,
                r#""2020""#,
                r#""2020-01""#,
                r#""2020-01-01""#,
                r#""1700000000""#,
                r#""2020-01-01T10:00+02:00""#,
            ],
        ),
        (
            "Bool",
            "aws:SecureTransport",
            "TYPE_MISMATCH_BOOLEAN",
            r#""yes""#,
            &[r#""true""#, "false", r#""False""#],
        ),
        (
            "Null",
            "aws:TokenIssueTime",
            "TYPE_MISMATCH_BOOLEAN",
            r#""maybe""#,
            &[r#""true""#],
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            "TYPE_MISMATCH_IP_RANGE",
            r#""10.0.0.0/33""#,
            &[r#""203.0.113.0/24""#, r#""2001:DB8:1234:5678::/64""#, r#""10.1.2.3""#],
        ),
        (
            "BinaryEquals",
            "s3:x",
            "TYPE_MISMATCH_BINARY",
            r#""!!not base64""#,
            &[r#""QmluYXJ5""#],
        ),
    ];
    for (op, key, code, bad, goods) in cases {
        let f = get(&cond(op, key, bad), PolicyKind::Identity, code);
        assert_eq!(f.severity, Severity::Warning, "{op}");
        for good in goods {
            assert!(!has(&cond(op, key, good), PolicyKind::Identity, code), "{op} {good}");
        }
    }
    let improve = get(
        &cond("NotIpAddress", "aws:SourceIp", r#""203.0.113.5/24""#),
        PolicyKind::Identity,
        "IMPROVE_IP_RANGE",
    );
    assert_eq!(improve.fix.as_deref(), Some("write `203.0.113.0/24`"));
    assert!(has(
        &cond("IpAddress", "aws:SourceIp", r#""2001:db8::1/64""#),
        PolicyKind::Identity,
        "IMPROVE_IP_RANGE"
    ));
    let multi = cond("Bool", "aws:SecureTransport", r#"["true","false"]"#);
    assert_eq!(
        get(&multi, PolicyKind::Identity, "INVALID_CONDITION_MULTIPLE_BOOLEAN").severity,
        Severity::Error
    );
}

// --- redundancy ------------------------------------------------------------------

#[test]
fn redundant_statements() {
    let a = r#"{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}"#;
    let b = r#"{"Sid":"B","Effect":"Allow","Action":["S3:PutObject","s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}"#;
    let text = doc(&format!("{a},\n{b}"));
    let f = get(&text, PolicyKind::Identity, "REDUNDANT_STATEMENT");
    assert_eq!(f.position.line, 2);
    assert_eq!(
        f.message,
        "The statements are redundant because they provide identical permissions. Update the policy to remove the redundant statement."
    );
    assert!(f.fix.unwrap().contains("statement `A`"));
    let c = b.replace("b/*", "c/*");
    assert!(!has(
        &doc(&format!("{a},{c}")),
        PolicyKind::Identity,
        "REDUNDANT_STATEMENT"
    ));
    let deny = b.replace("Allow", "Deny");
    assert!(!has(
        &doc(&format!("{a},{deny}")),
        PolicyKind::Identity,
        "REDUNDANT_STATEMENT"
    ));
}

#[test]
fn redundancy_is_capped() {
    let one = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;
    let many = vec![one; MAX_STATEMENTS_COMPARED + 100].join(",");
    assert_eq!(
        count(&doc(&many), PolicyKind::Resource, "REDUNDANT_STATEMENT"),
        MAX_STATEMENTS_COMPARED - 1
    );
    let actions: Vec<String> = (0..MAX_VALUES_COMPARED + 50)
        .map(|_| "\"s3:GetObject\"".to_string())
        .collect();
    let text = doc(&format!(
        r#"{{"Effect":"Allow","Action":[{}],"Resource":"*"}}"#,
        actions.join(",")
    ));
    assert_eq!(
        count(&text, PolicyKind::Identity, "REDUNDANT_ACTION"),
        MAX_VALUES_COMPARED - 1
    );
}

#[test]
fn redundant_actions_and_resources() {
    let actions = |a: &str| doc(&format!(r#"{{"Effect":"Allow","Action":{a},"Resource":"*"}}"#));
    for a in [
        r#"["s3:GetObject","s3:getobject"]"#,
        r#"["s3:*","s3:GetObject"]"#,
        r#"["s3:Get*","s3:*"]"#,
        r#"["*","iam:PassRole"]"#,
    ] {
        let f = get(&actions(a), PolicyKind::Identity, "REDUNDANT_ACTION");
        assert_eq!(f.severity, Severity::Suggestion, "{a}");
    }
    let covered = get(
        &actions(r#"["s3:*","s3:GetObject"]"#),
        PolicyKind::Identity,
        "REDUNDANT_ACTION",
    );
    assert!(covered.message.contains("`s3:GetObject`") && covered.message.contains("`s3:*`"));
    for a in [
        r#"["s3:GetObject","s3:PutObject"]"#,
        r#"["s3:Get?bject","s3:GetObject*"]"#,
        r#"["s3:Get*","s3:Put*"]"#,
    ] {
        assert!(!has(&actions(a), PolicyKind::Identity, "REDUNDANT_ACTION"), "{a}");
    }
    let resources = |r: &str| {
        doc(&format!(
            r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":{r}}}"#
        ))
    };
    assert!(has(
        &resources(r#"["arn:aws:s3:::b/*","arn:aws:s3:::b/key"]"#),
        PolicyKind::Identity,
        "REDUNDANT_RESOURCE"
    ));
    assert!(has(
        &resources(r#"["arn:aws:s3:::b","arn:aws:s3:::b"]"#),
        PolicyKind::Identity,
        "REDUNDANT_RESOURCE"
    ));
    assert!(!has(
        &resources(r#"["arn:aws:s3:::B","arn:aws:s3:::b"]"#),
        PolicyKind::Identity,
        "REDUNDANT_RESOURCE"
    ));
}

// --- empty elements --------------------------------------------------------------

#[test]
fn empty_elements() {
    let cases = [
        (
            r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#,
            PolicyKind::Identity,
            "EMPTY_ARRAY_ACTION",
        ),
        (
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":[]}"#,
            PolicyKind::Identity,
            "EMPTY_ARRAY_RESOURCE",
        ),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}"#,
            PolicyKind::Trust,
            "EMPTY_ARRAY_PRINCIPAL",
        ),
        (
            r#"{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}"#,
            PolicyKind::Trust,
            "EMPTY_OBJECT_PRINCIPAL",
        ),
        (
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{}}"#,
            PolicyKind::Identity,
            "EMPTY_OBJECT_CONDITION",
        ),
        (
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{}}}"#,
            PolicyKind::Identity,
            "EMPTY_OBJECT_CONDITION",
        ),
        (
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":[]}}}"#,
            PolicyKind::Identity,
            "EMPTY_ARRAY_CONDITION",
        ),
        (
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":[]}}}"#,
            PolicyKind::Identity,
            "EMPTY_ARRAY_CONDITION_FOR_ALL_VALUES",
        ),
        (
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":[]}}}"#,
            PolicyKind::Identity,
            "EMPTY_ARRAY_CONDITION_FOR_ANY_VALUE",
        ),
        (
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:SourceVpc":[]}}}"#,
            PolicyKind::Identity,
            "EMPTY_ARRAY_CONDITION_IF_EXISTS",
        ),
        (
            r#"{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#,
            PolicyKind::Identity,
            "EMPTY_SID_VALUE",
        ),
    ];
    for (stmt, kind, code) in cases {
        let f = get(&doc(stmt), kind, code);
        assert_eq!(f.severity, Severity::Suggestion, "{code}");
    }
    let full = doc(
        r#"{"Sid":"A","Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"],"Condition":{"StringEquals":{"aws:SourceVpc":["vpc-1"]}}}"#,
    );
    assert!(
        findings(&full, PolicyKind::Identity).is_empty(),
        "{:?}",
        codes(&full, PolicyKind::Identity)
    );
}

#[test]
fn duplicate_sids_come_from_the_kind_rules() {
    let text = doc(
        r#"{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}"#,
    );
    assert_eq!(count(&text, PolicyKind::Identity, "DUPLICATE_SID"), 1);
}

// --- iam:PassRole -------------------------------------------------------------------

#[test]
fn pass_role_checks() {
    let st = |action: &str, resource: &str, extra: &str| {
        doc(&format!(r#"{{"Effect":"Allow","Action":{action},{resource}{extra}}}"#))
    };
    let star = st(r#""iam:PassRole""#, r#""Resource":"*""#, "");
    assert_eq!(
        get(&star, PolicyKind::Identity, "PASS_ROLE_WITH_STAR_IN_RESOURCE").severity,
        Severity::SecurityWarning
    );
    assert!(has(
        &st(r#""*""#, r#""Resource":"*""#, ""),
        PolicyKind::Identity,
        "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    ));
    assert!(has(
        &st(
            r#""iam:PassRole""#,
            r#""Resource":"arn:aws:iam::111122223333:role/*""#,
            ""
        ),
        PolicyKind::Identity,
        "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    ));
    assert!(has(
        &st(
            r#""iam:PassRole""#,
            r#""NotResource":"arn:aws:iam::111122223333:role/admin""#,
            ""
        ),
        PolicyKind::Identity,
        "PASS_ROLE_WITH_NOT_RESOURCE"
    ));
    let pinned = st(
        r#""iam:PassRole""#,
        r#""Resource":"*""#,
        r#","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}"#,
    );
    assert!(!has(&pinned, PolicyKind::Identity, "PASS_ROLE_WITH_STAR_IN_RESOURCE"));
    assert!(!has(
        &st(
            r#""iam:PassRole""#,
            r#""Resource":"arn:aws:iam::111122223333:role/app""#,
            ""
        ),
        PolicyKind::Identity,
        "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    ));
    assert!(!has(
        &st(r#""s3:*""#, r#""Resource":"*""#, ""),
        PolicyKind::Identity,
        "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    ));
    assert!(!has(
        &st(r#"["iam:*"]"#, r#""Resource":"*""#, "").replace("Allow", "Deny"),
        PolicyKind::Identity,
        "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    ));
}

// --- kinds, report shape, robustness -----------------------------------------------

#[test]
fn kinds_are_inferred_or_taken() {
    let identity = doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#);
    let r = lint(&identity, None);
    assert_eq!((r.kind, r.kind_inferred), (PolicyKind::Identity, true));
    let r = lint(&identity, Some(PolicyKind::Boundary));
    assert_eq!((r.kind, r.kind_inferred), (PolicyKind::Boundary, false));
    let no_action = doc(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"}}"#);
    assert_eq!(lint(&no_action, None).kind, PolicyKind::Trust);
    let resource =
        doc(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}"#);
    assert_eq!(lint(&resource, None).kind, PolicyKind::Resource);
    assert_eq!(lint("not json", None).kind, PolicyKind::Identity);
}

#[test]
fn report_serializes_in_camel_case() {
    let r = lint(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
        None,
    );
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["kind"], "identity");
    assert_eq!(v["kindInferred"], true);
    assert_eq!(v["findings"][0]["code"], "MISSING_VERSION");
    assert_eq!(v["findings"][0]["severity"], "WARNING");
    assert_eq!(v["findings"][0]["position"]["line"], 1);
    assert_eq!(r.count(Severity::Warning), 1);
    assert!(!r.has_errors());
}

#[test]
fn odd_inputs_do_not_panic() {
    for text in [
        "",
        " ",
        "[]",
        "null",
        "{}",
        "{\"Statement\":{}}",
        "{\"Statement\":[1,\"x\",{}]}",
        "{\"Statement\":{{",
        "{\"Statement\":{ {",
        "{,}",
        "[,]",
        "{\"a\":[1,],}",
        "\u{feff}{}",
        "{\"Statement\":[{\"Principal\":{\"AWS\":\"arn:\"}}]}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:sts::1:assumed-role//\"},\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringLike\":{\"é:${\":\"<\"}}}]}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a:b\",\"Resource\":\"arn:::::\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"1.2.3.4/99\"},\"Bool\":{\"k:k\":[]}}}]}",
    ] {
        for kind in PolicyKind::ALL {
            let _ = lint(text, Some(kind));
        }
        let _ = lint(text, None);
    }
}

#[test]
fn helpers() {
    assert_eq!(
        position_at("ab\ncd", 4),
        Position {
            offset: 4,
            line: 2,
            column: 2
        }
    );
    assert_eq!(matching_close(br#"{"}":{}}"#, 0), Some(7));
    assert_eq!(matching_close(b"{[}", 0), None);
    assert!(has_policy_variable("${aws:username}") && has_policy_variable("a${*}"));
    assert!(!has_policy_variable("${ACCOUNT}") && !has_policy_variable("${aws:x"));
    assert_eq!(normalized_cidr("10.0.0.1/8").as_deref(), Some("10.0.0.0/8"));
    assert_eq!(normalized_cidr("10.0.0.0/8"), None);
    assert_eq!(normalized_cidr("10.0.0.1/0").as_deref(), Some("0.0.0.0/0"));
    assert_eq!(
        like_operator(Operator::parse("ForAnyValue:StringNotEqualsIfExists").unwrap()),
        "ForAnyValue:StringNotLikeIfExists"
    );
}

#[test]
fn large_documents_are_linted_in_bounded_work() {
    // 600 statements of 50 actions, 50 condition keys and 50 Federated providers
    // each: every check is linear here or capped, so this stays quick.
    let actions: Vec<String> = (0..50).map(|i| format!("\"s3:Get{i}*\"")).collect();
    let keys: Vec<String> = (0..50).map(|i| format!("\"aws:PrincipalTag/k{i}\":\"v\"")).collect();
    let feds: Vec<String> = (0..50)
        .map(|i| format!("\"arn:aws:iam::111122223333:oidc-provider/o{i}.example.com\""))
        .collect();
    let st = format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":[{}]}},"Action":[{}],"Condition":{{"StringEquals":{{{}}}}}}}"#,
        feds.join(","),
        actions.join(","),
        keys.join(",")
    );
    let text = doc(&vec![st.as_str(); 600].join(","));
    let report = lint(&text, Some(PolicyKind::Trust));
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.code == "REDUNDANT_STATEMENT")
            .count(),
        MAX_STATEMENTS_COMPARED - 1
    );
}
