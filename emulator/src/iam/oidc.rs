//! IAM OIDC identity providers: what `ccoctl aws create-identity-provider`
//! registers and `create-iam-roles` reads back (spec irsa §1.0, §2.4).

use crate::authz::Caller;
use crate::emulator::Emulator;
use crate::error::{AwsError, Violations};
use crate::state::{self, OidcProvider, State, Tag};
use crate::sts::Trail;

use super::{
    Access, Page, Paging, already_exists, authorize, check, invalid_input, limit_exceeded, merge_tags, no_such_entity,
};

/// Client ids (audiences) per provider.
const MAX_CLIENT_IDS: usize = 100;
/// Thumbprints per provider.
const MAX_THUMBPRINTS: usize = 5;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateProviderInput {
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub tags: Vec<Tag>,
}

fn not_found(arn: &str) -> AwsError {
    no_such_entity(format!("OpenIDConnect Provider not found for arn {arn}"))
}

fn check_client_ids(v: &mut Violations, ids: &[String], member: &str) {
    for (i, id) in ids.iter().enumerate() {
        v.length(id, &format!("{member}.{}.member", i + 1), 1, 255);
    }
}

fn check_thumbprints(v: &mut Violations, thumbprints: &[String]) {
    if thumbprints.len() > MAX_THUMBPRINTS {
        v.add(
            "[...]",
            "thumbprintList",
            &format!("Member must have length less than or equal to {MAX_THUMBPRINTS}"),
        );
    }
    for (i, t) in thumbprints.iter().enumerate() {
        v.length(t, &format!("thumbprintList.{}.member", i + 1), 40, 40);
    }
}

/// Thumbprints are SHA-1 digests: 40 hex characters (the model checks only the length).
fn check_thumbprint_hex(thumbprints: &[String]) -> Result<(), AwsError> {
    match thumbprints.iter().find(|t| !t.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(t) => Err(invalid_input(format!(
            "Thumbprint {t} is not a valid SHA-1 hex digest."
        ))),
        None => Ok(()),
    }
}

fn check_arn(v: &mut Violations, arn: &str) {
    check::arn(v, arn, "openIDConnectProviderArn");
}

/// The provider an ARN names in the caller's account; its ARN and tags for
/// authorization even when it does not exist.
fn find<'s>(state: &'s State, account: &str, arn: &str) -> Option<&'s OidcProvider> {
    let (owner, key) = check::split_iam_arn(arn, "oidc-provider")?;
    (owner == account).then(|| state.account(account)?.oidc_providers.get(key))?
}

fn find_mut<'s>(state: &'s mut State, account: &str, arn: &str) -> Option<&'s mut OidcProvider> {
    let (owner, key) = check::split_iam_arn(arn, "oidc-provider")?;
    if owner != account {
        return None;
    }
    state.accounts.get_mut(account)?.oidc_providers.get_mut(key)
}

pub fn create_provider(
    emulator: &Emulator,
    caller: &Caller,
    input: &CreateProviderInput,
    trail: &mut Trail,
) -> Result<OidcProvider, AwsError> {
    let mut v = Violations::new();
    v.length(&input.url, "url", 1, 255);
    check_client_ids(&mut v, &input.client_ids, "clientIDList");
    check_thumbprints(&mut v, &input.thumbprints);
    check::tags(&mut v, &input.tags, "tags");
    v.into_result()?;
    check::tag_rules(&input.tags)?;
    check_thumbprint_hex(&input.thumbprints)?;
    if let Err(why) = crate::world::check_issuer_url(&input.url) {
        return Err(invalid_input(format!("Invalid OpenID Connect provider URL: {why}")));
    }
    if input.client_ids.len() > MAX_CLIENT_IDS {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    // IAM keeps no trailing slash: `https://host/` and `https://host` are one provider.
    let url = input.url.trim_end_matches('/').to_string();
    let arn = state::oidc_provider_arn(&caller.account, &url);
    let mut state = emulator.write_state();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new("CreateOpenIDConnectProvider", arn.clone()).request_tags(&input.tags),
    )?;
    let mut client_ids: Vec<String> = Vec::new();
    for id in &input.client_ids {
        if !client_ids.contains(id) {
            client_ids.push(id.clone());
        }
    }
    let provider = OidcProvider {
        arn,
        url,
        client_ids,
        thumbprints: input.thumbprints.clone(),
        tags: input.tags.clone(),
        created: emulator.clock.now(),
    };
    let account = state
        .accounts
        .get_mut(&caller.account)
        .ok_or_else(|| AwsError::internal(format!("account {} is not in the world", caller.account)))?;
    let key = provider.key_prefix().to_string();
    if account.oidc_providers.contains_key(&key) {
        return Err(already_exists(format!(
            "Provider with url {} already exists.",
            provider.url
        )));
    }
    account.oidc_providers.insert(key, provider.clone());
    Ok(provider)
}

/// Reads a provider, authorized as `operation`.
fn read(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    operation: &str,
    trail: &mut Trail,
) -> Result<OidcProvider, AwsError> {
    let mut v = Violations::new();
    check_arn(&mut v, arn);
    v.into_result()?;
    let state = emulator.read_state();
    let tags = find(&state, &caller.account, arn)
        .map(|p| p.tags.clone())
        .unwrap_or_default();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new(operation, arn).resource_tags(tags),
    )?;
    find(&state, &caller.account, arn)
        .cloned()
        .ok_or_else(|| not_found(arn))
}

pub fn get_provider(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    trail: &mut Trail,
) -> Result<OidcProvider, AwsError> {
    read(emulator, caller, arn, "GetOpenIDConnectProvider", trail)
}

/// The ARNs of the account's providers. IAM does not paginate this list.
pub fn list_providers(emulator: &Emulator, caller: &Caller, trail: &mut Trail) -> Result<Vec<String>, AwsError> {
    let state = emulator.read_state();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new("ListOpenIDConnectProviders", "*"),
    )?;
    Ok(state
        .account(&caller.account)
        .map(|a| a.oidc_providers.values().map(|p| p.arn.clone()).collect())
        .unwrap_or_default())
}

/// Runs `change` on the provider once the caller may `operation`, on a copy
/// put back only when the whole change succeeded.
fn change<'a>(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    trail: &mut Trail,
    access: impl FnOnce(Access<'a>) -> Access<'a>,
    operation: &'a str,
    change: impl FnOnce(&mut OidcProvider) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    let mut state = emulator.write_state();
    let tags = find(&state, &caller.account, arn)
        .map(|p| p.tags.clone())
        .unwrap_or_default();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        access(Access::new(operation, arn).resource_tags(tags)),
    )?;
    let provider = find_mut(&mut state, &caller.account, arn).ok_or_else(|| not_found(arn))?;
    let mut changed = provider.clone();
    change(&mut changed)?;
    *provider = changed;
    Ok(())
}

/// Deleting a provider that does not exist is no error: IAM documents the
/// call as idempotent.
pub fn delete_provider(emulator: &Emulator, caller: &Caller, arn: &str, trail: &mut Trail) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_arn(&mut v, arn);
    v.into_result()?;
    let mut state = emulator.write_state();
    let tags = find(&state, &caller.account, arn)
        .map(|p| p.tags.clone())
        .unwrap_or_default();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new("DeleteOpenIDConnectProvider", arn).resource_tags(tags),
    )?;
    if let Some((owner, key)) = check::split_iam_arn(arn, "oidc-provider")
        && owner == caller.account
        && let Some(account) = state.accounts.get_mut(&caller.account)
    {
        account.oidc_providers.remove(key);
    }
    Ok(())
}

/// Adding a client id the provider already has is no error (IAM: idempotent).
pub fn add_client_id(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    client_id: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_arn(&mut v, arn);
    v.length(client_id, "clientID", 1, 255);
    v.into_result()?;
    change(
        emulator,
        caller,
        arn,
        trail,
        |a| a,
        "AddClientIDToOpenIDConnectProvider",
        |p| {
            if p.client_ids.iter().any(|c| c == client_id) {
                return Ok(());
            }
            if p.client_ids.len() >= MAX_CLIENT_IDS {
                return Err(limit_exceeded(format!(
                    "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
                )));
            }
            p.client_ids.push(client_id.to_string());
            Ok(())
        },
    )
}

/// Removing a client id the provider does not have is no error (IAM: idempotent).
pub fn remove_client_id(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    client_id: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_arn(&mut v, arn);
    v.length(client_id, "clientID", 1, 255);
    v.into_result()?;
    change(
        emulator,
        caller,
        arn,
        trail,
        |a| a,
        "RemoveClientIDFromOpenIDConnectProvider",
        |p| {
            p.client_ids.retain(|c| c != client_id);
            Ok(())
        },
    )
}

pub fn update_thumbprints(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    thumbprints: &[String],
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_arn(&mut v, arn);
    check_thumbprints(&mut v, thumbprints);
    v.into_result()?;
    check_thumbprint_hex(thumbprints)?;
    change(
        emulator,
        caller,
        arn,
        trail,
        |a| a,
        "UpdateOpenIDConnectProviderThumbprint",
        |p| {
            p.thumbprints = thumbprints.to_vec();
            Ok(())
        },
    )
}

pub fn tag_provider(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    tags: &[Tag],
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_arn(&mut v, arn);
    check::tags(&mut v, tags, "tags");
    v.into_result()?;
    check::tag_rules(tags)?;
    change(
        emulator,
        caller,
        arn,
        trail,
        |a| a.request_tags(tags),
        "TagOpenIDConnectProvider",
        |p| {
            check::tag_total(&p.tags, tags, "TagsPerOpenIdConnectProvider")?;
            merge_tags(&mut p.tags, tags);
            Ok(())
        },
    )
}

pub fn untag_provider(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    keys: &[String],
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_arn(&mut v, arn);
    check::tag_keys(&mut v, keys, "tagKeys");
    v.into_result()?;
    change(
        emulator,
        caller,
        arn,
        trail,
        |a| a.tag_keys(keys),
        "UntagOpenIDConnectProvider",
        |p| {
            p.tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok(())
        },
    )
}

pub fn list_provider_tags(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    paging: &Paging,
    trail: &mut Trail,
) -> Result<Page<Tag>, AwsError> {
    let mut v = Violations::new();
    paging.check(&mut v);
    v.into_result()?;
    let provider = read(emulator, caller, arn, "ListOpenIDConnectProviderTags", trail)?;
    Ok(paging.page(super::roles::indexed(provider.tags)))
}
