//! Who is calling, and whether they may: the caller behind a set of
//! credentials, the policy set AWS would weigh for them, and the decision —
//! made by the [`Evaluator`], never here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rolechain_policy::authorize::Decision;
use rolechain_policy::evaluator::{Evaluator, EvaluatorError, SetHandle};
use rolechain_policy::kind::PolicyKind;
use rolechain_policy::request::{Context, Principal, Request};
use rolechain_policy::wire::{PolicySetSpec, PolicySpec};

use crate::state::{NamedDocument, RoleSession, SessionKind, State, Tag};

/// An authenticated caller and what AWS knows about it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The account the caller belongs to.
    pub account: String,
    pub identity: Identity,
    /// The access key the request was signed with.
    pub access_key_id: String,
}

#[derive(Debug, Clone)]
pub enum Identity {
    Root,
    /// An IAM user by lower-cased name.
    User {
        key: String,
    },
    /// A role session (AssumeRole, AssumeRoleWithWebIdentity).
    RoleSession {
        session: Box<RoleSession>,
        issued_at: i64,
        expires_at: i64,
    },
    /// GetSessionToken credentials of a user (or root, `user: None`).
    UserSession {
        user: Option<String>,
        issued_at: i64,
    },
}

impl Caller {
    /// The caller of a long-term key of `account` (`user: None` for root).
    pub fn long_term(state: &State, account: &str, user: Option<&str>, access_key_id: &str) -> Option<Caller> {
        let (principal, identity) = match user {
            None => (
                Principal::Root {
                    account: account.to_string(),
                },
                Identity::Root,
            ),
            Some(key) => {
                let user = state.account(account)?.users.get(key)?;
                (
                    Principal::User { arn: user.arn.clone() },
                    Identity::User { key: key.to_string() },
                )
            }
        };
        Some(Caller {
            principal,
            account: account.to_string(),
            identity,
            access_key_id: access_key_id.to_string(),
        })
    }

    /// The caller of a session's temporary key.
    pub fn of_session(state: &State, access_key_id: &str) -> Option<Caller> {
        let session = state.sessions.get(access_key_id)?;
        Some(match &session.kind {
            SessionKind::Role(role) => Caller {
                principal: Principal::AssumedRole {
                    arn: role.session_arn(),
                    role_arn: Some(role.role_arn.clone()),
                },
                account: role.account.clone(),
                identity: Identity::RoleSession {
                    session: role.clone(),
                    issued_at: session.issued_at,
                    expires_at: session.expires_at,
                },
                access_key_id: access_key_id.to_string(),
            },
            SessionKind::User { account, user } => {
                let mut caller = Caller::long_term(state, account, user.as_deref(), access_key_id)?;
                caller.identity = Identity::UserSession {
                    user: user.clone(),
                    issued_at: session.issued_at,
                };
                caller
            }
        })
    }

    /// `aws:userid`, as GetCallerIdentity's `UserId` shows it.
    pub fn user_id(&self, state: &State) -> String {
        match &self.identity {
            Identity::Root | Identity::UserSession { user: None, .. } => self.account.clone(),
            Identity::User { key } | Identity::UserSession { user: Some(key), .. } => state
                .account(&self.account)
                .and_then(|a| a.users.get(key))
                .map(|u| u.id.clone())
                .unwrap_or_default(),
            Identity::RoleSession { session, .. } => session.user_id(),
        }
    }

    /// The ARN GetCallerIdentity shows: the session ARN for role sessions.
    pub fn arn(&self) -> String {
        self.principal.display_arn()
    }

    pub fn role_session(&self) -> Option<&RoleSession> {
        match &self.identity {
            Identity::RoleSession { session, .. } => Some(session),
            _ => None,
        }
    }

    /// Whether the caller holds temporary credentials.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self.identity,
            Identity::RoleSession { .. } | Identity::UserSession { .. }
        )
    }

    /// The principal's global condition keys (spec §1.9, §2.2): `aws:userid`,
    /// `aws:PrincipalTag/*`, `aws:TokenIssueTime`, web-identity keys, and the
    /// ones the engine derives from the principal.
    pub fn context(&self, state: &State) -> Context {
        let mut context = Context::with_capacity(12);
        context.set("aws:userid", self.user_id(state));
        let mut tags: Vec<Tag> = Vec::new();
        match &self.identity {
            Identity::Root => {}
            Identity::User { key } => {
                if let Some(user) = state.account(&self.account).and_then(|a| a.users.get(key)) {
                    tags.extend(user.tags.iter().cloned());
                }
            }
            Identity::UserSession { user, issued_at } => {
                if let Some(user) = user.as_ref().and_then(|k| state.account(&self.account)?.users.get(k)) {
                    tags.extend(user.tags.iter().cloned());
                }
                context.set("aws:TokenIssueTime", crate::clock::iso8601(*issued_at));
                context.set("aws:MultiFactorAuthPresent", "false");
            }
            Identity::RoleSession { session, issued_at, .. } => {
                if let Some(role) = state.role(&session.account, &session.role_key) {
                    tags.extend(role.tags.iter().cloned());
                }
                // Session tags override the role's tags of the same key, case-insensitively.
                for tag in &session.tags {
                    tags.retain(|t| !t.key.eq_ignore_ascii_case(&tag.key));
                    tags.push(tag.clone());
                }
                context.set("aws:TokenIssueTime", crate::clock::iso8601(*issued_at));
                context.set("aws:MultiFactorAuthPresent", if session.mfa { "true" } else { "false" });
                if let Some(source) = &session.source_identity {
                    context.set("aws:SourceIdentity", source.clone());
                }
                if let Some(web) = &session.web_identity {
                    context.set("aws:FederatedProvider", web.provider_arn.clone());
                    context.set(&format!("{}:sub", web.key_prefix), web.subject.clone());
                    context.set(&format!("{}:aud", web.key_prefix), web.audience.clone());
                    if !web.amr.is_empty() {
                        context.set_multi(&format!("{}:amr", web.key_prefix), web.amr.clone());
                    }
                }
            }
        }
        for tag in &tags {
            context.set(&format!("aws:PrincipalTag/{}", tag.key), tag.value.clone());
        }
        context.add_principal_keys(&self.principal);
        context
    }
}

/// The policies of the caller's side: identity, boundary, session, SCPs.
pub fn caller_policies(state: &State, caller: &Caller) -> PolicySetSpec {
    let mut set = PolicySetSpec::default();
    let account = state.account(&caller.account);
    let (inline, attached, boundary) = match &caller.identity {
        Identity::Root | Identity::UserSession { user: None, .. } => (None, &[][..], None),
        Identity::User { key } | Identity::UserSession { user: Some(key), .. } => {
            match account.and_then(|a| a.users.get(key)) {
                Some(u) => (
                    Some((&u.inline_policies, u.arn.as_str())),
                    u.attached_policies.as_slice(),
                    u.permissions_boundary.as_deref(),
                ),
                None => (None, &[][..], None),
            }
        }
        Identity::RoleSession { session, .. } => match account.and_then(|a| a.roles.get(&session.role_key)) {
            Some(r) => (
                Some((&r.inline_policies, r.arn.as_str())),
                r.attached_policies.as_slice(),
                r.permissions_boundary.as_deref(),
            ),
            None => (None, &[][..], None),
        },
    };
    if let Some((inline, owner_arn)) = inline {
        for (name, document) in inline {
            set.identity.push(PolicySpec::new(
                PolicyKind::Identity,
                &format!("{owner_arn} (inline {name})"),
                document,
            ));
        }
    }
    for arn in attached {
        if let Some(policy) = state.managed_policy(arn) {
            set.identity
                .push(PolicySpec::new(PolicyKind::Managed, arn, policy.document()));
        }
    }
    if let Some(arn) = boundary
        && let Some(policy) = state.managed_policy(arn)
    {
        set.permissions_boundary = Some(PolicySpec::new(PolicyKind::Boundary, arn, policy.document()));
    }
    if let Some(session) = caller.role_session() {
        set.session = named_specs(&session.session_policies, PolicyKind::Session);
    }
    if let Some(account) = account {
        set.scp_levels = account
            .scp_levels
            .iter()
            .map(|level| named_specs(level, PolicyKind::Scp))
            .collect();
    }
    set
}

/// Adds the resource's side: its policy and the RCPs of its account.
pub fn with_resource(
    mut set: PolicySetSpec,
    state: &State,
    resource_account: &str,
    policy: Option<PolicySpec>,
) -> PolicySetSpec {
    set.resource = policy;
    if let Some(account) = state.account(resource_account) {
        set.rcp_levels = account
            .rcp_levels
            .iter()
            .map(|level| named_specs(level, PolicyKind::Rcp))
            .collect();
    }
    set
}

fn named_specs(docs: &[NamedDocument], kind: PolicyKind) -> Vec<PolicySpec> {
    docs.iter()
        .map(|d| PolicySpec::new(kind, &d.name, &d.document))
        .collect()
}

/// The evaluator with its loaded policy sets cached: a set is parsed and
/// compiled once, then reused by every decision over the same policies.
pub struct Authorizer {
    evaluator: Arc<dyn Evaluator>,
    loaded: Mutex<HashMap<String, SetHandle>>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer").finish_non_exhaustive()
    }
}

/// Loaded sets kept before the cache starts over; worlds are small, this is a backstop.
const MAX_LOADED_SETS: usize = 4096;

impl Authorizer {
    pub fn new(evaluator: Arc<dyn Evaluator>) -> Authorizer {
        Authorizer {
            evaluator,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// Decides `request` against `set`.
    pub fn decide(&self, set: &PolicySetSpec, request: &Request) -> Result<Decision, EvaluatorError> {
        let handle = self.handle(set)?;
        match self.evaluator.authorize(handle, request) {
            // The evaluator lost the set (a restarted instance, say): load it again once.
            Err(EvaluatorError::UnknownHandle(_)) => {
                self.forget(set);
                let handle = self.handle(set)?;
                self.evaluator.authorize(handle, request)
            }
            other => other,
        }
    }

    fn handle(&self, set: &PolicySetSpec) -> Result<SetHandle, EvaluatorError> {
        let key = serde_json::to_string(set).map_err(|e| EvaluatorError::Input(e.to_string()))?;
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(handle) = loaded.get(&key) {
            return Ok(*handle);
        }
        if loaded.len() >= MAX_LOADED_SETS {
            for (_, handle) in loaded.drain() {
                let _ = self.evaluator.unload(handle);
            }
        }
        let handle = self.evaluator.load(set)?;
        loaded.insert(key, handle);
        Ok(handle)
    }

    fn forget(&self, set: &PolicySetSpec) {
        if let Ok(key) = serde_json::to_string(set) {
            self.loaded.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
        }
    }
}
