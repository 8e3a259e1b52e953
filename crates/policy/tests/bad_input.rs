//! Hostile and broken input: `Policy::parse` and `parse::parse_document_bytes`
//! return an error or a value — never a panic, never a stack overflow — and
//! finish. Random bytes, JSON-shaped noise, every prefix of valid policies,
//! deep nesting, huge arrays, invalid UTF-8, megabyte strings and absurd
//! numbers. Where a policy parses, deciding a request with it must not panic
//! either.
//!
//! No test measures time; each one simply has to complete.

use proptest::prelude::*;
use proptest::sample::select;
use rolechain_policy::parse::{parse_document, parse_document_bytes};
use rolechain_policy::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn requests() -> Vec<Request> {
    let ctx = Context::new()
        .with("aws:SourceIp", "203.0.113.7")
        .with("aws:CurrentTime", "2024-05-01T12:00:00Z")
        .with("aws:PrincipalTag/team", "a")
        .with("s3:max-keys", "10")
        .with_multi("aws:TagKeys", ["a", "b"]);
    vec![
        Request {
            principal: Principal::User {
                arn: "arn:aws:iam::111122223333:user/alice".into(),
            },
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::bucket/key".into(),
            resource_account: Some("111122223333".into()),
            context: ctx.clone(),
        },
        Request {
            principal: Principal::WebIdentity {
                provider: "arn:aws:iam::111122223333:oidc-provider/example.com".into(),
            },
            action: "sts:AssumeRoleWithWebIdentity".into(),
            resource: "arn:aws:iam::111122223333:role/r".into(),
            resource_account: None,
            context: ctx,
        },
        Request {
            principal: Principal::Anonymous,
            action: "".into(),
            resource: "".into(),
            resource_account: None,
            context: Context::new(),
        },
    ]
}

/// Parses `text` as every kind; decides a few requests with whatever parses.
fn exercise(text: &str) {
    let _ = parse_document(text);
    for kind in PolicyKind::ALL {
        if let Ok(policy) = Policy::parse(kind, text) {
            let set = match kind.policy_type() {
                PolicyType::Identity => PolicySet {
                    identity: vec![policy],
                    ..PolicySet::default()
                },
                PolicyType::Resource | PolicyType::RoleTrust => PolicySet {
                    resource: Some(policy),
                    ..PolicySet::default()
                },
                PolicyType::PermissionsBoundary => PolicySet {
                    permissions_boundary: Some(policy),
                    ..PolicySet::default()
                },
                PolicyType::Session => PolicySet {
                    session: vec![policy],
                    ..PolicySet::default()
                },
                PolicyType::ServiceControl => PolicySet {
                    scp_levels: vec![vec![policy]],
                    ..PolicySet::default()
                },
                PolicyType::ResourceControl => PolicySet {
                    rcp_levels: vec![vec![policy]],
                    ..PolicySet::default()
                },
            };
            for req in requests() {
                let _ = authorize(&set, &req);
            }
        }
    }
}

fn exercise_bytes(bytes: &[u8]) {
    let _ = parse_document_bytes(bytes);
    exercise(&String::from_utf8_lossy(bytes));
}

// ====================================================================== random input

/// Pieces of policy-shaped JSON, so that noise gets past the first byte.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    "\"Version\"",
    "\"2012-10-17\"",
    "\"Id\"",
    "\"Statement\"",
    "\"Sid\"",
    "\"Effect\"",
    "\"Allow\"",
    "\"Deny\"",
    "\"Principal\"",
    "\"NotPrincipal\"",
    "\"AWS\"",
    "\"Federated\"",
    "\"*\"",
    "\"Action\"",
    "\"NotAction\"",
    "\"s3:GetObject\"",
    "\"s3:*\"",
    "\"Resource\"",
    "\"NotResource\"",
    "\"arn:aws:s3:::bucket/*\"",
    "\"Condition\"",
    "\"StringLike\"",
    "\"ForAllValues:StringNotLike\"",
    "\"NumericLessThan\"",
    "\"DateGreaterThan\"",
    "\"IpAddress\"",
    "\"ArnLike\"",
    "\"Null\"",
    "\"aws:SourceIp\"",
    "\"aws:TagKeys\"",
    "\"${aws:username}\"",
    "\"${aws:PrincipalTag/team, 'x'}\"",
    "\"${\"",
    "\"10.0.0.0/8\"",
    "\"::/200\"",
    "\"2019-13-45T99:99Z\"",
    "1e999999",
    "-0",
    "0.5",
    "123456789012345678901234567890",
    "true",
    "false",
    "null",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\ud83d\\ude00\"",
    "\"é日😀\"",
    "\"",
    "\\",
];

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        exercise_bytes(&bytes);
    }

    #[test]
    fn random_json_shaped_text_never_panics(tokens in prop::collection::vec(select(TOKENS), 0..80)) {
        exercise(&tokens.concat());
    }

    #[test]
    fn random_statements_never_panic(
        effect in select(&["\"Allow\"", "\"Deny\"", "\"allow\"", "1", "null", "[]"][..]),
        principal in select(&["\"*\"", "{\"AWS\": \"*\"}", "{\"AWS\": []}", "{\"Bogus\": \"x\"}", "\"arn\"", "[]", "{}"][..]),
        action in select(&["\"*\"", "\"s3\"", "\":\"", "\"a:b:c\"", "[]", "[1]", "\"*:*\"", "\"\""][..]),
        resource in select(&["\"*\"", "\"arn\"", "\"arn:::::\"", "\"arn:aws:s3:::${*}${?}${$}\"", "\"arn:a:b:c:d:${aws:x}\"", "\"\"", "{}"][..]),
        operator in select(&["StringLike", "ForAnyValue:DateLessThanIfExists", "NullIfExists", "BinaryEquals", "IpAddress", "NumericEquals", "ArnLike", "Bool", "ForAllValues:NotIpAddress"][..]),
        value in select(&["\"\"", "\"*\"", "\"${\"", "\"${}\"", "\"${aws:x, '}\"", "1e309", "-1e-400", "\"0x10\"", "\"1.2.3.4/99999999999\"", "\"9999999999999999999999\"", "\"2020-01-01T00:00:00.9999999999+99:99\"", "\"====\"", "[]", "[null]", "{}", "true"][..]),
    ) {
        let text = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": {effect}, "Principal": {principal}, "Action": {action}, "Resource": {resource}, "Condition": {{"{operator}": {{"aws:SourceIp": {value}, "aws:TagKeys": {value}, "aws:CurrentTime": {value}}}}}}}]}}"#
        );
        exercise(&text);
    }

    #[test]
    fn random_request_fields_never_panic(
        action in "[a-zA-Z0-9:*?é]{0,12}",
        resource in "[a-z0-9:*?/é${}]{0,30}",
        value in "[a-zA-Z0-9:./*?é+\\-TZ ]{0,30}",
    ) {
        let policy = Policy::parse(
            PolicyKind::Resource,
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*:*", "Resource": "arn:*:*:*:*:${aws:username}/*",
                "Condition": {"DateLessThanIfExists": {"ex:v": "2020-01-01"}, "NumericLessThanIfExists": {"ex:v": 10},
                              "IpAddressIfExists": {"ex:v": "10.0.0.0/8"}, "BinaryEqualsIfExists": {"ex:v": "AAAA"},
                              "ArnLikeIfExists": {"ex:v": "arn:aws:s3:::*"}, "BoolIfExists": {"ex:v": "true"}}}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let set = PolicySet { resource: Some(policy), ..PolicySet::default() };
        for principal in [Principal::from_arn(&resource), Principal::from_arn(&value), Some(Principal::Anonymous)].into_iter().flatten() {
            let _ = principal.role_arn();
            let _ = principal.display_arn();
            let req = Request {
                principal,
                action: action.clone(),
                resource: resource.clone(),
                resource_account: None,
                context: Context::new().with("ex:v", value.clone()).with("aws:username", value.clone()),
            };
            let _ = authorize(&set, &req);
        }
    }
}

// ====================================================================== truncation

const VALID: &[&str] = &[
    r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
        "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/Books", "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]},
        "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}, "NumericLessThan": {"s3:max-keys": 10}}}]}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/X:sub":"system:serviceaccount:default:sa","oidc.eks.us-east-1.amazonaws.com/id/X:aud":"sts.amazonaws.com"}}}}"#,
    "{\n\t\"Version\": \"2012-10-17\",\n\t\"Statement\": [\n\t\t{\"Sid\": \"Caf\u{e9}\", \"Effect\": \"Deny\", \"NotPrincipal\": {\"AWS\": [\"111122223333\"]},\n\t\t \"NotAction\": \"s3:*\", \"NotResource\": [\"arn:aws:s3:::b\u{e9}/\u{ff}\u{df}\"],\n\t\t \"Condition\": {\"ForAllValues:StringNotLike\": {\"aws:TagKeys\": \"key1*\"}, \"Null\": {\"aws:TokenIssueTime\": true}, \"DateLessThan\": {\"aws:CurrentTime\": \"2020-01-01T00:00:00.5+02:00\"}}}\n\t]\n}",
];

#[test]
fn every_prefix_of_a_valid_policy_is_handled() {
    for text in VALID {
        // The whole text parses as some kind.
        assert!(
            PolicyKind::ALL.iter().any(|k| Policy::parse(*k, text).is_ok()),
            "fixture should be valid: {text}"
        );
        for end in 0..text.len() {
            if text.is_char_boundary(end) {
                let prefix = &text[..end];
                exercise(prefix);
                // A cut JSON document is never a policy.
                for kind in PolicyKind::ALL {
                    assert!(Policy::parse(kind, prefix).is_err(), "{kind}: {prefix:?}");
                }
            }
            // Byte prefixes may cut a character in two: invalid UTF-8.
            let parsed = parse_document_bytes(&text.as_bytes()[..end]);
            assert!(parsed.document.is_none(), "{end}");
            assert!(!parsed.findings.is_empty());
        }
    }
}

#[test]
fn every_suffix_and_every_single_byte_deletion_is_handled() {
    for text in VALID {
        let bytes = text.as_bytes();
        for start in 0..bytes.len() {
            exercise_bytes(&bytes[start..]);
        }
        for skip in 0..bytes.len() {
            let mut b = bytes.to_vec();
            b.remove(skip);
            exercise_bytes(&b);
        }
    }
}

// ====================================================================== nesting and size

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let n = 100_000;
    let cases = [
        "[".repeat(n),
        format!("{}{}", "[".repeat(n), "]".repeat(n)),
        "{\"a\":".repeat(n),
        format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n)),
        format!(r#"{{"Statement": {}{}}}"#, "[".repeat(n), "]".repeat(n)),
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {{"StringEquals": {{"k:k": {}"v"{}}}}}}}]}}"#,
            "[".repeat(n),
            "]".repeat(n)
        ),
    ];
    for text in &cases {
        let parsed = parse_document(text);
        assert!(parsed.document.is_none());
        assert_eq!(parsed.findings[0].code, "JSON_SYNTAX_ERROR");
        for kind in PolicyKind::ALL {
            let e = Policy::parse(kind, text).unwrap_err();
            assert_eq!(e.code, "MalformedPolicyDocument");
        }
        assert!(parse_document_bytes(text.as_bytes()).document.is_none());
    }
}

#[test]
fn huge_arrays_are_handled() {
    let n = 100_000;
    let actions: Vec<String> = (0..n).map(|i| format!("\"s3:Action{i}\"")).collect();
    let resources: Vec<String> = (0..n).map(|i| format!("\"arn:aws:s3:::bucket/{i}/*\"")).collect();
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": "*", "Action": [{}], "Resource": [{}]}}]}}"#,
        actions.join(","),
        resources.join(",")
    );
    // Far beyond IAM's size quotas...
    let e = Policy::parse(PolicyKind::Identity, &text).unwrap_err();
    assert!(e.findings.iter().any(|f| f.code == "POLICY_SIZE_EXCEEDED"), "{e}");
    let e = Policy::parse(PolicyKind::Managed, &text).unwrap_err();
    assert!(e.findings.iter().any(|f| f.code == "POLICY_SIZE_EXCEEDED"), "{e}");
    // ...but a generic resource policy has no quota of its own: it parses and decides.
    let policy = Policy::parse(PolicyKind::Resource, &text).unwrap_or_else(|e| panic!("{e}"));
    let set = PolicySet {
        resource: Some(policy),
        ..PolicySet::default()
    };
    let mut req = requests().remove(0);
    req.action = format!("s3:Action{}", n - 1);
    req.resource = format!("arn:aws:s3:::bucket/{}/key", n - 1);
    assert_eq!(authorize(&set, &req).decision, EvalDecision::Allowed);
    req.action = "s3:Other".into();
    assert_eq!(authorize(&set, &req).decision, EvalDecision::ImplicitDeny);

    // Many statements, many condition values.
    let statements: Vec<String> = (0..20_000)
        .map(|i| {
            format!(
                r#"{{"Sid": "S{i}", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(",")
    );
    assert!(Policy::parse(PolicyKind::Resource, &text).is_ok());
    let values: Vec<String> = (0..n)
        .map(|i| format!("\"10.{}.{}.0/24\"", i / 256 % 256, i % 256))
        .collect();
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {{"IpAddress": {{"aws:SourceIp": [{}]}}}}}}]}}"#,
        values.join(",")
    );
    let set = PolicySet {
        resource: Some(Policy::parse(PolicyKind::Resource, &text).unwrap_or_else(|e| panic!("{e}"))),
        ..PolicySet::default()
    };
    let mut req = requests().remove(0);
    req.context.set("aws:SourceIp", "10.1.134.9");
    assert_eq!(authorize(&set, &req).decision, EvalDecision::Allowed);
    // Duplicate Sids among many statements are found.
    let statements: Vec<String> = (0..20_000)
        .map(|i| {
            format!(
                r#"{{"Sid": "S{}", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}}"#,
                i % 19_999
            )
        })
        .collect();
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(",")
    );
    let e = Policy::parse(PolicyKind::Resource, &text).unwrap_err();
    assert!(e.findings.iter().any(|f| f.code == "DUPLICATE_SID"), "{e}");
}

/// One condition operator with `n` distinct keys, none of them in the request.
fn many_missing_keys(n: usize) -> (PolicySet, Request) {
    let keys: Vec<String> = (0..n).map(|i| format!(r#""ex:k{i}": "v""#)).collect();
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {{"StringNotEquals": {{{}}}}}}}]}}"#,
        keys.join(",")
    );
    let set = PolicySet {
        resource: Some(Policy::parse(PolicyKind::Resource, &text).unwrap_or_else(|e| panic!("{e}"))),
        ..PolicySet::default()
    };
    let mut req = requests().remove(0);
    req.context = Context::new();
    (set, req)
}

#[test]
fn many_distinct_condition_keys_are_handled() {
    let (set, req) = many_missing_keys(5_000);
    let d = authorize(&set, &req);
    assert_eq!(d.decision, EvalDecision::Allowed);
    assert_eq!(d.missing_context_keys.len(), 5_000);
}

#[test]
fn a_hundred_thousand_missing_condition_keys_are_handled() {
    let (set, req) = many_missing_keys(100_000);
    let d = authorize(&set, &req);
    assert_eq!(d.decision, EvalDecision::Allowed);
    assert_eq!(d.missing_context_keys.len(), 100_000);
}

#[test]
fn megabyte_strings_are_handled() {
    let big = "a".repeat(5 * 1024 * 1024);
    // A 5 MB Sid, resource and condition value in a resource policy (no size quota).
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{big}", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{big}*", "Condition": {{"StringLike": {{"ex:k": "*{big}*"}}}}}}]}}"#
    );
    let policy = Policy::parse(PolicyKind::Resource, &text).unwrap_or_else(|e| panic!("{e}"));
    let set = PolicySet {
        resource: Some(policy),
        ..PolicySet::default()
    };
    let mut req = requests().remove(0);
    req.resource = format!("arn:aws:s3:::{big}/key");
    req.context.set("ex:k", format!("x{big}y"));
    assert_eq!(authorize(&set, &req).decision, EvalDecision::Allowed);
    req.context.set("ex:k", "a".repeat(5 * 1024 * 1024 - 1));
    assert_eq!(authorize(&set, &req).decision, EvalDecision::ImplicitDeny);
    // The same in kinds with quotas: refused, not crashed.
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Trust,
        PolicyKind::Scp,
        PolicyKind::DynamodbTable,
    ] {
        assert!(Policy::parse(kind, &text).is_err(), "{kind}");
    }
    // A 5 MB string as the whole document, and one never closed.
    exercise(&format!("\"{big}\""));
    exercise(&format!("{{\"Version\": \"{big}"));
}

#[test]
fn pathological_wildcard_patterns_are_handled() {
    // Many stars and question marks against long text that almost matches.
    let pattern = format!("{}b", "*a?".repeat(20_000));
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {{"StringLike": {{"ex:k": "{pattern}"}}}}}}]}}"#
    );
    let set = PolicySet {
        resource: Some(Policy::parse(PolicyKind::Resource, &text).unwrap_or_else(|e| panic!("{e}"))),
        ..PolicySet::default()
    };
    let mut req = requests().remove(0);
    req.context.set("ex:k", "a".repeat(200_000));
    assert_eq!(authorize(&set, &req).decision, EvalDecision::ImplicitDeny);
    req.context.set("ex:k", format!("{}b", "ax".repeat(20_000)));
    assert_eq!(authorize(&set, &req).decision, EvalDecision::Allowed);
}

// ====================================================================== invalid UTF-8

#[test]
fn invalid_utf8_is_an_error_with_a_position() {
    let cases: &[&[u8]] = &[
        b"\xff",
        b"{\"Version\": \"\xff\"}",
        b"{\"Statement\": [\"\xc3\"]}",
        // Overlong encoding of '/'.
        b"{\"Id\": \"\xc0\xaf\"}",
        // A UTF-16 surrogate encoded in UTF-8.
        b"{\"Id\": \"\xed\xa0\x80\"}",
        // Above U+10FFFF.
        b"{\"Id\": \"\xf4\x90\x80\x80\"}",
        // A lone continuation byte, and a sequence cut short at the end.
        b"{\"Id\": \"\x80\"}",
        b"{\"Id\": \"\xe6\x97",
        b"\xef\xbb\xbf{}",
    ];
    for bytes in cases {
        let parsed = parse_document_bytes(bytes);
        assert!(
            parsed.document.is_none() || parsed.findings.iter().any(|f| f.code == "JSON_SYNTAX_ERROR"),
            "{bytes:?}"
        );
        assert!(!parsed.findings.is_empty(), "{bytes:?}");
        assert!(parsed.findings[0].position.line >= 1);
        exercise_bytes(bytes);
    }
    // The reported position is where the bad byte is.
    let parsed = parse_document_bytes(b"{\n  \"Id\": \"ok\xff\"}");
    let f = &parsed.findings[0];
    assert_eq!((f.position.line, f.position.column), (2, 12));
}

// ====================================================================== absurd values

#[test]
fn absurd_numbers_dates_and_addresses_are_handled() {
    let numbers = [
        "1e999999",
        "-1e999999",
        "1e-999999",
        "-0",
        "0.0000000000000000000000000000000000000000001",
        "123456789012345678901234567890123456789012345678901234567890",
        "\"NaN\"",
        "\"inf\"",
        "\"0x10\"",
        "\"1_000\"",
        "\"--1\"",
        "\"1e\"",
        "\"+\"",
        "\".\"",
        "\"9999999999999999999999999\"",
    ];
    let dates = [
        "\"99999999999999999999\"",
        "\"-1\"",
        "\"+275760-09-13T00:00:00Z\"",
        "\"9999-12-31T23:59:60.999999999999999Z\"",
        "\"0000-00-00\"",
        "\"2020-02-29T24:00:00Z\"",
        "\"2021-02-29\"",
        "\"2020-01-01T00:00:00.\"",
        "\"2020-01-01T00:00:00+9999\"",
        "\"2020-01-01T00:00:00+é1\"",
        "\"2020-01-01T00:00é\"",
        "\"2020-01-01Té\"",
        "\"é020\"",
        "\"1.5.5\"",
        "1e400",
        "\"\"",
    ];
    let addresses = [
        "\"999.1.1.1/8\"",
        "\"::/200\"",
        "\"1.2.3.4/-1\"",
        "\"1.2.3.4/\"",
        "\"1.2.3.4/99999999999999999999\"",
        "\"/8\"",
        "\"::ffff:1.2.3.4/128\"",
        "\"é\"",
    ];
    let request_values = [
        "1e999999",
        "NaN",
        "99999999999999999999",
        "+275760-09-13T00:00:00Z",
        "2020-01-01T00:00:00+é1",
        "::ffff:10.0.0.1",
        "1.2.3.4/99",
        "é",
        "",
        "${aws:username}",
    ];
    for (operator, key, values) in [
        ("NumericEquals", "s3:max-keys", &numbers[..]),
        ("NumericLessThan", "s3:max-keys", &numbers[..]),
        ("DateLessThan", "aws:CurrentTime", &dates[..]),
        ("DateNotEquals", "aws:CurrentTime", &dates[..]),
        ("IpAddress", "aws:SourceIp", &addresses[..]),
        ("NotIpAddress", "aws:SourceIp", &addresses[..]),
        ("BinaryEquals", "ex:b", &["\"====\"", "\"é\"", "\"QQ\"", "1"][..]),
    ] {
        for value in values {
            let text = format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {{"{operator}": {{"{key}": {value}}}}}}}]}}"#
            );
            let policy = Policy::parse(PolicyKind::Resource, &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let set = PolicySet {
                resource: Some(policy),
                ..PolicySet::default()
            };
            for request_value in request_values {
                let mut req = requests().remove(0);
                req.context.set(key, request_value);
                let _ = authorize(&set, &req);
            }
            exercise(&text);
        }
    }
    // Numbers where strings belong are refused, never converted.
    for text in [
        r#"{"Version": 2012, "Statement": []}"#,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 1e999999, "Resource": "*"}]}"#,
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": -0, "Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
    ] {
        assert!(Policy::parse(PolicyKind::Identity, text).is_err(), "{text}");
    }
}

#[test]
fn request_json_with_absurd_values_is_handled() {
    for text in [
        r#"{"principal": {"type": "user", "arn": ""}, "action": "", "resource": ""}"#,
        r#"{"principal": {"type": "assumedRole", "arn": "arn:aws:sts::1:assumed-role"}, "action": "a", "resource": "*", "context": {"aws:CurrentTime": 1e308, "k": [1, true, "x", ""]}}"#,
        r#"{"principal": {"type": "root", "account": "é"}, "action": "a", "resource": "arn", "context": {"": ""}}"#,
    ] {
        if let Ok(req) = serde_json::from_str::<Request>(text) {
            let _ = req.principal.role_arn();
            let set = PolicySet {
                identity: vec![
                    Policy::parse(
                        PolicyKind::Identity,
                        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
                    )
                    .unwrap_or_else(|e| panic!("{e}")),
                ],
                ..PolicySet::default()
            };
            let _ = authorize(&set, &req);
        }
    }
    for text in [
        "",
        "{",
        "[]",
        "{\"principal\": 1}",
        "{\"principal\": {\"type\": \"nobody\"}, \"action\": \"a\", \"resource\": \"r\"}",
    ] {
        assert!(serde_json::from_str::<Request>(text).is_err(), "{text}");
    }
}
