//! Every condition operator, qualifier and suffix, as the IAM User Guide
//! defines them (spec §4, §3.3):
//!
//! * `reference_policies_elements_condition_operators` — the operators,
//!   `...IfExists`, `Null`, and which operators take policy variables;
//! * `reference_policies_elements_condition` — block logic (values OR, keys
//!   AND, operators AND), case-insensitive key names, empty values as null;
//! * `reference_policies_multi-value-conditions` — `ForAllValues` /
//!   `ForAnyValue` with present, missing and empty keys;
//! * `reference_policies_variables` — variables only under 2012-10-17, in
//!   String and ARN values, unresolvable variables, defaults, `${*}`.
//!
//! Each case is one Allow statement of an identity policy whose only
//! condition is the one under test: the request is allowed exactly when the
//! condition holds.

use rolechain_policy::*;

const ACCOUNT: &str = "111122223333";

fn request(context: Context) -> Request {
    Request {
        principal: Principal::User {
            arn: format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        },
        action: "s3:GetObject".into(),
        resource: "arn:aws:s3:::amzn-s3-demo-bucket/report.txt".into(),
        resource_account: Some(ACCOUNT.into()),
        context,
    }
}

fn policy_text(version: Option<&str>, condition: &str) -> String {
    let version = version.map_or(String::new(), |v| format!(r#""Version": "{v}", "#));
    format!(
        r#"{{{version}"Statement": [{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {condition}}}]}}"#
    )
}

/// Whether `condition` (a whole `Condition` object) holds under Version 2012-10-17.
fn holds(condition: &str, context: Context) -> bool {
    holds_under(Some("2012-10-17"), condition, context)
}

fn holds_under(version: Option<&str>, condition: &str, context: Context) -> bool {
    let text = policy_text(version, condition);
    let policy = Policy::parse(PolicyKind::Identity, &text)
        .unwrap_or_else(|e| panic!("the test policy must parse: {e}\n{text}"));
    let set = PolicySet {
        identity: vec![policy],
        ..PolicySet::default()
    };
    authorize(&set, &request(context)).is_allowed()
}

fn ctx() -> Context {
    Context::new()
}

/// Asserts each `(context, expected)` row for one condition.
#[track_caller]
fn table(condition: &str, rows: Vec<(Context, bool)>) {
    for (i, (context, expected)) in rows.into_iter().enumerate() {
        let described = format!("{context:?}");
        assert_eq!(
            holds(condition, context),
            expected,
            "row {i}: {condition} with {described}"
        );
    }
}

// ---------------------------------------------------------------- String

#[test]
fn string_equals_is_exact_and_case_sensitive() {
    let c = r#"{"StringEquals": {"aws:PrincipalTag/team": "Finance"}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:PrincipalTag/team", "Finance"), true),
            (ctx().with("aws:PrincipalTag/team", "finance"), false),
            (ctx().with("aws:PrincipalTag/team", "Finance "), false),
            (ctx().with("aws:PrincipalTag/team", "Fin"), false),
            (ctx(), false),
        ],
    );
}

#[test]
fn string_equals_treats_wildcards_as_literal_characters() {
    // condition_operators: `*` and `?` are wildcards only in the ...Like operators.
    let c = r#"{"StringEquals": {"s3:prefix": "home/*"}}"#;
    table(
        c,
        vec![
            (ctx().with("s3:prefix", "home/*"), true),
            (ctx().with("s3:prefix", "home/alice"), false),
        ],
    );
    let c = r#"{"StringEquals": {"s3:prefix": "a?c"}}"#;
    table(
        c,
        vec![
            (ctx().with("s3:prefix", "a?c"), true),
            (ctx().with("s3:prefix", "abc"), false),
        ],
    );
}

#[test]
fn string_not_equals() {
    let c = r#"{"StringNotEquals": {"aws:PrincipalTag/team": "Finance"}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:PrincipalTag/team", "Finance"), false),
            (ctx().with("aws:PrincipalTag/team", "finance"), true),
            (ctx().with("aws:PrincipalTag/team", "HR"), true),
            // A negated operator holds when the key is missing.
            (ctx(), true),
        ],
    );
}

#[test]
fn string_equals_ignore_case() {
    let c = r#"{"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "Finance"}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:PrincipalTag/team", "finance"), true),
            (ctx().with("aws:PrincipalTag/team", "FINANCE"), true),
            (ctx().with("aws:PrincipalTag/team", "Finance"), true),
            (ctx().with("aws:PrincipalTag/team", "Finances"), false),
            (ctx(), false),
        ],
    );
    // No wildcards in the ...Equals... operators, ignoring case or not.
    let c = r#"{"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "Fin*"}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:PrincipalTag/team", "fin*"), true),
            (ctx().with("aws:PrincipalTag/team", "finance"), false),
        ],
    );
}

#[test]
fn string_not_equals_ignore_case() {
    let c = r#"{"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "Finance"}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:PrincipalTag/team", "FINANCE"), false),
            (ctx().with("aws:PrincipalTag/team", "finance"), false),
            (ctx().with("aws:PrincipalTag/team", "HR"), true),
            (ctx(), true),
        ],
    );
}

#[test]
fn string_like_wildcards() {
    let c = r#"{"StringLike": {"s3:prefix": ["home/*", "doc-?.txt"]}}"#;
    table(
        c,
        vec![
            (ctx().with("s3:prefix", "home/"), true),
            (ctx().with("s3:prefix", "home/alice/notes"), true),
            (ctx().with("s3:prefix", "Home/alice"), false),
            (ctx().with("s3:prefix", "doc-1.txt"), true),
            (ctx().with("s3:prefix", "doc-é.txt"), true),
            (ctx().with("s3:prefix", "doc-12.txt"), false),
            (ctx().with("s3:prefix", "doc-.txt"), false),
            (ctx(), false),
        ],
    );
}

#[test]
fn string_not_like() {
    let c = r#"{"StringNotLike": {"s3:prefix": ["home/*", "tmp/*"]}}"#;
    table(
        c,
        vec![
            (ctx().with("s3:prefix", "home/alice"), false),
            (ctx().with("s3:prefix", "tmp/x"), false),
            (ctx().with("s3:prefix", "etc/passwd"), true),
            (ctx(), true),
        ],
    );
}

#[test]
fn every_string_operator_with_if_exists() {
    // condition_operators "...IfExists": a missing key makes the condition true;
    // a present one is tested as usual.
    let cases = [
        ("StringEqualsIfExists", "Finance", "HR"),
        ("StringNotEqualsIfExists", "HR", "Finance"),
        ("StringEqualsIgnoreCaseIfExists", "FINANCE", "HR"),
        ("StringNotEqualsIgnoreCaseIfExists", "HR", "FINANCE"),
        ("StringLikeIfExists", "Fin*", "H*"),
        ("StringNotLikeIfExists", "H*", "Fin*"),
    ];
    for (op, matching, not_matching) in cases {
        let c = |v: &str| format!(r#"{{"{op}": {{"aws:PrincipalTag/team": "{v}"}}}}"#);
        assert!(holds(&c(matching), ctx()), "{op}: missing key");
        assert!(
            holds(&c(matching), ctx().with("aws:PrincipalTag/team", "Finance")),
            "{op} {matching}: present, matching"
        );
        assert!(
            !holds(&c(not_matching), ctx().with("aws:PrincipalTag/team", "Finance")),
            "{op} {not_matching}: present, not matching"
        );
    }
}

// ---------------------------------------------------------------- Numeric

#[test]
fn numeric_operators_with_number_and_string_values() {
    // condition_operators "Numeric condition operators": values may be written
    // as JSON numbers or as strings ("s3:max-keys": "10").
    let cases: [(&str, &[(&str, bool)]); 6] = [
        (
            "NumericEquals",
            &[("10", true), ("10.0", true), ("9", false), ("11", false)],
        ),
        (
            "NumericNotEquals",
            &[("10", false), ("10.0", false), ("9", true), ("11", true)],
        ),
        (
            "NumericLessThan",
            &[("9", true), ("9.99", true), ("10", false), ("11", false)],
        ),
        (
            "NumericLessThanEquals",
            &[("9", true), ("10", true), ("10.5", false), ("11", false)],
        ),
        (
            "NumericGreaterThan",
            &[("11", true), ("10.01", true), ("10", false), ("9", false)],
        ),
        (
            "NumericGreaterThanEquals",
            &[("11", true), ("10", true), ("9.5", false), ("-10", false)],
        ),
    ];
    for (op, rows) in cases {
        for policy_value in ["10", "\"10\"", "10.0", "\"1e1\""] {
            let c = format!(r#"{{"{op}": {{"s3:max-keys": {policy_value}}}}}"#);
            for (request_value, expected) in rows {
                assert_eq!(
                    holds(&c, ctx().with("s3:max-keys", *request_value)),
                    *expected,
                    "{c} with s3:max-keys={request_value}"
                );
            }
        }
    }
}

#[test]
fn numeric_decimals_and_negatives() {
    let c = r#"{"NumericLessThan": {"ec2:VolumeSize": -1.5}}"#;
    table(
        c,
        vec![
            (ctx().with("ec2:VolumeSize", "-2"), true),
            (ctx().with("ec2:VolumeSize", "-1.5"), false),
            (ctx().with("ec2:VolumeSize", "0"), false),
        ],
    );
}

#[test]
fn numeric_missing_keys_and_if_exists() {
    for (op, missing) in [
        ("NumericEquals", false),
        ("NumericNotEquals", true),
        ("NumericLessThan", false),
        ("NumericLessThanEquals", false),
        ("NumericGreaterThan", false),
        ("NumericGreaterThanEquals", false),
    ] {
        let c = format!(r#"{{"{op}": {{"s3:max-keys": 10}}}}"#);
        assert_eq!(holds(&c, ctx()), missing, "{op} on a missing key");
        let c = format!(r#"{{"{op}IfExists": {{"s3:max-keys": 10}}}}"#);
        assert!(holds(&c, ctx()), "{op}IfExists on a missing key");
    }
    // Present: IfExists tests as usual.
    let c = r#"{"NumericLessThanEqualsIfExists": {"s3:max-keys": "10"}}"#;
    table(
        c,
        vec![
            (ctx().with("s3:max-keys", "10"), true),
            (ctx().with("s3:max-keys", "11"), false),
        ],
    );
}

#[test]
fn numeric_values_take_no_variables() {
    // condition_operators: no policy variables in Numeric operators.
    let c = r#"{"NumericEquals": {"s3:max-keys": "${aws:PrincipalTag/limit}"}}"#;
    assert!(!holds(
        c,
        ctx().with("s3:max-keys", "10").with("aws:PrincipalTag/limit", "10")
    ));
}

// ---------------------------------------------------------------- Date

#[test]
fn date_operators() {
    let cases: [(&str, &[(&str, bool)]); 6] = [
        (
            "DateEquals",
            &[
                ("2020-01-01T00:00:00Z", true),
                ("2020-01-01T01:00:00+01:00", true),
                ("2020-01-01T00:00:01Z", false),
            ],
        ),
        (
            "DateNotEquals",
            &[
                ("2020-01-01T00:00:00Z", false),
                ("2019-12-31T19:00:00-05:00", false),
                ("2020-01-01T00:00:01Z", true),
            ],
        ),
        (
            "DateLessThan",
            &[
                ("2019-12-31T23:59:59Z", true),
                ("2020-01-01T00:00:00Z", false),
                ("2020-06-01T00:00:00Z", false),
            ],
        ),
        (
            "DateLessThanEquals",
            &[
                ("2019-12-31T23:59:59Z", true),
                ("2020-01-01T00:00:00Z", true),
                ("2020-01-01T00:00:01Z", false),
            ],
        ),
        (
            "DateGreaterThan",
            &[
                ("2020-01-01T00:00:01Z", true),
                ("2020-01-01T00:00:00Z", false),
                ("2019-01-01T00:00:00Z", false),
            ],
        ),
        (
            "DateGreaterThanEquals",
            &[
                ("2020-01-01T00:00:01Z", true),
                ("2020-01-01T00:00:00Z", true),
                ("2019-12-31T23:59:59Z", false),
            ],
        ),
    ];
    for (op, rows) in cases {
        let c = format!(r#"{{"{op}": {{"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}}"#);
        for (request_value, expected) in rows {
            assert_eq!(
                holds(&c, ctx().with("aws:CurrentTime", *request_value)),
                *expected,
                "{c} at {request_value}"
            );
        }
        assert_eq!(holds(&c, ctx()), op == "DateNotEquals", "{op} on a missing key");
        let c = format!(r#"{{"{op}IfExists": {{"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}}"#);
        assert!(holds(&c, ctx()), "{op}IfExists on a missing key");
    }
}

#[test]
fn date_iso_8601_forms_and_epoch_seconds() {
    // condition_operators "Date condition operators": the W3C profile of ISO 8601
    // (YYYY, YYYY-MM, YYYY-MM-DD, with hh:mm, hh:mm:ss, hh:mm:ss.s and a zone) or epoch time.
    let midnight = "2020-01-01T00:00:00Z";
    for policy_value in [
        "\"2020\"",
        "\"2020-01\"",
        "\"2020-01-01\"",
        "\"2020-01-01T00:00Z\"",
        "\"2020-01-01T00:00:00Z\"",
        "\"2020-01-01T00:00:00.000Z\"",
        "\"2020-01-01T01:00:00+01:00\"",
        "\"1577836800\"",
        "1577836800",
    ] {
        let c = format!(r#"{{"DateEquals": {{"aws:CurrentTime": {policy_value}}}}}"#);
        assert!(holds(&c, ctx().with("aws:CurrentTime", midnight)), "{policy_value}");
    }
    // aws:EpochTime carries epoch seconds; dates compare across the two forms.
    let c = r#"{"DateGreaterThan": {"aws:EpochTime": "2019-12-31T23:59:59Z"}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:EpochTime", "1577836800"), true),
            (ctx().with("aws:EpochTime", "1577836799"), false),
        ],
    );
    // Fractions of a second count.
    let c = r#"{"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00.500Z"}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:CurrentTime", "2020-01-01T00:00:00.250Z"), true),
            (ctx().with("aws:CurrentTime", "2020-01-01T00:00:00.750Z"), false),
        ],
    );
}

#[test]
fn date_values_take_no_wildcards_or_variables() {
    let c = r#"{"DateEquals": {"aws:CurrentTime": "2020-*"}}"#;
    assert!(!holds(c, ctx().with("aws:CurrentTime", "2020-01-01T00:00:00Z")));
    let c = r#"{"DateEquals": {"aws:CurrentTime": "${aws:TokenIssueTime}"}}"#;
    assert!(!holds(
        c,
        ctx()
            .with("aws:CurrentTime", "2020-01-01T00:00:00Z")
            .with("aws:TokenIssueTime", "2020-01-01T00:00:00Z")
    ));
}

// ---------------------------------------------------------------- Bool

#[test]
fn bool_operator() {
    for policy_value in ["\"true\"", "true"] {
        let c = format!(r#"{{"Bool": {{"aws:SecureTransport": {policy_value}}}}}"#);
        table(
            &c,
            vec![
                (ctx().with("aws:SecureTransport", "true"), true),
                (ctx().with("aws:SecureTransport", "false"), false),
                (ctx(), false),
            ],
        );
    }
    let c = r#"{"Bool": {"aws:SecureTransport": false}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:SecureTransport", "false"), true),
            (ctx().with("aws:SecureTransport", "true"), false),
        ],
    );
}

#[test]
fn bool_if_exists_and_the_mfa_example() {
    // condition_operators "...IfExists": `"Bool": {"aws:MultiFactorAuthPresent": "false"}`
    // does not match a request made with long-term keys, where the key is missing;
    // `BoolIfExists` does.
    let plain = r#"{"Bool": {"aws:MultiFactorAuthPresent": "false"}}"#;
    let if_exists = r#"{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}"#;
    assert!(!holds(plain, ctx()));
    assert!(holds(if_exists, ctx()));
    assert!(holds(if_exists, ctx().with("aws:MultiFactorAuthPresent", "false")));
    assert!(!holds(if_exists, ctx().with("aws:MultiFactorAuthPresent", "true")));
}

#[test]
fn bool_values_take_no_variables() {
    // spec §3.3: variables only in String and ARN operators (Access Analyzer:
    // "Policy variables can only be used with String and ARN operators").
    let c = r#"{"Bool": {"aws:SecureTransport": "${aws:PrincipalTag/secure}"}}"#;
    assert!(!holds(
        c,
        ctx()
            .with("aws:SecureTransport", "true")
            .with("aws:PrincipalTag/secure", "true")
    ));
}

// ---------------------------------------------------------------- Binary

#[test]
fn binary_equals() {
    // condition_operators "Binary condition operators": the policy holds base64.
    // (The page writes the key as `key`; IAM wants a vendor prefix, hence `ex:key`.)
    let c = r#"{"BinaryEquals": {"ex:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#;
    table(
        c,
        vec![
            (ctx().with("ex:key", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="), true),
            (ctx().with("ex:key", "QmluYXJ5VmFsdWVJbkJhc2U2NQ=="), false),
            (ctx(), false),
        ],
    );
    let c = r#"{"BinaryEqualsIfExists": {"ex:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#;
    table(
        c,
        vec![
            (ctx(), true),
            (ctx().with("ex:key", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="), true),
            (ctx().with("ex:key", "AAAA"), false),
        ],
    );
}

// ---------------------------------------------------------------- IP

#[test]
fn ip_address_v4_and_v6() {
    // condition_operators "IP address condition operators", with its IPv6 example range.
    let c = r#"{"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:SourceIp", "203.0.113.0"), true),
            (ctx().with("aws:SourceIp", "203.0.113.255"), true),
            (ctx().with("aws:SourceIp", "203.0.114.1"), false),
            (ctx().with("aws:SourceIp", "2001:db8:1234:5678::1"), true),
            (
                ctx().with("aws:SourceIp", "2001:DB8:1234:5678:ffff:ffff:ffff:ffff"),
                true,
            ),
            (ctx().with("aws:SourceIp", "2001:db8:1234:5679::1"), false),
            // Missing (e.g. a request through a VPC endpoint): IpAddress is false.
            (ctx(), false),
        ],
    );
}

#[test]
fn ip_address_without_prefix_is_a_single_address() {
    let c = r#"{"IpAddress": {"aws:SourceIp": "203.0.113.5"}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:SourceIp", "203.0.113.5"), true),
            (ctx().with("aws:SourceIp", "203.0.113.6"), false),
        ],
    );
}

#[test]
fn not_ip_address() {
    let c = r#"{"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:DB8:1234:5678::/64"]}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:SourceIp", "192.0.2.10"), false),
            (ctx().with("aws:SourceIp", "2001:db8:1234:5678::abcd"), false),
            (ctx().with("aws:SourceIp", "198.51.100.1"), true),
            (ctx().with("aws:SourceIp", "2001:db8::1"), true),
            (ctx(), true),
        ],
    );
}

#[test]
fn ip_operators_with_if_exists() {
    let c = r#"{"IpAddressIfExists": {"aws:SourceIp": "192.0.2.0/24"}}"#;
    table(
        c,
        vec![
            (ctx(), true),
            (ctx().with("aws:SourceIp", "192.0.2.1"), true),
            (ctx().with("aws:SourceIp", "198.51.100.1"), false),
        ],
    );
    let c = r#"{"NotIpAddressIfExists": {"aws:SourceIp": "192.0.2.0/24"}}"#;
    table(
        c,
        vec![
            (ctx(), true),
            (ctx().with("aws:SourceIp", "192.0.2.1"), false),
            (ctx().with("aws:SourceIp", "198.51.100.1"), true),
        ],
    );
}

// ---------------------------------------------------------------- ARN

#[test]
fn arn_equals_and_arn_like_behave_alike() {
    // condition_operators "ARN condition operators": ArnEquals and ArnLike both
    // take `*` and `?` in each of the six components, case-sensitively.
    for op in ["ArnEquals", "ArnLike"] {
        let c = format!(r#"{{"{op}": {{"aws:SourceArn": "arn:aws:sns:*:{ACCOUNT}:topic-?"}}}}"#);
        table(
            &c,
            vec![
                (
                    ctx().with("aws:SourceArn", format!("arn:aws:sns:us-east-1:{ACCOUNT}:topic-1")),
                    true,
                ),
                (
                    ctx().with("aws:SourceArn", format!("arn:aws:sns:eu-west-2:{ACCOUNT}:topic-a")),
                    true,
                ),
                (
                    ctx().with("aws:SourceArn", format!("arn:aws:sns:us-east-1:{ACCOUNT}:topic-12")),
                    false,
                ),
                (
                    ctx().with("aws:SourceArn", format!("arn:aws:SNS:us-east-1:{ACCOUNT}:topic-1")),
                    false,
                ),
                (
                    ctx().with("aws:SourceArn", "arn:aws:sns:us-east-1:999999999999:topic-1"),
                    false,
                ),
                (ctx(), false),
            ],
        );
    }
}

#[test]
fn arn_not_equals_and_arn_not_like() {
    for op in ["ArnNotEquals", "ArnNotLike"] {
        let c = format!(r#"{{"{op}": {{"aws:PrincipalArn": "arn:aws:iam::{ACCOUNT}:role/admin-*"}}}}"#);
        table(
            &c,
            vec![
                (
                    ctx().with("aws:PrincipalArn", format!("arn:aws:iam::{ACCOUNT}:role/admin-ops")),
                    false,
                ),
                (
                    ctx().with("aws:PrincipalArn", format!("arn:aws:iam::{ACCOUNT}:role/reader")),
                    true,
                ),
                (ctx(), true),
            ],
        );
    }
}

#[test]
fn arn_like_matches_component_by_component_string_like_does_not() {
    // condition_operators "ARN condition operators": the value is split into six
    // components; `arn:aws:someservice:*:111122223333:finance/*` matches the value
    // below under StringLike but not under ArnLike.
    let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
    let pattern = "arn:aws:someservice:*:111122223333:finance/*";
    let string_like = format!(r#"{{"StringLike": {{"aws:SourceArn": "{pattern}"}}}}"#);
    let arn_like = format!(r#"{{"ArnLike": {{"aws:SourceArn": "{pattern}"}}}}"#);
    assert!(holds(&string_like, ctx().with("aws:SourceArn", value)));
    assert!(!holds(&arn_like, ctx().with("aws:SourceArn", value)));
}

#[test]
fn arn_operators_with_if_exists() {
    for (op, present_matching) in [
        ("ArnEqualsIfExists", true),
        ("ArnLikeIfExists", true),
        ("ArnNotEqualsIfExists", false),
        ("ArnNotLikeIfExists", false),
    ] {
        let c = format!(r#"{{"{op}": {{"aws:SourceArn": "arn:aws:s3:::bucket-*"}}}}"#);
        assert!(holds(&c, ctx()), "{op} on a missing key");
        assert_eq!(
            holds(&c, ctx().with("aws:SourceArn", "arn:aws:s3:::bucket-1")),
            present_matching,
            "{op} on a matching value"
        );
        assert_eq!(
            holds(&c, ctx().with("aws:SourceArn", "arn:aws:s3:::other")),
            !present_matching,
            "{op} on another value"
        );
    }
}

#[test]
fn arn_values_take_variables_in_the_resource_part() {
    let c = r#"{"ArnLike": {"aws:SourceArn": "arn:aws:iam::111122223333:user/${aws:username}"}}"#;
    table(
        c,
        vec![
            (
                ctx()
                    .with("aws:username", "alice")
                    .with("aws:SourceArn", "arn:aws:iam::111122223333:user/alice"),
                true,
            ),
            (
                ctx()
                    .with("aws:username", "alice")
                    .with("aws:SourceArn", "arn:aws:iam::111122223333:user/bob"),
                false,
            ),
        ],
    );
}

#[test]
fn arn_values_take_variables_in_the_account_component() {
    // spec §3.3: variables are allowed in the condition values of ARN operators
    // (the resource-part-only rule is the Resource element's).
    let c = r#"{"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:${aws:PrincipalAccount}:topic"}}"#;
    table(
        c,
        vec![
            (
                ctx()
                    .with("aws:PrincipalAccount", ACCOUNT)
                    .with("aws:SourceArn", format!("arn:aws:sns:us-east-1:{ACCOUNT}:topic")),
                true,
            ),
            (
                ctx()
                    .with("aws:PrincipalAccount", ACCOUNT)
                    .with("aws:SourceArn", "arn:aws:sns:us-east-1:999999999999:topic"),
                false,
            ),
        ],
    );
}

// ---------------------------------------------------------------- Null

#[test]
fn null_operator() {
    // condition_operators "Condition operator to check existence of condition keys".
    for policy_value in ["\"true\"", "true"] {
        let c = format!(r#"{{"Null": {{"aws:TokenIssueTime": {policy_value}}}}}"#);
        table(
            &c,
            vec![
                (ctx(), true),
                (ctx().with("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), false),
                // An empty value counts as null (elements_condition "The request context").
                (ctx().with("aws:TokenIssueTime", ""), true),
            ],
        );
    }
    for policy_value in ["\"false\"", "false"] {
        let c = format!(r#"{{"Null": {{"aws:TokenIssueTime": {policy_value}}}}}"#);
        table(
            &c,
            vec![
                (ctx(), false),
                (ctx().with("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), true),
            ],
        );
    }
}

#[test]
fn null_takes_no_if_exists_and_no_qualifier() {
    for op in [
        "NullIfExists",
        "ForAllValues:Null",
        "ForAnyValue:Null",
        "stringequals",
        "StringEqual",
    ] {
        let text = policy_text(
            Some("2012-10-17"),
            &format!(r#"{{"{op}": {{"aws:TokenIssueTime": "true"}}}}"#),
        );
        let e = Policy::parse(PolicyKind::Identity, &text).unwrap_err();
        assert_eq!(e.code, "MalformedPolicyDocument", "{op}");
        assert_eq!(e.message, format!("Invalid Condition type : {op}"));
    }
}

// ---------------------------------------------------------------- Set qualifiers

#[test]
fn for_all_values_with_present_missing_and_empty_keys() {
    // multi-value-conditions: ForAllValues is true when every request value
    // matches, and when the key is missing or its set empty.
    let c = r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}"#;
    table(
        c,
        vec![
            (ctx().with_multi("aws:TagKeys", ["environment"]), true),
            (ctx().with_multi("aws:TagKeys", ["environment", "cost-center"]), true),
            (ctx().with_multi("aws:TagKeys", ["environment", "owner"]), false),
            (ctx().with_multi("aws:TagKeys", ["Environment"]), false),
            (ctx(), true),
            (ctx().with_multi("aws:TagKeys", Vec::<String>::new()), true),
            // Empty strings are null: a set of only empty values is empty.
            (ctx().with_multi("aws:TagKeys", [""]), true),
        ],
    );
}

#[test]
fn for_any_value_with_present_missing_and_empty_keys() {
    let c = r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}"#;
    table(
        c,
        vec![
            (ctx().with_multi("aws:TagKeys", ["environment"]), true),
            (ctx().with_multi("aws:TagKeys", ["owner", "cost-center"]), true),
            (ctx().with_multi("aws:TagKeys", ["owner"]), false),
            (ctx(), false),
            (ctx().with_multi("aws:TagKeys", Vec::<String>::new()), false),
        ],
    );
}

#[test]
fn qualifiers_with_negated_operators() {
    // ForAllValues + negated: every request value matches none of the policy values.
    let c = r#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret", "internal"]}}"#;
    table(
        c,
        vec![
            (ctx().with_multi("aws:TagKeys", ["a", "b"]), true),
            (ctx().with_multi("aws:TagKeys", ["a", "secret"]), false),
            (ctx(), true),
        ],
    );
    // ForAnyValue + negated: at least one request value matches none of them.
    let c = r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["secret", "internal"]}}"#;
    table(
        c,
        vec![
            (ctx().with_multi("aws:TagKeys", ["secret", "b"]), true),
            (ctx().with_multi("aws:TagKeys", ["secret", "internal"]), false),
            (ctx(), false),
        ],
    );
}

#[test]
fn qualifiers_with_other_families() {
    let c = r#"{"ForAnyValue:NumericGreaterThan": {"ex:sizes": 100}}"#;
    table(
        c,
        vec![
            (ctx().with_multi("ex:sizes", ["1", "200"]), true),
            (ctx().with_multi("ex:sizes", ["1", "2"]), false),
        ],
    );
    let c = r#"{"ForAllValues:ArnLike": {"ex:arns": "arn:aws:s3:::b/*"}}"#;
    table(
        c,
        vec![
            (
                ctx().with_multi("ex:arns", ["arn:aws:s3:::b/1", "arn:aws:s3:::b/2"]),
                true,
            ),
            (
                ctx().with_multi("ex:arns", ["arn:aws:s3:::b/1", "arn:aws:s3:::c/2"]),
                false,
            ),
        ],
    );
    let c = r#"{"ForAnyValue:IpAddress": {"ex:ips": "10.0.0.0/8"}}"#;
    table(
        c,
        vec![
            (ctx().with_multi("ex:ips", ["192.0.2.1", "10.1.2.3"]), true),
            (ctx().with_multi("ex:ips", ["192.0.2.1"]), false),
        ],
    );
}

#[test]
fn null_guard_with_for_all_values() {
    // multi-value-conditions: add `"Null": {"key": "false"}` so that a missing key
    // no longer satisfies ForAllValues.
    let c = r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["environment"]},
               "Null": {"aws:TagKeys": "false"}}"#;
    table(
        c,
        vec![(ctx().with_multi("aws:TagKeys", ["environment"]), true), (ctx(), false)],
    );
}

// ---------------------------------------------------------------- Block logic

#[test]
fn multiple_values_for_one_key_are_or() {
    let c = r#"{"StringEquals": {"aws:PrincipalTag/team": ["Finance", "HR"]}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:PrincipalTag/team", "Finance"), true),
            (ctx().with("aws:PrincipalTag/team", "HR"), true),
            (ctx().with("aws:PrincipalTag/team", "IT"), false),
        ],
    );
}

#[test]
fn negated_operator_with_several_values_is_nor() {
    // elements_condition: StringNotEquals aws:PrincipalAccount [a, b] holds only
    // when the account is neither a nor b.
    let c = r#"{"StringNotEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}}"#;
    table(
        c,
        vec![
            (ctx().with("aws:PrincipalAccount", "111122223333"), false),
            (ctx().with("aws:PrincipalAccount", "444455556666"), false),
            (ctx().with("aws:PrincipalAccount", "777788889999"), true),
        ],
    );
}

#[test]
fn multiple_keys_under_one_operator_are_and() {
    let c = r#"{"StringEquals": {"aws:PrincipalTag/team": "Finance", "aws:RequestedRegion": "eu-west-2"}}"#;
    table(
        c,
        vec![
            (
                ctx()
                    .with("aws:PrincipalTag/team", "Finance")
                    .with("aws:RequestedRegion", "eu-west-2"),
                true,
            ),
            (
                ctx()
                    .with("aws:PrincipalTag/team", "Finance")
                    .with("aws:RequestedRegion", "us-east-1"),
                false,
            ),
            (ctx().with("aws:PrincipalTag/team", "Finance"), false),
        ],
    );
}

#[test]
fn multiple_operators_are_and() {
    let c = r#"{"StringEquals": {"aws:PrincipalTag/team": "Finance"},
               "Bool": {"aws:SecureTransport": "true"},
               "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#;
    let all = || {
        ctx()
            .with("aws:PrincipalTag/team", "Finance")
            .with("aws:SecureTransport", "true")
            .with("aws:SourceIp", "203.0.113.1")
    };
    table(
        c,
        vec![
            (all(), true),
            (all().with("aws:SecureTransport", "false"), false),
            (all().with("aws:SourceIp", "198.51.100.1"), false),
            (all().with("aws:PrincipalTag/team", "HR"), false),
        ],
    );
}

#[test]
fn negated_operators_on_missing_keys_hold() {
    for op in [
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
    ] {
        let value = match op {
            "NumericNotEquals" => "1",
            "DateNotEquals" => "2020-01-01",
            "NotIpAddress" => "10.0.0.0/8",
            "ArnNotEquals" | "ArnNotLike" => "arn:aws:s3:::b",
            _ => "x",
        };
        let c = format!(r#"{{"{op}": {{"ex:missing": "{value}"}}}}"#);
        assert!(holds(&c, ctx()), "{op} on a missing key");
    }
    for op in [
        "StringEquals",
        "StringEqualsIgnoreCase",
        "StringLike",
        "NumericEquals",
        "DateEquals",
        "IpAddress",
        "ArnEquals",
        "ArnLike",
        "Bool",
        "BinaryEquals",
    ] {
        let value = match op {
            "NumericEquals" => "1",
            "DateEquals" => "2020-01-01",
            "IpAddress" => "10.0.0.0/8",
            "ArnEquals" | "ArnLike" => "arn:aws:s3:::b",
            "Bool" => "true",
            "BinaryEquals" => "AAAA",
            _ => "x",
        };
        let c = format!(r#"{{"{op}": {{"ex:missing": "{value}"}}}}"#);
        assert!(!holds(&c, ctx()), "{op} on a missing key");
    }
}

#[test]
fn deny_with_a_negated_if_exists_operator_still_denies_a_missing_key() {
    // spec §4.2: Deny + negated IfExists still denies when the key is missing.
    let text = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:RequestedRegion": "eu-west-2"}}}]}"#;
    let set = PolicySet {
        identity: vec![Policy::parse(PolicyKind::Identity, text).unwrap()],
        ..PolicySet::default()
    };
    let d = authorize(&set, &request(ctx()));
    assert_eq!(d.decision, EvalDecision::ExplicitDeny);
    let d = authorize(&set, &request(ctx().with("aws:RequestedRegion", "eu-west-2")));
    assert_eq!(d.decision, EvalDecision::Allowed);
    let d = authorize(&set, &request(ctx().with("aws:RequestedRegion", "us-east-1")));
    assert_eq!(d.decision, EvalDecision::ExplicitDeny);
}

// ---------------------------------------------------------------- Key names

#[test]
fn condition_key_names_are_case_insensitive_including_the_tag_key() {
    // elements_condition: key names are case-insensitive; for aws:PrincipalTag/TagKey
    // the tag-key part too. Values keep their operator's case rules.
    for policy_key in [
        "aws:PrincipalTag/Team",
        "aws:principaltag/team",
        "AWS:PRINCIPALTAG/TEAM",
    ] {
        let c = format!(r#"{{"StringEquals": {{"{policy_key}": "Finance"}}}}"#);
        for request_key in [
            "aws:PrincipalTag/Team",
            "aws:principaltag/team",
            "Aws:PrincipalTag/tEAM",
        ] {
            assert!(
                holds(&c, ctx().with(request_key, "Finance")),
                "{policy_key} vs {request_key}"
            );
            assert!(
                !holds(&c, ctx().with(request_key, "finance")),
                "{policy_key} vs {request_key}: values stay case-sensitive"
            );
        }
    }
    let c = r#"{"IpAddress": {"aws:SourceIP": "203.0.113.0/24"}}"#;
    assert!(holds(c, ctx().with("AWS:SourceIp", "203.0.113.9")));
}

// ---------------------------------------------------------------- Policy variables

#[test]
fn variables_are_substituted_only_under_2012_10_17() {
    // reference_policies_variables / elements_version: under 2008-10-17, or with
    // no Version, `${aws:username}` is literal text.
    let c = r#"{"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}"#;
    let named = || ctx().with("aws:username", "alice");
    assert!(holds_under(
        Some("2012-10-17"),
        c,
        named().with("aws:PrincipalTag/owner", "alice")
    ));
    for version in [Some("2008-10-17"), None] {
        assert!(
            !holds_under(version, c, named().with("aws:PrincipalTag/owner", "alice")),
            "{version:?}"
        );
        assert!(
            holds_under(version, c, named().with("aws:PrincipalTag/owner", "${aws:username}")),
            "{version:?}: the text is literal"
        );
    }
    // `${*}` is literal too under the old version: in StringLike its `*` is a wildcard.
    let c = r#"{"StringLike": {"s3:prefix": "a${*}"}}"#;
    assert!(holds_under(None, c, ctx().with("s3:prefix", "a${xyz}")));
    assert!(!holds_under(None, c, ctx().with("s3:prefix", "a*")));
}

#[test]
fn variables_in_string_values() {
    let c = r#"{"StringLike": {"s3:prefix": ["home/${aws:username}/*", "home/${aws:username}"]}}"#;
    table(
        c,
        vec![
            (
                ctx().with("aws:username", "alice").with("s3:prefix", "home/alice/x"),
                true,
            ),
            (
                ctx().with("aws:username", "alice").with("s3:prefix", "home/alice"),
                true,
            ),
            (
                ctx().with("aws:username", "alice").with("s3:prefix", "home/bob/x"),
                false,
            ),
        ],
    );
    // Variable key names are case-insensitive as well.
    let c = r#"{"StringEquals": {"s3:prefix": "${AWS:UserName}"}}"#;
    assert!(holds(c, ctx().with("aws:username", "alice").with("s3:prefix", "alice")));
    // A substituted value is literal text, not a pattern.
    let c = r#"{"StringLike": {"s3:prefix": "${aws:PrincipalTag/prefix}"}}"#;
    table(
        c,
        vec![
            (
                ctx().with("aws:PrincipalTag/prefix", "a*").with("s3:prefix", "a*"),
                true,
            ),
            (
                ctx().with("aws:PrincipalTag/prefix", "a*").with("s3:prefix", "abc"),
                false,
            ),
        ],
    );
}

#[test]
fn variables_in_ignore_case_values() {
    let c = r#"{"StringEqualsIgnoreCase": {"aws:PrincipalTag/owner": "${aws:username}"}}"#;
    assert!(holds(
        c,
        ctx()
            .with("aws:username", "Alice")
            .with("aws:PrincipalTag/owner", "ALICE")
    ));
}

#[test]
fn unresolvable_variables_fail_positive_operators_and_satisfy_negated_ones() {
    // reference_policies_variables "Policy variables with no value".
    let no_username = || ctx().with("s3:prefix", "anything");
    for (op, expected) in [
        ("StringEquals", false),
        ("StringLike", false),
        ("StringEqualsIgnoreCase", false),
        ("StringNotEquals", true),
        ("StringNotLike", true),
        ("StringNotEqualsIgnoreCase", true),
    ] {
        let c = format!(r#"{{"{op}": {{"s3:prefix": "${{aws:username}}"}}}}"#);
        assert_eq!(holds(&c, no_username()), expected, "{op}");
    }
    // Not even the variable's own text matches.
    let c = r#"{"StringEquals": {"s3:prefix": "${aws:username}"}}"#;
    assert!(!holds(c, ctx().with("s3:prefix", "${aws:username}")));
    for (op, expected) in [("ArnLike", false), ("ArnNotLike", true)] {
        let c = format!(r#"{{"{op}": {{"aws:SourceArn": "arn:aws:iam::111122223333:user/${{aws:username}}"}}}}"#);
        assert_eq!(
            holds(&c, ctx().with("aws:SourceArn", "arn:aws:iam::111122223333:user/alice")),
            expected,
            "{op}"
        );
    }
    // A multivalued key is not a variable: it does not resolve.
    let c = r#"{"StringEquals": {"s3:prefix": "${aws:TagKeys}"}}"#;
    assert!(!holds(c, ctx().with_multi("aws:TagKeys", ["a"]).with("s3:prefix", "a")));
}

#[test]
fn variable_default_values() {
    // reference_policies_variables "Specifying default values".
    let c = r#"{"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team, 'company-wide'}"}}"#;
    table(
        c,
        vec![
            (ctx().with("s3:prefix", "company-wide"), true),
            (
                ctx()
                    .with("aws:PrincipalTag/team", "finance")
                    .with("s3:prefix", "finance"),
                true,
            ),
            (
                ctx()
                    .with("aws:PrincipalTag/team", "finance")
                    .with("s3:prefix", "company-wide"),
                false,
            ),
        ],
    );
}

#[test]
fn special_characters_are_literal() {
    // reference_policies_variables "Special characters": ${*}, ${?}, ${$}.
    let c = r#"{"StringLike": {"s3:prefix": "a${*}b${?}c${$}"}}"#;
    table(
        c,
        vec![
            (ctx().with("s3:prefix", "a*b?c$"), true),
            (ctx().with("s3:prefix", "aXb?c$"), false),
            (ctx().with("s3:prefix", "a*bXc$"), false),
        ],
    );
    let c = r#"{"StringEquals": {"s3:prefix": "${*}"}}"#;
    table(
        c,
        vec![
            (ctx().with("s3:prefix", "*"), true),
            (ctx().with("s3:prefix", "x"), false),
        ],
    );
    // Mixed with real wildcards in a Like operator.
    let c = r#"{"StringLike": {"s3:prefix": "${*}*"}}"#;
    table(
        c,
        vec![
            (ctx().with("s3:prefix", "*abc"), true),
            (ctx().with("s3:prefix", "abc"), false),
        ],
    );
}
