//! IAM on typed values and through the awsQuery edge, against a small world.

use std::path::Path;
use std::sync::Arc;

use rolechain_policy::authorize::EvalDecision;
use rolechain_policy::evaluator::NativeEvaluator;
use rolechain_policy::simulate::{ContextEntry, SimulateCustomPolicyInput};

use super::*;
use crate::audit::AuditLog;
use crate::clock::Clock;
use crate::emulator::{Emulator, Options};
use crate::world::World;

const ACCOUNT: &str = "111111111111";
const NOW: i64 = 1_790_000_000;
const PROVIDER_ARN: &str = "arn:aws:iam::111111111111:oidc-provider/oidc.example.com/cluster";

const WORLD: &str = r#"
accounts:
  - id: "111111111111"
    users:
      - name: admin
        accessKeys: [{id: AKIAADMIN0000000EXAMPLE, secret: s3cr3t}]
        managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]
      - name: reader
        accessKeys: [{id: AKIAREADER000000EXAMPLE, secret: s3cr3t}]
        managedPolicies: [arn:aws:iam::aws:policy/IAMReadOnlyAccess]
      - name: nobody
        accessKeys: [{id: AKIANOBODY000000EXAMPLE, secret: s3cr3t}]
      - name: fenced
        accessKeys: [{id: AKIAFENCED000000EXAMPLE, secret: s3cr3t}]
        managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]
        inlinePolicies:
          no-roles: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateRole","Resource":"*"}]}'
    oidcProviders:
      - url: https://oidc.example.com/cluster
        clientIds: [openshift, sts.amazonaws.com]
        thumbprints: [9E99A48A9960B14926BB7F3B02E22DA2B0AB7280]
"#;

fn lab() -> Emulator {
    let built = World::from_yaml(WORLD)
        .unwrap()
        .build(crate::world::Files::Dir(Path::new(".")), NOW)
        .unwrap();
    Emulator::new(
        built,
        Options::new(
            Clock::frozen_at(NOW),
            Arc::new(NativeEvaluator::new()),
            "native",
            AuditLog::in_memory(),
        ),
    )
    .unwrap()
}

fn user(em: &Emulator, name: &str) -> Caller {
    Caller::long_term(&em.read_state(), ACCOUNT, Some(name), "AKIATEST").unwrap()
}

/// One call through the awsQuery edge, as the router will make it.
fn call(em: &Emulator, caller: &Caller, params: &[(&str, &str)]) -> Result<String, AwsError> {
    let params = QueryParams::from_pairs(params.iter().copied());
    handle(em, caller, &params, "req-1", &mut Trail::default())
}

fn trust(prefix: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Federated": "arn:aws:iam::111111111111:oidc-provider/{prefix}"}}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {{"StringEquals": {{"{prefix}:sub": ["system:serviceaccount:ns:sa"]}}}}}}]}}"#
    )
}

const ALLOW_ALL_DDB: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem"],"Resource":"*"}]}"#;

fn create_role(em: &Emulator, name: &str) -> Role {
    let input = roles::CreateRoleInput {
        role_name: name.into(),
        assume_role_policy_document: trust("oidc.example.com/cluster"),
        ..Default::default()
    };
    roles::create_role(em, &user(em, "admin"), &input, &mut Trail::default()).unwrap()
}

use crate::state::Role;

#[test]
fn ccoctl_sequence_works() {
    let em = lab();
    let admin = user(&em, "admin");
    // create-iam-roles reads the issuer back from IAM, without its scheme.
    let xml = call(
        &em,
        &admin,
        &[
            ("Action", "GetOpenIDConnectProvider"),
            ("OpenIDConnectProviderArn", PROVIDER_ARN),
        ],
    )
    .unwrap();
    assert!(xml.starts_with(
        "<GetOpenIDConnectProviderResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetOpenIDConnectProviderResult><Url>oidc.example.com/cluster</Url>"
    ));
    assert!(xml.contains("<ClientIDList><member>openshift</member><member>sts.amazonaws.com</member></ClientIDList>"));
    assert!(xml.contains("<CreateDate>"));
    let url = "oidc.example.com/cluster";

    let role_name = "mycluster-openshift-image-registry-installer-cloud-credentials";
    let e = call(&em, &admin, &[("Action", "GetRole"), ("RoleName", role_name)]).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("NoSuchEntity", 404));
    assert_eq!(e.message, format!("The role with name {role_name} cannot be found."));

    let document = trust(url);
    let xml = call(
        &em,
        &admin,
        &[
            ("Action", "CreateRole"),
            ("RoleName", role_name),
            ("AssumeRolePolicyDocument", &document),
            (
                "Description",
                "OpenShift role for openshift-image-registry/installer-cloud-credentials",
            ),
            ("Tags.member.1.Key", "openshift.io/cloud-credential-operator/mycluster"),
            ("Tags.member.1.Value", "owned"),
            ("Tags.member.2.Key", "Name"),
            ("Tags.member.2.Value", "mycluster"),
        ],
    )
    .unwrap();
    let arn = format!("arn:aws:iam::111111111111:role/{role_name}");
    assert!(xml.contains(&format!("<Arn>{arn}</Arn>")), "{xml}");
    assert!(xml.contains("<RoleId>AROA"));
    assert!(
        xml.contains("<AssumeRolePolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22"),
        "{xml}"
    );
    assert!(xml.contains(
        "<Tags><member><Key>openshift.io/cloud-credential-operator/mycluster</Key><Value>owned</Value></member>"
    ));
    assert!(xml.contains("<MaxSessionDuration>3600</MaxSessionDuration>"));
    assert!(xml.contains("<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></CreateRoleResponse>"));

    let permissions = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:CreateBucket","s3:DeleteBucket"],"Resource":"*"}]}"#;
    call(
        &em,
        &admin,
        &[
            ("Action", "PutRolePolicy"),
            ("RoleName", role_name),
            ("PolicyName", role_name),
            ("PolicyDocument", permissions),
        ],
    )
    .unwrap();
    let xml = call(
        &em,
        &admin,
        &[
            ("Action", "GetRolePolicy"),
            ("RoleName", role_name),
            ("PolicyName", role_name),
        ],
    )
    .unwrap();
    assert!(xml.contains(&format!("<PolicyDocument>{}</PolicyDocument>", url_encode(permissions))));
    let xml = call(&em, &admin, &[("Action", "GetRole"), ("RoleName", role_name)]).unwrap();
    assert!(xml.contains("<RoleLastUsed></RoleLastUsed>"));
    assert!(xml.contains(
        "<Description>OpenShift role for openshift-image-registry/installer-cloud-credentials</Description>"
    ));
    // The role is usable by STS: its trust policy is the one given.
    let state = em.read_state();
    assert_eq!(state.role(ACCOUNT, role_name).unwrap().trust_policy, document);
}

#[test]
fn roles_round_trip_and_paginate() {
    let em = lab();
    let admin = user(&em, "admin");
    for name in ["alpha", "Bravo", "charlie"] {
        create_role(&em, name);
    }
    let input = roles::CreateRoleInput {
        role_name: "delta".into(),
        path: Some("/team/".into()),
        assume_role_policy_document: trust("oidc.example.com/cluster"),
        max_session_duration: Some(7200),
        ..Default::default()
    };
    let role = roles::create_role(&em, &admin, &input, &mut Trail::default()).unwrap();
    assert_eq!(role.arn, "arn:aws:iam::111111111111:role/team/delta");
    assert_eq!(role.id.len(), 21);
    assert_eq!(role.created, NOW);

    let mut trail = Trail::default();
    let first = roles::list_roles(
        &em,
        &admin,
        None,
        &Paging {
            marker: None,
            max_items: Some(2),
        },
        &mut trail,
    )
    .unwrap();
    let names: Vec<&str> = first.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["alpha", "Bravo"]);
    assert!(first.is_truncated());
    let second = roles::list_roles(
        &em,
        &admin,
        None,
        &Paging {
            marker: first.marker.clone(),
            max_items: Some(2),
        },
        &mut trail,
    )
    .unwrap();
    let names: Vec<&str> = second.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["charlie", "delta"]);
    assert!(!second.is_truncated());
    let team = roles::list_roles(&em, &admin, Some("/team/"), &Paging::default(), &mut trail).unwrap();
    assert_eq!(team.items.len(), 1);

    let xml = call(&em, &admin, &[("Action", "ListRoles"), ("MaxItems", "3")]).unwrap();
    assert!(
        xml.contains("<IsTruncated>true</IsTruncated><Marker>delta</Marker>"),
        "{xml}"
    );
    assert!(!xml.contains("RoleLastUsed"));

    // Names are unique case-insensitively; GetRole finds any spelling.
    let e = roles::create_role(
        &em,
        &admin,
        &roles::CreateRoleInput {
            role_name: "ALPHA".into(),
            assume_role_policy_document: trust("x"),
            ..Default::default()
        },
        &mut trail,
    )
    .unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.status, e.message.as_str()),
        ("EntityAlreadyExists", 409, "Role with name ALPHA already exists.")
    );
    assert_eq!(roles::get_role(&em, &admin, "bravo", &mut trail).unwrap().name, "Bravo");

    roles::update_role(
        &em,
        &admin,
        &roles::UpdateRoleInput {
            role_name: "alpha".into(),
            description: Some("first".into()),
            max_session_duration: Some(43200),
        },
        &mut trail,
    )
    .unwrap();
    let alpha = roles::get_role(&em, &admin, "alpha", &mut trail).unwrap();
    assert_eq!(
        (alpha.description.as_deref(), alpha.max_session_duration),
        (Some("first"), 43200)
    );

    roles::delete_role(&em, &admin, "alpha", &mut trail).unwrap();
    let e = roles::delete_role(&em, &admin, "alpha", &mut trail).unwrap_err();
    assert_eq!(e.message, "The role with name alpha cannot be found.");
}

#[test]
fn constraint_violations_are_validation_errors() {
    let em = lab();
    let admin = user(&em, "admin");
    let doc = trust("oidc.example.com/cluster");
    let e = call(
        &em,
        &admin,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "bad name"),
            ("AssumeRolePolicyDocument", &doc),
        ],
    )
    .unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("ValidationError", 400));
    assert!(e.message.contains(
        r"at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    ));
    let e = call(
        &em,
        &admin,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "r"),
            ("AssumeRolePolicyDocument", &doc),
            ("MaxSessionDuration", "100"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"
    );
    let e = call(&em, &admin, &[("Action", "CreateRole"), ("RoleName", "r")]).unwrap_err();
    assert!(
        e.message.contains("Value null at 'assumeRolePolicyDocument'"),
        "{}",
        e.message
    );
    let e = call(
        &em,
        &admin,
        &[
            ("Action", "CreateRole"),
            ("RoleName", &"x".repeat(65)),
            ("AssumeRolePolicyDocument", &doc),
            ("Path", "nope"),
        ],
    )
    .unwrap_err();
    assert!(e.message.starts_with("2 validation errors detected: "), "{}", e.message);

    let too_many: Vec<Tag> = (0..51)
        .map(|i| Tag {
            key: format!("k{i}"),
            value: "v".into(),
        })
        .collect();
    let input = roles::CreateRoleInput {
        role_name: "tagged".into(),
        assume_role_policy_document: doc.clone(),
        tags: too_many,
        ..Default::default()
    };
    let e = roles::create_role(&em, &admin, &input, &mut Trail::default()).unwrap_err();
    assert_eq!(e.code, "ValidationError");
    assert!(
        e.message
            .contains("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
    );

    let input = roles::CreateRoleInput {
        role_name: "tagged".into(),
        assume_role_policy_document: doc,
        tags: vec![
            Tag {
                key: "a".into(),
                value: "1".into(),
            },
            Tag {
                key: "A".into(),
                value: "2".into(),
            },
        ],
        ..Default::default()
    };
    let e = roles::create_role(&em, &admin, &input, &mut Trail::default()).unwrap_err();
    assert_eq!(e.code, "InvalidInput");
    assert!(em.read_state().role(ACCOUNT, "tagged").is_none());

    let e = call(&em, &admin, &[("Action", "ListRoles"), ("MaxItems", "0")]).unwrap_err();
    assert_eq!(e.code, "ValidationError");
}

#[test]
fn malformed_and_oversized_documents_change_nothing() {
    let em = lab();
    let admin = user(&em, "admin");
    let mut trail = Trail::default();
    // A trust policy without a principal.
    let bad = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
    let input = roles::CreateRoleInput {
        role_name: "broken".into(),
        assume_role_policy_document: bad.into(),
        ..Default::default()
    };
    let e = roles::create_role(&em, &admin, &input, &mut trail).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("MalformedPolicyDocument", 400));
    assert!(em.read_state().role(ACCOUNT, "broken").is_none());

    let role = create_role(&em, "kept");
    let e = roles::update_assume_role_policy(&em, &admin, "kept", "{", &mut trail).unwrap_err();
    assert_eq!(e.code, "MalformedPolicyDocument");
    assert_eq!(
        em.read_state().role(ACCOUNT, "kept").unwrap().trust_policy,
        role.trust_policy
    );

    let huge_trust = trust(&format!("oidc.example.com/{}", "p".repeat(2100)));
    let e = roles::update_assume_role_policy(&em, &admin, "kept", &huge_trust, &mut trail).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("LimitExceeded", 409));
    assert_eq!(e.message, "Cannot exceed quota for ACLSizePerRole: 2048");

    // Inline policies count together against the role's 10,240 characters.
    let padded = |n: usize| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}]}}"#,
            "b".repeat(n)
        )
    };
    inline::put_policy(&em, &admin, Owner::Role, "kept", "one", &padded(6000), &mut trail).unwrap();
    let e = inline::put_policy(&em, &admin, Owner::Role, "kept", "two", &padded(6000), &mut trail).unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "LimitExceeded",
            "Maximum policy size of 10240 bytes exceeded for role kept"
        )
    );
    // Replacing the same policy does not count it twice; whitespace is not counted.
    let spaced = padded(6000).replace(',', " ,\n   ");
    inline::put_policy(&em, &admin, Owner::Role, "kept", "one", &spaced, &mut trail).unwrap();
    let e = inline::put_policy(
        &em,
        &admin,
        Owner::Role,
        "kept",
        "two",
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
        &mut trail,
    )
    .unwrap_err();
    assert_eq!(e.code, "MalformedPolicyDocument");
    let state = em.read_state();
    let kept = state.role(ACCOUNT, "kept").unwrap();
    assert_eq!(kept.inline_policies.keys().collect::<Vec<_>>(), ["one"]);
}

#[test]
fn callers_without_permission_are_denied_and_nothing_changes() {
    let em = lab();
    let doc = trust("oidc.example.com/cluster");
    let params = [
        ("Action", "CreateRole"),
        ("RoleName", "sneaky"),
        ("AssumeRolePolicyDocument", doc.as_str()),
    ];

    let nobody = user(&em, "nobody");
    let mut trail = Trail::default();
    let e = handle(&em, &nobody, &QueryParams::from_pairs(params), "r", &mut trail).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("AccessDenied", 403));
    assert_eq!(
        e.message,
        "User: arn:aws:iam::111111111111:user/nobody is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::111111111111:role/sneaky because no identity-based policy allows the iam:CreateRole action"
    );
    assert_eq!(trail.decisions.len(), 1);
    assert_eq!(trail.decisions[0].0, "iam:CreateRole");
    assert_eq!(trail.recipient_account.as_deref(), Some(ACCOUNT));
    assert!(trail.identity.is_some());

    let fenced = user(&em, "fenced");
    let e = call(&em, &fenced, &params).unwrap_err();
    assert_eq!(e.code, "AccessDenied");
    assert!(
        e.message.ends_with("with an explicit deny in an identity-based policy"),
        "{}",
        e.message
    );

    // Read-only callers read, but do not write.
    let reader = user(&em, "reader");
    call(&em, &reader, &[("Action", "ListRoles")]).unwrap();
    let e = call(&em, &reader, &params).unwrap_err();
    assert_eq!(e.code, "AccessDenied");
    assert!(em.read_state().role(ACCOUNT, "sneaky").is_none());

    // Denied before existence is revealed: the same answer whether or not the role exists.
    let e = call(&em, &nobody, &[("Action", "GetRole"), ("RoleName", "missing")]).unwrap_err();
    assert_eq!(e.code, "AccessDenied");
}

#[test]
fn tags_and_boundaries_of_roles() {
    let em = lab();
    let admin = user(&em, "admin");
    let mut trail = Trail::default();
    create_role(&em, "tagged");
    let tags = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| Tag {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect::<Vec<_>>()
    };
    roles::tag_role(
        &em,
        &admin,
        "tagged",
        &tags(&[("team", "red"), ("env", "dev")]),
        &mut trail,
    )
    .unwrap();
    roles::tag_role(&em, &admin, "tagged", &tags(&[("Team", "blue")]), &mut trail).unwrap();
    let page = roles::list_role_tags(&em, &admin, "tagged", &Paging::default(), &mut trail).unwrap();
    assert_eq!(page.items, tags(&[("Team", "blue"), ("env", "dev")]));
    roles::untag_role(&em, &admin, "tagged", &["ENV".to_string()], &mut trail).unwrap();
    let xml = call(&em, &admin, &[("Action", "ListRoleTags"), ("RoleName", "tagged")]).unwrap();
    assert!(
        xml.contains(
            "<Tags><member><Key>Team</Key><Value>blue</Value></member></Tags><IsTruncated>false</IsTruncated>"
        ),
        "{xml}"
    );
    let fifty: Vec<Tag> = (0..50)
        .map(|i| Tag {
            key: format!("k{i}"),
            value: String::new(),
        })
        .collect();
    let e = roles::tag_role(&em, &admin, "tagged", &fifty, &mut trail).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("LimitExceeded", 409));

    let boundary = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess";
    roles::put_role_permissions_boundary(&em, &admin, "tagged", boundary, &mut trail).unwrap();
    let xml = call(&em, &admin, &[("Action", "GetRole"), ("RoleName", "tagged")]).unwrap();
    assert!(xml.contains(&format!(
        "<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType><PermissionsBoundaryArn>{boundary}</PermissionsBoundaryArn></PermissionsBoundary>"
    )));
    let missing = "arn:aws:iam::111111111111:policy/none";
    let e = roles::put_role_permissions_boundary(&em, &admin, "tagged", missing, &mut trail).unwrap_err();
    assert_eq!(
        e.message,
        format!("Scope ARN: {missing} does not exist or is not attachable.")
    );
    roles::delete_role_permissions_boundary(&em, &admin, "tagged", &mut trail).unwrap();
    assert!(
        em.read_state()
            .role(ACCOUNT, "tagged")
            .unwrap()
            .permissions_boundary
            .is_none()
    );
}

#[test]
fn managed_policies_versions_and_attachments() {
    let em = lab();
    let admin = user(&em, "admin");
    let mut trail = Trail::default();
    let input = policies::CreatePolicyInput {
        policy_name: "ddb-read".into(),
        path: Some("/app/".into()),
        policy_document: ALLOW_ALL_DDB.into(),
        description: Some("reads".into()),
        ..Default::default()
    };
    let created = policies::create_policy(&em, &admin, &input, &mut trail).unwrap();
    let arn = created.policy.arn.clone();
    assert_eq!(arn, "arn:aws:iam::111111111111:policy/app/ddb-read");
    assert!(created.policy.id.starts_with("ANPA"));
    let e = policies::create_policy(
        &em,
        &admin,
        &policies::CreatePolicyInput {
            path: None,
            ..input.clone()
        },
        &mut trail,
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "A policy called ddb-read already exists. Duplicate names are not allowed."
    );
    assert_eq!(e.code, "EntityAlreadyExists");

    let xml = call(&em, &admin, &[("Action", "GetPolicy"), ("PolicyArn", &arn)]).unwrap();
    assert!(
        xml.contains("<DefaultVersionId>v1</DefaultVersionId><AttachmentCount>0</AttachmentCount>"),
        "{xml}"
    );
    assert!(xml.contains("<Description>reads</Description>"));
    let xml = call(&em, &admin, &[("Action", "ListPolicies"), ("Scope", "Local")]).unwrap();
    assert!(xml.contains("<PolicyName>ddb-read</PolicyName>") && !xml.contains("AdministratorAccess"));
    let xml = call(
        &em,
        &admin,
        &[("Action", "ListPolicies"), ("Scope", "AWS"), ("OnlyAttached", "true")],
    )
    .unwrap();
    assert!(
        xml.contains("AdministratorAccess") && !xml.contains("AmazonDynamoDBFullAccess"),
        "{xml}"
    );
    let e = call(&em, &admin, &[("Action", "ListPolicies"), ("Scope", "Mine")]).unwrap_err();
    assert_eq!(e.code, "ValidationError");

    // Versions: up to five, the default one protected.
    for n in 2..=5 {
        let v = policies::create_policy_version(&em, &admin, &arn, ALLOW_ALL_DDB, n == 3, &mut trail).unwrap();
        assert_eq!(v.version_id, format!("v{n}"));
    }
    let e = policies::create_policy_version(&em, &admin, &arn, ALLOW_ALL_DDB, false, &mut trail).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("LimitExceeded", 409));
    assert_eq!(
        policies::get_policy(&em, &admin, &arn, &mut trail)
            .unwrap()
            .policy
            .default_version,
        "v3"
    );
    let e = policies::delete_policy_version(&em, &admin, &arn, "v3", &mut trail).unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("DeleteConflict", "Cannot delete the default version of a policy.")
    );
    policies::set_default_policy_version(&em, &admin, &arn, "v5", &mut trail).unwrap();
    let xml = call(
        &em,
        &admin,
        &[("Action", "GetPolicyVersion"), ("PolicyArn", &arn), ("VersionId", "v5")],
    )
    .unwrap();
    assert!(xml.contains(&format!(
        "<Document>{}</Document><VersionId>v5</VersionId><IsDefaultVersion>true</IsDefaultVersion>",
        url_encode(ALLOW_ALL_DDB)
    )));
    let e = policies::get_policy_version(&em, &admin, &arn, "v9", &mut trail).unwrap_err();
    assert_eq!(e.code, "NoSuchEntity");
    let versions = policies::list_policy_versions(&em, &admin, &arn, &Paging::default(), &mut trail).unwrap();
    assert_eq!(
        versions.items.iter().map(|v| v.version_id.as_str()).collect::<Vec<_>>(),
        ["v5", "v4", "v3", "v2", "v1"]
    );

    // Attachments.
    create_role(&em, "app");
    policies::attach_policy(&em, &admin, Owner::Role, "app", &arn, &mut trail).unwrap();
    policies::attach_policy(&em, &admin, Owner::Role, "app", &arn, &mut trail).unwrap();
    let page = policies::list_attached_policies(&em, &admin, Owner::Role, "app", None, &Paging::default(), &mut trail)
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let xml = call(
        &em,
        &admin,
        &[("Action", "ListAttachedRolePolicies"), ("RoleName", "app")],
    )
    .unwrap();
    assert!(xml.contains(&format!("<AttachedPolicies><member><PolicyName>ddb-read</PolicyName><PolicyArn>{arn}</PolicyArn></member></AttachedPolicies>")));
    let e = policies::attach_policy(
        &em,
        &admin,
        Owner::Role,
        "app",
        "arn:aws:iam::111111111111:policy/none",
        &mut trail,
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "Policy arn:aws:iam::111111111111:policy/none does not exist or is not attachable."
    );
    assert_eq!(
        policies::get_policy(&em, &admin, &arn, &mut trail)
            .unwrap()
            .attachment_count,
        1
    );

    let e = policies::delete_policy(&em, &admin, &arn, &mut trail).unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("DeleteConflict", "Cannot delete a policy attached to entities.")
    );
    let e = roles::delete_role(&em, &admin, "app", &mut trail).unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "DeleteConflict",
            "Cannot delete entity, must detach all policies first."
        )
    );
    policies::detach_policy(&em, &admin, Owner::Role, "app", &arn, &mut trail).unwrap();
    let e = policies::detach_policy(&em, &admin, Owner::Role, "app", &arn, &mut trail).unwrap_err();
    assert_eq!(e.message, format!("Policy {arn} was not found."));
    inline::put_policy(&em, &admin, Owner::Role, "app", "inline", ALLOW_ALL_DDB, &mut trail).unwrap();
    let e = roles::delete_role(&em, &admin, "app", &mut trail).unwrap_err();
    assert_eq!(e.message, "Cannot delete entity, must delete policies first.");
    inline::delete_policy(&em, &admin, Owner::Role, "app", "inline", &mut trail).unwrap();
    roles::delete_role(&em, &admin, "app", &mut trail).unwrap();

    let e = policies::delete_policy(&em, &admin, &arn, &mut trail).unwrap_err();
    assert!(e.message.starts_with("This policy has more than one version."));
    for v in ["v1", "v2", "v3", "v4"] {
        policies::delete_policy_version(&em, &admin, &arn, v, &mut trail).unwrap();
    }
    policies::delete_policy(&em, &admin, &arn, &mut trail).unwrap();
    let e = policies::get_policy(&em, &admin, &arn, &mut trail).unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.status, e.message.as_str()),
        ("NoSuchEntity", 404, format!("Policy {arn} was not found.").as_str())
    );

    // An AWS managed policy is attachable but cannot be changed.
    let aws = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess";
    let e = policies::create_policy_version(&em, &admin, aws, ALLOW_ALL_DDB, true, &mut trail).unwrap_err();
    assert_eq!(e.code, "AccessDenied");
}

#[test]
fn user_policies() {
    let em = lab();
    let admin = user(&em, "admin");
    call(
        &em,
        &admin,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "nobody"),
            ("PolicyName", "read"),
            ("PolicyDocument", ALLOW_ALL_DDB),
        ],
    )
    .unwrap();
    let xml = call(
        &em,
        &admin,
        &[
            ("Action", "GetUserPolicy"),
            ("UserName", "nobody"),
            ("PolicyName", "read"),
        ],
    )
    .unwrap();
    assert!(xml.contains("<UserName>nobody</UserName><PolicyName>read</PolicyName>"));
    let xml = call(&em, &admin, &[("Action", "ListUserPolicies"), ("UserName", "nobody")]).unwrap();
    assert!(xml.contains("<PolicyNames><member>read</member></PolicyNames>"));
    call(
        &em,
        &admin,
        &[
            ("Action", "AttachUserPolicy"),
            ("UserName", "nobody"),
            ("PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
        ],
    )
    .unwrap();
    // The user's new permissions take effect at once.
    call(&em, &user(&em, "nobody"), &[("Action", "ListRoles")]).unwrap();
    let xml = call(
        &em,
        &admin,
        &[("Action", "ListAttachedUserPolicies"), ("UserName", "nobody")],
    )
    .unwrap();
    assert!(xml.contains("IAMReadOnlyAccess"));
    call(
        &em,
        &admin,
        &[
            ("Action", "DetachUserPolicy"),
            ("UserName", "nobody"),
            ("PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
        ],
    )
    .unwrap();
    let e = call(
        &em,
        &admin,
        &[
            ("Action", "GetUserPolicy"),
            ("UserName", "ghost"),
            ("PolicyName", "read"),
        ],
    )
    .unwrap_err();
    assert_eq!(e.message, "The user with name ghost cannot be found.");
    // Users have 2,048 characters of inline policy in all.
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}]}}"#,
        "b".repeat(2100)
    );
    let e = call(
        &em,
        &admin,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "nobody"),
            ("PolicyName", "big"),
            ("PolicyDocument", &big),
        ],
    )
    .unwrap_err();
    assert_eq!(e.message, "Maximum policy size of 2048 bytes exceeded for user nobody");
}

#[test]
fn oidc_providers() {
    let em = lab();
    let admin = user(&em, "admin");
    let mut trail = Trail::default();
    let input = oidc::CreateProviderInput {
        url: "https://issuer.example.org/k8s".into(),
        client_ids: vec!["sts.amazonaws.com".into()],
        thumbprints: vec!["A".repeat(40)],
        tags: vec![Tag {
            key: "Name".into(),
            value: "c1".into(),
        }],
    };
    let created = oidc::create_provider(&em, &admin, &input, &mut trail).unwrap();
    let arn = "arn:aws:iam::111111111111:oidc-provider/issuer.example.org/k8s";
    assert_eq!(created.arn, arn);
    let e = oidc::create_provider(&em, &admin, &input, &mut trail).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("EntityAlreadyExists", 409));
    assert_eq!(
        e.message,
        "Provider with url https://issuer.example.org/k8s already exists."
    );

    oidc::add_client_id(&em, &admin, arn, "openshift", &mut trail).unwrap();
    oidc::add_client_id(&em, &admin, arn, "openshift", &mut trail).unwrap();
    oidc::remove_client_id(&em, &admin, arn, "sts.amazonaws.com", &mut trail).unwrap();
    oidc::update_thumbprints(&em, &admin, arn, &["b".repeat(40)], &mut trail).unwrap();
    oidc::tag_provider(
        &em,
        &admin,
        arn,
        &[Tag {
            key: "openshift.io/cloud-credential-operator/c1".into(),
            value: "owned".into(),
        }],
        &mut trail,
    )
    .unwrap();
    let provider = oidc::get_provider(&em, &admin, arn, &mut trail).unwrap();
    assert_eq!(provider.client_ids, ["openshift"]);
    assert_eq!(provider.thumbprints, ["b".repeat(40)]);
    assert_eq!(provider.tags.len(), 2);
    let xml = call(
        &em,
        &admin,
        &[
            ("Action", "ListOpenIDConnectProviderTags"),
            ("OpenIDConnectProviderArn", arn),
        ],
    )
    .unwrap();
    assert!(xml.contains("<Key>Name</Key><Value>c1</Value>"));
    let xml = call(&em, &admin, &[("Action", "ListOpenIDConnectProviders")]).unwrap();
    assert!(
        xml.contains(&format!("<OpenIDConnectProviderList><member><Arn>{arn}</Arn></member>")),
        "{xml}"
    );
    assert!(xml.contains(PROVIDER_ARN));
    let xml = call(
        &em,
        &admin,
        &[
            ("Action", "CreateOpenIDConnectProvider"),
            ("Url", "https://other.example/"),
            ("ClientIDList.member.1", "a"),
        ],
    )
    .unwrap();
    assert!(xml.contains(
        "<OpenIDConnectProviderArn>arn:aws:iam::111111111111:oidc-provider/other.example</OpenIDConnectProviderArn>"
    ));

    let e = oidc::update_thumbprints(&em, &admin, arn, &["short".into()], &mut trail).unwrap_err();
    assert_eq!(e.code, "ValidationError");
    let e = oidc::create_provider(
        &em,
        &admin,
        &oidc::CreateProviderInput {
            url: "http://plain".into(),
            ..input.clone()
        },
        &mut trail,
    )
    .unwrap_err();
    assert_eq!(e.code, "InvalidInput");

    oidc::delete_provider(&em, &admin, arn, &mut trail).unwrap();
    oidc::delete_provider(&em, &admin, arn, &mut trail).unwrap();
    let e = oidc::get_provider(&em, &admin, arn, &mut trail).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("NoSuchEntity", 404));
    assert_eq!(e.message, format!("OpenIDConnect Provider not found for arn {arn}"));
    let e = oidc::add_client_id(&em, &admin, arn, "x", &mut trail).unwrap_err();
    assert_eq!(e.code, "NoSuchEntity");
}

fn custom(policies: &[&str], actions: &[&str]) -> SimulateCustomPolicyInput {
    SimulateCustomPolicyInput {
        policy_input_list: policies.iter().map(|p| p.to_string()).collect(),
        action_names: actions.iter().map(|a| a.to_string()).collect(),
        resource_arns: vec!["arn:aws:dynamodb:us-east-1:111111111111:table/Orders".into()],
        ..Default::default()
    }
}

#[test]
fn simulate_custom_policy_answers_allow_deny_and_implicit_deny() {
    let em = lab();
    let admin = user(&em, "admin");
    let mut trail = Trail::default();
    let policy = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"dynamodb:*\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\", \"Action\": \"dynamodb:DeleteTable\", \"Resource\": \"*\"},\n    {\"Effect\": \"Allow\", \"Action\": \"dynamodb:Scan\", \"Resource\": \"*\", \"Condition\": {\"StringEquals\": {\"aws:PrincipalTag/team\": \"red\"}}}\n  ]\n}";
    let input = custom(&[policy], &["dynamodb:GetItem", "dynamodb:DeleteTable", "s3:GetObject"]);
    let page = simulate::simulate_custom_policy(&em, &admin, &input, &mut trail).unwrap();
    let decisions: Vec<EvalDecision> = page.items.iter().map(|r| r.decision).collect();
    assert_eq!(
        decisions,
        [
            EvalDecision::Allowed,
            EvalDecision::ExplicitDeny,
            EvalDecision::ImplicitDeny
        ]
    );
    let allowed = &page.items[0];
    assert_eq!(allowed.matched_statements.len(), 1);
    let m = &allowed.matched_statements[0];
    assert_eq!(
        (m.source_policy_id.as_str(), m.source_policy_type.as_str()),
        ("PolicyInputList.1", "none")
    );
    assert_eq!(m.start.line, 4);
    assert_eq!(m.end.map(|e| e.line), Some(4));
    assert!(page.items[1].matched_statements.iter().any(|m| m.start.line == 5));
    assert!(page.items[2].matched_statements.is_empty());
    assert_eq!(trail.decisions[0].0, "iam:SimulateCustomPolicy");

    // A condition on a key the request lacks: implicit deny, the key reported missing.
    let page =
        simulate::simulate_custom_policy(&em, &admin, &custom(&[policy], &["dynamodb:Scan"]), &mut trail).unwrap();
    assert_eq!(page.items[0].decision, EvalDecision::Allowed);
    let scan_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:Scan","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}]}"#;
    let page =
        simulate::simulate_custom_policy(&em, &admin, &custom(&[scan_only], &["dynamodb:Scan"]), &mut trail).unwrap();
    assert_eq!(page.items[0].decision, EvalDecision::ImplicitDeny);
    assert_eq!(page.items[0].missing_context_values, ["aws:PrincipalTag/team"]);
    // Given as a context entry, the key decides.
    let mut input = custom(&[scan_only], &["dynamodb:Scan"]);
    input.context_entries = vec![ContextEntry {
        context_key_name: "aws:PrincipalTag/team".into(),
        context_key_values: vec!["red".into()],
        context_key_type: "string".into(),
    }];
    let page = simulate::simulate_custom_policy(&em, &admin, &input, &mut trail).unwrap();
    assert_eq!(page.items[0].decision, EvalDecision::Allowed);
    assert!(page.items[0].missing_context_values.is_empty());

    // Malformed inputs are refused as IAM refuses them.
    let e = simulate::simulate_custom_policy(&em, &admin, &custom(&["{"], &["s3:GetObject"]), &mut trail).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("MalformedPolicyDocument", 400));
    let e = simulate::simulate_custom_policy(&em, &admin, &custom(&[policy], &[]), &mut trail).unwrap_err();
    assert_eq!(e.code, "ValidationError");
    // Simulating is itself an IAM action.
    let e = simulate::simulate_custom_policy(
        &em,
        &user(&em, "nobody"),
        &custom(&[policy], &["s3:GetObject"]),
        &mut trail,
    )
    .unwrap_err();
    assert_eq!(e.code, "AccessDenied");
}

#[test]
fn simulate_through_the_wire() {
    let em = lab();
    let admin = user(&em, "admin");
    let policy =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    let trust_doc = trust("oidc.example.com/cluster");
    let xml = call(
        &em,
        &admin,
        &[
            ("Action", "SimulateCustomPolicy"),
            ("PolicyInputList.member.1", policy),
            ("ActionNames.member.1", "dynamodb:GetItem"),
            ("ActionNames.member.2", "dynamodb:PutItem"),
            ("MaxItems", "1"),
        ],
    )
    .unwrap();
    assert!(xml.contains("<EvaluationResults><member><EvalActionName>dynamodb:GetItem</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision>"), "{xml}");
    assert!(xml.contains("<MatchedStatements><member><SourcePolicyId>PolicyInputList.1</SourcePolicyId><SourcePolicyType>none</SourcePolicyType><StartPosition><Line>1</Line>"));
    assert!(xml.contains("<EndPosition><Line>1</Line><Column>"));
    assert!(xml.contains("<MissingContextValues></MissingContextValues>"));
    assert!(xml.contains("<IsTruncated>true</IsTruncated><Marker>"));

    // A trust policy as the resource policy, a web identity as the caller.
    let xml = call(
        &em,
        &admin,
        &[
            ("Action", "SimulateCustomPolicy"),
            ("PolicyInputList.member.1", policy),
            ("ResourcePolicy", &trust_doc),
            ("ActionNames.member.1", "sts:AssumeRoleWithWebIdentity"),
            ("ResourceArns.member.1", "arn:aws:iam::111111111111:role/r"),
            ("CallerArn", PROVIDER_ARN),
            ("ContextEntries.member.1.ContextKeyName", "oidc.example.com/cluster:sub"),
            (
                "ContextEntries.member.1.ContextKeyValues.member.1",
                "system:serviceaccount:ns:sa",
            ),
            ("ContextEntries.member.1.ContextKeyType", "string"),
        ],
    )
    .unwrap();
    assert!(xml.contains("<EvalDecision>allowed</EvalDecision>"), "{xml}");
    assert!(
        xml.contains("<SourcePolicyId>ResourcePolicy</SourcePolicyId><SourcePolicyType>resource</SourcePolicyType>")
    );
    assert!(xml.contains("<EvalDecisionDetails><entry><key>IAM Policy</key><value>implicitDeny</value></entry><entry><key>Resource Policy</key><value>allowed</value></entry></EvalDecisionDetails>"));
    let e = call(
        &em,
        &admin,
        &[
            ("Action", "SimulateCustomPolicy"),
            ("PolicyInputList.member.1", policy),
            ("ActionNames.member.1", "s3:GetObject"),
            ("ContextEntries.member.1.ContextKeyName", "aws:x"),
            ("ContextEntries.member.1.ContextKeyType", "texty"),
        ],
    )
    .unwrap_err();
    assert_eq!(e.code, "ValidationError");
}

#[test]
fn simulate_principal_policy_uses_the_principals_own_policies() {
    let em = lab();
    let admin = user(&em, "admin");
    let mut trail = Trail::default();
    create_role(&em, "worker");
    inline::put_policy(&em, &admin, Owner::Role, "worker", "ddb", ALLOW_ALL_DDB, &mut trail).unwrap();
    policies::attach_policy(
        &em,
        &admin,
        Owner::Role,
        "worker",
        "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
        &mut trail,
    )
    .unwrap();
    let input = simulate::SimulatePrincipalPolicyInput {
        policy_source_arn: "arn:aws:iam::111111111111:role/worker".into(),
        action_names: vec!["dynamodb:GetItem".into(), "iam:GetRole".into(), "s3:GetObject".into()],
        permissions_boundary_policy_input_list: vec![
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}"#.into(),
        ],
        ..Default::default()
    };
    let page = simulate::simulate_principal_policy(&em, &admin, &input, &mut trail).unwrap();
    let r = &page.items;
    assert_eq!(r[0].decision, EvalDecision::Allowed);
    assert_eq!(
        (
            r[0].matched_statements[0].source_policy_id.as_str(),
            r[0].matched_statements[0].source_policy_type.as_str()
        ),
        ("ddb", "role")
    );
    assert_eq!(r[0].allowed_by_permissions_boundary, Some(true));
    // Allowed by an attached policy, but outside the boundary given.
    assert_eq!(r[1].decision, EvalDecision::ImplicitDeny);
    assert_eq!(r[1].allowed_by_permissions_boundary, Some(false));
    assert!(
        r[1].matched_statements
            .iter()
            .any(|m| m.source_policy_type == "aws-managed")
    );
    assert_eq!(r[2].decision, EvalDecision::ImplicitDeny);

    let e = simulate::simulate_principal_policy(
        &em,
        &admin,
        &simulate::SimulatePrincipalPolicyInput {
            policy_source_arn: "arn:aws:iam::111111111111:role/ghost".into(),
            ..input.clone()
        },
        &mut trail,
    )
    .unwrap_err();
    assert_eq!(e.code, "NoSuchEntity");
    let xml = call(
        &em,
        &admin,
        &[
            ("Action", "SimulatePrincipalPolicy"),
            ("PolicySourceArn", "arn:aws:iam::111111111111:user/reader"),
            ("ActionNames.member.1", "iam:ListRoles"),
        ],
    )
    .unwrap();
    assert!(xml.contains("<EvalDecision>allowed</EvalDecision><MatchedStatements><member><SourcePolicyId>IAMReadOnlyAccess</SourcePolicyId><SourcePolicyType>aws-managed</SourcePolicyType>"), "{xml}");
}

#[test]
fn unknown_actions_and_encoding() {
    let em = lab();
    let admin = user(&em, "admin");
    let e = call(&em, &admin, &[("Action", "CreateGroup")]).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("InvalidAction", 400));
    assert_eq!(e.message, "Could not find operation CreateGroup for version 2010-05-08");
    assert!(serves("CreateRole") && serves("SimulateCustomPolicy") && !serves("AssumeRole"));
    assert_eq!(url_encode(r#"{"a": "b/c"}"#), "%7B%22a%22%3A%20%22b%2Fc%22%7D");
    let xml = call(&em, &admin, &[("Action", "ListRoles")]).unwrap();
    assert!(
        xml.contains("<Roles></Roles><IsTruncated>false</IsTruncated></ListRolesResult>"),
        "{xml}"
    );
    let xml = call(
        &em,
        &admin,
        &[
            ("Action", "DeleteOpenIDConnectProvider"),
            ("OpenIDConnectProviderArn", PROVIDER_ARN),
        ],
    )
    .unwrap();
    assert!(xml.starts_with("<DeleteOpenIDConnectProviderResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><DeleteOpenIDConnectProviderResult/>"));
}
