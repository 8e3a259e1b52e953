//! Who is calling, and whether they may: the caller behind a set of
//! credentials, the policy set AWS would weigh for them, and the decision —
//! made by the [`Evaluator`], never here.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
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
    loaded: Mutex<LoadedSets>,
}

/// Loaded sets by a hash of their policies, each kept with the set itself:
/// a lookup hashes the set and compares it with the few of the same hash,
/// where serialising it to JSON for a key cost a pass and an allocation more
/// on every decision.
#[derive(Default)]
struct LoadedSets {
    by_hash: HashMap<u64, Vec<(PolicySetSpec, SetHandle)>>,
    len: usize,
}

impl LoadedSets {
    /// The hash of every field of the set (equal sets, equal hashes).
    fn hash(set: &PolicySetSpec) -> u64 {
        fn spec(p: &PolicySpec, h: &mut DefaultHasher) {
            // Every field named: a new one fails to compile here.
            let PolicySpec { id, kind, document } = p;
            (id, kind, document).hash(h);
        }
        fn specs(list: &[PolicySpec], h: &mut DefaultHasher) {
            list.len().hash(h);
            list.iter().for_each(|p| spec(p, h));
        }
        fn optional(p: &Option<PolicySpec>, h: &mut DefaultHasher) {
            p.is_some().hash(h);
            if let Some(p) = p {
                spec(p, h);
            }
        }
        let PolicySetSpec {
            identity,
            resource,
            permissions_boundary,
            session,
            scp_levels,
            rcp_levels,
        } = set;
        let mut h = DefaultHasher::new();
        specs(identity, &mut h);
        optional(resource, &mut h);
        optional(permissions_boundary, &mut h);
        specs(session, &mut h);
        for levels in [scp_levels, rcp_levels] {
            levels.len().hash(&mut h);
            levels.iter().for_each(|level| specs(level, &mut h));
        }
        h.finish()
    }

    fn get(&self, hash: u64, set: &PolicySetSpec) -> Option<SetHandle> {
        let same = self.by_hash.get(&hash)?;
        same.iter().find(|(s, _)| s == set).map(|(_, handle)| *handle)
    }

    fn insert(&mut self, hash: u64, set: &PolicySetSpec, handle: SetHandle) {
        self.by_hash.entry(hash).or_default().push((set.clone(), handle));
        self.len += 1;
    }

    fn remove(&mut self, hash: u64, set: &PolicySetSpec) {
        if let Some(same) = self.by_hash.get_mut(&hash) {
            let before = same.len();
            same.retain(|(s, _)| s != set);
            self.len -= before - same.len();
            if same.is_empty() {
                self.by_hash.remove(&hash);
            }
        }
    }

    /// Empties the cache, giving back the handles.
    fn drain(&mut self) -> impl Iterator<Item = SetHandle> + '_ {
        self.len = 0;
        self.by_hash
            .drain()
            .flat_map(|(_, same)| same.into_iter().map(|(_, handle)| handle))
    }
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
            loaded: Mutex::new(LoadedSets::default()),
        }
    }

    /// Decides `request` against `set`.
    pub fn decide(&self, set: &PolicySetSpec, request: &Request) -> Result<Decision, EvaluatorError> {
        let hash = LoadedSets::hash(set);
        let handle = self.handle(hash, set)?;
        match self.evaluator.authorize(handle, request) {
            // The evaluator lost the set (a restarted instance, say): load it again once.
            Err(EvaluatorError::UnknownHandle(_)) => {
                self.loaded.lock().unwrap_or_else(|e| e.into_inner()).remove(hash, set);
                let handle = self.handle(hash, set)?;
                self.evaluator.authorize(handle, request)
            }
            other => other,
        }
    }

    fn handle(&self, hash: u64, set: &PolicySetSpec) -> Result<SetHandle, EvaluatorError> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(handle) = loaded.get(hash, set) {
            return Ok(handle);
        }
        if loaded.len >= MAX_LOADED_SETS {
            for handle in loaded.drain() {
                let _ = self.evaluator.unload(handle);
            }
        }
        let handle = self.evaluator.load(set)?;
        loaded.insert(hash, set, handle);
        Ok(handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolechain_policy::evaluator::NativeEvaluator;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The engine, counting the sets it loads.
    #[derive(Default)]
    struct Counting {
        inner: NativeEvaluator,
        loads: AtomicUsize,
    }

    impl Evaluator for Counting {
        fn load(&self, set: &PolicySetSpec) -> Result<SetHandle, EvaluatorError> {
            self.loads.fetch_add(1, Ordering::Relaxed);
            self.inner.load(set)
        }
        fn authorize(&self, set: SetHandle, request: &Request) -> Result<Decision, EvaluatorError> {
            self.inner.authorize(set, request)
        }
        fn unload(&self, set: SetHandle) -> Result<(), EvaluatorError> {
            self.inner.unload(set)
        }
    }

    fn allow(action: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#)
    }

    #[test]
    fn sets_are_loaded_once_and_told_apart_by_every_field() {
        let counting = Arc::new(Counting::default());
        let authorizer = Authorizer::new(counting.clone());
        let request = Request {
            principal: Principal::from_arn("arn:aws:iam::111111111111:user/u").unwrap(),
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::b/k".into(),
            resource_account: None,
            context: Context::new(),
        };
        let identity = |id: &str, doc: String| PolicySetSpec {
            identity: vec![PolicySpec::new(PolicyKind::Identity, id, &doc)],
            ..PolicySetSpec::default()
        };
        let a = identity("p", allow("s3:GetObject"));
        assert!(authorizer.decide(&a, &request).unwrap().is_allowed());
        assert!(authorizer.decide(&a.clone(), &request).unwrap().is_allowed());
        assert_eq!(counting.loads.load(Ordering::Relaxed), 1);

        // Another document, another id, the policy twice: other sets.
        let b = identity("p", allow("s3:PutObject"));
        assert!(!authorizer.decide(&b, &request).unwrap().is_allowed());
        let c = identity("q", allow("s3:GetObject"));
        authorizer.decide(&c, &request).unwrap();
        let d = PolicySetSpec {
            identity: [a.identity.clone(), a.identity.clone()].concat(),
            ..PolicySetSpec::default()
        };
        assert!(authorizer.decide(&d, &request).unwrap().is_allowed());
        assert_eq!(counting.loads.load(Ordering::Relaxed), 4);
        assert_eq!(authorizer.loaded.lock().unwrap().len, 4);

        // A set the evaluator lost is loaded again, once.
        let handle = authorizer.loaded.lock().unwrap().get(LoadedSets::hash(&a), &a).unwrap();
        counting.unload(handle).unwrap();
        assert!(authorizer.decide(&a, &request).unwrap().is_allowed());
        assert!(authorizer.decide(&a, &request).unwrap().is_allowed());
        assert_eq!(counting.loads.load(Ordering::Relaxed), 5);
        assert_eq!(authorizer.loaded.lock().unwrap().len, 4);
    }
}
