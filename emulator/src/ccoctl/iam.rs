//! ccoctl's IAM calls, made with the AWS SDK for Rust against any IAM
//! endpoint (a running emulator, the testkit's in-process lab), in ccoctl's
//! order and with its inputs:
//!
//! - create-iam-roles: `GetOpenIDConnectProvider` once, then per request
//!   `GetRole` → `CreateRole` on `NoSuchEntity` (an existing role keeps its
//!   trust policy and tags) → the Secret → `PutRolePolicy`;
//! - create-identity-provider: `ListOpenIDConnectProviders`,
//!   `ListOpenIDConnectProviderTags` per provider (re-use one tagged
//!   `openshift.io/cloud-credential-operator/<name>`), else
//!   `CreateOpenIDConnectProvider` then `TagOpenIDConnectProvider`.
//!
//! Progress goes to `log`, one line per thing made or found, in ccoctl's words.

use std::path::Path;

use aws_sdk_iam::Client;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::Tag;

use super::files::{self, SECRET_MODE};
use super::render::RolePlan;
use super::{CLIENT_IDS, Error};

/// An SDK error as ccoctl prints an AWS error: `Code: message`; transport errors in full.
pub fn sdk_error<E, R>(err: &SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.code() {
        Some(code) => Error::new(format!("{code}: {}", err.message().unwrap_or_default())),
        None => Error::new(error_chain(err)),
    }
}

fn error_chain<E, R>(err: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    // The whole chain of causes: "dispatch failure: io error: Connection refused".
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn tags(name: &str) -> Result<Vec<Tag>, Error> {
    super::tags(name)
        .into_iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| Error::new(e.to_string()))
        })
        .collect()
}

/// The provider's URL as IAM returns it (no scheme): the prefix of the `:sub` key.
pub async fn issuer_url(client: &Client, provider_arn: &str) -> Result<String, Error> {
    let out = client
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(provider_arn)
        .send()
        .await
        .map_err(|e| sdk_error(&e).wrap("failed to get IAM Identity Provider"))?;
    out.url()
        .map(str::to_string)
        .ok_or_else(|| Error::new("failed to get IAM Identity Provider: the answer has no Url"))
}

/// Makes (or finds) the role of one plan, writes its Secret, puts its policy; answers the ARN.
pub async fn apply_role(
    client: &Client,
    plan: &RolePlan,
    output_dir: &Path,
    log: &mut dyn FnMut(String),
) -> Result<String, Error> {
    let role = match client.get_role().role_name(&plan.role_name).send().await {
        Ok(out) => {
            let role = out.role().ok_or_else(|| Error::new("GetRole answered no role"))?;
            log(format!("Existing role {} found", role.arn()));
            role.clone()
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => {
            let out = client
                .create_role()
                .role_name(&plan.role_name)
                .description(&plan.description)
                .assume_role_policy_document(&plan.trust_policy)
                .set_tags(Some(tags(&plan.name)?))
                .set_permissions_boundary(plan.permissions_boundary.clone())
                .send()
                .await
                .map_err(|e| sdk_error(&e).wrap("Failed to create role"))?;
            let role = out.role().ok_or_else(|| Error::new("CreateRole answered no role"))?;
            log(format!("Role {} created", role.arn()));
            role.clone()
        }
        Err(e) => return Err(sdk_error(&e)),
    };
    let path = files::write(
        output_dir,
        &plan.secret_file(),
        &plan.secret(Some(role.arn())),
        SECRET_MODE,
    )
    .map_err(|e| e.wrap("failed to save Secret for install manifests"))?;
    log(format!("Saved credentials configuration to: {}", path.display()));
    client
        .put_role_policy()
        .policy_name(&plan.role_name)
        .role_name(role.role_name())
        .policy_document(&plan.permissions_policy)
        .send()
        .await
        .map_err(|e| sdk_error(&e).wrap("Failed to put role policy"))?;
    log(format!("Updated Role policy for Role {}", role.role_name()));
    Ok(role.arn().to_string())
}

/// Every plan in order; the first failure stops the run, as in ccoctl.
pub async fn apply_roles(
    client: &Client,
    plans: &[RolePlan],
    output_dir: &Path,
    log: &mut dyn FnMut(String),
) -> Result<Vec<String>, Error> {
    let mut arns = Vec::with_capacity(plans.len());
    for plan in plans {
        let arn = apply_role(client, plan, output_dir, log)
            .await
            .map_err(|e| e.wrap("Failed while processing each CredentialsRequest"))?;
        arns.push(arn);
    }
    Ok(arns)
}

/// Finds the provider ccoctl tagged for `name`, or registers `issuer_url` and tags it.
pub async fn ensure_provider(
    client: &Client,
    name: &str,
    issuer_url: &str,
    thumbprint: &str,
    log: &mut dyn FnMut(String),
) -> Result<String, Error> {
    let wanted = format!("{}/{name}", super::TAG_KEY_PREFIX);
    let listed = client
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|e| sdk_error(&e).wrap("failed to fetch list of Identity Providers"))?;
    for provider in listed.open_id_connect_provider_list() {
        let Some(arn) = provider.arn() else { continue };
        if has_tag(client, arn, &wanted)
            .await
            .map_err(|e| e.wrap(format!("failed to check existing Identity Provider {arn}")))?
        {
            log(format!("Existing Identity Provider found with ARN: {arn}"));
            return Ok(arn.to_string());
        }
    }
    let created = client
        .create_open_id_connect_provider()
        .url(issuer_url)
        .set_client_id_list(Some(CLIENT_IDS.iter().map(|c| c.to_string()).collect()))
        .thumbprint_list(thumbprint)
        .send()
        .await
        .map_err(|e| sdk_error(&e).wrap("failed to create Identity Provider"))?;
    let arn = created
        .open_id_connect_provider_arn()
        .ok_or_else(|| Error::new("CreateOpenIDConnectProvider answered no ARN"))?
        .to_string();
    client
        .tag_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .set_tags(Some(tags(name)?))
        .send()
        .await
        .map_err(|e| sdk_error(&e).wrap(format!("failed to tag the identity provider with arn: {arn}")))?;
    log(format!("Identity Provider created with ARN: {arn}"));
    Ok(arn)
}

/// Whether the provider carries the tag key (any value), reading every page of its tags.
async fn has_tag(client: &Client, arn: &str, key: &str) -> Result<bool, Error> {
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_open_id_connect_provider_tags()
            .open_id_connect_provider_arn(arn)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| sdk_error(&e))?;
        if page.tags().iter().any(|t| t.key() == key) {
            return Ok(true);
        }
        match page.marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => return Ok(false),
        }
    }
}
