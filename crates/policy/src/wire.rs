//! The JSON shapes every host of the engine reads — a policy set, a request,
//! a one-shot authorization, a lint call — and one reader for them all.
//!
//! The reader is written on [`crate::json`] rather than derived with serde:
//! errors name the path and the line and column of the offending value, an
//! inline policy document keeps its exact text (so explanations point into
//! it), and `rolechain_policy.wasm` stays small (serde's derived readers
//! cost it more than the whole reader here). The serde `Deserialize` impls
//! of these types go through the same reader.

use serde::{Deserialize, Deserializer, Serialize};

use crate::authorize::PolicySet;
use crate::json::{self, Json, JsonValue, Member, Position};
use crate::kind::PolicyKind;
use crate::policy::{Policy, PolicyError};
use crate::request::{Context, Principal, Request};

/// A policy set: each policy with an optional id and kind, and its document.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySetSpec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<PolicySpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<PolicySpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<PolicySpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub session: Vec<PolicySpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scp_levels: Vec<Vec<PolicySpec>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rcp_levels: Vec<Vec<PolicySpec>>,
}

/// One policy of a [`PolicySetSpec`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySpec {
    /// A name or ARN for explanations; defaults to the policy's place, e.g. `identity[0]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Defaults by place: `identity`, `resource`, `boundary`, `session`, `scp`, `rcp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<PolicyKind>,
    /// The document's text. In JSON it may be a string or the document itself
    /// inline; inline, its text is kept exactly as written.
    pub document: String,
}

impl PolicySpec {
    pub fn new(kind: PolicyKind, id: &str, document: &str) -> PolicySpec {
        PolicySpec {
            id: Some(id.to_string()),
            kind: Some(kind),
            document: document.to_string(),
        }
    }
}

/// A one-shot authorization: the set and the request together.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeOnce {
    pub policies: PolicySetSpec,
    pub request: Request,
}

/// A lint call: the document and, optionally, its kind (inferred when absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintInput {
    pub document: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<PolicyKind>,
}

/// Why an input could not be read: where (a path such as
/// `identity[0].document` and a line and column) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireError {
    pub path: String,
    pub message: String,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{} (line {}, column {})", self.message, self.line, self.column)
        } else {
            write!(
                f,
                "{}: {} (line {}, column {})",
                self.path, self.message, self.line, self.column
            )
        }
    }
}

impl std::error::Error for WireError {}

fn wire_error(path: &Path<'_>, message: impl Into<String>, pos: Position) -> WireError {
    WireError {
        path: path.render(),
        message: message.into(),
        line: pos.line,
        column: pos.column,
    }
}

/// Where a value sits in the input (`identity[0].document`), kept as a chain
/// on the stack and written out only for an error: reading costs no allocation.
#[derive(Debug, Clone, Copy)]
enum Path<'p> {
    Root,
    Field(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl<'p> Path<'p> {
    fn field(&'p self, name: &'p str) -> Path<'p> {
        Path::Field(self, name)
    }

    fn index(&'p self, i: usize) -> Path<'p> {
        Path::Index(self, i)
    }

    fn render(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Field(parent, name) => match parent.render() {
                p if p.is_empty() => (*name).to_string(),
                p => format!("{p}.{name}"),
            },
            Path::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }
}

/// Parses `text` as JSON and reads it with `read`.
fn read_text<T>(text: &str, read: impl FnOnce(&Reader<'_>, &Json<'_>) -> Result<T, WireError>) -> Result<T, WireError> {
    let root = json::parse(text).map_err(|e| wire_error(&Path::Root, format!("not JSON: {}", e.message), e.pos))?;
    read(&Reader { text }, &root)
}

impl PolicySetSpec {
    pub fn from_json_str(text: &str) -> Result<PolicySetSpec, WireError> {
        read_text(text, |r, v| r.policy_set(v, &Path::Root))
    }
}

impl Request {
    pub fn from_json_str(text: &str) -> Result<Request, WireError> {
        // Every decision reads a request: a well-formed one is read in one
        // pass straight into the `Request`, with no tree. Anything else, every
        // error included, is read again by the tree reader, which says what is
        // wrong and where.
        match fast::request(text) {
            Some(request) => Ok(request),
            None => read_text(text, |r, v| r.request(v, &Path::Root)),
        }
    }
}

impl Context {
    pub fn from_json_str(text: &str) -> Result<Context, WireError> {
        match fast::whole_context(text) {
            Some(context) => Ok(context),
            None => read_text(text, |r, v| r.context(v, &Path::Root)),
        }
    }
}

/// The one-pass readers of a request and a context. They accept only what
/// the tree reader ([`Reader`]) accepts, and read it to the same value (the
/// tests hold them to that); for anything else they answer `None` and leave
/// the error to the tree reader.
mod fast {
    use std::borrow::Cow;

    use crate::json::{Cursor, Scalar};
    use crate::request::{Context, Principal, Request};

    pub fn request(text: &str) -> Option<Request> {
        let mut c = Cursor::new(text);
        let (mut principal, mut action, mut resource, mut resource_account, mut context) =
            (None, None, None, None, None);
        c.object(|c, key| {
            // A repeated or unknown field is an error: `None`.
            match &*key {
                "principal" if principal.is_none() => principal = Some(self::principal(c)?),
                "action" if action.is_none() => action = Some(c.string()?.into_owned()),
                "resource" if resource.is_none() => resource = Some(c.string()?.into_owned()),
                "resourceAccount" if resource_account.is_none() => {
                    resource_account = Some(string_or_null(c)?.map(Cow::into_owned));
                }
                "context" if context.is_none() => {
                    context = Some(if c.null() { Context::new() } else { self::context(c)? });
                }
                _ => return None,
            }
            Some(())
        })?;
        if !c.at_end() {
            return None;
        }
        Some(Request {
            principal: principal?,
            action: action?,
            resource: resource?,
            resource_account: resource_account.flatten(),
            context: context.unwrap_or_default(),
        })
    }

    pub fn whole_context(text: &str) -> Option<Context> {
        let mut c = Cursor::new(text);
        let context = context(&mut c)?;
        c.at_end().then_some(context)
    }

    /// A string (`Some`) or null (`None`).
    fn string_or_null<'a>(c: &mut Cursor<'a>) -> Option<Option<Cow<'a, str>>> {
        match c.scalar()? {
            Scalar::String(s) => Some(Some(s)),
            Scalar::Null => Some(None),
            _ => None,
        }
    }

    fn principal(c: &mut Cursor<'_>) -> Option<Principal> {
        const FIELDS: [&str; 6] = ["type", "account", "arn", "roleArn", "provider", "service"];
        // Each field as read, `Some(None)` for null: the type decides which it takes.
        let mut fields: [Option<Option<Cow<'_, str>>>; 6] = Default::default();
        c.object(|c, key| {
            let field = &mut fields[FIELDS.iter().position(|f| *f == key)?];
            if field.is_some() {
                return None;
            }
            *field = Some(string_or_null(c)?);
            Some(())
        })?;
        let [kind, account, arn, role_arn, provider, service] = fields;
        let kind = kind??;
        // The fields a type takes; any other, even null, is an error.
        let takes = match &*kind {
            "root" => [true, false, false, false, false],
            "user" | "federatedUser" => [false, true, false, false, false],
            "assumedRole" => [false, true, true, false, false],
            "webIdentity" => [false, false, false, true, false],
            "service" => [false, false, false, false, true],
            "anonymous" => [false; 5],
            _ => return None,
        };
        let given = [&account, &arn, &role_arn, &provider, &service].map(Option::is_some);
        if given.iter().zip(takes).any(|(given, takes)| *given && !takes) {
            return None;
        }
        // A required field must be a string (null is missing).
        let required = |field: Option<Option<Cow<'_, str>>>| field.flatten().map(Cow::into_owned);
        Some(match &*kind {
            "root" => Principal::Root {
                account: required(account)?,
            },
            "user" => Principal::User { arn: required(arn)? },
            "federatedUser" => Principal::FederatedUser { arn: required(arn)? },
            "assumedRole" => Principal::AssumedRole {
                arn: required(arn)?,
                role_arn: required(role_arn),
            },
            "webIdentity" => Principal::WebIdentity {
                provider: required(provider)?,
            },
            "service" => Principal::Service {
                service: required(service)?,
            },
            _ => Principal::Anonymous,
        })
    }

    fn context(c: &mut Cursor<'_>) -> Option<Context> {
        // Room for a typical request's keys up front.
        let mut ctx = Context::with_capacity(16);
        c.object(|c, key| {
            if c.peek() == Some(b'[') {
                let mut values = Vec::new();
                c.array(|c| {
                    values.push(value(c)?);
                    Some(())
                })?;
                ctx.set_multi(&key, values);
            } else {
                ctx.set(&key, value(c)?);
            }
            Some(())
        })?;
        Some(ctx)
    }

    /// A context value: a string, a number as written, or a boolean.
    fn value(c: &mut Cursor<'_>) -> Option<String> {
        match c.scalar()? {
            Scalar::String(s) => Some(s.into_owned()),
            Scalar::Number(n) => Some(n.to_string()),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Null => None,
        }
    }
}

impl AuthorizeOnce {
    pub fn from_json_str(text: &str) -> Result<AuthorizeOnce, WireError> {
        read_text(text, |r, v| {
            let root = Path::Root;
            let m = r.object(v, &root, &["policies", "request"])?;
            Ok(AuthorizeOnce {
                policies: r.policy_set(r.required(m, v, &root, "policies")?, &root.field("policies"))?,
                request: r.request(r.required(m, v, &root, "request")?, &root.field("request"))?,
            })
        })
    }
}

impl LintInput {
    pub fn from_json_str(text: &str) -> Result<LintInput, WireError> {
        read_text(text, |r, v| {
            let root = Path::Root;
            let m = r.object(v, &root, &["document", "kind"])?;
            Ok(LintInput {
                document: r.string(r.required(m, v, &root, "document")?, &root.field("document"))?,
                kind: r
                    .optional(m, "kind")
                    .map(|k| r.kind(k, &root.field("kind")))
                    .transpose()?,
            })
        })
    }
}

/// Reads typed values out of a parsed JSON tree, keeping the text for inline documents.
struct Reader<'t> {
    text: &'t str,
}

impl Reader<'_> {
    /// The members of an object, refusing unknown and repeated keys.
    fn object<'j, 'a>(&self, v: &'j Json<'a>, path: &Path<'_>, known: &[&str]) -> Result<&'j [Member<'a>], WireError> {
        let JsonValue::Object(members) = &v.value else {
            return Err(wire_error(
                path,
                format!("expected an object, found {}", v.value.kind_name()),
                v.pos,
            ));
        };
        for (i, m) in members.iter().enumerate() {
            if !known.contains(&m.key.as_ref()) {
                return Err(wire_error(
                    &path.field(&m.key),
                    format!("unknown field; expected one of: {}", known.join(", ")),
                    m.key_pos,
                ));
            }
            if members[..i].iter().any(|earlier| earlier.key == m.key) {
                return Err(wire_error(&path.field(&m.key), "repeated field", m.key_pos));
            }
        }
        Ok(members)
    }

    fn optional<'j, 'a>(&self, members: &'j [Member<'a>], name: &str) -> Option<&'j Json<'a>> {
        members
            .iter()
            .find(|m| m.key == name)
            .map(|m| &m.value)
            .filter(|v| v.value != JsonValue::Null)
    }

    fn required<'j, 'a>(
        &self,
        members: &'j [Member<'a>],
        v: &Json<'_>,
        path: &Path<'_>,
        name: &str,
    ) -> Result<&'j Json<'a>, WireError> {
        self.optional(members, name)
            .ok_or_else(|| wire_error(&path.field(name), "missing field", v.pos))
    }

    fn string(&self, v: &Json<'_>, path: &Path<'_>) -> Result<String, WireError> {
        match &v.value {
            JsonValue::String(s) => Ok(s.to_string()),
            other => Err(wire_error(
                path,
                format!("expected a string, found {}", other.kind_name()),
                v.pos,
            )),
        }
    }

    /// A required string member.
    fn string_field(&self, m: &[Member<'_>], v: &Json<'_>, path: &Path<'_>, name: &str) -> Result<String, WireError> {
        self.string(self.required(m, v, path, name)?, &path.field(name))
    }

    /// An optional string member.
    fn optional_string(&self, m: &[Member<'_>], path: &Path<'_>, name: &str) -> Result<Option<String>, WireError> {
        self.optional(m, name)
            .map(|s| self.string(s, &path.field(name)))
            .transpose()
    }

    fn array<'j, 'a>(&self, v: &'j Json<'a>, path: &Path<'_>) -> Result<&'j [Json<'a>], WireError> {
        match &v.value {
            JsonValue::Array(items) => Ok(items),
            other => Err(wire_error(
                path,
                format!("expected an array, found {}", other.kind_name()),
                v.pos,
            )),
        }
    }

    fn kind(&self, v: &Json<'_>, path: &Path<'_>) -> Result<PolicyKind, WireError> {
        let name = self.string(v, path)?;
        PolicyKind::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = PolicyKind::ALL.iter().map(|k| k.name()).collect();
            wire_error(
                path,
                format!("unknown policy kind `{name}`; expected one of: {}", names.join(", ")),
                v.pos,
            )
        })
    }

    fn policy_set(&self, v: &Json<'_>, path: &Path<'_>) -> Result<PolicySetSpec, WireError> {
        let m = self.object(
            v,
            path,
            &[
                "identity",
                "resource",
                "permissionsBoundary",
                "session",
                "scpLevels",
                "rcpLevels",
            ],
        )?;
        let list = |name: &str| -> Result<Vec<PolicySpec>, WireError> {
            let Some(items) = self.optional(m, name) else {
                return Ok(Vec::new());
            };
            let p = path.field(name);
            self.array(items, &p)?
                .iter()
                .enumerate()
                .map(|(i, item)| self.policy(item, &p.index(i)))
                .collect()
        };
        let levels = |name: &str| -> Result<Vec<Vec<PolicySpec>>, WireError> {
            let Some(items) = self.optional(m, name) else {
                return Ok(Vec::new());
            };
            let p = path.field(name);
            self.array(items, &p)?
                .iter()
                .enumerate()
                .map(|(l, level)| {
                    let lp = p.index(l);
                    self.array(level, &lp)?
                        .iter()
                        .enumerate()
                        .map(|(i, item)| self.policy(item, &lp.index(i)))
                        .collect()
                })
                .collect()
        };
        let single = |name: &str| {
            self.optional(m, name)
                .map(|v| self.policy(v, &path.field(name)))
                .transpose()
        };
        Ok(PolicySetSpec {
            identity: list("identity")?,
            resource: single("resource")?,
            permissions_boundary: single("permissionsBoundary")?,
            session: list("session")?,
            scp_levels: levels("scpLevels")?,
            rcp_levels: levels("rcpLevels")?,
        })
    }

    fn policy(&self, v: &Json<'_>, path: &Path<'_>) -> Result<PolicySpec, WireError> {
        let m = self.object(v, path, &["id", "kind", "document"])?;
        let document = self.required(m, v, path, "document")?;
        let document = match &document.value {
            JsonValue::String(s) => s.to_string(),
            // Inline: the document's own text, so positions point into what was written.
            JsonValue::Object(_) => self
                .text
                .get(document.pos.offset..document.end)
                .unwrap_or_default()
                .to_string(),
            other => {
                return Err(wire_error(
                    &path.field("document"),
                    format!(
                        "expected the policy document as a string or an object, found {}",
                        other.kind_name()
                    ),
                    document.pos,
                ));
            }
        };
        Ok(PolicySpec {
            id: self.optional_string(m, path, "id")?,
            kind: self
                .optional(m, "kind")
                .map(|k| self.kind(k, &path.field("kind")))
                .transpose()?,
            document,
        })
    }

    fn request(&self, v: &Json<'_>, path: &Path<'_>) -> Result<Request, WireError> {
        let m = self.object(
            v,
            path,
            &["principal", "action", "resource", "resourceAccount", "context"],
        )?;
        Ok(Request {
            principal: self.principal(self.required(m, v, path, "principal")?, &path.field("principal"))?,
            action: self.string_field(m, v, path, "action")?,
            resource: self.string_field(m, v, path, "resource")?,
            resource_account: self.optional_string(m, path, "resourceAccount")?,
            context: match self.optional(m, "context") {
                Some(c) => self.context(c, &path.field("context"))?,
                None => Context::new(),
            },
        })
    }

    fn principal(&self, v: &Json<'_>, path: &Path<'_>) -> Result<Principal, WireError> {
        let JsonValue::Object(members) = &v.value else {
            return Err(wire_error(
                path,
                format!("expected an object, found {}", v.value.kind_name()),
                v.pos,
            ));
        };
        let type_value = members
            .iter()
            .find(|m| m.key == "type")
            .map(|m| &m.value)
            .ok_or_else(|| wire_error(&path.field("type"), "missing field", v.pos))?;
        let kind = match &type_value.value {
            JsonValue::String(s) => s.as_ref(),
            other => {
                return Err(wire_error(
                    &path.field("type"),
                    format!("expected a string, found {}", other.kind_name()),
                    type_value.pos,
                ));
            }
        };
        let fields: &[&str] = match kind {
            "root" => &["type", "account"],
            "user" | "federatedUser" => &["type", "arn"],
            "assumedRole" => &["type", "arn", "roleArn"],
            "webIdentity" => &["type", "provider"],
            "service" => &["type", "service"],
            "anonymous" => &["type"],
            other => {
                return Err(wire_error(
                    &path.field("type"),
                    format!(
                        "unknown principal type `{other}`; expected one of: root, user, assumedRole, federatedUser, webIdentity, service, anonymous"
                    ),
                    type_value.pos,
                ));
            }
        };
        let m = self.object(v, path, fields)?;
        let field = |name: &str| self.string_field(m, v, path, name);
        Ok(match kind {
            "root" => Principal::Root {
                account: field("account")?,
            },
            "user" => Principal::User { arn: field("arn")? },
            "federatedUser" => Principal::FederatedUser { arn: field("arn")? },
            "assumedRole" => Principal::AssumedRole {
                arn: field("arn")?,
                role_arn: self.optional_string(m, path, "roleArn")?,
            },
            "webIdentity" => Principal::WebIdentity {
                provider: field("provider")?,
            },
            "service" => Principal::Service {
                service: field("service")?,
            },
            _ => Principal::Anonymous,
        })
    }

    fn context(&self, v: &Json<'_>, path: &Path<'_>) -> Result<Context, WireError> {
        let JsonValue::Object(members) = &v.value else {
            return Err(wire_error(
                path,
                format!("expected an object, found {}", v.value.kind_name()),
                v.pos,
            ));
        };
        let scalar = |v: &Json<'_>, path: &Path<'_>| -> Result<String, WireError> {
            match &v.value {
                JsonValue::String(s) => Ok(s.to_string()),
                JsonValue::Number(n) => Ok((*n).to_string()),
                JsonValue::Bool(b) => Ok(b.to_string()),
                other => Err(wire_error(
                    path,
                    format!(
                        "a context value must be a string, number or boolean (or an array of them), not {}",
                        other.kind_name()
                    ),
                    v.pos,
                )),
            }
        };
        let mut ctx = Context::with_capacity(members.len());
        for m in members {
            let p = path.field(&m.key);
            match &m.value.value {
                JsonValue::Array(items) => {
                    let values = items.iter().map(|i| scalar(i, &p)).collect::<Result<Vec<_>, _>>()?;
                    ctx.set_multi(&m.key, values);
                }
                _ => {
                    ctx.set(&m.key, scalar(&m.value, &p)?);
                }
            }
        }
        Ok(ctx)
    }
}

/// serde's `Deserialize` for these types goes through the reader above, so
/// every way of reading them agrees.
fn deserialize_with<'de, D: Deserializer<'de>, T>(d: D, read: fn(&str) -> Result<T, WireError>) -> Result<T, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    read(&value.to_string()).map_err(serde::de::Error::custom)
}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_with(d, Request::from_json_str)
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_with(d, Context::from_json_str)
    }
}

impl<'de> Deserialize<'de> for PolicySetSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_with(d, PolicySetSpec::from_json_str)
    }
}

/// Why a policy set could not be built: which policy, and AWS's refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySetError {
    /// The policy's place in the set, e.g. `scpLevels[1][0]`.
    pub place: String,
    pub policy_id: String,
    #[serde(flatten)]
    pub error: PolicyError,
}

impl std::fmt::Display for PolicySetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.place, self.policy_id, self.error)
    }
}

impl std::error::Error for PolicySetError {}

#[derive(Debug, Clone, Copy)]
enum Place {
    Identity,
    Resource,
    Boundary,
    Session,
    Scp,
    Rcp,
}

/// Which kinds each place of a set accepts, and its default.
fn kinds_for(place: Place) -> (PolicyKind, &'static [PolicyKind]) {
    match place {
        Place::Identity => (PolicyKind::Identity, &[PolicyKind::Identity, PolicyKind::Managed]),
        Place::Resource => (
            PolicyKind::Resource,
            &[PolicyKind::Resource, PolicyKind::Trust, PolicyKind::DynamodbTable],
        ),
        Place::Boundary => (PolicyKind::Boundary, &[PolicyKind::Boundary, PolicyKind::Managed]),
        Place::Session => (PolicyKind::Session, &[PolicyKind::Session]),
        Place::Scp => (PolicyKind::Scp, &[PolicyKind::Scp]),
        Place::Rcp => (PolicyKind::Rcp, &[PolicyKind::Rcp]),
    }
}

impl PolicySetSpec {
    /// Parses and compiles every policy; the first refusal stops the build.
    pub fn build(&self) -> Result<PolicySet, PolicySetError> {
        let one = |place: Place, name: String, spec: &PolicySpec| -> Result<Policy, PolicySetError> {
            let id = spec.id.clone().unwrap_or_else(|| name.clone());
            let (default, allowed) = kinds_for(place);
            let kind = spec.kind.unwrap_or(default);
            if !allowed.contains(&kind) {
                let names: Vec<&str> = allowed.iter().map(|k| k.name()).collect();
                return Err(PolicySetError {
                    place: name,
                    policy_id: id,
                    error: PolicyError::invalid_input(format!(
                        "a policy of kind {kind} cannot stand here; use one of: {}",
                        names.join(", ")
                    )),
                });
            }
            Policy::parse_with_id(kind, &id, &spec.document).map_err(|error| PolicySetError {
                place: name,
                policy_id: id,
                error,
            })
        };
        let list = |place: Place, name: &str, specs: &[PolicySpec]| -> Result<Vec<Policy>, PolicySetError> {
            specs
                .iter()
                .enumerate()
                .map(|(i, s)| one(place, format!("{name}[{i}]"), s))
                .collect()
        };
        let levels =
            |place: Place, name: &str, levels: &[Vec<PolicySpec>]| -> Result<Vec<Vec<Policy>>, PolicySetError> {
                levels
                    .iter()
                    .enumerate()
                    .map(|(l, specs)| list(place, &format!("{name}[{l}]"), specs))
                    .collect()
            };
        Ok(PolicySet {
            identity: list(Place::Identity, "identity", &self.identity)?,
            resource: self
                .resource
                .as_ref()
                .map(|s| one(Place::Resource, "resource".into(), s))
                .transpose()?,
            permissions_boundary: self
                .permissions_boundary
                .as_ref()
                .map(|s| one(Place::Boundary, "permissionsBoundary".into(), s))
                .transpose()?,
            session: list(Place::Session, "session", &self.session)?,
            scp_levels: levels(Place::Scp, "scpLevels", &self.scp_levels)?,
            rcp_levels: levels(Place::Rcp, "rcpLevels", &self.rcp_levels)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_set_from_json_keeping_inline_text() {
        let spec = PolicySetSpec::from_json_str(
            r#"{"identity":[{"id":"reader","document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}}],
                "resource":{"kind":"trust","document":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}]}"}}"#,
        )
        .unwrap();
        assert!(
            spec.identity[0]
                .document
                .starts_with(r#"{"Version":"2012-10-17","Statement""#)
        );
        let set = spec.build().unwrap();
        assert_eq!(set.identity[0].id(), "reader");
        assert_eq!(set.resource.as_ref().unwrap().kind(), PolicyKind::Trust);
    }

    #[test]
    fn names_the_policy_that_was_refused() {
        let e = PolicySetSpec::from_json_str(r#"{"scpLevels":[[],[{"document":"{}"}]]}"#)
            .unwrap()
            .build()
            .unwrap_err();
        assert_eq!(e.place, "scpLevels[1][0]");
        assert_eq!(e.error.code, "MalformedPolicyDocument");
        let spec = PolicySetSpec::from_json_str(r#"{"resource":{"kind":"identity","document":"{}"}}"#).unwrap();
        assert!(spec.build().unwrap_err().error.message.contains("cannot stand here"));
    }

    #[test]
    fn reading_errors_name_path_and_position() {
        let e = PolicySetSpec::from_json_str("{\"identity\":[{\"documnt\":\"{}\"}]}").unwrap_err();
        assert_eq!(e.path, "identity[0].documnt");
        assert_eq!((e.line, e.column), (1, 15));
        let e = Request::from_json_str(r#"{"principal":{"type":"robot"},"action":"a:b","resource":"*"}"#).unwrap_err();
        assert_eq!(e.path, "principal.type");
        assert!(e.message.contains("unknown principal type `robot`"));
        let e = Request::from_json_str(r#"{"principal":{"type":"user","arn":"x"},"resource":"*"}"#).unwrap_err();
        assert_eq!((e.path.as_str(), e.message.as_str()), ("action", "missing field"));
        let e = Request::from_json_str(
            r#"{"principal":{"type":"anonymous"},"action":"a:b","resource":"*","context":{"k":{}}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "context.k");
        assert!(
            LintInput::from_json_str(r#"{"document":"{}","kind":"nope"}"#)
                .unwrap_err()
                .message
                .contains("unknown policy kind")
        );
    }

    #[test]
    fn requests_round_trip_through_serde() {
        let text = r#"{"principal":{"type":"assumedRole","arn":"arn:aws:sts::1:assumed-role/r/s","roleArn":"arn:aws:iam::1:role/p/r"},"action":"s3:GetObject","resource":"*","resourceAccount":"1","context":{"aws:TagKeys":["a","b"],"aws:SecureTransport":true,"n":5}}"#;
        let request = Request::from_json_str(text).unwrap();
        let again: Request = serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
        assert_eq!(request, again);
        assert_eq!(request.context.get("N").unwrap().values(), ["5"]);
        assert_eq!(request.context.get("aws:securetransport").unwrap().values(), ["true"]);
    }

    /// The tree reader alone, as the fast readers must agree with it.
    fn slow_request(text: &str) -> Result<Request, WireError> {
        read_text(text, |r, v| r.request(v, &Path::Root))
    }

    fn slow_context(text: &str) -> Result<Context, WireError> {
        read_text(text, |r, v| r.context(v, &Path::Root))
    }

    /// The fast readers accept exactly what the tree reader accepts, and read the same value.
    fn assert_readers_agree(text: &str) {
        match (fast::request(text), slow_request(text)) {
            (Some(fast), Ok(slow)) => assert_eq!(fast, slow, "{text}"),
            (None, Err(_)) => {}
            (fast, slow) => panic!("the readers disagree on {text:?}: {fast:?} / {slow:?}"),
        }
        match (fast::whole_context(text), slow_context(text)) {
            (Some(fast), Ok(slow)) => assert_eq!(fast, slow, "{text}"),
            (None, Err(_)) => {}
            (fast, slow) => panic!("the context readers disagree on {text:?}: {fast:?} / {slow:?}"),
        }
    }

    const WELL_FORMED: &[&str] = &[
        r#"{"principal":{"type":"assumedRole","arn":"arn:aws:sts::1:assumed-role/r/s","roleArn":"arn:aws:iam::1:role/p/r"},"action":"s3:GetObject","resource":"*","resourceAccount":"1","context":{"aws:TagKeys":["a","b",""],"aws:SecureTransport":true,"n":-5.5e3,"k":"","K":"x","e":[]}}"#,
        " {\n \"context\" : null , \"resource\":\"r\",\"action\":\"a:b\", \"principal\":{\"arn\":\"u\",\"type\":\"user\"},\"resourceAccount\":null}\t\r\n",
        r#"{"principal":{"type":"root","account":"111122223333"},"action":"a","resource":"b","context":{"k":"v","k":"","x":false,"\u0041\"\\":"\ud83d\ude00"}}"#,
        r#"{"principal":{"type":"assumedRole","arn":"s","roleArn":null},"action":"a","resource":"b"}"#,
        r#"{"principal":{"type":"federatedUser","arn":"f"},"action":"a","resource":"b","context":{}}"#,
        r#"{"principal":{"type":"webIdentity","provider":"p"},"action":"a","resource":"b"}"#,
        r#"{"principal":{"type":"service","service":"ec2.amazonaws.com"},"action":"a","resource":"b"}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b","context":{"a":[1,true,"x"],"b":0}}"#,
        r#"{"\u0070rincipal":{"\u0074ype":"anonymous"},"action":"a\/b","resource":"\n"}"#,
    ];

    const MALFORMED: &[&str] = &[
        "",
        "null",
        "[]",
        r#"{"principal":{"type":"anonymous"},"action":"a"}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b",}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b"} x"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b","action":"c"}"#,
        r#"{"principal":{"type":"anonymous"},"action":null,"resource":"b"}"#,
        r#"{"principal":null,"action":"a","resource":"b"}"#,
        r#"{"principal":{"type":"anonymous","arn":null},"action":"a","resource":"b"}"#,
        r#"{"principal":{"type":"user","arn":null},"action":"a","resource":"b"}"#,
        r#"{"principal":{"type":"user","arn":"u","type":"user"},"action":"a","resource":"b"}"#,
        r#"{"principal":{"type":"robot"},"action":"a","resource":"b"}"#,
        r#"{"principal":{"type":null},"action":"a","resource":"b"}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b","extra":1}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b","context":{"k":null}}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b","context":{"k":[[]]}}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b","context":{"k":{}}}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b","context":{"k":01}}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b","context":{"k":[1,]}}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b","context":null,"context":{}}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b\x"}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"\ud83d"}"#,
        r#"{"principal":{"type":"anonymous"},"action":"a","resource":"b","context":{"t":tru}}"#,
    ];

    #[test]
    fn the_fast_readers_read_well_formed_requests_as_the_tree_reader_does() {
        for text in WELL_FORMED {
            assert!(fast::request(text).is_some(), "{text}");
            assert_readers_agree(text);
        }
        for text in MALFORMED {
            assert!(fast::request(text).is_none(), "{text}");
            assert_readers_agree(text);
        }
    }

    mod agreement {
        use proptest::prelude::*;

        /// JSON made of the request's own keys and values, nested at random.
        fn json() -> impl Strategy<Value = String> {
            let keys = prop::sample::select(vec![
                "principal",
                "action",
                "resource",
                "resourceAccount",
                "context",
                "type",
                "arn",
                "roleArn",
                "account",
                "provider",
                "service",
                "aws:SourceIp",
                "AWS:sourceip",
                "\\u0074ype",
                "",
            ]);
            let leaf = prop::sample::select(vec![
                "null",
                "true",
                "false",
                "0",
                "-1.5e3",
                "\"\"",
                "\"x\"",
                "\"user\"",
                "\"root\"",
                "\"assumedRole\"",
                "\"anonymous\"",
                "\"service\"",
                "\"webIdentity\"",
                "\"federatedUser\"",
                "\"a\\\"\\u00e9\"",
            ])
            .prop_map(str::to_string);
            leaf.prop_recursive(4, 40, 6, move |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
                    prop::collection::vec((keys.clone(), inner), 0..7).prop_map(|members| {
                        let members: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                        format!("{{{}}}", members.join(","))
                    }),
                ]
            })
        }

        fn object(members: Vec<(&str, String)>) -> String {
            let members: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", members.join(","))
        }

        /// Requests of the right shape, sometimes with fields missing, repeated,
        /// null, of another type or out of place.
        fn request_shaped() -> impl Strategy<Value = String> {
            let text = prop_oneof![
                8 => Just("\"x\"".to_string()),
                1 => Just("\"\"".to_string()),
                1 => Just("null".to_string()),
                1 => Just("1".to_string()),
                1 => Just("\"e\\u00e9\"".to_string()),
            ];
            let kind = prop::sample::select(vec![
                ("user", "arn"),
                ("root", "account"),
                ("assumedRole", "arn"),
                ("anonymous", "arn"),
                ("service", "service"),
                ("webIdentity", "provider"),
                ("federatedUser", "arn"),
                ("robot", "arn"),
            ]);
            let principal_field =
                prop::sample::select(vec!["arn", "roleArn", "account", "provider", "service", "type"]);
            let extra_field = (principal_field, text.clone());
            let principal = (
                kind,
                text.clone(),
                prop::bool::weighted(0.2),
                extra_field,
                any::<prop::sample::Index>(),
            )
                .prop_map(|((kind, field), value, extra, extra_field, at)| {
                    let mut fields = vec![("type", format!("\"{kind}\"")), (field, value)];
                    if extra {
                        fields.insert(at.index(fields.len() + 1), extra_field);
                    }
                    object(fields)
                });
            let value = prop_oneof![
                text.clone(),
                Just("true".to_string()),
                Just("-0.5".to_string()),
                prop::collection::vec(text.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(","))),
            ];
            let context_key = prop::sample::select(vec!["k", "K", "aws:SourceIp", "AWS:sourceip", ""]);
            let context = prop_oneof![
                1 => Just("null".to_string()),
                6 => prop::collection::vec((context_key, value), 0..5).prop_map(object),
            ];
            let optional = prop_oneof![
                (Just("resourceAccount"), text.clone()),
                (Just("context"), context.clone()),
                (Just("action"), text.clone()),
                (Just("principal"), Just("null".to_string())),
                (Just("other"), text.clone()),
            ];
            (
                principal,
                text.clone(),
                text,
                prop::collection::vec(optional, 0..3),
                Just(()).prop_perturb(|_, mut rng| rng.random::<u64>()),
            )
                .prop_map(|(principal, action, resource, mut more, shuffle)| {
                    let mut fields = vec![("principal", principal), ("action", action), ("resource", resource)];
                    fields.append(&mut more);
                    // A deterministic shuffle from the drawn seed.
                    let n = fields.len();
                    for i in (1..n).rev() {
                        fields.swap(i, (shuffle as usize >> (i * 3)) % (i + 1));
                    }
                    object(fields)
                })
        }

        /// A well-formed request with a byte range replaced by a few JSON-ish characters.
        fn mutated() -> impl Strategy<Value = String> {
            let base = prop::sample::select(super::WELL_FORMED.to_vec());
            (
                base,
                any::<prop::sample::Index>(),
                0..4usize,
                "[ \"{}\\[\\],:ntfu0-9e.\\\\]{0,3}",
            )
                .prop_map(|(text, at, cut, insert)| {
                    let mut at = at.index(text.len() + 1);
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    let mut end = (at + cut).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    format!("{}{insert}{}", &text[..at], &text[end..])
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

            #[test]
            fn on_generated_json(text in json()) {
                super::assert_readers_agree(&text);
            }

            #[test]
            fn on_request_shaped_json(text in request_shaped()) {
                super::assert_readers_agree(&text);
            }

            #[test]
            fn on_mutated_requests(text in mutated()) {
                super::assert_readers_agree(&text);
            }
        }
    }
}
