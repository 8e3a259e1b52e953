//! Managed policies and their versions, and attaching them to roles and users.

use rolechain_policy::kind::PolicyKind;

use crate::authz::Caller;
use crate::emulator::Emulator;
use crate::error::{AwsError, Violations};
use crate::ids;
use crate::state::{self, ManagedPolicy, PolicyVersion, State, Tag};
use crate::sts::Trail;

use super::{
    Access, Owner, Page, Paging, already_exists, authorize, check, delete_conflict, invalid_input, limit_exceeded,
    no_such_entity,
};

/// IAM's message for a managed policy over its quota (spec §6.1).
const MANAGED_SIZE_MESSAGE: &str = "Cannot exceed quota for PolicySize: 6144";
const MANAGED_LIMIT: usize = 6144;
/// Versions kept per managed policy.
const MAX_VERSIONS: usize = 5;
/// Managed policies attached per role or user (the default quota).
const MAX_ATTACHED: usize = 10;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatePolicyInput {
    pub policy_name: String,
    pub path: Option<String>,
    pub policy_document: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

/// A managed policy with the counts IAM derives for it.
#[derive(Debug, Clone)]
pub struct PolicyView {
    pub policy: ManagedPolicy,
    pub attachment_count: usize,
    pub boundary_usage_count: usize,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionView {
    pub version_id: String,
    pub document: String,
    pub is_default: bool,
    pub created: i64,
}

/// `Scope` of ListPolicies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    All,
    Aws,
    Local,
}

impl Scope {
    pub fn parse(text: &str) -> Result<Scope, AwsError> {
        match text {
            "All" => Ok(Scope::All),
            "AWS" => Ok(Scope::Aws),
            "Local" => Ok(Scope::Local),
            other => {
                let mut v = Violations::new();
                v.add(other, "scope", "Member must satisfy enum value set: [All, AWS, Local]");
                v.into_result().map(|_| Scope::All)
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPoliciesInput {
    pub scope: Scope,
    pub only_attached: bool,
    pub path_prefix: Option<String>,
    pub paging: Paging,
}

/// An attached policy as ListAttached*Policies names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    pub policy_name: String,
    pub policy_arn: String,
}

fn not_found(arn: &str) -> AwsError {
    no_such_entity(format!("Policy {arn} was not found."))
}

fn not_attachable(arn: &str) -> AwsError {
    no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

/// A managed policy the caller's account can see: its own or an AWS managed one.
fn visible<'s>(state: &'s State, account: &str, arn: &str) -> Option<&'s ManagedPolicy> {
    let (owner, _) = check::split_iam_arn(arn, "policy")?;
    (owner == "aws" || owner == account).then(|| state.managed_policy(arn))?
}

/// The caller's own managed policy, to change. AWS managed policies are
/// read-only to every customer.
fn own_mut<'s>(state: &'s mut State, caller: &Caller, arn: &str) -> Result<&'s mut ManagedPolicy, AwsError> {
    if state.aws_managed.contains_key(arn) {
        return Err(AwsError::access_denied(format!(
            "User: {} is not authorized to change {arn}: the policy is managed by AWS",
            caller.arn()
        )));
    }
    state
        .accounts
        .get_mut(&caller.account)
        .and_then(|a| a.policies.get_mut(arn))
        .ok_or_else(|| not_found(arn))
}

/// A permissions boundary must be a managed policy of the account or of AWS.
pub(crate) fn check_boundary(state: &State, account: &str, arn: &str) -> Result<(), AwsError> {
    match visible(state, account, arn) {
        Some(_) => Ok(()),
        None => Err(no_such_entity(format!(
            "Scope ARN: {arn} does not exist or is not attachable."
        ))),
    }
}

fn view(state: &State, account: &str, policy: &ManagedPolicy) -> PolicyView {
    let (mut attached, mut boundary) = (0, 0);
    if let Some(a) = state.account(account) {
        let entities = a
            .roles
            .values()
            .map(|r| (&r.attached_policies, &r.permissions_boundary))
            .chain(
                a.users
                    .values()
                    .map(|u| (&u.attached_policies, &u.permissions_boundary)),
            );
        for (attachments, b) in entities {
            attached += attachments.iter().filter(|p| **p == policy.arn).count();
            boundary += usize::from(b.as_deref() == Some(policy.arn.as_str()));
        }
    }
    PolicyView {
        policy: policy.clone(),
        attachment_count: attached,
        boundary_usage_count: boundary,
    }
}

fn check_managed(text: &str) -> Result<(), AwsError> {
    check::parse_document(PolicyKind::Managed, text, || MANAGED_SIZE_MESSAGE.into())?;
    if check::counted_size(text) > MANAGED_LIMIT {
        return Err(limit_exceeded(MANAGED_SIZE_MESSAGE));
    }
    Ok(())
}

fn check_policy_arn(v: &mut Violations, arn: &str) {
    check::arn(v, arn, "policyArn");
}

/// `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`
fn check_version_id(v: &mut Violations, id: &str) {
    let valid = id
        .strip_prefix('v')
        .map(|rest| rest.split_once('.').map_or(rest, |(n, _)| n))
        .is_some_and(|n| !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()));
    if !valid {
        v.add(
            id,
            "versionId",
            r"Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
        );
    }
}

pub fn create_policy(
    emulator: &Emulator,
    caller: &Caller,
    input: &CreatePolicyInput,
    trail: &mut Trail,
) -> Result<PolicyView, AwsError> {
    let mut v = Violations::new();
    check::name(&mut v, &input.policy_name, "policyName", 128);
    if let Some(p) = &input.path {
        check::path(&mut v, p, "path");
    }
    check::document(&mut v, &input.policy_document, "policyDocument");
    if let Some(d) = &input.description {
        check::description(&mut v, d, "description");
    }
    check::tags(&mut v, &input.tags, "tags");
    v.into_result()?;
    check::tag_rules(&input.tags)?;
    let path = input.path.clone().unwrap_or_else(|| "/".into());
    let arn = state::policy_arn(&caller.account, &path, &input.policy_name);
    let mut state = emulator.write_state();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new("CreatePolicy", arn.clone()).request_tags(&input.tags),
    )?;
    let account = state
        .accounts
        .get_mut(&caller.account)
        .ok_or_else(|| AwsError::internal(format!("account {} is not in the world", caller.account)))?;
    // Names are unique in the account whatever the path, case-insensitively.
    if account
        .policies
        .values()
        .any(|p| p.name.eq_ignore_ascii_case(&input.policy_name))
    {
        return Err(already_exists(format!(
            "A policy called {} already exists. Duplicate names are not allowed.",
            input.policy_name
        )));
    }
    check_managed(&input.policy_document)?;
    let now = emulator.clock.now();
    let policy = ManagedPolicy {
        arn: arn.clone(),
        name: input.policy_name.clone(),
        path,
        id: ids::unique_id("ANPA"),
        description: input.description.clone().filter(|d| !d.is_empty()),
        default_version: "v1".into(),
        versions: vec![PolicyVersion {
            id: "v1".into(),
            document: input.policy_document.clone(),
            created: now,
        }],
        tags: input.tags.clone(),
        created: now,
        updated: now,
    };
    account.policies.insert(arn, policy.clone());
    Ok(PolicyView {
        policy,
        attachment_count: 0,
        boundary_usage_count: 0,
    })
}

/// Reads a policy the caller may see, authorized as `operation`.
fn read_policy(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    operation: &str,
    trail: &mut Trail,
) -> Result<PolicyView, AwsError> {
    let mut v = Violations::new();
    check_policy_arn(&mut v, arn);
    v.into_result()?;
    let state = emulator.read_state();
    let tags = visible(&state, &caller.account, arn)
        .map(|p| p.tags.clone())
        .unwrap_or_default();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new(operation, arn).resource_tags(tags),
    )?;
    let policy = visible(&state, &caller.account, arn).ok_or_else(|| not_found(arn))?;
    Ok(view(&state, &caller.account, policy))
}

pub fn get_policy(emulator: &Emulator, caller: &Caller, arn: &str, trail: &mut Trail) -> Result<PolicyView, AwsError> {
    read_policy(emulator, caller, arn, "GetPolicy", trail)
}

pub fn list_policies(
    emulator: &Emulator,
    caller: &Caller,
    input: &ListPoliciesInput,
    trail: &mut Trail,
) -> Result<Page<PolicyView>, AwsError> {
    let mut v = Violations::new();
    if let Some(p) = &input.path_prefix {
        check::path_prefix(&mut v, p, "pathPrefix");
    }
    input.paging.check(&mut v);
    v.into_result()?;
    let state = emulator.read_state();
    authorize(emulator, caller, &state, trail, Access::new("ListPolicies", "*"))?;
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let aws = state.aws_managed.values().filter(|_| input.scope != Scope::Local);
    let local = state
        .account(&caller.account)
        .into_iter()
        .flat_map(|a| a.policies.values())
        .filter(|_| input.scope != Scope::Aws);
    let mut items: Vec<(String, PolicyView)> = aws
        .chain(local)
        .filter(|p| p.path.starts_with(prefix))
        .map(|p| view(&state, &caller.account, p))
        .filter(|p| !input.only_attached || p.attachment_count > 0)
        .map(|p| {
            (
                format!("{}\u{0}{}", p.policy.name.to_ascii_lowercase(), p.policy.arn),
                p,
            )
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(input.paging.page(items))
}

pub fn delete_policy(emulator: &Emulator, caller: &Caller, arn: &str, trail: &mut Trail) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_policy_arn(&mut v, arn);
    v.into_result()?;
    let mut state = emulator.write_state();
    let tags = visible(&state, &caller.account, arn)
        .map(|p| p.tags.clone())
        .unwrap_or_default();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new("DeletePolicy", arn).resource_tags(tags),
    )?;
    let policy = own_mut(&mut state, caller, arn)?.clone();
    let usage = view(&state, &caller.account, &policy);
    if usage.attachment_count > 0 || usage.boundary_usage_count > 0 {
        return Err(delete_conflict("Cannot delete a policy attached to entities."));
    }
    if policy.versions.len() > 1 {
        return Err(delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        ));
    }
    if let Some(account) = state.accounts.get_mut(&caller.account) {
        account.policies.remove(arn);
    }
    Ok(())
}

fn version_view(policy: &ManagedPolicy, version: &PolicyVersion) -> VersionView {
    VersionView {
        version_id: version.id.clone(),
        document: version.document.clone(),
        is_default: version.id == policy.default_version,
        created: version.created,
    }
}

/// The number of a version id (`v12` → 12); ids from elsewhere sort first.
fn version_number(id: &str) -> u64 {
    id.strip_prefix('v').and_then(|n| n.parse().ok()).unwrap_or(0)
}

pub fn create_policy_version(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    document: &str,
    set_as_default: bool,
    trail: &mut Trail,
) -> Result<VersionView, AwsError> {
    let mut v = Violations::new();
    check_policy_arn(&mut v, arn);
    check::document(&mut v, document, "policyDocument");
    v.into_result()?;
    let mut state = emulator.write_state();
    let tags = visible(&state, &caller.account, arn)
        .map(|p| p.tags.clone())
        .unwrap_or_default();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new("CreatePolicyVersion", arn).resource_tags(tags),
    )?;
    let policy = own_mut(&mut state, caller, arn)?;
    if policy.versions.len() >= MAX_VERSIONS {
        return Err(limit_exceeded(
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
        ));
    }
    check_managed(document)?;
    // IAM numbers versions upwards from the highest one it holds.
    let next = policy.versions.iter().map(|v| version_number(&v.id)).max().unwrap_or(0) + 1;
    let now = emulator.clock.now();
    let version = PolicyVersion {
        id: format!("v{next}"),
        document: document.to_string(),
        created: now,
    };
    policy.versions.push(version.clone());
    if set_as_default {
        policy.default_version = version.id.clone();
    }
    policy.updated = now;
    Ok(version_view(policy, &version))
}

pub fn get_policy_version(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    version_id: &str,
    trail: &mut Trail,
) -> Result<VersionView, AwsError> {
    let mut v = Violations::new();
    check_version_id(&mut v, version_id);
    v.into_result()?;
    let policy = read_policy(emulator, caller, arn, "GetPolicyVersion", trail)?.policy;
    policy
        .versions
        .iter()
        .find(|v| v.id == version_id)
        .map(|v| version_view(&policy, v))
        .ok_or_else(|| {
            no_such_entity(format!(
                "Policy {arn} version {version_id} does not exist or is not attachable."
            ))
        })
}

pub fn list_policy_versions(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    paging: &Paging,
    trail: &mut Trail,
) -> Result<Page<VersionView>, AwsError> {
    let mut v = Violations::new();
    paging.check(&mut v);
    v.into_result()?;
    let policy = read_policy(emulator, caller, arn, "ListPolicyVersions", trail)?.policy;
    // Newest first, as IAM lists them.
    let mut versions: Vec<&PolicyVersion> = policy.versions.iter().collect();
    versions.sort_by_key(|v| std::cmp::Reverse(version_number(&v.id)));
    let items = versions
        .into_iter()
        .map(|v| version_view(&policy, v))
        .enumerate()
        .map(|(i, v)| (format!("{i:06}"), v))
        .collect();
    Ok(paging.page(items))
}

pub fn delete_policy_version(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    version_id: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    change_version(
        emulator,
        caller,
        arn,
        version_id,
        "DeletePolicyVersion",
        trail,
        |policy| {
            if policy.default_version == version_id {
                return Err(delete_conflict("Cannot delete the default version of a policy."));
            }
            policy.versions.retain(|v| v.id != version_id);
            Ok(())
        },
    )
}

pub fn set_default_policy_version(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    version_id: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    change_version(
        emulator,
        caller,
        arn,
        version_id,
        "SetDefaultPolicyVersion",
        trail,
        |policy| {
            policy.default_version = version_id.to_string();
            Ok(())
        },
    )
}

/// Runs `change` on a policy holding `version_id`, once the caller may `operation`.
fn change_version(
    emulator: &Emulator,
    caller: &Caller,
    arn: &str,
    version_id: &str,
    operation: &str,
    trail: &mut Trail,
    change: impl FnOnce(&mut ManagedPolicy) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check_policy_arn(&mut v, arn);
    check_version_id(&mut v, version_id);
    v.into_result()?;
    let mut state = emulator.write_state();
    let tags = visible(&state, &caller.account, arn)
        .map(|p| p.tags.clone())
        .unwrap_or_default();
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new(operation, arn).resource_tags(tags),
    )?;
    let now = emulator.clock.now();
    let policy = own_mut(&mut state, caller, arn)?;
    if !policy.versions.iter().any(|v| v.id == version_id) {
        return Err(no_such_entity(format!(
            "Policy {arn} version {version_id} does not exist or is not attachable."
        )));
    }
    let mut changed = policy.clone();
    change(&mut changed)?;
    changed.updated = now;
    *policy = changed;
    Ok(())
}

pub fn attach_policy(
    emulator: &Emulator,
    caller: &Caller,
    owner: Owner,
    owner_name: &str,
    arn: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check::name(&mut v, owner_name, owner.member(), 64);
    check_policy_arn(&mut v, arn);
    v.into_result()?;
    let operation = format!("Attach{}Policy", owner.word());
    let mut state = emulator.write_state();
    let (resource, tags, _) = owner.resource(&state, &caller.account, owner_name);
    let access = Access::new(&operation, resource)
        .resource_tags(tags)
        .key("iam:PolicyARN", arn);
    authorize(emulator, caller, &state, trail, access)?;
    if owner.policies(&state, &caller.account, owner_name).is_none() {
        return Err(owner.not_found(owner_name));
    }
    if check::split_iam_arn(arn, "policy").is_none() {
        return Err(invalid_input(format!("ARN {arn} is not valid.")));
    }
    if visible(&state, &caller.account, arn).is_none() {
        return Err(not_attachable(arn));
    }
    let (_, attached) = owner
        .policies_mut(&mut state, &caller.account, owner_name)
        .ok_or_else(|| owner.not_found(owner_name))?;
    if attached.iter().any(|a| a == arn) {
        // Attaching again changes nothing, and is no error.
        return Ok(());
    }
    if attached.len() >= MAX_ATTACHED {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for PoliciesPer{}: {MAX_ATTACHED}",
            owner.word()
        )));
    }
    attached.push(arn.to_string());
    Ok(())
}

pub fn detach_policy(
    emulator: &Emulator,
    caller: &Caller,
    owner: Owner,
    owner_name: &str,
    arn: &str,
    trail: &mut Trail,
) -> Result<(), AwsError> {
    let mut v = Violations::new();
    check::name(&mut v, owner_name, owner.member(), 64);
    check_policy_arn(&mut v, arn);
    v.into_result()?;
    let operation = format!("Detach{}Policy", owner.word());
    let mut state = emulator.write_state();
    let (resource, tags, _) = owner.resource(&state, &caller.account, owner_name);
    let access = Access::new(&operation, resource)
        .resource_tags(tags)
        .key("iam:PolicyARN", arn);
    authorize(emulator, caller, &state, trail, access)?;
    let (_, attached) = owner
        .policies_mut(&mut state, &caller.account, owner_name)
        .ok_or_else(|| owner.not_found(owner_name))?;
    let before = attached.len();
    attached.retain(|a| a != arn);
    if attached.len() == before {
        return Err(not_found(arn));
    }
    Ok(())
}

pub fn list_attached_policies(
    emulator: &Emulator,
    caller: &Caller,
    owner: Owner,
    owner_name: &str,
    path_prefix: Option<&str>,
    paging: &Paging,
    trail: &mut Trail,
) -> Result<Page<AttachedPolicy>, AwsError> {
    let mut v = Violations::new();
    check::name(&mut v, owner_name, owner.member(), 64);
    if let Some(p) = path_prefix {
        check::path_prefix(&mut v, p, "pathPrefix");
    }
    paging.check(&mut v);
    v.into_result()?;
    let operation = format!("ListAttached{}Policies", owner.word());
    let state = emulator.read_state();
    let (resource, tags, _) = owner.resource(&state, &caller.account, owner_name);
    authorize(
        emulator,
        caller,
        &state,
        trail,
        Access::new(&operation, resource).resource_tags(tags),
    )?;
    let (_, attached) = owner
        .policies(&state, &caller.account, owner_name)
        .ok_or_else(|| owner.not_found(owner_name))?;
    let prefix = path_prefix.unwrap_or("/");
    let items = attached
        .iter()
        .filter_map(|arn| state.managed_policy(arn))
        .filter(|p| p.path.starts_with(prefix))
        .map(|p| AttachedPolicy {
            policy_name: p.name.clone(),
            policy_arn: p.arn.clone(),
        })
        .collect();
    Ok(paging.page(super::roles::indexed(items)))
}
