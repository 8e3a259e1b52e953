//! Over real sockets: the AWS SDK for Rust against `Lab::serve_loopback`,
//! and an external issuer — another emulator's issuer, served over HTTPS —
//! trusted by a provider that names its URL, thumbprint and CA.

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_types::region::Region;
use rolechain::server::listen;
use rolechain_testkit::{EvaluatorKind, Lab, SEED_ADMIN_A};

#[tokio::test]
async fn the_sdk_over_loopback() {
    let lab = Lab::seed().await;
    let listening = lab.serve_loopback().await;
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .endpoint_url(listening.endpoint_url())
        .credentials_provider(Credentials::new(SEED_ADMIN_A.0, SEED_ADMIN_A.1, None, None, "test"))
        .load()
        .await;
    let sts = aws_sdk_sts::Client::new(&config);
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::111111111111:user/admin"));
    let token = lab.mint_token("my-namespace", "dev-db-reader", &["sts.amazonaws.com"]);
    let session = sts
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader")
        .role_session_name("loopback")
        .web_identity_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(session.audience(), Some("sts.amazonaws.com"));
    assert_eq!(session.provider(), Some("https://oidc.rolechain.local/my-cluster"));
    assert_eq!(
        session.subject_from_web_identity_token(),
        Some("system:serviceaccount:my-namespace:dev-db-reader")
    );
    listening.stop().await;
}

/// The seed's pod over sockets: the ccoctl profile with a chained reader
/// profile, loaded by aws-config, which calls AssumeRoleWithWebIdentity and
/// then AssumeRole by itself.
#[tokio::test]
async fn the_seed_chain_over_loopback_from_a_profile() {
    let lab = Lab::seed().await;
    let listening = lab.serve_loopback().await;
    let token_file = lab.token_file(&lab.mint_token("my-namespace", "dev-db-reader", &["openshift"]));
    let profile = format!(
        "[default]\nsts_regional_endpoints = regional\nrole_arn = arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader\nweb_identity_token_file = {}\n\n[profile reader]\nrole_arn = arn:aws:iam::222222222222:role/dynamodb-reader\nsource_profile = default\nrole_session_name = dev-dynamodb-reader\n",
        token_file.display()
    );
    let pod = lab.loopback_profile_config(&listening, &profile).await;
    let me = aws_sdk_sts::Client::new(&pod)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some("111111111111"));

    // The chained profile, selected as AWS_PROFILE=reader would select it.
    let reader_credentials = aws_config::profile::ProfileFileCredentialsProvider::builder()
        .configure(&aws_config::provider_config::ProviderConfig::default().with_region(Some(Region::new("eu-west-2"))))
        .profile_name("reader")
        .profile_files(
            aws_runtime::env_config::file::EnvConfigFiles::builder()
                .with_contents(
                    aws_runtime::env_config::file::EnvConfigFileKind::Config,
                    text_with_endpoint(&profile, &listening.endpoint_url()),
                )
                .build(),
        )
        .build();
    let reader = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&pod)
            .credentials_provider(reader_credentials)
            .build(),
    );
    let who = reader.get_caller_identity().send().await.unwrap();
    assert_eq!(
        who.arn(),
        Some("arn:aws:sts::222222222222:assumed-role/dynamodb-reader/dev-dynamodb-reader")
    );
    listening.stop().await;
}

fn text_with_endpoint(profile: &str, endpoint: &str) -> String {
    profile
        .lines()
        .flat_map(|l| {
            let mut out = vec![l.to_string()];
            if l.starts_with('[') {
                out.push(format!("endpoint_url = {endpoint}"));
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A free TCP port on 127.0.0.1 (the issuer's URL must name its port before it listens).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn aws_world(issuer: &str, thumbprint: &str, ca_file: &str) -> String {
    let prefix = issuer.trim_start_matches("https://");
    format!(
        r#"
accounts:
  - id: "444444444444"
    oidcProviders:
      - url: {issuer}
        clientIds: [sts.amazonaws.com]
        thumbprints: ["{thumbprint}"]
        caFile: {ca_file}
    roles:
      - name: from-cluster
        trustPolicy: '{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::444444444444:oidc-provider/{prefix}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{prefix}:sub":"system:serviceaccount:apps:web"}}}}}}]}}'
"#
    )
}

#[tokio::test]
async fn an_external_issuer_over_https() {
    // The "cluster": an emulator whose only job is its issuer.
    let port = free_port();
    let issuer_url = format!("https://127.0.0.1:{port}/cluster");
    let cluster = Lab::from_yaml(
        &format!("issuers:\n  - name: cluster\n    url: {issuer_url}\n"),
        std::path::Path::new("."),
        EvaluatorKind::Native,
    )
    .unwrap();
    let serving = listen::start(cluster.emulator().clone(), [127, 0, 0, 1].into(), 0, port)
        .await
        .unwrap();
    let scratch = std::env::temp_dir().join(format!("rolechain-external-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let ca_file = scratch.join("cluster-ca.pem");
    std::fs::write(&ca_file, &cluster.emulator().tls.ca_cert_pem).unwrap();
    let token = cluster.mint_token("apps", "web", &["sts.amazonaws.com"]);

    let assume = |lab: Lab, token: String| async move {
        let sts = aws_sdk_sts::Client::new(&lab.static_config("AKIAUNUSEDUNUSEDUNUS", "unused"));
        sts.assume_role_with_web_identity()
            .role_arn("arn:aws:iam::444444444444:role/from-cluster")
            .role_session_name("external")
            .web_identity_token(token)
            .send()
            .await
    };

    // AWS, trusting the cluster's issuer by its thumbprint and CA: the token works.
    let thumbprint = cluster.emulator().tls.thumbprint.clone();
    let aws = Lab::from_yaml(
        &aws_world(&issuer_url, &thumbprint, ca_file.to_str().unwrap()),
        std::path::Path::new("."),
        EvaluatorKind::Wasm,
    )
    .unwrap();
    let out = assume(aws, token.clone())
        .await
        .expect("the external issuer's token is accepted");
    assert_eq!(out.provider(), Some(issuer_url.as_str()));

    // A provider with another thumbprint refuses it.
    let wrong = Lab::from_yaml(
        &aws_world(&issuer_url, &"A".repeat(40), ca_file.to_str().unwrap()),
        std::path::Path::new("."),
        EvaluatorKind::Native,
    )
    .unwrap();
    let err = assume(wrong, token.clone()).await.unwrap_err().into_service_error();
    assert_eq!(err.code(), Some("InvalidIdentityToken"));
    assert_eq!(
        err.message(),
        Some("OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint")
    );

    // The cluster gone: STS cannot reach the issuer.
    serving.stop().await;
    let gone = Lab::from_yaml(
        &aws_world(&issuer_url, &thumbprint, ca_file.to_str().unwrap()),
        std::path::Path::new("."),
        EvaluatorKind::Native,
    )
    .unwrap();
    let err = assume(gone, token).await.unwrap_err().into_service_error();
    assert_eq!(err.code(), Some("IDPCommunicationError"));
    let _ = std::fs::remove_dir_all(&scratch);
}
