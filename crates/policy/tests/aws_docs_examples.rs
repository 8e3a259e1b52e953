//! Examples of the AWS documentation, reproduced as test cases. Each test
//! names the page it reproduces: IAM User Guide pages by their file name
//! (`awsdocs/iam-user-guide`, `doc_source/<page>.md`, as in spec §0), the
//! DynamoDB Developer Guide likewise. Account ids, bucket and table names
//! follow the pages' own placeholders.

use rolechain_policy::*;

const ACCOUNT: &str = "111122223333";

fn parse(kind: PolicyKind, id: &str, text: &str) -> Policy {
    Policy::parse_with_id(kind, id, text).unwrap_or_else(|e| panic!("{id}: {e}\n{text}"))
}

fn identity(text: &str) -> PolicySet {
    PolicySet {
        identity: vec![parse(PolicyKind::Identity, "identity", text)],
        ..PolicySet::default()
    }
}

fn user(name: &str) -> Principal {
    Principal::User {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
    }
}

fn role_session(role: &str, session: &str) -> Principal {
    Principal::AssumedRole {
        arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"),
        role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/{role}")),
    }
}

/// A request in the caller's own account, with the principal's own context keys added.
fn req(principal: Principal, action: &str, resource: &str, mut context: Context) -> Request {
    context.add_principal_keys(&principal);
    Request {
        principal,
        action: action.into(),
        resource: resource.into(),
        resource_account: Some(ACCOUNT.into()),
        context,
    }
}

fn decide(set: &PolicySet, principal: Principal, action: &str, resource: &str, context: Context) -> EvalDecision {
    authorize(set, &req(principal, action, resource, context)).decision
}

use EvalDecision::{Allowed, ExplicitDeny, ImplicitDeny};

// ====================================================================== reference_policies_elements_condition_operators

#[test]
fn condition_operators_arn_like_versus_string_like() {
    // reference_policies_elements_condition_operators, "Amazon Resource Name (ARN) condition
    // operators": the ARN is split into six components; the pattern below matches the value
    // under StringLike but not under ArnLike.
    let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
    for (op, expected) in [("StringLike", Allowed), ("ArnLike", ImplicitDeny)] {
        let set = identity(&format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "someservice:Read", "Resource": "*",
                "Condition": {{"{op}": {{"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}}}}}]}}"#
        ));
        let ctx = Context::new().with("aws:SourceArn", value);
        assert_eq!(
            decide(&set, user("alice"), "someservice:Read", "*", ctx),
            expected,
            "{op}"
        );
    }
}

#[test]
fn condition_operators_string_equals_principal_tag() {
    // reference_policies_elements_condition_operators, "String condition operators":
    // allow when the principal's job-category tag is iamuser-admin.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:*AccessKey*",
            "Resource": "arn:aws:iam::111122223333:user/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}}}"#,
    );
    let target = "arn:aws:iam::111122223333:user/bob";
    let tagged = || Context::new().with("aws:PrincipalTag/job-category", "iamuser-admin");
    assert_eq!(
        decide(&set, user("alice"), "iam:CreateAccessKey", target, tagged()),
        Allowed
    );
    assert_eq!(
        decide(&set, user("alice"), "iam:ListAccessKeys", target, tagged()),
        Allowed
    );
    assert_eq!(
        decide(
            &set,
            user("alice"),
            "iam:CreateAccessKey",
            target,
            Context::new().with("aws:PrincipalTag/job-category", "dev")
        ),
        ImplicitDeny
    );
    assert_eq!(
        decide(&set, user("alice"), "iam:CreateAccessKey", target, Context::new()),
        ImplicitDeny
    );
}

#[test]
fn condition_operators_numeric_max_keys() {
    // reference_policies_elements_condition_operators, "Numeric condition operators":
    // list at most 10 objects at a time.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
            "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}}}}"#,
    );
    let list = |keys: &str| {
        decide(
            &set,
            user("alice"),
            "s3:ListBucket",
            "arn:aws:s3:::amzn-s3-demo-bucket",
            Context::new().with("s3:max-keys", keys),
        )
    };
    assert_eq!(list("10"), Allowed);
    assert_eq!(list("5"), Allowed);
    assert_eq!(list("11"), ImplicitDeny);
}

#[test]
fn condition_operators_date_token_issue_time() {
    // reference_policies_elements_condition_operators, "Date condition operators":
    // only temporary credentials issued after the given time.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:*AccessKey*",
            "Resource": "arn:aws:iam::111122223333:user/*",
            "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}}}"#,
    );
    let call = |ctx| {
        decide(
            &set,
            role_session("admin", "s"),
            "iam:ListAccessKeys",
            "arn:aws:iam::111122223333:user/bob",
            ctx,
        )
    };
    assert_eq!(
        call(Context::new().with("aws:TokenIssueTime", "2020-01-01T00:00:02Z")),
        Allowed
    );
    assert_eq!(
        call(Context::new().with("aws:TokenIssueTime", "2020-01-01T00:00:01Z")),
        ImplicitDeny
    );
    assert_eq!(
        call(Context::new().with("aws:TokenIssueTime", "2019-06-01T00:00:00Z")),
        ImplicitDeny
    );
    // Long-term credentials carry no aws:TokenIssueTime.
    assert_eq!(call(Context::new()), ImplicitDeny);
}

#[test]
fn condition_operators_bool_secure_transport() {
    // reference_policies_elements_condition_operators, "Boolean condition operators":
    // deny requests that do not use SSL.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Sid": "BooleanExample", "Effect": "Deny", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}"#,
    );
    let get = |ctx| {
        decide(
            &set,
            user("alice"),
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/x",
            ctx,
        )
    };
    assert_eq!(get(Context::new().with("aws:SecureTransport", "false")), ExplicitDeny);
    assert_eq!(get(Context::new().with("aws:SecureTransport", "true")), Allowed);
}

#[test]
fn condition_operators_binary_equals() {
    // reference_policies_elements_condition_operators, "Binary condition operators".
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ex:Do", "Resource": "*",
            "Condition": {"BinaryEquals": {"ex:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}}}"#,
    );
    let call = |v: &str| decide(&set, user("alice"), "ex:Do", "*", Context::new().with("ex:key", v));
    assert_eq!(call("QmluYXJ5VmFsdWVJbkJhc2U2NA=="), Allowed);
    assert_eq!(call("QmluYXJ5"), ImplicitDeny);
}

#[test]
fn condition_operators_ip_address_v4_and_v6() {
    // reference_policies_elements_condition_operators, "IP address condition operators":
    // a range of IPv4 and IPv6 addresses, the IPv6 one being 2001:DB8:1234:5678::/64.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:*AccessKey*",
            "Resource": "arn:aws:iam::111122223333:user/*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}}}"#,
    );
    let from = |ip: &str| {
        decide(
            &set,
            user("alice"),
            "iam:ListAccessKeys",
            "arn:aws:iam::111122223333:user/alice",
            Context::new().with("aws:SourceIp", ip),
        )
    };
    assert_eq!(from("203.0.113.42"), Allowed);
    assert_eq!(from("2001:DB8:1234:5678::1"), Allowed);
    assert_eq!(from("2001:db8:1234:5678:a:b:c:d"), Allowed);
    assert_eq!(from("2001:db8:1234:5600::1"), ImplicitDeny);
    assert_eq!(from("198.51.100.1"), ImplicitDeny);
    // Through a VPC endpoint aws:SourceIp is absent: IpAddress is false.
    let none = decide(
        &set,
        user("alice"),
        "iam:ListAccessKeys",
        "arn:aws:iam::111122223333:user/alice",
        Context::new(),
    );
    assert_eq!(none, ImplicitDeny);
}

#[test]
fn condition_operators_arn_equals_source_arn() {
    // reference_policies_elements_condition_operators, "ARN condition operators": an SQS
    // queue policy letting one SNS topic send messages.
    let set = PolicySet {
        resource: Some(parse(
            PolicyKind::Resource,
            "queue-policy",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "SQS:SendMessage", "Resource": "arn:aws:sqs:us-east-2:111122223333:MyQueue",
                "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-2:111122223333:MyTopic"}}}]}"#,
        )),
        ..PolicySet::default()
    };
    let sns = Principal::Service {
        service: "sns.amazonaws.com".into(),
    };
    let send = |topic: &str| {
        let r = Request {
            principal: sns.clone(),
            action: "sqs:sendmessage".into(),
            resource: "arn:aws:sqs:us-east-2:111122223333:MyQueue".into(),
            resource_account: None,
            context: Context::new().with("aws:SourceArn", topic),
        };
        authorize(&set, &r).decision
    };
    assert_eq!(send("arn:aws:sns:us-east-2:111122223333:MyTopic"), Allowed);
    assert_eq!(send("arn:aws:sns:us-east-2:111122223333:OtherTopic"), ImplicitDeny);
}

#[test]
fn condition_operators_if_exists_instance_types() {
    // reference_policies_elements_condition_operators, "...IfExists condition operators":
    // allow EC2 actions when the instance type, if there is one, is t1.*, t2.* or m3.*.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": {"Sid": "THISPOLICYDOESNOTWORK", "Effect": "Allow",
            "Action": "ec2:RunInstances", "Resource": "*",
            "Condition": {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}}}"#,
    );
    let run = |ctx| decide(&set, user("alice"), "ec2:RunInstances", "*", ctx);
    assert_eq!(run(Context::new().with("ec2:InstanceType", "t2.micro")), Allowed);
    assert_eq!(run(Context::new().with("ec2:InstanceType", "m5.large")), ImplicitDeny);
    // Resources without an instance type (volumes, security groups) pass.
    assert_eq!(run(Context::new()), Allowed);
}

#[test]
fn condition_operators_if_exists_mfa() {
    // reference_policies_elements_condition_operators, "...IfExists": `"Bool":
    // {"aws:MultiFactorAuthPresent": "false"}` misses long-term credentials (no key);
    // `BoolIfExists` catches them.
    for (op, long_term) in [("Bool", Allowed), ("BoolIfExists", ExplicitDeny)] {
        let set = identity(&format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*"}},
                {{"Effect": "Deny", "Action": "*", "Resource": "*",
                  "Condition": {{"{op}": {{"aws:MultiFactorAuthPresent": "false"}}}}}}]}}"#
        ));
        assert_eq!(
            decide(&set, user("alice"), "ec2:StopInstances", "*", Context::new()),
            long_term,
            "{op}"
        );
        assert_eq!(
            decide(
                &set,
                role_session("r", "s"),
                "ec2:StopInstances",
                "*",
                Context::new().with("aws:MultiFactorAuthPresent", "false")
            ),
            ExplicitDeny,
            "{op}"
        );
        assert_eq!(
            decide(
                &set,
                role_session("r", "s"),
                "ec2:StopInstances",
                "*",
                Context::new().with("aws:MultiFactorAuthPresent", "true")
            ),
            Allowed,
            "{op}"
        );
    }
}

#[test]
fn condition_operators_null_token_issue_time() {
    // reference_policies_elements_condition_operators, "Condition operator to check
    // existence of condition keys": aws:TokenIssueTime is null for long-term credentials.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*",
            "Condition": {"Null": {"aws:TokenIssueTime": "true"}}}}"#,
    );
    assert_eq!(
        decide(&set, user("alice"), "ec2:DescribeInstances", "*", Context::new()),
        Allowed
    );
    assert_eq!(
        decide(
            &set,
            role_session("r", "s"),
            "ec2:DescribeInstances",
            "*",
            Context::new().with("aws:TokenIssueTime", "2024-05-01T10:00:00Z")
        ),
        ImplicitDeny
    );
}

// ====================================================================== multi-value conditions

/// reference_policies_condition_examples-multi-valued-context-keys (linked from
/// reference_policies_multi-value-conditions): deny tagging unless every tag key starts with key1.
fn deny_restricted_tags(values: &str) -> PolicySet {
    PolicySet {
        identity: vec![
            parse(
                PolicyKind::Identity,
                "allow-tagging",
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}"#,
            ),
            parse(
                PolicyKind::Identity,
                "deny-restricted-tags",
                &format!(
                    r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "DenyRestrictedTags", "Effect": "Deny",
                    "Action": ["iam:Tag*", "iam:UnTag*"], "Resource": ["*"],
                    "Condition": {{"ForAllValues:StringNotLike": {{"aws:TagKeys": {values}}}}}}}]}}"#
                ),
            ),
        ],
        ..PolicySet::default()
    }
}

#[test]
fn multi_value_for_all_values_string_not_like_one_value() {
    // The page's table for `"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}`:
    // key1:legal → no match; key1:hr + key1:personnel → no match; key2:audit → match;
    // no aws:TagKeys → match. A match denies.
    let set = deny_restricted_tags(r#""key1*""#);
    let tag = |ctx| {
        decide(
            &set,
            user("alice"),
            "iam:TagUser",
            "arn:aws:iam::111122223333:user/bob",
            ctx,
        )
    };
    assert_eq!(tag(Context::new().with_multi("aws:TagKeys", ["key1"])), Allowed);
    assert_eq!(tag(Context::new().with_multi("aws:TagKeys", ["key1", "key1"])), Allowed);
    assert_eq!(tag(Context::new().with_multi("aws:TagKeys", ["key2"])), ExplicitDeny);
    assert_eq!(tag(Context::new()), ExplicitDeny);
    // Mixed: one key outside key1* is not enough for ForAllValues to match.
    assert_eq!(tag(Context::new().with_multi("aws:TagKeys", ["key1", "key2"])), Allowed);
}

#[test]
fn multi_value_for_all_values_string_not_like_several_values() {
    // The same page, "Deny multiple policy condition values": keys must start with key1 or key2.
    let set = deny_restricted_tags(r#"["key1*", "key2*"]"#);
    let tag = |ctx| {
        decide(
            &set,
            user("alice"),
            "iam:TagUser",
            "arn:aws:iam::111122223333:user/bob",
            ctx,
        )
    };
    assert_eq!(tag(Context::new().with_multi("aws:TagKeys", ["key1"])), Allowed);
    assert_eq!(tag(Context::new().with_multi("aws:TagKeys", ["key1", "key2"])), Allowed);
    assert_eq!(tag(Context::new().with_multi("aws:TagKeys", ["key3"])), ExplicitDeny);
    assert_eq!(tag(Context::new()), ExplicitDeny);
}

#[test]
fn multi_value_for_any_value_allow() {
    // reference_policies_condition_examples-multi-valued-context-keys, "Allow policy with
    // condition set operator ForAnyValue": at least one request tag key must be listed;
    // a request without tag keys does not match.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "AllowTagging", "Effect": "Allow",
            "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "webserver"]}}}]}"#,
    );
    let tag = |ctx| decide(&set, user("alice"), "ec2:CreateTags", "*", ctx);
    assert_eq!(tag(Context::new().with_multi("aws:TagKeys", ["environment"])), Allowed);
    assert_eq!(
        tag(Context::new().with_multi("aws:TagKeys", ["webserver", "costcenter"])),
        Allowed
    );
    assert_eq!(
        tag(Context::new().with_multi("aws:TagKeys", ["costcenter"])),
        ImplicitDeny
    );
    assert_eq!(tag(Context::new()), ImplicitDeny);
}

#[test]
fn multi_value_for_all_values_with_a_null_guard() {
    // reference_policies_multi-value-conditions: ForAllValues is true for a missing key;
    // pair it with `"Null": {"aws:TagKeys": "false"}` to require the key.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "webserver"]},
                          "Null": {"aws:TagKeys": "false"}}}]}"#,
    );
    let tag = |ctx| decide(&set, user("alice"), "ec2:CreateTags", "*", ctx);
    assert_eq!(
        tag(Context::new().with_multi("aws:TagKeys", ["environment", "webserver"])),
        Allowed
    );
    assert_eq!(
        tag(Context::new().with_multi("aws:TagKeys", ["environment", "other"])),
        ImplicitDeny
    );
    assert_eq!(tag(Context::new()), ImplicitDeny);
}

// ====================================================================== reference_policies_variables

fn home_folder_policy(version: Option<&str>) -> PolicySet {
    let version = version.map_or(String::new(), |v| format!(r#""Version": "{v}", "#));
    identity(&format!(
        r#"{{{version}"Statement": [
        {{"Sid": "ListHome", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
          "Condition": {{"StringLike": {{"s3:prefix": ["", "home/", "home/${{aws:username}}/*"]}}}}}},
        {{"Sid": "OwnFolder", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
          "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/home/${{aws:username}}/*"}}]}}"#
    ))
}

#[test]
fn variables_home_folder_per_user() {
    // reference_policies_variables "Introduction" (and reference_policies_examples_s3_home-
    // directory-console): each IAM user reaches only home/<their user name>/.
    let set = home_folder_policy(Some("2012-10-17"));
    let object = |who: &str, key: &str| {
        decide(
            &set,
            user(who),
            "s3:GetObject",
            &format!("arn:aws:s3:::amzn-s3-demo-bucket/{key}"),
            Context::new(),
        )
    };
    assert_eq!(object("alice", "home/alice/notes.txt"), Allowed);
    assert_eq!(object("alice", "home/alice/deep/er/notes.txt"), Allowed);
    assert_eq!(object("alice", "home/bob/notes.txt"), ImplicitDeny);
    assert_eq!(object("bob", "home/bob/notes.txt"), Allowed);
    assert_eq!(object("alice", "home/alicex/notes.txt"), ImplicitDeny);
    let list = |who: &str, prefix: &str| {
        decide(
            &set,
            user(who),
            "s3:ListBucket",
            "arn:aws:s3:::amzn-s3-demo-bucket",
            Context::new().with("s3:prefix", prefix),
        )
    };
    assert_eq!(list("alice", "home/"), Allowed);
    assert_eq!(list("alice", "home/alice/photos"), Allowed);
    assert_eq!(list("alice", "home/bob/"), ImplicitDeny);
}

#[test]
fn variables_home_folder_does_not_work_for_roles() {
    // reference_policies_examples_s3_home-directory-console: "This policy will not work when
    // using IAM roles because the aws:username variable is not available" — an unresolvable
    // variable in Resource matches nothing (reference_policies_variables "Policy variables
    // with no value").
    let set = home_folder_policy(Some("2012-10-17"));
    let session = role_session("alice", "alice");
    let r = "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt";
    assert_eq!(
        decide(&set, session.clone(), "s3:GetObject", r, Context::new()),
        ImplicitDeny
    );
    // Not even an object literally named after the variable.
    let literal = "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/x";
    assert_eq!(
        decide(&set, session, "s3:GetObject", literal, Context::new()),
        ImplicitDeny
    );
}

#[test]
fn variables_are_literal_without_version_2012_10_17() {
    // reference_policies_variables and reference_policies_elements_version: without
    // "Version": "2012-10-17" (2008-10-17, or no Version), `${aws:username}` is literal text.
    for version in [Some("2008-10-17"), None] {
        let set = home_folder_policy(version);
        let get = |key: &str| {
            decide(
                &set,
                user("alice"),
                "s3:GetObject",
                &format!("arn:aws:s3:::amzn-s3-demo-bucket/{key}"),
                Context::new(),
            )
        };
        assert_eq!(get("home/alice/notes.txt"), ImplicitDeny, "{version:?}");
        assert_eq!(get("home/${aws:username}/notes.txt"), Allowed, "{version:?}");
    }
}

#[test]
fn variables_default_value() {
    // reference_policies_variables "Specifying default values": a principal without a team
    // tag reaches the company-wide folder.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*"}]}"#,
    );
    let get = |ctx: Context, key: &str| {
        decide(
            &set,
            role_session("staff", "s"),
            "s3:GetObject",
            &format!("arn:aws:s3:::amzn-s3-demo-bucket/{key}"),
            ctx,
        )
    };
    let finance = || Context::new().with("aws:PrincipalTag/team", "finance");
    assert_eq!(get(finance(), "finance/q1.xlsx"), Allowed);
    assert_eq!(get(finance(), "company-wide/handbook.pdf"), ImplicitDeny);
    assert_eq!(get(Context::new(), "company-wide/handbook.pdf"), Allowed);
    assert_eq!(get(Context::new(), "finance/q1.xlsx"), ImplicitDeny);
}

#[test]
fn variables_special_characters() {
    // reference_policies_variables "Special characters": ${*}, ${?} and ${$} stand for the
    // literal characters, so a key really named `*` can be targeted.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/${*}${?}${$}"}]}"#,
    );
    let get = |key: &str| {
        decide(
            &set,
            user("alice"),
            "s3:GetObject",
            &format!("arn:aws:s3:::amzn-s3-demo-bucket/{key}"),
            Context::new(),
        )
    };
    assert_eq!(get("*?$"), Allowed);
    assert_eq!(get("ab$"), ImplicitDeny);
    assert_eq!(get("anything"), ImplicitDeny);
}

#[test]
fn variables_principal_tag_matches_resource_tag() {
    // tutorial_attribute-based-access-control (linked from reference_policies_variables
    // "Tags as policy variables"): access when the resource's project tag equals the caller's.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "AllActionsSecretsManagerSameProject", "Effect": "Allow",
            "Action": "secretsmanager:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/access-project": "${aws:PrincipalTag/access-project}"}}}]}"#,
    );
    let secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:pegasus-db";
    let call = |ctx| {
        decide(
            &set,
            role_session("access-peg-engineering", "s"),
            "secretsmanager:GetSecretValue",
            secret,
            ctx,
        )
    };
    assert_eq!(
        call(
            Context::new()
                .with("aws:PrincipalTag/access-project", "peg")
                .with("aws:ResourceTag/access-project", "peg")
        ),
        Allowed
    );
    assert_eq!(
        call(
            Context::new()
                .with("aws:PrincipalTag/access-project", "peg")
                .with("aws:ResourceTag/access-project", "uni")
        ),
        ImplicitDeny
    );
    // No principal tag: the variable does not resolve and StringEquals fails.
    assert_eq!(
        call(Context::new().with("aws:ResourceTag/access-project", "peg")),
        ImplicitDeny
    );
}

#[test]
fn dynamodb_leading_keys_with_a_web_identity_variable() {
    // DynamoDB Developer Guide specifying-conditions, "Limiting access to items and
    // attributes": ${www.amazon.com:user_id} as the partition key, only listed attributes.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "AllowAccessToOnlyItemsMatchingUserID", "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": ["arn:aws:dynamodb:us-west-2:111122223333:table/GameScores"],
            "Condition": {
              "ForAllValues:StringEquals": {
                "dynamodb:LeadingKeys": ["${www.amazon.com:user_id}"],
                "dynamodb:Attributes": ["UserId", "GameTitle", "Wins", "Losses", "TopScore", "TopScoreDateTime"]},
              "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}}}]}"#,
    );
    let table = "arn:aws:dynamodb:us-west-2:111122223333:table/GameScores";
    let player = || role_session("GameRole", "web-identity-session");
    let base = || Context::new().with("www.amazon.com:user_id", "amzn1.account.AF6RHO7KZU5XRVQJGXK6HEXAMPLE");
    let query = |ctx| decide(&set, player(), "dynamodb:Query", table, ctx);
    assert_eq!(
        query(
            base()
                .with_multi("dynamodb:LeadingKeys", ["amzn1.account.AF6RHO7KZU5XRVQJGXK6HEXAMPLE"])
                .with_multi("dynamodb:Attributes", ["UserId", "TopScore"])
                .with("dynamodb:Select", "SPECIFIC_ATTRIBUTES")
        ),
        Allowed
    );
    assert_eq!(
        query(
            base()
                .with_multi("dynamodb:LeadingKeys", ["amzn1.account.SOMEONEELSE"])
                .with_multi("dynamodb:Attributes", ["UserId"])
        ),
        ImplicitDeny
    );
    assert_eq!(
        query(
            base()
                .with_multi("dynamodb:LeadingKeys", ["amzn1.account.AF6RHO7KZU5XRVQJGXK6HEXAMPLE"])
                .with_multi("dynamodb:Attributes", ["UserId", "CreditCard"])
        ),
        ImplicitDeny
    );
    assert_eq!(
        query(
            base()
                .with_multi("dynamodb:LeadingKeys", ["amzn1.account.AF6RHO7KZU5XRVQJGXK6HEXAMPLE"])
                .with("dynamodb:Select", "ALL_ATTRIBUTES")
        ),
        ImplicitDeny
    );
}

// ====================================================================== elements: action, resource, principal

#[test]
fn elements_action_wildcards_and_case() {
    // reference_policies_elements_action: `iam:*AccessKey*` and case-insensitive action names.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "*"}]}"#,
    );
    for action in [
        "iam:CreateAccessKey",
        "iam:DeleteAccessKey",
        "iam:ListAccessKeys",
        "IAM:listaccesskeys",
        "iam:UpdateAccessKey",
    ] {
        assert_eq!(
            decide(&set, user("alice"), action, "*", Context::new()),
            Allowed,
            "{action}"
        );
    }
    for action in ["iam:ListUsers", "s3:ListAccessKeys"] {
        assert_eq!(
            decide(&set, user("alice"), action, "*", Context::new()),
            ImplicitDeny,
            "{action}"
        );
    }
}

#[test]
fn elements_resource_wildcards_span_slashes() {
    // reference_policies_elements_resource "Including wildcard characters in the resource
    // ARN": `amzn-s3-demo-bucket/*/test/*`.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"}]}"#,
    );
    let get = |key: &str| {
        decide(
            &set,
            user("alice"),
            "s3:GetObject",
            &format!("arn:aws:s3:::amzn-s3-demo-bucket/{key}"),
            Context::new(),
        )
    };
    for key in [
        "1/test/object.jpg",
        "1/2/test/3/object.jpg",
        "1/2/test/3/4/object.jpg",
        "1///test///object.jpg",
        "1/test/.jpg",
        "/test/object.jpg",
        "1/test/",
    ] {
        assert_eq!(get(key), Allowed, "{key}");
    }
    for key in ["1-test/object.jpg", "test/object.jpg", "1/2/test.jpg"] {
        assert_eq!(get(key), ImplicitDeny, "{key}");
    }
}

#[test]
fn elements_resource_is_case_sensitive_and_segment_wise() {
    // reference_policies_elements_resource: resource ARNs are case-sensitive; wildcards
    // work within ARN segments.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem",
            "Resource": "arn:aws:dynamodb:us-east-2:111122223333:table/books_table"},
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::111122223333:user/*"}]}"#,
    );
    let get = |r: &str| decide(&set, user("alice"), "dynamodb:GetItem", r, Context::new());
    assert_eq!(
        get("arn:aws:dynamodb:us-east-2:111122223333:table/books_table"),
        Allowed
    );
    assert_eq!(
        get("arn:aws:dynamodb:us-east-2:111122223333:table/Books_Table"),
        ImplicitDeny
    );
    assert_eq!(
        get("arn:aws:dynamodb:us-east-2:111122223333:table/books_table/index/byAuthor"),
        ImplicitDeny
    );
    let user_arn = |r: &str| decide(&set, user("alice"), "iam:GetUser", r, Context::new());
    assert_eq!(user_arn("arn:aws:iam::111122223333:user/Bob"), Allowed);
    assert_eq!(
        user_arn("arn:aws:iam::111122223333:user/division_abc/subdivision_xyz/Bob"),
        Allowed
    );
    assert_eq!(user_arn("arn:aws:iam::111122223333:role/Bob"), ImplicitDeny);
}

#[test]
fn elements_principal_account_forms_are_equivalent() {
    // reference_policies_elements_principal "AWS account principals": "123456789012" and
    // "arn:aws:iam::123456789012:root" both name the account, and delegate to it.
    for principal in [r#""444455556666""#, r#""arn:aws:iam::444455556666:root""#] {
        let set = PolicySet {
            identity: vec![parse(
                PolicyKind::Identity,
                "caller",
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
            )],
            resource: Some(parse(
                PolicyKind::Resource,
                "bucket-policy",
                &format!(
                    r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": {principal}}},
                    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}}]}}"#
                ),
            )),
            ..PolicySet::default()
        };
        let r = Request {
            principal: Principal::User {
                arn: "arn:aws:iam::444455556666:user/carlos".into(),
            },
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::amzn-s3-demo-bucket/x".into(),
            resource_account: Some(ACCOUNT.into()),
            context: Context::new(),
        };
        assert_eq!(authorize(&set, &r).decision, Allowed, "{principal}");
    }
}

// ====================================================================== NotAction / NotPrincipal

#[test]
fn notaction_allow_everything_except_iam() {
    // reference_policies_elements_notaction, "Using NotAction with Allow".
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}"#,
    );
    assert_eq!(
        decide(&set, user("alice"), "s3:PutObject", "arn:aws:s3:::b/k", Context::new()),
        Allowed
    );
    assert_eq!(
        decide(&set, user("alice"), "iam:CreateUser", "*", Context::new()),
        ImplicitDeny
    );
}

#[test]
fn notaction_deny_everything_but_iam_without_mfa() {
    // reference_policies_elements_notaction, "Using NotAction with Deny": without MFA, deny
    // every action except IAM's.
    let set = identity(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "DenyAllUsersNotUsingMFA", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}"#,
    );
    assert_eq!(
        decide(&set, user("alice"), "ec2:StopInstances", "*", Context::new()),
        ExplicitDeny
    );
    assert_eq!(
        decide(&set, user("alice"), "iam:ChangePassword", "*", Context::new()),
        Allowed
    );
    assert_eq!(
        decide(
            &set,
            role_session("r", "s"),
            "ec2:StopInstances",
            "*",
            Context::new().with("aws:MultiFactorAuthPresent", "true")
        ),
        Allowed
    );
}

#[test]
fn notprincipal_deny_all_but_the_audit_session() {
    // reference_policies_elements_notprincipal, "Specific IAM role in the same or different
    // account": list the account, the role and the session.
    let bucket_policy = |listed: &str| PolicySet {
        identity: vec![parse(
            PolicyKind::Identity,
            "caller",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#,
        )],
        resource: Some(parse(
            PolicyKind::Resource,
            "bucket-policy",
            &format!(
                r#"{{"Version": "2012-10-17", "Statement": [
                {{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::444455556666:root"}}, "Action": "s3:*",
                  "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"]}},
                {{"Effect": "Deny", "NotPrincipal": {{"AWS": [{listed}]}}, "Action": "s3:*",
                  "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"]}}]}}"#
            ),
        )),
        ..PolicySet::default()
    };
    let audit = Principal::AssumedRole {
        arn: "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app".into(),
        role_arn: Some("arn:aws:iam::444455556666:role/cross-account-read-only-role".into()),
    };
    let other = Principal::AssumedRole {
        arn: "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/another-session".into(),
        role_arn: Some("arn:aws:iam::444455556666:role/cross-account-read-only-role".into()),
    };
    let get = |set: &PolicySet, who: &Principal| {
        let r = Request {
            principal: who.clone(),
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::amzn-s3-demo-bucket/audit.csv".into(),
            resource_account: Some(ACCOUNT.into()),
            context: Context::new(),
        };
        authorize(set, &r).decision
    };
    let full = bucket_policy(
        r#""arn:aws:iam::444455556666:role/cross-account-read-only-role",
           "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app",
           "arn:aws:iam::444455556666:root""#,
    );
    assert_eq!(get(&full, &audit), Allowed);
    assert_eq!(get(&full, &other), ExplicitDeny);
    // Without the account ARN, the account is denied and so the session with it.
    let no_account = bucket_policy(
        r#""arn:aws:iam::444455556666:role/cross-account-read-only-role",
           "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app""#,
    );
    assert_eq!(get(&no_account, &audit), ExplicitDeny);
}

// ====================================================================== evaluation logic

#[test]
fn evaluation_logic_identity_and_resource_policies_in_one_account() {
    // reference_policies_evaluation-logic, "Example identity-based and resource-based policy
    // evaluation" (carlossalary): the identity policy and the bucket policy together.
    let set = PolicySet {
        identity: vec![parse(
            PolicyKind::Identity,
            "carlos-identity",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:ListBucket"],
                "Resource": "arn:aws:s3:::carlossalary"}]}"#,
        )],
        resource: Some(parse(
            PolicyKind::Resource,
            "carlossalary-policy",
            r#"{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/carlos"},
                 "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::carlossalary/*"},
                {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:user/carlos"},
                 "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::carlossalary/*"}]}"#,
        )),
        ..PolicySet::default()
    };
    let carlos = || user("carlos");
    assert_eq!(
        decide(
            &set,
            carlos(),
            "s3:ListBucket",
            "arn:aws:s3:::carlossalary",
            Context::new()
        ),
        Allowed
    );
    assert_eq!(
        decide(
            &set,
            carlos(),
            "s3:PutObject",
            "arn:aws:s3:::carlossalary/2024.pdf",
            Context::new()
        ),
        Allowed
    );
    assert_eq!(
        decide(
            &set,
            carlos(),
            "s3:DeleteObject",
            "arn:aws:s3:::carlossalary/2024.pdf",
            Context::new()
        ),
        ExplicitDeny
    );
    assert_eq!(
        decide(
            &set,
            carlos(),
            "s3:ListBucket",
            "arn:aws:s3:::othersalary",
            Context::new()
        ),
        ImplicitDeny
    );
    assert_eq!(
        decide(
            &set,
            user("mary"),
            "s3:GetObject",
            "arn:aws:s3:::carlossalary/2024.pdf",
            Context::new()
        ),
        ImplicitDeny
    );
}

#[test]
fn evaluation_logic_cross_account_bucket() {
    // reference_policies_evaluation-logic-cross-account, "Example cross-account policy
    // evaluation": a user of account 123456789012 and a bucket of account 111122223333.
    let carlos = Principal::User {
        arn: "arn:aws:iam::123456789012:user/carlos".into(),
    };
    let identity = parse(
        PolicyKind::Identity,
        "carlos",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]}"#,
    );
    let bucket = parse(
        PolicyKind::Resource,
        "bucket-policy",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]}"#,
    );
    let call = |set: &PolicySet, action: &str| {
        let r = Request {
            principal: carlos.clone(),
            action: action.into(),
            resource: "arn:aws:s3:::amzn-s3-demo-bucket/file.txt".into(),
            resource_account: Some(ACCOUNT.into()),
            context: Context::new(),
        };
        authorize(set, &r)
    };
    let both = PolicySet {
        identity: vec![identity.clone()],
        resource: Some(bucket.clone()),
        ..PolicySet::default()
    };
    assert_eq!(call(&both, "s3:GetObject").decision, Allowed);
    // PutObject: the identity side allows, the bucket policy does not.
    let d = call(&both, "s3:PutObject");
    assert_eq!(d.decision, ImplicitDeny);
    assert_eq!(d.denied_by, Some(PolicyType::Resource));
    let resource_only = PolicySet {
        resource: Some(bucket),
        ..PolicySet::default()
    };
    let d = call(&resource_only, "s3:GetObject");
    assert_eq!(d.decision, ImplicitDeny);
    assert_eq!(d.denied_by, Some(PolicyType::Identity));
}

// ====================================================================== id_roles_create_for-idp_oidc

const EKS_ISSUER: &str = "oidc.eks.region-code.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

fn eks_trust() -> PolicySet {
    PolicySet {
        resource: Some(parse(
            PolicyKind::Trust,
            "my-service-account-role-trust",
            &format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
                "Principal": {{"Federated": "arn:aws:iam::111122223333:oidc-provider/{EKS_ISSUER}"}},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {{"StringEquals": {{
                    "{EKS_ISSUER}:sub": "system:serviceaccount:default:my-service-account",
                    "{EKS_ISSUER}:aud": "sts.amazonaws.com"}}}}}}]}}"#
            ),
        )),
        ..PolicySet::default()
    }
}

fn assume_with_web_identity(set: &PolicySet, provider: &str, sub: &str, aud: &str) -> EvalDecision {
    let mut context = Context::new();
    if !sub.is_empty() {
        context.set(&format!("{EKS_ISSUER}:sub"), sub);
    }
    if !aud.is_empty() {
        context.set(&format!("{EKS_ISSUER}:aud"), aud);
    }
    let r = Request {
        principal: Principal::WebIdentity {
            provider: provider.into(),
        },
        action: "sts:AssumeRoleWithWebIdentity".into(),
        resource: "arn:aws:iam::111122223333:role/my-service-account-role".into(),
        resource_account: None,
        context,
    };
    authorize(set, &r).decision
}

#[test]
fn oidc_eks_service_account_trust_policy() {
    // id_roles_create_for-idp_oidc and the EKS "IAM roles for service accounts" trust policy:
    // the provider under Federated, `<issuer>:sub` and `<issuer>:aud` under StringEquals.
    let set = eks_trust();
    let provider = format!("arn:aws:iam::111122223333:oidc-provider/{EKS_ISSUER}");
    let sa = "system:serviceaccount:default:my-service-account";
    assert_eq!(
        assume_with_web_identity(&set, &provider, sa, "sts.amazonaws.com"),
        Allowed
    );
    assert_eq!(
        assume_with_web_identity(
            &set,
            &provider,
            "system:serviceaccount:kube-system:other",
            "sts.amazonaws.com"
        ),
        ImplicitDeny
    );
    assert_eq!(
        assume_with_web_identity(&set, &provider, sa, "another-audience"),
        ImplicitDeny
    );
    assert_eq!(assume_with_web_identity(&set, &provider, sa, ""), ImplicitDeny);
    assert_eq!(
        assume_with_web_identity(
            &set,
            "arn:aws:iam::111122223333:oidc-provider/oidc.eks.region-code.amazonaws.com/id/OTHER",
            sa,
            "sts.amazonaws.com"
        ),
        ImplicitDeny
    );
}

#[test]
fn oidc_github_actions_sub_with_string_like() {
    // id_roles_create_for-idp_oidc (GitHub example): `token.actions.githubusercontent.com:sub`
    // matched with StringLike, `:aud` with StringEquals.
    let set = PolicySet {
        resource: Some(parse(
            PolicyKind::Trust,
            "github-trust",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                  "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                  "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"}}}]}"#,
        )),
        ..PolicySet::default()
    };
    let call = |sub: &str| {
        let r = Request {
            principal: Principal::WebIdentity {
                provider: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com".into(),
            },
            action: "sts:AssumeRoleWithWebIdentity".into(),
            resource: "arn:aws:iam::111122223333:role/deploy".into(),
            resource_account: None,
            context: Context::new()
                .with("token.actions.githubusercontent.com:aud", "sts.amazonaws.com")
                .with("token.actions.githubusercontent.com:sub", sub),
        };
        authorize(&set, &r).decision
    };
    assert_eq!(call("repo:octo-org/octo-repo:ref:refs/heads/main"), Allowed);
    assert_eq!(call("repo:octo-org/octo-repo:environment:prod"), Allowed);
    assert_eq!(call("repo:octo-org/other-repo:ref:refs/heads/main"), ImplicitDeny);
}
