//! `rolechain lint` and the emulator never disagree about the chain ccoctl
//! builds. For random CredentialsRequests and Deployments: ccoctl (the
//! library, through the SDK) makes the role and the Secret; lint reads the
//! CredentialsRequest, the Deployment, the Secret and the role's trust policy
//! together; the pod's token is minted and AssumeRoleWithWebIdentity called.
//! Lint finds no trust mismatch exactly when STS hands out credentials.

use aws_sdk_sts::error::ProvideErrorMetadata;
use proptest::prelude::*;
use rolechain::artefacts::{self, Input};
use rolechain::ccoctl;
use rolechain_policy::Severity;
use rolechain_testkit::{EvaluatorKind, Lab, SEED_ADMIN_A};

const ISSUER: &str = "https://oidc.example.test/c1";
const PROVIDER: &str = "arn:aws:iam::111111111111:oidc-provider/oidc.example.test/c1";
const NAMESPACES: [&str; 3] = ["shop", "web", "ops"];
const SERVICE_ACCOUNTS: [&str; 4] = ["cart", "api", "worker", "default"];
const SECRETS: [&str; 2] = ["cart-creds", "aws-cloud-credentials"];
/// Token audiences a pod spec may ask for; `None` leaves it out (the issuer's URL, as the
/// apiserver defaults it).
const AUDIENCES: [Option<&str>; 5] = [
    Some("openshift"),
    Some("sts.amazonaws.com"),
    Some(ISSUER),
    Some("aws"),
    None,
];
/// The findings that say the chain's trust does not fit the pod: the service account or
/// namespace is not in the role's `:sub`, or the audience is not a client id of the provider.
const TRUST_MISMATCH: [&str; 3] = ["XREF_SERVICE_ACCOUNT", "XREF_TRUST_SUBJECT", "POD_TOKEN_AUDIENCE"];

#[derive(Debug, Clone)]
struct Case {
    secret_ns: &'static str,
    secret: &'static str,
    service_accounts: Vec<&'static str>,
    pod_ns: &'static str,
    /// `None`: the pod spec names no service account, so the pod runs as `default`.
    pod_sa: Option<&'static str>,
    audience: Option<&'static str>,
}

impl Case {
    fn runs_as(&self) -> &'static str {
        self.pod_sa.unwrap_or("default")
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(NAMESPACES.to_vec()),
        prop::sample::select(SECRETS.to_vec()),
        prop::sample::subsequence(SERVICE_ACCOUNTS.to_vec(), 1..=3),
        prop::sample::select(NAMESPACES.to_vec()),
        prop::option::weighted(0.85, prop::sample::select(SERVICE_ACCOUNTS.to_vec())),
        prop::sample::select(AUDIENCES.to_vec()),
        // Half the pods are the ones the request was written for, so both outcomes are common.
        any::<bool>(),
    )
        .prop_map(
            |(secret_ns, secret, service_accounts, pod_ns, pod_sa, audience, aligned)| {
                let (pod_ns, pod_sa) = if aligned {
                    (secret_ns, Some(service_accounts[service_accounts.len() - 1]))
                } else {
                    (pod_ns, pod_sa)
                };
                Case {
                    secret_ns,
                    secret,
                    service_accounts,
                    pod_ns,
                    pod_sa,
                    audience,
                }
            },
        )
}

/// A world with the cluster's issuer (whose pods, including this one, may get tokens), the IAM
/// provider ccoctl registers for it, and an admin to run ccoctl as.
fn world(c: &Case) -> String {
    format!(
        r#"
region: eu-west-2
issuers:
  - name: c1
    url: {ISSUER}
    serviceAccounts: [{}/{}]
accounts:
  - id: "111111111111"
    users:
      - name: admin
        accessKeys: [{{id: {}, secret: {}}}]
        managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]
    oidcProviders:
      - url: {ISSUER}
        clientIds: [openshift, sts.amazonaws.com]
"#,
        c.pod_ns,
        c.runs_as(),
        SEED_ADMIN_A.0,
        SEED_ADMIN_A.1
    )
}

fn credentials_request(c: &Case) -> String {
    format!(
        "apiVersion: cloudcredential.openshift.io/v1\nkind: CredentialsRequest\nmetadata:\n  name: {secret}\n  namespace: openshift-cloud-credential-operator\nspec:\n  providerSpec:\n    apiVersion: cloudcredential.openshift.io/v1\n    kind: AWSProviderSpec\n    statementEntries:\n      - effect: Allow\n        action:\n          - sts:GetCallerIdentity\n        resource: \"*\"\n  secretRef:\n    name: {secret}\n    namespace: {ns}\n  serviceAccountNames:\n{sas}",
        secret = c.secret,
        ns = c.secret_ns,
        sas = c
            .service_accounts
            .iter()
            .map(|s| format!("    - {s}\n"))
            .collect::<String>()
    )
}

/// The seed's Deployment, wired to the Secret, with the case's namespace, service account and
/// token audience.
fn deployment(c: &Case) -> String {
    let service_account = c
        .pod_sa
        .map(|sa| format!("      serviceAccountName: {sa}\n"))
        .unwrap_or_default();
    let audience = c
        .audience
        .map(|a| format!("                  audience: {a}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels:\n      app: app\n  template:\n    metadata:\n      labels:\n        app: app\n    spec:\n{service_account}      containers:\n        - name: app\n          image: registry.example/app:1\n          volumeMounts:\n            - name: bound-sa-token\n              mountPath: /var/run/secrets/openshift/serviceaccount\n              readOnly: true\n            - name: creds\n              mountPath: /var/run/secrets/cloud\n              readOnly: true\n          env:\n            - name: AWS_SHARED_CREDENTIALS_FILE\n              value: /var/run/secrets/cloud/credentials\n      volumes:\n        - name: creds\n          secret:\n            secretName: {secret}\n        - name: bound-sa-token\n          projected:\n            sources:\n              - serviceAccountToken:\n{audience}                  expirationSeconds: 3600\n                  path: token\n",
        ns = c.pod_ns,
        secret = c.secret,
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// One lint finding: its code, severity and the kind of file it is reported in.
type Found = (String, Severity, &'static str);

/// What the chain does for one case: lint's findings (code, severity, kind of file) and
/// whether STS granted (or its refusal's code).
fn run(c: &Case, scratch: &std::path::Path) -> (Vec<Found>, Result<(), String>) {
    let lab = Lab::from_yaml(&world(c), std::path::Path::new("."), EvaluatorKind::Native).unwrap();
    let iam = aws_sdk_iam::Client::new(&lab.static_config(SEED_ADMIN_A.0, SEED_ADMIN_A.1));
    let cr_text = credentials_request(c);
    let requests = ccoctl::requests::parse_stream(std::path::Path::new("cr.yaml"), &cr_text).unwrap();
    let rt = runtime();
    let (plan, role_arn) = rt.block_on(async {
        let issuer = ccoctl::iam::issuer_url(&iam, PROVIDER).await.unwrap();
        let plans = ccoctl::plan(&requests, "cl", PROVIDER, &issuer, None).unwrap();
        ccoctl::files::ensure_output_dirs(scratch).unwrap();
        let arns = ccoctl::iam::apply_roles(&iam, &plans, scratch, &mut |_| {})
            .await
            .unwrap();
        (plans[0].clone(), arns[0].clone())
    });
    let secret = std::fs::read_to_string(scratch.join(plan.secret_file())).unwrap();
    let deployment = deployment(c);
    let reports = artefacts::lint(&[
        Input::Artefact(&cr_text),
        Input::Artefact(&deployment),
        Input::Artefact(&secret),
        Input::Policy(&plan.trust_policy),
    ]);
    let findings = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (f.code.to_string(), f.severity, r.kind)))
        .collect();

    let token = lab
        .try_mint_token(&rolechain::server::admin::MintRequest {
            issuer: None,
            namespace: c.pod_ns.into(),
            service_account: c.runs_as().into(),
            audiences: c.audience.iter().map(|a| a.to_string()).collect(),
            expiration_seconds: Some(3600),
            pod: None,
            node: None,
        })
        .unwrap();
    let outcome = rt.block_on(async {
        aws_sdk_sts::Client::new(&lab.static_config(SEED_ADMIN_A.0, SEED_ADMIN_A.1))
            .assume_role_with_web_identity()
            .role_arn(&role_arn)
            .role_session_name("pod")
            .web_identity_token(token)
            .send()
            .await
    });
    let outcome = outcome
        .map(|_| ())
        .map_err(|e| e.into_service_error().code().unwrap_or("no code").to_string());
    (findings, outcome)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn lint_finds_a_trust_mismatch_exactly_when_sts_refuses(c in case()) {
        let scratch = std::env::temp_dir().join(format!("rolechain-chain-prop-{}", std::process::id()));
        let (findings, outcome) = run(&c, &scratch);
        let _ = std::fs::remove_dir_all(&scratch);
        let mismatches: Vec<&str> = findings
            .iter()
            .filter(|(code, _, _)| TRUST_MISMATCH.contains(&code.as_str()))
            .map(|(code, _, _)| code.as_str())
            .collect();
        // What ccoctl wrote is, on its own, what lint expects: no errors about the request or
        // the Secret.
        let own: Vec<_> = findings
            .iter()
            .filter(|(_, sev, kind)| *sev == Severity::Error && matches!(*kind, "credentials-request" | "secret"))
            .collect();
        prop_assert!(own.is_empty(), "lint faults ccoctl's own output: {own:?}");
        match outcome {
            Ok(()) => prop_assert!(mismatches.is_empty(), "STS granted, lint reports {mismatches:?} for {c:?}"),
            Err(code) => {
                prop_assert!(!mismatches.is_empty(), "STS refused ({code}), lint reports no mismatch for {c:?}: {findings:?}");
                prop_assert!(code == "AccessDenied" || code == "InvalidIdentityToken", "{code}");
            }
        }
    }
}

#[test]
fn the_seed_shaped_case_is_granted_and_clean() {
    let c = Case {
        secret_ns: "shop",
        secret: "cart-creds",
        service_accounts: vec!["cart"],
        pod_ns: "shop",
        pod_sa: Some("cart"),
        audience: Some("openshift"),
    };
    let scratch = std::env::temp_dir().join(format!("rolechain-chain-seed-{}", std::process::id()));
    let (findings, outcome) = run(&c, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    assert_eq!(outcome, Ok(()));
    let errors: Vec<_> = findings.iter().filter(|(_, s, _)| *s == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// Found by the property: a pod spec naming no service account runs as `default`; lint used to
/// skip its cross-file checks and pass a pod STS refuses.
#[test]
fn a_pod_without_a_service_account_is_flagged_and_refused() {
    let c = Case {
        secret_ns: "shop",
        secret: "cart-creds",
        service_accounts: vec!["worker"],
        pod_ns: "shop",
        pod_sa: None,
        audience: Some("openshift"),
    };
    let scratch = std::env::temp_dir().join(format!("rolechain-chain-default-{}", std::process::id()));
    let (findings, outcome) = run(&c, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    assert_eq!(outcome, Err("AccessDenied".to_string()));
    let codes: Vec<&str> = findings.iter().map(|(code, _, _)| code.as_str()).collect();
    assert!(codes.contains(&"XREF_SERVICE_ACCOUNT"), "{codes:?}");
    assert!(codes.contains(&"XREF_TRUST_SUBJECT"), "{codes:?}");
}
