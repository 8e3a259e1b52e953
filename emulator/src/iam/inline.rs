//! Inline policies of roles and users: Put, Get, Delete, List.

use rolechain_policy::kind::PolicyKind;

use crate::authz::Caller;
use crate::emulator::Emulator;
use crate::error::{AwsError, Violations};
use crate::sts::Trail;

use super::{Access, Owner, Page, Paging, authorize, check, limit_exceeded, no_such_entity};

/// An inline policy as GetRolePolicy/GetUserPolicy return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePolicy {
    pub owner_name: String,
    pub policy_name: String,
    /// The document as it was put (the wire encodes it).
    pub document: String,
}

fn check_names(v: &mut Violations, owner: Owner, owner_name: &str, policy_name: &str) {
    check::name(v, owner_name, owner.member(), 64);
    check::name(v, policy_name, "policyName", 128);
}

fn policy_not_found(owner: Owner, policy_name: &str) -> AwsError {
    let what = match owner {
        Owner::Role => "role",
        Owner::User => "user",
    };
    no_such_entity(format!("The {what} policy with name {policy_name} cannot be found."))
}

pub fn put_policy(
    emulator: &Emulator,
    caller: &Caller,
    owner: Owner,
    owner_name: &str,
    policy_name: &str,
    document: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_names(&mut v, owner, owner_name, policy_name);
    check::document(&mut v, document, "policyDocument");
    v.into_result()?;
    let operation = format!("Put{}Policy", owner.word());
    let mut state = emulator.write_state();
    let (arn, tags, _) = owner.resource(&state, &caller.account, owner_name);
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new(&operation, arn).resource_tags(tags),
    )?;
    let limit = owner.inline_limit();
    let size_message = || {
        format!(
            "Maximum policy size of {limit} bytes exceeded for {} {owner_name}",
            owner.word().to_ascii_lowercase()
        )
    };
    let (inline, _) = owner
        .policies_mut(&mut state, &caller.account, owner_name)
        .ok_or_else(|| owner.not_found(owner_name))?;
    check::parse_document(PolicyKind::Identity, document, size_message)?;
    // The quota is on all the entity's inline policies together, this one replacing its namesake.
    let others: usize = inline
        .iter()
        .filter(|(name, _)| name.as_str() != policy_name)
        .map(|(_, text)| check::counted_size(text))
        .sum();
    if others + check::counted_size(document) > limit {
        return Err(limit_exceeded(size_message()));
    }
    inline.insert(policy_name.to_string(), document.to_string());
    Ok(())
}

pub fn get_policy(
    emulator: &Emulator,
    caller: &Caller,
    owner: Owner,
    owner_name: &str,
    policy_name: &str,
    trail: &mut Trail,
) -> Result<InlinePolicy, AwsError> {
    let mut v = Violations::new();
    check_names(&mut v, owner, owner_name, policy_name);
    v.into_result()?;
    let operation = format!("Get{}Policy", owner.word());
    let state = emulator.read_state();
    let (arn, tags, _) = owner.resource(&state, &caller.account, owner_name);
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new(&operation, arn).resource_tags(tags),
    )?;
    let (inline, _) = owner
        .policies(&state, &caller.account, owner_name)
        .ok_or_else(|| owner.not_found(owner_name))?;
    let document = inline
        .get(policy_name)
        .ok_or_else(|| policy_not_found(owner, policy_name))?;
    // The entity's name as stored: IAM answers with its own spelling.
    let (arn, _, _) = owner.resource(&state, &caller.account, owner_name);
    Ok(InlinePolicy {
        owner_name: arn.rsplit('/').next().unwrap_or(owner_name).to_string(),
        policy_name: policy_name.to_string(),
        document: document.clone(),
    })
}

pub fn delete_policy(
    emulator: &Emulator,
    caller: &Caller,
    owner: Owner,
    owner_name: &str,
    policy_name: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_names(&mut v, owner, owner_name, policy_name);
    v.into_result()?;
    let operation = format!("Delete{}Policy", owner.word());
    let mut state = emulator.write_state();
    let (arn, tags, _) = owner.resource(&state, &caller.account, owner_name);
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new(&operation, arn).resource_tags(tags),
    )?;
    let (inline, _) = owner
        .policies_mut(&mut state, &caller.account, owner_name)
        .ok_or_else(|| owner.not_found(owner_name))?;
    inline
        .remove(policy_name)
        .ok_or_else(|| policy_not_found(owner, policy_name))?;
    Ok(())
}

pub fn list_policies(
    emulator: &Emulator,
    caller: &Caller,
    owner: Owner,
    owner_name: &str,
    paging: &Paging,
    trail: &mut Trail,
) -> Result<Page<String>, AwsError> {
    let mut v = Violations::new();
    check::name(&mut v, owner_name, owner.member(), 64);
    paging.check(&mut v);
    v.into_result()?;
    let operation = format!("List{}Policies", owner.word());
    let state = emulator.read_state();
    let (arn, tags, _) = owner.resource(&state, &caller.account, owner_name);
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new(&operation, arn).resource_tags(tags),
    )?;
    let (inline, _) = owner
        .policies(&state, &caller.account, owner_name)
        .ok_or_else(|| owner.not_found(owner_name))?;
    Ok(paging.page(inline.keys().map(|k| (k.clone(), k.clone())).collect()))
}
