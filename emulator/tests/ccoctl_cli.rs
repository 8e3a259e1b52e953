//! `rolechain ccoctl aws …` as a person runs it: against a running emulator
//! (then the role in use: a token of the pod, AssumeRoleWithWebIdentity),
//! into a world file (then that world served), dry runs, and the refusals.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{BIN, Served};
const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seed");
const PROVIDER: &str = "arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/my-cluster";
const ADMIN: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIAROLECHAINADMINAA"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "rolechain/admin/111111111111/not-a-real-secret",
    ),
];

struct Server(Served);

impl Server {
    fn start(args: &[&str]) -> Server {
        Server(Served::start(|command| {
            command.args(args);
        }))
    }

    /// A token the pod of `namespace/sa` would get, with audience `openshift`.
    fn token(&self, service_account: &str) -> String {
        let out = rolechain(
            &[],
            &["token", "--service-account", service_account, "--audience", "openshift"],
            Some(self),
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// AssumeRoleWithWebIdentity, unsigned, as an SDK sends it: (HTTP status, body).
    fn assume(&self, role_arn: &str, token: &str) -> (u16, String) {
        let enc = |s: &str| s.replace(':', "%3A").replace('/', "%2F");
        let body = format!(
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=pod&RoleArn={}&WebIdentityToken={token}",
            enc(role_arn)
        );
        let authority = self.0.authority();
        let mut stream = TcpStream::connect(authority).unwrap();
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, answer)
    }
}

/// Runs the binary with a clean AWS environment plus `env`.
fn rolechain(env: &[(&str, &str)], args: &[&str], server: Option<&Server>) -> Output {
    let mut cmd = Command::new(BIN);
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "ROLECHAIN_ENDPOINT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/rolechain-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/rolechain-test-credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    if let Some(s) = server {
        cmd.env("ROLECHAIN_ENDPOINT", s.0.endpoint());
    }
    cmd.envs(env.iter().copied()).args(args).output().unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolechain-ccoctl-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("crs")).unwrap();
    dir
}

fn cr(secret_ns: &str, secret: &str, sas: &[&str]) -> String {
    format!(
        "apiVersion: cloudcredential.openshift.io/v1\nkind: CredentialsRequest\nmetadata:\n  name: {secret}\n  namespace: openshift-cloud-credential-operator\nspec:\n  providerSpec:\n    apiVersion: cloudcredential.openshift.io/v1\n    kind: AWSProviderSpec\n    statementEntries:\n    - effect: Allow\n      action: [sts:GetCallerIdentity]\n      resource: '*'\n  secretRef:\n    name: {secret}\n    namespace: {secret_ns}\n  serviceAccountNames: [{}]\n",
        sas.join(", ")
    )
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn roles_args<'a>(dir: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "ccoctl",
        "aws",
        "create-iam-roles",
        "--name",
        "shop",
        "--region",
        "eu-west-2",
        "--credentials-requests-dir",
        dir,
        "--identity-provider-arn",
        PROVIDER,
        "--output-dir",
        out,
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn roles_made_through_iam_let_the_pod_in_and_no_one_else() {
    let server = Server::start(&[]);
    let dir = scratch("iam");
    std::fs::copy(format!("{SEED}/credentialsrequest.yaml"), dir.join("crs/seed.yaml")).unwrap();
    let (crs, out) = (dir.join("crs"), dir.join("out"));
    let (crs, out) = (crs.to_str().unwrap(), out.to_str().unwrap());

    let text = stdout(&rolechain(&ADMIN, &roles_args(crs, out, &[]), Some(&server)));
    let arn = "arn:aws:iam::111111111111:role/shop-my-namespace-dev-dynamodb-reader";
    let secret = dir.join("out/manifests/my-namespace-dev-dynamodb-reader-credentials.yaml");
    assert_eq!(
        text,
        format!(
            "Role {arn} created\nSaved credentials configuration to: {}\nUpdated Role policy for Role shop-my-namespace-dev-dynamodb-reader\n",
            secret.display()
        )
    );
    assert_eq!(mode(&dir.join("out")), 0o700);
    assert_eq!(mode(&dir.join("out/manifests")), 0o700);
    assert_eq!(mode(&secret), 0o600);
    let manifest = std::fs::read_to_string(&secret).unwrap();
    assert!(manifest.contains(&format!("\n    role_arn = {arn}\n")), "{manifest}");

    // The pod's token gets in; the other service account's does not.
    let (status, body) = server.assume(arn, &server.token("my-namespace/dev-db-reader"));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("assumed-role/shop-my-namespace-dev-dynamodb-reader/pod"),
        "{body}"
    );
    let (status, body) = server.assume(arn, &server.token("my-namespace/other-app"));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("AccessDenied"), "{body}");

    // Again: the role is found, its policy put again.
    let text = stdout(&rolechain(&ADMIN, &roles_args(crs, out, &[]), Some(&server)));
    assert!(text.starts_with(&format!("Existing role {arn} found\n")), "{text}");

    // A provider that does not exist: IAM's own error, as ccoctl reports it.
    let mut args = roles_args(crs, out, &[]);
    args[10] = "arn:aws:iam::111111111111:oidc-provider/elsewhere.example";
    let failed = rolechain(&ADMIN, &args, Some(&server));
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains(
            "failed to get IAM Identity Provider: NoSuchEntity: OpenIDConnect Provider not found for arn arn:aws:iam::111111111111:oidc-provider/elsewhere.example"
        ),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_credentials_the_seed_admin_key_is_named() {
    let dir = scratch("nocreds");
    std::fs::copy(format!("{SEED}/credentialsrequest.yaml"), dir.join("crs/seed.yaml")).unwrap();
    let (crs, out) = (dir.join("crs"), dir.join("out"));
    let failed = rolechain(
        &[],
        &roles_args(crs.to_str().unwrap(), out.to_str().unwrap(), &[]),
        None,
    );
    assert_eq!(failed.status.code(), Some(1));
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        err.contains("AWS_ACCESS_KEY_ID=AKIAROLECHAINADMINAA AWS_SECRET_ACCESS_KEY=rolechain/admin/111111111111/not-a-real-secret"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is written before credentials are known");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_dry_run_writes_ccoctl_s_files_and_calls_nothing() {
    let dir = scratch("dry");
    std::fs::write(
        dir.join("crs/two.yaml"),
        format!("{}---\n{}", cr("shop", "cart", &["a"]), cr("shop", "till", &["b", "c"])),
    )
    .unwrap();
    let (crs, out) = (dir.join("crs"), dir.join("out"));
    let text = stdout(&rolechain(
        &[],
        &roles_args(crs.to_str().unwrap(), out.to_str().unwrap(), &["--dry-run"]),
        None,
    ));
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(
        text.starts_with("Saving OpenShift role for shop/cart locally at "),
        "{text}"
    );
    let role = out.join("05-1-shop-shop-till-role.json");
    let policy = out.join("06-1-shop-shop-till-policy.json");
    assert_eq!(mode(&role), 0o644);
    assert_eq!(mode(&policy), 0o644);
    let role: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(role).unwrap()).unwrap();
    assert_eq!(role["RoleName"], "shop-shop-till");
    let trust: serde_json::Value = serde_json::from_str(role["AssumeRolePolicyDocument"].as_str().unwrap()).unwrap();
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["<enter_issuer_url_here>:sub"],
        serde_json::json!(["system:serviceaccount:shop:b", "system:serviceaccount:shop:c"])
    );
    let secret = out.join("manifests/shop-cart-credentials.yaml");
    assert_eq!(mode(&secret), 0o600);
    assert!(
        std::fs::read_to_string(secret)
            .unwrap()
            .ends_with("type: Opaque\nPOPULATE ROLE ARN AND DELETE THIS LINE")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs a dry run over `files` and answers its stderr; it must fail and write nothing.
fn refused(name: &str, files: &[(&str, String)], cli_name: &str) -> String {
    let dir = scratch(name);
    for (file, text) in files {
        std::fs::write(dir.join("crs").join(file), text).unwrap();
    }
    let (crs, out) = (dir.join("crs"), dir.join("out"));
    let mut args = roles_args(crs.to_str().unwrap(), out.to_str().unwrap(), &["--dry-run"]);
    args[4] = cli_name;
    let failed = rolechain(&[], &args, None);
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stdout)
    );
    assert!(!out.exists(), "{name}: nothing may be written");
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&failed.stderr).into_owned()
}

#[test]
fn bad_requests_are_refused_before_anything_is_written() {
    let err = refused(
        "nosa",
        &[
            ("a.yaml", cr("shop", "cart", &["a"])),
            ("b.yaml", cr("shop", "till", &[])),
        ],
        "shop",
    );
    assert!(
        err.contains("CredentialsRequest must provide ServieAccounts to bind the Role policy to"),
        "{err}"
    );
    assert!(err.contains("b.yaml (document 1)"), "{err}");

    let gcp = cr("shop", "cart", &["a"]).replace("AWSProviderSpec", "GCPProviderSpec");
    let err = refused("gcp", &[("a.yaml", gcp)], "shop");
    assert!(
        err.contains("CredentialsRequest openshift-cloud-credential-operator/cart is not of type AWS"),
        "{err}"
    );

    let broken = format!("{}---\nspec:\n  secretRef: [not, a, map]\n", cr("shop", "cart", &["a"]));
    let err = refused("broken", &[("a.yaml", broken)], "shop");
    assert!(err.contains("Failed to decode to CredentialsRequest: "), "{err}");
    assert!(err.contains("a.yaml:20:"), "{err}");

    let long = "a-very-long-cluster-name-for-roles-x";
    let err = refused(
        "collide",
        &[(
            "a.yaml",
            format!(
                "{}---\n{}",
                cr("openshift-image-registry", "installer-cloud-credentials", &["a"]),
                cr("openshift-image-registry", "installer-cloud-credentials-2", &["b"])
            ),
        )],
        long,
    );
    assert!(err.contains("both map to the IAM role"), "{err}");
}

/// The seed world and its policy files, copied where a test may change them.
fn seed_world_copy(dir: &Path) -> PathBuf {
    for f in [
        "world.yaml",
        "ccoctl-trust-policy.json",
        "ccoctl-permissions-policy.json",
        "trust-policy.json",
        "dynamodb-reader-policy.json",
    ] {
        std::fs::copy(format!("{SEED}/{f}"), dir.join(f)).unwrap();
    }
    dir.join("world.yaml")
}

#[test]
fn roles_written_into_a_world_file_are_served_from_it() {
    let dir = scratch("world");
    let world = seed_world_copy(&dir);
    let before = std::fs::read_to_string(&world).unwrap();
    std::fs::write(
        dir.join("crs/app.yaml"),
        cr("my-namespace", "other-app-creds", &["other-app"]),
    )
    .unwrap();
    let (crs, out) = (dir.join("crs"), dir.join("out"));
    let text = stdout(&rolechain(
        &[],
        &roles_args(
            crs.to_str().unwrap(),
            out.to_str().unwrap(),
            &["--world", world.to_str().unwrap()],
        ),
        None,
    ));
    let arn = "arn:aws:iam::111111111111:role/shop-my-namespace-other-app-creds";
    assert!(text.starts_with(&format!("Role {arn} created\n")), "{text}");
    let after = std::fs::read_to_string(&world).unwrap();
    let mut rest = after.lines();
    for line in before.lines() {
        assert!(rest.any(|l| l == line), "lost {line:?}");
    }
    // Idempotent: a second run finds the role and leaves the text as it was.
    let text = stdout(&rolechain(
        &[],
        &roles_args(
            crs.to_str().unwrap(),
            out.to_str().unwrap(),
            &["--world", world.to_str().unwrap()],
        ),
        None,
    ));
    assert!(text.starts_with(&format!("Existing role {arn} found\n")), "{text}");
    assert_eq!(std::fs::read_to_string(&world).unwrap(), after);

    let server = Server::start(&["--world", world.to_str().unwrap()]);
    let (status, body) = server.assume(arn, &server.token("my-namespace/other-app"));
    assert_eq!(status, 200, "{body}");
    let (status, _) = server.assume(arn, &server.token("my-namespace/dev-db-reader"));
    assert_eq!(status, 403);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_identity_provider_of_the_built_in_issuer_then_its_roles() {
    let dir = scratch("idp");
    let world = dir.join("world.yaml");
    std::fs::write(
        &world,
        "region: eu-west-2\nissuers:\n  - name: c1\n    url: https://oidc.example.test/c1\naccounts:\n  - id: \"111111111111\"\n    users:\n      - name: admin\n        accessKeys:\n          - {id: AKIAROLECHAINADMINAA, secret: rolechain/admin/111111111111/not-a-real-secret}\n        managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]\n",
    )
    .unwrap();
    let server = Server::start(&["--world", world.to_str().unwrap()]);
    let out = dir.join("out");
    let idp = |dry: bool| {
        let mut args = vec![
            "ccoctl",
            "aws",
            "create-identity-provider",
            "--name",
            "c1",
            "--region",
            "eu-west-2",
            "--output-dir",
            out.to_str().unwrap(),
        ];
        if dry {
            args.push("--dry-run");
        }
        rolechain(&ADMIN, &args, Some(&server))
    };
    let text = stdout(&idp(false));
    let arn = "arn:aws:iam::111111111111:oidc-provider/oidc.example.test/c1";
    assert!(
        text.starts_with(&format!("Identity Provider created with ARN: {arn}\n")),
        "{text}"
    );
    let auth = std::fs::read_to_string(out.join("manifests/cluster-authentication-02-config.yaml")).unwrap();
    assert!(
        auth.ends_with("spec:\n  serviceAccountIssuer: https://oidc.example.test/c1"),
        "{auth}"
    );
    let discovery: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("02-openid-configuration")).unwrap()).unwrap();
    assert_eq!(discovery["jwks_uri"], "https://oidc.example.test/c1/keys.json");
    let keys = std::fs::read_to_string(out.join("03-keys.json")).unwrap();
    assert!(
        keys.starts_with("{\n    \"keys\": [\n        {\n            \"use\": \"sig\",\n            \"kty\": \"RSA\""),
        "{keys}"
    );
    // ccoctl's tag rule: the tagged provider is found again.
    let text = stdout(&idp(false));
    assert!(
        text.starts_with(&format!("Existing Identity Provider found with ARN: {arn}\n")),
        "{text}"
    );
    assert!(stdout(&idp(true)).contains("04-iam-identity-provider.json"));

    // Roles that trust it, and a token of the issuer that gets in.
    std::fs::write(dir.join("crs/a.yaml"), cr("shop", "cart", &["cart"])).unwrap();
    let crs = dir.join("crs");
    let mut args = roles_args(crs.to_str().unwrap(), out.to_str().unwrap(), &[]);
    args[10] = arn;
    stdout(&rolechain(&ADMIN, &args, Some(&server)));
    let (status, body) = server.assume(
        "arn:aws:iam::111111111111:role/shop-shop-cart",
        &server.token("shop/cart"),
    );
    assert_eq!(status, 200, "{body}");
    let _ = std::fs::remove_dir_all(&dir);
}
