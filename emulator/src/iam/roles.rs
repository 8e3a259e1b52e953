//! Roles: create, read, list, update, tag, delete, and their permissions
//! boundary. ccoctl's sequence is `GetRole` → `CreateRole` (on
//! `NoSuchEntity`) → `PutRolePolicy`.

use rolechain_policy::kind::PolicyKind;

use crate::authz::Caller;
use crate::emulator::Emulator;
use crate::error::{AwsError, Violations};
use crate::ids;
use crate::state::{self, Role, Tag};
use crate::sts::Trail;

use super::{Access, Owner, Page, Paging, already_exists, authorize, check, delete_conflict, merge_tags, policies};

/// IAM's message for a trust policy over its quota (spec §6.1).
const TRUST_SIZE_MESSAGE: &str = "Cannot exceed quota for ACLSizePerRole: 2048";
const TRUST_LIMIT: usize = 2048;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateRoleInput {
    pub role_name: String,
    pub path: Option<String>,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateRoleInput {
    pub role_name: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
}

fn check_role_name(v: &mut Violations, name: &str) {
    check::name(v, name, "roleName", 64);
}

/// A trust policy as IAM takes it: the engine's grammar for trust policies,
/// then the size quota.
fn check_trust(text: &str) -> Result<(), AwsError> {
    check::parse_document(PolicyKind::Trust, text, || TRUST_SIZE_MESSAGE.into())?;
    if check::counted_size(text) > TRUST_LIMIT {
        return Err(super::limit_exceeded(TRUST_SIZE_MESSAGE));
    }
    Ok(())
}

pub fn create_role(
    emulator: &Emulator,
    caller: &Caller,
    input: &CreateRoleInput,
    trail: &mut Trail,
) -> Result<Role, AwsError> {
    let mut v = Violations::new();
    check_role_name(&mut v, &input.role_name);
    if let Some(p) = &input.path {
        check::path(&mut v, p, "path");
    }
    check::document(&mut v, &input.assume_role_policy_document, "assumeRolePolicyDocument");
    if let Some(d) = &input.description {
        check::description(&mut v, d, "description");
    }
    if let Some(m) = input.max_session_duration {
        v.range(
            m,
            "maxSessionDuration",
            state::MIN_MAX_SESSION_DURATION,
            state::MAX_MAX_SESSION_DURATION,
        );
    }
    if let Some(b) = &input.permissions_boundary {
        check::arn(&mut v, b, "permissionsBoundary");
    }
    check::tags(&mut v, &input.tags, "tags");
    v.into_result()?;
    check::tag_rules(&input.tags)?;

    let path = input.path.clone().unwrap_or_else(|| "/".into());
    let arn = state::role_arn(&caller.account, &path, &input.role_name);
    let mut state = emulator.write_state();
    let mut access = Access::new("CreateRole", arn.clone()).request_tags(&input.tags);
    if let Some(b) = &input.permissions_boundary {
        access = access.key("iam:PermissionsBoundary", b.clone());
    }
    authorize(emulator, caller, &state, trail, access)?;
    if state.role(&caller.account, &input.role_name).is_some() {
        return Err(already_exists(format!(
            "Role with name {} already exists.",
            input.role_name
        )));
    }
    check_trust(&input.assume_role_policy_document)?;
    if let Some(b) = &input.permissions_boundary {
        policies::check_boundary(&state, &caller.account, b)?;
    }
    let role = Role {
        name: input.role_name.clone(),
        path,
        id: ids::unique_id("AROA"),
        arn,
        description: input.description.clone().filter(|d| !d.is_empty()),
        trust_policy: input.assume_role_policy_document.clone(),
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
        permissions_boundary: input.permissions_boundary.clone(),
        max_session_duration: input
            .max_session_duration
            .unwrap_or(state::DEFAULT_MAX_SESSION_DURATION),
        tags: input.tags.clone(),
        created: emulator.clock.now(),
    };
    let account = state
        .accounts
        .get_mut(&caller.account)
        .ok_or_else(|| AwsError::internal(format!("account {} is not in the world", caller.account)))?;
    account.roles.insert(role.name.to_ascii_lowercase(), role.clone());
    Ok(role)
}

pub fn get_role(emulator: &Emulator, caller: &Caller, role_name: &str, trail: &mut Trail) -> Result<Role, AwsError> {
    let mut v = Violations::new();
    check_role_name(&mut v, role_name);
    v.into_result()?;
    let state = emulator.read_state();
    let (arn, tags, _) = Owner::Role.resource(&state, &caller.account, role_name);
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new("GetRole", arn).resource_tags(tags),
    )?;
    state
        .role(&caller.account, role_name)
        .cloned()
        .ok_or_else(|| Owner::Role.not_found(role_name))
}

pub fn list_roles(
    emulator: &Emulator,
    caller: &Caller,
    path_prefix: Option<&str>,
    paging: &Paging,
    trail: &mut Trail,
) -> Result<Page<Role>, AwsError> {
    let mut v = Violations::new();
    if let Some(p) = path_prefix {
        check::path_prefix(&mut v, p, "pathPrefix");
    }
    paging.check(&mut v);
    v.into_result()?;
    let state = emulator.read_state();
    authorize(emulator, caller, &state, trail, Access::new("ListRoles", "*"))?;
    let prefix = path_prefix.unwrap_or("/");
    let roles = state
        .account(&caller.account)
        .map(|a| {
            a.roles
                .iter()
                .filter(|(_, r)| r.path.starts_with(prefix))
                .map(|(key, r)| (key.clone(), r.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(paging.page(roles))
}

pub fn delete_role(emulator: &Emulator, caller: &Caller, role_name: &str, trail: &mut Trail) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_role_name(&mut v, role_name);
    v.into_result()?;
    let mut state = emulator.write_state();
    let (arn, tags, _) = Owner::Role.resource(&state, &caller.account, role_name);
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new("DeleteRole", arn).resource_tags(tags),
    )?;
    let role = state
        .role(&caller.account, role_name)
        .ok_or_else(|| Owner::Role.not_found(role_name))?;
    if !role.attached_policies.is_empty() {
        return Err(delete_conflict("Cannot delete entity, must detach all policies first."));
    }
    if !role.inline_policies.is_empty() {
        return Err(delete_conflict("Cannot delete entity, must delete policies first."));
    }
    if let Some(account) = state.accounts.get_mut(&caller.account) {
        account.roles.remove(&role_name.to_ascii_lowercase());
    }
    Ok(())
}

/// Runs `change` on the role, once the caller is allowed `operation` on it.
fn change_role<'a>(
    emulator: &Emulator,
    caller: &Caller,
    role_name: &str,
    trail: &mut Trail,
    access: impl FnOnce(Access<'a>) -> Access<'a>,
    operation: &'a str,
    change: impl FnOnce(&mut state::State, &mut Role) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    let mut state = emulator.write_state();
    let (arn, tags, _) = Owner::Role.resource(&state, &caller.account, role_name);
    authorize(
        emulator,
        caller,
        &state,
        trail,
        access(Access::new(operation, arn).resource_tags(tags)),
    )?;
    let mut role = state
        .role(&caller.account, role_name)
        .cloned()
        .ok_or_else(|| Owner::Role.not_found(role_name))?;
    // Changed on a copy and put back only when the whole change succeeded.
    change(&mut state, &mut role)?;
    if let Some(account) = state.accounts.get_mut(&caller.account) {
        account.roles.insert(role.name.to_ascii_lowercase(), role);
    }
    Ok(())
}

pub fn update_assume_role_policy(
    emulator: &Emulator,
    caller: &Caller,
    role_name: &str,
    policy_document: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_role_name(&mut v, role_name);
    check::document(&mut v, policy_document, "policyDocument");
    v.into_result()?;
    change_role(
        emulator,
        caller,
        role_name,
        trail,
        |a| a,
        "UpdateAssumeRolePolicy",
        |_, role| {
            check_trust(policy_document)?;
            role.trust_policy = policy_document.to_string();
            Ok(())
        },
    )
}

pub fn update_role(
    emulator: &Emulator,
    caller: &Caller,
    input: &UpdateRoleInput,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_role_name(&mut v, &input.role_name);
    if let Some(d) = &input.description {
        check::description(&mut v, d, "description");
    }
    if let Some(m) = input.max_session_duration {
        v.range(
            m,
            "maxSessionDuration",
            state::MIN_MAX_SESSION_DURATION,
            state::MAX_MAX_SESSION_DURATION,
        );
    }
    v.into_result()?;
    change_role(
        emulator,
        caller,
        &input.role_name,
        trail,
        |a| a,
        "UpdateRole",
        |_, role| {
            if let Some(d) = &input.description {
                // An empty description clears it, as the console's "remove" does.
                role.description = Some(d.clone()).filter(|d| !d.is_empty());
            }
            if let Some(m) = input.max_session_duration {
                role.max_session_duration = m;
            }
            Ok(())
        },
    )
}

pub fn tag_role(
    emulator: &Emulator,
    caller: &Caller,
    role_name: &str,
    tags: &[Tag],
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_role_name(&mut v, role_name);
    check::tags(&mut v, tags, "tags");
    v.into_result()?;
    check::tag_rules(tags)?;
    change_role(
        emulator,
        caller,
        role_name,
        trail,
        |a| a.request_tags(tags),
        "TagRole",
        |_, role| {
            check::tag_total(&role.tags, tags, "TagsPerRole")?;
            merge_tags(&mut role.tags, tags);
            Ok(())
        },
    )
}

pub fn untag_role(
    emulator: &Emulator,
    caller: &Caller,
    role_name: &str,
    keys: &[String],
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_role_name(&mut v, role_name);
    check::tag_keys(&mut v, keys, "tagKeys");
    v.into_result()?;
    change_role(
        emulator,
        caller,
        role_name,
        trail,
        |a| a.tag_keys(keys),
        "UntagRole",
        |_, role| {
            role.tags
                .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok(())
        },
    )
}

pub fn list_role_tags(
    emulator: &Emulator,
    caller: &Caller,
    role_name: &str,
    paging: &Paging,
    trail: &mut Trail,
) -> Result<Page<Tag>, AwsError> {
    let mut v = Violations::new();
    check_role_name(&mut v, role_name);
    paging.check(&mut v);
    v.into_result()?;
    let role = get_role_as(emulator, caller, role_name, "ListRoleTags", trail)?;
    Ok(paging.page(indexed(role.tags)))
}

/// Items keyed by their place, for listings kept in the order they were made.
pub(crate) fn indexed<T>(items: Vec<T>) -> Vec<(String, T)> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, t)| (format!("{i:06}"), t))
        .collect()
}

/// A read of the role authorized as `operation`.
pub(crate) fn get_role_as(
    emulator: &Emulator,
    caller: &Caller,
    role_name: &str,
    operation: &str,
    trail: &mut Trail,
) -> Result<Role, AwsError> {
    let state = emulator.read_state();
    let (arn, tags, _) = Owner::Role.resource(&state, &caller.account, role_name);
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new(operation, arn).resource_tags(tags),
    )?;
    state
        .role(&caller.account, role_name)
        .cloned()
        .ok_or_else(|| Owner::Role.not_found(role_name))
}

pub fn put_role_permissions_boundary(
    emulator: &Emulator,
    caller: &Caller,
    role_name: &str,
    boundary: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_role_name(&mut v, role_name);
    check::arn(&mut v, boundary, "permissionsBoundary");
    v.into_result()?;
    change_role(
        emulator,
        caller,
        role_name,
        trail,
        |a| a.key("iam:PermissionsBoundary", boundary),
        "PutRolePermissionsBoundary",
        |state, role| {
            policies::check_boundary(state, &caller.account, boundary)?;
            role.permissions_boundary = Some(boundary.to_string());
            Ok(())
        },
    )
}

pub fn delete_role_permissions_boundary(
    emulator: &Emulator,
    caller: &Caller,
    role_name: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_role_name(&mut v, role_name);
    v.into_result()?;
    change_role(
        emulator,
        caller,
        role_name,
        trail,
        |a| a,
        "DeleteRolePermissionsBoundary",
        |_, role| {
            role.permissions_boundary = None;
            Ok(())
        },
    )
}
