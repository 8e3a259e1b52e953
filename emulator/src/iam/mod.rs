//! IAM: the slice of the API that `ccoctl`, the AWS CLI and the SDKs use to
//! set up a trust chain — OIDC providers, roles, inline and managed
//! policies — and the policy simulator.
//!
//! The operations in the middle ([`oidc`], [`roles`], [`policies`],
//! [`simulate`]) take and return typed values; [`wire`] reads awsQuery
//! parameters and writes XML at the edge. Every call is itself authorized:
//! `iam:<Operation>` on the ARN of what it touches, decided by the evaluator
//! over the caller's own policies. Each change is made under one write lock,
//! after validation and the decision, so a refused call changes nothing.

use rolechain_policy::request::Request;

use crate::authz::{self, Caller};
use crate::emulator::Emulator;
use crate::error::AwsError;
use crate::query::QueryParams;
use crate::state::{State, Tag};
use crate::sts::Trail;

pub mod check;
pub mod inline;
pub mod oidc;
pub mod policies;
pub mod roles;
pub mod simulate;
mod wire;

#[cfg(test)]
mod tests;

pub const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// IAM is a global service: requests are signed for, and report, this region.
const IAM_REGION: &str = "us-east-1";

/// Whether `action` is an IAM action this module serves.
pub fn serves(action: &str) -> bool {
    wire::OPERATIONS.contains(&action)
}

/// Handles one authenticated awsQuery IAM call; returns the XML body of the success response.
pub fn handle(
    emulator: &Emulator,
    caller: &Caller,
    params: &QueryParams,
    request_id: &str,
    trail: &mut Trail,
) -> Result<String, AwsError> {
    let action = params.action().unwrap_or_default();
    if !serves(action) {
        return Err(AwsError::new(
            "InvalidAction",
            400,
            format!("Could not find operation {action} for version 2010-05-08"),
        ));
    }
    trail.recipient_account = Some(caller.account.clone());
    // Known before anything is checked, so refused calls are audited with their caller too.
    trail.identity = Some(crate::audit::user_identity(&emulator.read_state(), caller));
    let reads_only = ["Get", "List", "Simulate"].iter().any(|p| action.starts_with(p));
    if reads_only {
        return wire::dispatch(emulator, caller, action, params, request_id, trail);
    }
    // A change is saved (with `--state-dir`) before the answer leaves.
    emulator.persist_iam_change(|| wire::dispatch(emulator, caller, action, params, request_id, trail))
}

/// What one IAM call asks to do, for its authorization: the action, the ARN
/// of what it touches, and the condition keys the request carries.
#[derive(Debug)]
pub(crate) struct Access<'a> {
    operation: &'a str,
    resource: String,
    request_tags: &'a [Tag],
    /// `aws:TagKeys` for calls that name keys without values (Untag*).
    tag_keys: Option<Vec<String>>,
    resource_tags: Vec<Tag>,
    keys: Vec<(&'static str, String)>,
}

impl<'a> Access<'a> {
    pub(crate) fn new(operation: &'a str, resource: impl Into<String>) -> Access<'a> {
        Access {
            operation,
            resource: resource.into(),
            request_tags: &[],
            tag_keys: None,
            resource_tags: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// Tags the request sets: `aws:RequestTag/<key>` and `aws:TagKeys`.
    pub(crate) fn request_tags(mut self, tags: &'a [Tag]) -> Self {
        self.request_tags = tags;
        self
    }

    pub(crate) fn tag_keys(mut self, keys: &[String]) -> Self {
        self.tag_keys = Some(keys.to_vec());
        self
    }

    /// Tags of the entity touched, when it exists: `aws:ResourceTag/<key>`.
    pub(crate) fn resource_tags(mut self, tags: Vec<Tag>) -> Self {
        self.resource_tags = tags;
        self
    }

    /// A service key such as `iam:PolicyARN` or `iam:PermissionsBoundary`.
    pub(crate) fn key(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.keys.push((key, value.into()));
        self
    }
}

/// Asks the evaluator whether the caller may make this call; records the
/// decision in the trail. Denied: `AccessDenied` with the engine's message.
pub(crate) fn authorize(
    emulator: &Emulator,
    caller: &Caller,
    state: &State,
    trail: &mut Trail,
    access: Access<'_>,
) -> Result<(), AwsError> {
    if trail.identity.is_none() {
        trail.identity = Some(crate::audit::user_identity(state, caller));
    }
    let action = format!("iam:{}", access.operation);
    let now = emulator.clock.now();
    let mut context = caller.context(state);
    context.set("aws:CurrentTime", crate::clock::iso8601(now));
    context.set("aws:EpochTime", now.to_string());
    context.set("aws:SecureTransport", "true");
    context.set("aws:RequestedRegion", IAM_REGION);
    for tag in &access.resource_tags {
        context.set(&format!("aws:ResourceTag/{}", tag.key), tag.value.clone());
    }
    for tag in access.request_tags {
        context.set(&format!("aws:RequestTag/{}", tag.key), tag.value.clone());
    }
    let tag_keys = access.tag_keys.or_else(|| {
        (!access.request_tags.is_empty()).then(|| access.request_tags.iter().map(|t| t.key.clone()).collect())
    });
    if let Some(keys) = tag_keys {
        context.set_multi("aws:TagKeys", keys);
    }
    for (key, value) in access.keys {
        context.set(key, value);
    }
    let set = authz::caller_policies(state, caller);
    let request = Request {
        principal: caller.principal.clone(),
        action: action.clone(),
        resource: access.resource.clone(),
        resource_account: None,
        context,
    };
    let decision = emulator
        .authorizer
        .decide(&set, &request)
        .map_err(|e| AwsError::evaluator(&e))?;
    let allowed = decision.is_allowed();
    let message = decision.message.clone();
    trail
        .decisions
        .push((action.clone(), access.resource.clone(), decision));
    if allowed {
        return Ok(());
    }
    Err(AwsError::access_denied(message.unwrap_or_else(|| {
        format!(
            "User: {} is not authorized to perform: {action} on resource: {}",
            caller.arn(),
            access.resource
        )
    })))
}

/// One page of a listing. `marker` is set when more follow (`IsTruncated`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub marker: Option<String>,
}

impl<T> Page<T> {
    pub fn is_truncated(&self) -> bool {
        self.marker.is_some()
    }
}

/// Where a listing starts and how much it returns, as the caller asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paging {
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

/// IAM's default page size.
const DEFAULT_MAX_ITEMS: usize = 100;

impl Paging {
    pub(crate) fn check(&self, v: &mut crate::error::Violations) {
        if let Some(m) = &self.marker {
            v.length(m, "marker", 1, 320);
        }
        if let Some(n) = self.max_items {
            v.range(n, "maxItems", 1, 1000);
        }
    }

    /// Cuts `items` (sorted by key) into the page asked for. The marker is the
    /// key of the first item not returned: stable when entities come and go
    /// between pages, which an offset would not be.
    pub(crate) fn page<T>(&self, items: Vec<(String, T)>) -> Page<T> {
        let max = self
            .max_items
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_MAX_ITEMS);
        let mut rest = items
            .into_iter()
            .filter(|(key, _)| self.marker.as_deref().is_none_or(|m| key.as_str() >= m))
            .peekable();
        let mut out = Vec::new();
        while out.len() < max {
            match rest.next() {
                Some((_, item)) => out.push(item),
                None => break,
            }
        }
        Page {
            items: out,
            marker: rest.peek().map(|(key, _)| key.clone()),
        }
    }
}

/// `NoSuchEntity` (404).
pub(crate) fn no_such_entity(message: impl Into<String>) -> AwsError {
    AwsError::new("NoSuchEntity", 404, message)
}

/// `EntityAlreadyExists` (409).
pub(crate) fn already_exists(message: impl Into<String>) -> AwsError {
    AwsError::new("EntityAlreadyExists", 409, message)
}

/// `DeleteConflict` (409).
pub(crate) fn delete_conflict(message: impl Into<String>) -> AwsError {
    AwsError::new("DeleteConflict", 409, message)
}

/// `LimitExceeded` (409).
pub(crate) fn limit_exceeded(message: impl Into<String>) -> AwsError {
    AwsError::new("LimitExceeded", 409, message)
}

/// A required member left out: Coral writes the value as a bare `null`.
pub(crate) fn missing(member: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

/// `InvalidInput` (400).
pub(crate) fn invalid_input(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidInput", 400, message)
}

/// A policy document as IAM returns it: percent-encoded (RFC 3986, spaces as
/// `%20`), which botocore and the SDKs decode with a plain unquote.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Adds `new` to `tags`, a key given again (in any case) replacing its value.
pub(crate) fn merge_tags(tags: &mut Vec<Tag>, new: &[Tag]) {
    for tag in new {
        match tags.iter_mut().find(|t| t.key.eq_ignore_ascii_case(&tag.key)) {
            Some(t) => *t = tag.clone(),
            None => tags.push(tag.clone()),
        }
    }
}

/// Whose inline and attached policies a call is about: IAM has a role and a
/// user variant of each of those operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Role,
    User,
}

impl Owner {
    /// `Role` or `User`, as operation names spell it (`PutRolePolicy`).
    pub fn word(self) -> &'static str {
        match self {
            Owner::Role => "Role",
            Owner::User => "User",
        }
    }

    /// The parameter naming the entity, as validation messages spell it.
    pub(crate) fn member(self) -> &'static str {
        match self {
            Owner::Role => "roleName",
            Owner::User => "userName",
        }
    }

    /// The aggregate size of the inline policies of one entity (spec §6.1).
    pub(crate) fn inline_limit(self) -> usize {
        match self {
            Owner::Role => 10_240,
            Owner::User => 2_048,
        }
    }

    pub(crate) fn not_found(self, name: &str) -> AwsError {
        match self {
            Owner::Role => no_such_entity(format!("The role with name {name} cannot be found.")),
            Owner::User => no_such_entity(format!("The user with name {name} cannot be found.")),
        }
    }

    /// The entity's ARN and tags; for a missing one, the ARN it would have at path `/`.
    pub(crate) fn resource(self, state: &State, account: &str, name: &str) -> (String, Vec<Tag>, bool) {
        let key = name.to_ascii_lowercase();
        let found = state.account(account).and_then(|a| match self {
            Owner::Role => a.roles.get(&key).map(|r| (r.arn.clone(), r.tags.clone())),
            Owner::User => a.users.get(&key).map(|u| (u.arn.clone(), u.tags.clone())),
        });
        match found {
            Some((arn, tags)) => (arn, tags, true),
            None => {
                let arn = match self {
                    Owner::Role => crate::state::role_arn(account, "/", name),
                    Owner::User => crate::state::user_arn(account, "/", name),
                };
                (arn, Vec::new(), false)
            }
        }
    }

    /// The entity's inline policies and attached policy ARNs, to change.
    pub(crate) fn policies_mut<'s>(
        self,
        state: &'s mut State,
        account: &str,
        name: &str,
    ) -> Option<(&'s mut std::collections::BTreeMap<String, String>, &'s mut Vec<String>)> {
        let key = name.to_ascii_lowercase();
        let account = state.accounts.get_mut(account)?;
        match self {
            Owner::Role => account
                .roles
                .get_mut(&key)
                .map(|r| (&mut r.inline_policies, &mut r.attached_policies)),
            Owner::User => account
                .users
                .get_mut(&key)
                .map(|u| (&mut u.inline_policies, &mut u.attached_policies)),
        }
    }

    /// The entity's inline policies and attached policy ARNs, to read.
    pub(crate) fn policies<'s>(
        self,
        state: &'s State,
        account: &str,
        name: &str,
    ) -> Option<(&'s std::collections::BTreeMap<String, String>, &'s [String])> {
        let key = name.to_ascii_lowercase();
        let account = state.account(account)?;
        match self {
            Owner::Role => account
                .roles
                .get(&key)
                .map(|r| (&r.inline_policies, r.attached_policies.as_slice())),
            Owner::User => account
                .users
                .get(&key)
                .map(|u| (&u.inline_policies, u.attached_policies.as_slice())),
        }
    }
}
