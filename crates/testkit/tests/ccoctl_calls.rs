//! Every IAM call `ccoctl aws create-iam-roles` and `create-identity-provider`
//! make, through the AWS SDK for Rust with the inputs ccoctl sends (spec
//! irsa-openshift-facts §1, §2.4), against the emulator in process; then the
//! same calls as `rolechain::ccoctl::iam` makes them, end to end.

use aws_sdk_iam::Client;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::Tag;
use rolechain::ccoctl;
use rolechain_testkit::{EvaluatorKind, Lab, SEED_ADMIN_A};

/// A world with a built-in issuer but no IAM provider for it: what a new cluster starts from.
const FRESH: &str = r#"
region: eu-west-2
issuers:
  - name: c1
    url: https://oidc.example.test/c1
accounts:
  - id: "111111111111"
    users:
      - name: admin
        accessKeys: [{id: AKIAROLECHAINADMINAA, secret: rolechain/admin/111111111111/not-a-real-secret}]
        managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]
"#;
const URL: &str = "https://oidc.example.test/c1";
const ARN: &str = "arn:aws:iam::111111111111:oidc-provider/oidc.example.test/c1";
const THUMBPRINT: &str = "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280";

fn fresh() -> (Lab, Client) {
    let lab = Lab::from_yaml(FRESH, std::path::Path::new("."), EvaluatorKind::Native).unwrap();
    let iam = Client::new(&lab.static_config(SEED_ADMIN_A.0, SEED_ADMIN_A.1));
    (lab, iam)
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

#[tokio::test]
async fn create_identity_provider_calls() {
    let (_lab, iam) = fresh();
    // ListOpenIDConnectProviders: none yet.
    let listed = iam.list_open_id_connect_providers().send().await.unwrap();
    assert!(listed.open_id_connect_provider_list().is_empty());

    // CreateOpenIDConnectProvider: Url with scheme, ccoctl's two client ids, one thumbprint, no tags.
    let created = iam
        .create_open_id_connect_provider()
        .url(URL)
        .client_id_list("openshift")
        .client_id_list("sts.amazonaws.com")
        .thumbprint_list(THUMBPRINT)
        .send()
        .await
        .unwrap();
    assert_eq!(created.open_id_connect_provider_arn(), Some(ARN));

    // TagOpenIDConnectProvider: the two tags, in a second call.
    iam.tag_open_id_connect_provider()
        .open_id_connect_provider_arn(ARN)
        .tags(tag("openshift.io/cloud-credential-operator/c1", "owned"))
        .tags(tag("Name", "c1"))
        .send()
        .await
        .unwrap();

    // ListOpenIDConnectProviders then ListOpenIDConnectProviderTags: how ccoctl finds it again.
    let listed = iam.list_open_id_connect_providers().send().await.unwrap();
    let arns: Vec<&str> = listed
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn())
        .collect();
    assert_eq!(arns, [ARN]);
    let tags = iam
        .list_open_id_connect_provider_tags()
        .open_id_connect_provider_arn(ARN)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = tags.tags().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["openshift.io/cloud-credential-operator/c1", "Name"]);
    assert!(!tags.is_truncated());

    // A second CreateOpenIDConnectProvider for the URL is refused, as IAM does.
    let again = iam
        .create_open_id_connect_provider()
        .url(URL)
        .client_id_list("openshift")
        .thumbprint_list(THUMBPRINT)
        .send()
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some("EntityAlreadyExists"));
}

#[tokio::test]
async fn create_iam_roles_calls() {
    let (_lab, iam) = fresh();
    iam.create_open_id_connect_provider()
        .url(URL)
        .client_id_list("openshift")
        .client_id_list("sts.amazonaws.com")
        .thumbprint_list(THUMBPRINT)
        .send()
        .await
        .unwrap();
    // GetOpenIDConnectProvider: the URL comes back without its scheme.
    let provider = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(ARN)
        .send()
        .await
        .unwrap();
    assert_eq!(provider.url(), Some("oidc.example.test/c1"));

    let cr = ccoctl::requests::parse_stream(
        std::path::Path::new("cr.yaml"),
        include_str!("../../../emulator/seed/credentialsrequest.yaml"),
    )
    .unwrap();
    let plan = ccoctl::plan(&cr, "c1", ARN, provider.url().unwrap(), None)
        .unwrap()
        .remove(0);

    // GetRole: NoSuchEntity first.
    let missing = iam.get_role().role_name(&plan.role_name).send().await.unwrap_err();
    assert_eq!(missing.code(), Some("NoSuchEntity"));
    assert!(missing.into_service_error().is_no_such_entity_exception());

    // CreateRole: ccoctl's spaced trust-policy text, description and tags.
    let role = iam
        .create_role()
        .role_name(&plan.role_name)
        .description(&plan.description)
        .assume_role_policy_document(&plan.trust_policy)
        .tags(tag("openshift.io/cloud-credential-operator/c1", "owned"))
        .tags(tag("Name", "c1"))
        .send()
        .await
        .unwrap();
    let arn = role.role().unwrap().arn().to_string();
    assert_eq!(arn, format!("arn:aws:iam::111111111111:role/{}", plan.role_name));

    // PutRolePolicy: policy name = role name, Go's compact JSON.
    iam.put_role_policy()
        .role_name(&plan.role_name)
        .policy_name(&plan.role_name)
        .policy_document(&plan.permissions_policy)
        .send()
        .await
        .unwrap();
    let got = iam
        .get_role_policy()
        .role_name(&plan.role_name)
        .policy_name(&plan.role_name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        rolechain::iam::url_encode(&plan.permissions_policy),
        got.policy_document(),
        "IAM answers the document URL-encoded"
    );

    // GetRole once it exists: ccoctl leaves trust policy and tags alone.
    let found = iam.get_role().role_name(&plan.role_name).send().await.unwrap();
    assert_eq!(found.role().unwrap().arn(), arn);
    assert_eq!(found.role().unwrap().description(), Some(plan.description.as_str()));

    // A permissions boundary, as --permissions-boundary-arn sends it.
    let bounded = iam
        .create_role()
        .role_name("c1-with-boundary")
        .assume_role_policy_document(&plan.trust_policy)
        .permissions_boundary("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    assert_eq!(
        bounded
            .role()
            .unwrap()
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        Some("arn:aws:iam::aws:policy/AdministratorAccess")
    );
}

#[tokio::test]
async fn rolechain_s_ccoctl_runs_end_to_end_and_the_role_works() {
    let (lab, iam) = fresh();
    // The thumbprint of the issuer's own certificate, which STS checks tokens' issuers against.
    let thumbprint = lab.emulator().tls.thumbprint.clone();
    let mut log = Vec::new();
    let arn = ccoctl::iam::ensure_provider(&iam, "c1", URL, &thumbprint, &mut |l| log.push(l))
        .await
        .unwrap();
    assert_eq!(arn, ARN);
    ccoctl::iam::ensure_provider(&iam, "c1", URL, &thumbprint, &mut |l| log.push(l))
        .await
        .unwrap();
    assert_eq!(
        log,
        [
            format!("Identity Provider created with ARN: {ARN}"),
            format!("Existing Identity Provider found with ARN: {ARN}")
        ]
    );

    let issuer = ccoctl::iam::issuer_url(&iam, ARN).await.unwrap();
    let cr = ccoctl::requests::parse_stream(
        std::path::Path::new("cr.yaml"),
        include_str!("../../../emulator/seed/credentialsrequest.yaml"),
    )
    .unwrap();
    let plans = ccoctl::plan(&cr, "c1", ARN, &issuer, None).unwrap();
    let out = std::env::temp_dir().join(format!("rolechain-ccoctl-calls-{}", std::process::id()));
    ccoctl::files::ensure_output_dirs(&out).unwrap();
    let arns = ccoctl::iam::apply_roles(&iam, &plans, &out, &mut |_| {}).await.unwrap();
    let secret = std::fs::read_to_string(out.join(plans[0].secret_file())).unwrap();
    assert!(secret.contains(&format!("role_arn = {}\n", arns[0])));
    let _ = std::fs::remove_dir_all(&out);

    let token = lab.mint_token("my-namespace", "dev-db-reader", &["openshift"]);
    let sts = aws_sdk_sts::Client::new(&lab.web_identity_config(&arns[0], &token).await);
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn(),
        Some(
            format!(
                "arn:aws:sts::111111111111:assumed-role/{}/rolechain-testkit",
                plans[0].role_name
            )
            .as_str()
        )
    );
}
