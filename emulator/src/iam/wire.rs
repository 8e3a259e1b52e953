//! The awsQuery edge of IAM: parameters in, XML out. Member names and
//! shapes follow botocore's IAM model (`iam/2010-05-08/service-2.json`);
//! policy documents leave URL-encoded, as IAM sends them.

use rolechain_policy::simulate::{ContextEntry, SimulateCustomPolicyInput};

use crate::authz::Caller;
use crate::clock::iso8601;
use crate::emulator::Emulator;
use crate::error::{AwsError, Violations};
use crate::query::{QueryParams, Xml, response};
use crate::state::{OidcProvider, Role, Tag};
use crate::sts::Trail;

use super::policies::{self, AttachedPolicy, CreatePolicyInput, ListPoliciesInput, PolicyView, Scope, VersionView};
use super::roles::{self, CreateRoleInput, UpdateRoleInput};
use super::simulate::{self, EvaluationResult, SimulatePrincipalPolicyInput};
use super::{NAMESPACE, Owner, Page, Paging, inline, oidc, url_encode};

/// Every action [`dispatch`] serves.
pub(super) const OPERATIONS: &[&str] = &[
    "CreateOpenIDConnectProvider",
    "GetOpenIDConnectProvider",
    "ListOpenIDConnectProviders",
    "DeleteOpenIDConnectProvider",
    "AddClientIDToOpenIDConnectProvider",
    "RemoveClientIDFromOpenIDConnectProvider",
    "UpdateOpenIDConnectProviderThumbprint",
    "TagOpenIDConnectProvider",
    "UntagOpenIDConnectProvider",
    "ListOpenIDConnectProviderTags",
    "CreateRole",
    "GetRole",
    "ListRoles",
    "DeleteRole",
    "UpdateAssumeRolePolicy",
    "UpdateRole",
    "TagRole",
    "UntagRole",
    "ListRoleTags",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "PutRolePolicy",
    "GetRolePolicy",
    "DeleteRolePolicy",
    "ListRolePolicies",
    "PutUserPolicy",
    "GetUserPolicy",
    "DeleteUserPolicy",
    "ListUserPolicies",
    "CreatePolicy",
    "GetPolicy",
    "ListPolicies",
    "DeletePolicy",
    "CreatePolicyVersion",
    "GetPolicyVersion",
    "ListPolicyVersions",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "ListAttachedRolePolicies",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "ListAttachedUserPolicies",
    "SimulateCustomPolicy",
    "SimulatePrincipalPolicy",
];

/// A parameter's name as validation messages spell it: `RoleName` → `roleName`.
fn member(param: &str) -> String {
    let mut chars = param.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn required(p: &QueryParams, name: &str) -> Result<String, AwsError> {
    p.get(name)
        .map(str::to_string)
        .ok_or_else(|| super::missing(&member(name)))
}

fn optional(p: &QueryParams, name: &str) -> Option<String> {
    p.get(name).map(str::to_string)
}

fn integer(p: &QueryParams, name: &str) -> Result<Option<i64>, AwsError> {
    match p.get(name) {
        None => Ok(None),
        Some(text) => text.trim().parse().map(Some).map_err(|_| {
            AwsError::validation(format!(
                "1 validation error detected: Value '{text}' at '{}' failed to satisfy constraint: Member must be a number",
                member(name)
            ))
        }),
    }
}

fn boolean(p: &QueryParams, name: &str) -> Result<Option<bool>, AwsError> {
    match p.get(name) {
        None => Ok(None),
        Some(t) if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(t) if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(t) => Err(AwsError::validation(format!(
            "1 validation error detected: Value '{t}' at '{}' failed to satisfy constraint: Member must be a boolean",
            member(name)
        ))),
    }
}

fn tags(p: &QueryParams) -> Vec<Tag> {
    p.structs("Tags", &["Key", "Value"])
        .into_iter()
        .map(|mut t| Tag {
            key: t.remove("Key").unwrap_or_default(),
            value: t.remove("Value").unwrap_or_default(),
        })
        .collect()
}

fn paging(p: &QueryParams) -> Result<Paging, AwsError> {
    Ok(Paging {
        marker: optional(p, "Marker"),
        max_items: integer(p, "MaxItems")?,
    })
}

fn context_entries(p: &QueryParams) -> Vec<ContextEntry> {
    let mut out = Vec::new();
    for i in 1.. {
        let prefix = format!("ContextEntries.member.{i}");
        let name = p.get(&format!("{prefix}.ContextKeyName"));
        let kind = p.get(&format!("{prefix}.ContextKeyType"));
        let values = p.list(&format!("{prefix}.ContextKeyValues"));
        if name.is_none() && kind.is_none() && values.is_empty() {
            break;
        }
        out.push(ContextEntry {
            context_key_name: name.unwrap_or_default().to_string(),
            context_key_values: values,
            context_key_type: kind.unwrap_or_default().to_string(),
        });
    }
    out
}

/// Runs `action` (one of [`OPERATIONS`]) and writes its answer.
pub(super) fn dispatch(
    emulator: &Emulator,
    caller: &Caller,
    action: &str,
    p: &QueryParams,
    request_id: &str,
    trail: &mut Trail,
) -> Result<String, AwsError> {
    let ok = |body: &dyn Fn(&mut Xml)| response(NAMESPACE, action, request_id, body);
    let empty = || response(NAMESPACE, action, request_id, |_| {});
    Ok(match action {
        // OIDC providers.
        "CreateOpenIDConnectProvider" => {
            let input = oidc::CreateProviderInput {
                url: required(p, "Url")?,
                client_ids: p.list("ClientIDList"),
                thumbprints: p.list("ThumbprintList"),
                tags: tags(p),
            };
            let provider = oidc::create_provider(emulator, caller, &input, trail)?;
            ok(&|x| {
                x.leaf("OpenIDConnectProviderArn", &provider.arn);
                write_tags(x, &provider.tags);
            })
        }
        "GetOpenIDConnectProvider" => {
            let provider = oidc::get_provider(emulator, caller, &required(p, "OpenIDConnectProviderArn")?, trail)?;
            ok(&|x| write_provider(x, &provider))
        }
        "ListOpenIDConnectProviders" => {
            let arns = oidc::list_providers(emulator, caller, trail)?;
            ok(&|x| {
                x.members("OpenIDConnectProviderList", &arns, |x, arn| {
                    x.leaf("Arn", arn);
                });
            })
        }
        "DeleteOpenIDConnectProvider" => {
            oidc::delete_provider(emulator, caller, &required(p, "OpenIDConnectProviderArn")?, trail)?;
            empty()
        }
        "AddClientIDToOpenIDConnectProvider" => {
            let (arn, id) = (required(p, "OpenIDConnectProviderArn")?, required(p, "ClientID")?);
            oidc::add_client_id(emulator, caller, &arn, &id, trail)?;
            empty()
        }
        "RemoveClientIDFromOpenIDConnectProvider" => {
            let (arn, id) = (required(p, "OpenIDConnectProviderArn")?, required(p, "ClientID")?);
            oidc::remove_client_id(emulator, caller, &arn, &id, trail)?;
            empty()
        }
        "UpdateOpenIDConnectProviderThumbprint" => {
            let arn = required(p, "OpenIDConnectProviderArn")?;
            oidc::update_thumbprints(emulator, caller, &arn, &p.list("ThumbprintList"), trail)?;
            empty()
        }
        "TagOpenIDConnectProvider" => {
            oidc::tag_provider(
                emulator,
                caller,
                &required(p, "OpenIDConnectProviderArn")?,
                &tags(p),
                trail,
            )?;
            empty()
        }
        "UntagOpenIDConnectProvider" => {
            let arn = required(p, "OpenIDConnectProviderArn")?;
            oidc::untag_provider(emulator, caller, &arn, &p.list("TagKeys"), trail)?;
            empty()
        }
        "ListOpenIDConnectProviderTags" => {
            let arn = required(p, "OpenIDConnectProviderArn")?;
            let page = oidc::list_provider_tags(emulator, caller, &arn, &paging(p)?, trail)?;
            ok(&|x| write_tag_page(x, &page))
        }

        // Roles.
        "CreateRole" => {
            let input = CreateRoleInput {
                role_name: required(p, "RoleName")?,
                path: optional(p, "Path"),
                assume_role_policy_document: required(p, "AssumeRolePolicyDocument")?,
                description: optional(p, "Description"),
                max_session_duration: integer(p, "MaxSessionDuration")?,
                permissions_boundary: optional(p, "PermissionsBoundary"),
                tags: tags(p),
            };
            let role = roles::create_role(emulator, caller, &input, trail)?;
            ok(&|x| {
                x.node("Role", |x| write_role(x, &role, RoleShape::Created));
            })
        }
        "GetRole" => {
            let role = roles::get_role(emulator, caller, &required(p, "RoleName")?, trail)?;
            ok(&|x| {
                x.node("Role", |x| write_role(x, &role, RoleShape::Full));
            })
        }
        "ListRoles" => {
            let page = roles::list_roles(emulator, caller, p.get("PathPrefix"), &paging(p)?, trail)?;
            ok(&|x| {
                x.members("Roles", &page.items, |x, role| write_role(x, role, RoleShape::Listed));
                write_truncation(x, &page);
            })
        }
        "DeleteRole" => {
            roles::delete_role(emulator, caller, &required(p, "RoleName")?, trail)?;
            empty()
        }
        "UpdateAssumeRolePolicy" => {
            let (name, document) = (required(p, "RoleName")?, required(p, "PolicyDocument")?);
            roles::update_assume_role_policy(emulator, caller, &name, &document, trail)?;
            empty()
        }
        "UpdateRole" => {
            let input = UpdateRoleInput {
                role_name: required(p, "RoleName")?,
                description: optional(p, "Description"),
                max_session_duration: integer(p, "MaxSessionDuration")?,
            };
            roles::update_role(emulator, caller, &input, trail)?;
            empty()
        }
        "TagRole" => {
            roles::tag_role(emulator, caller, &required(p, "RoleName")?, &tags(p), trail)?;
            empty()
        }
        "UntagRole" => {
            roles::untag_role(emulator, caller, &required(p, "RoleName")?, &p.list("TagKeys"), trail)?;
            empty()
        }
        "ListRoleTags" => {
            let page = roles::list_role_tags(emulator, caller, &required(p, "RoleName")?, &paging(p)?, trail)?;
            ok(&|x| write_tag_page(x, &page))
        }
        "PutRolePermissionsBoundary" => {
            let (name, arn) = (required(p, "RoleName")?, required(p, "PermissionsBoundary")?);
            roles::put_role_permissions_boundary(emulator, caller, &name, &arn, trail)?;
            empty()
        }
        "DeleteRolePermissionsBoundary" => {
            roles::delete_role_permissions_boundary(emulator, caller, &required(p, "RoleName")?, trail)?;
            empty()
        }

        // Inline policies.
        "PutRolePolicy" | "PutUserPolicy" => {
            let owner = owner_of(action);
            let name = required(p, owner_param(owner))?;
            let (policy_name, document) = (required(p, "PolicyName")?, required(p, "PolicyDocument")?);
            inline::put_policy(emulator, caller, owner, &name, &policy_name, &document, trail)?;
            empty()
        }
        "GetRolePolicy" | "GetUserPolicy" => {
            let owner = owner_of(action);
            let name = required(p, owner_param(owner))?;
            let policy = inline::get_policy(emulator, caller, owner, &name, &required(p, "PolicyName")?, trail)?;
            ok(&|x| {
                x.leaf(owner_param(owner), &policy.owner_name);
                x.leaf("PolicyName", &policy.policy_name);
                x.leaf("PolicyDocument", &url_encode(&policy.document));
            })
        }
        "DeleteRolePolicy" | "DeleteUserPolicy" => {
            let owner = owner_of(action);
            let name = required(p, owner_param(owner))?;
            inline::delete_policy(emulator, caller, owner, &name, &required(p, "PolicyName")?, trail)?;
            empty()
        }
        "ListRolePolicies" | "ListUserPolicies" => {
            let owner = owner_of(action);
            let name = required(p, owner_param(owner))?;
            let page = inline::list_policies(emulator, caller, owner, &name, &paging(p)?, trail)?;
            ok(&|x| {
                write_strings(x, "PolicyNames", &page.items);
                write_truncation(x, &page);
            })
        }

        // Managed policies.
        "CreatePolicy" => {
            let input = CreatePolicyInput {
                policy_name: required(p, "PolicyName")?,
                path: optional(p, "Path"),
                policy_document: required(p, "PolicyDocument")?,
                description: optional(p, "Description"),
                tags: tags(p),
            };
            let policy = policies::create_policy(emulator, caller, &input, trail)?;
            ok(&|x| {
                // IAM leaves the description out of CreatePolicy's answer.
                x.node("Policy", |x| write_policy(x, &policy, false, true));
            })
        }
        "GetPolicy" => {
            let policy = policies::get_policy(emulator, caller, &required(p, "PolicyArn")?, trail)?;
            ok(&|x| {
                x.node("Policy", |x| write_policy(x, &policy, true, true));
            })
        }
        "ListPolicies" => {
            let input = ListPoliciesInput {
                scope: p.get("Scope").map(Scope::parse).transpose()?.unwrap_or_default(),
                only_attached: boolean(p, "OnlyAttached")?.unwrap_or(false),
                path_prefix: optional(p, "PathPrefix"),
                paging: paging(p)?,
            };
            let page = policies::list_policies(emulator, caller, &input, trail)?;
            ok(&|x| {
                x.members("Policies", &page.items, |x, policy| {
                    write_policy(x, policy, false, false)
                });
                write_truncation(x, &page);
            })
        }
        "DeletePolicy" => {
            policies::delete_policy(emulator, caller, &required(p, "PolicyArn")?, trail)?;
            empty()
        }
        "CreatePolicyVersion" => {
            let (arn, document) = (required(p, "PolicyArn")?, required(p, "PolicyDocument")?);
            let default = boolean(p, "SetAsDefault")?.unwrap_or(false);
            let version = policies::create_policy_version(emulator, caller, &arn, &document, default, trail)?;
            ok(&|x| {
                x.node("PolicyVersion", |x| write_version(x, &version, false));
            })
        }
        "GetPolicyVersion" => {
            let (arn, id) = (required(p, "PolicyArn")?, required(p, "VersionId")?);
            let version = policies::get_policy_version(emulator, caller, &arn, &id, trail)?;
            ok(&|x| {
                x.node("PolicyVersion", |x| write_version(x, &version, true));
            })
        }
        "ListPolicyVersions" => {
            let arn = required(p, "PolicyArn")?;
            let page = policies::list_policy_versions(emulator, caller, &arn, &paging(p)?, trail)?;
            ok(&|x| {
                x.members("Versions", &page.items, |x, v| write_version(x, v, false));
                write_truncation(x, &page);
            })
        }
        "DeletePolicyVersion" => {
            let (arn, id) = (required(p, "PolicyArn")?, required(p, "VersionId")?);
            policies::delete_policy_version(emulator, caller, &arn, &id, trail)?;
            empty()
        }
        "SetDefaultPolicyVersion" => {
            let (arn, id) = (required(p, "PolicyArn")?, required(p, "VersionId")?);
            policies::set_default_policy_version(emulator, caller, &arn, &id, trail)?;
            empty()
        }
        "AttachRolePolicy" | "AttachUserPolicy" => {
            let owner = owner_of(action);
            let (name, arn) = (required(p, owner_param(owner))?, required(p, "PolicyArn")?);
            policies::attach_policy(emulator, caller, owner, &name, &arn, trail)?;
            empty()
        }
        "DetachRolePolicy" | "DetachUserPolicy" => {
            let owner = owner_of(action);
            let (name, arn) = (required(p, owner_param(owner))?, required(p, "PolicyArn")?);
            policies::detach_policy(emulator, caller, owner, &name, &arn, trail)?;
            empty()
        }
        "ListAttachedRolePolicies" | "ListAttachedUserPolicies" => {
            let owner = owner_of(action);
            let name = required(p, owner_param(owner))?;
            let page = policies::list_attached_policies(
                emulator,
                caller,
                owner,
                &name,
                p.get("PathPrefix"),
                &paging(p)?,
                trail,
            )?;
            ok(&|x| {
                x.members("AttachedPolicies", &page.items, write_attached);
                write_truncation(x, &page);
            })
        }

        // The simulator.
        "SimulateCustomPolicy" => {
            let paging = paging(p)?;
            let input = SimulateCustomPolicyInput {
                policy_input_list: p.list("PolicyInputList"),
                permissions_boundary_policy_input_list: p.list("PermissionsBoundaryPolicyInputList"),
                action_names: p.list("ActionNames"),
                resource_arns: p.list("ResourceArns"),
                resource_policy: optional(p, "ResourcePolicy"),
                resource_owner: optional(p, "ResourceOwner"),
                caller_arn: optional(p, "CallerArn"),
                context_entries: context_entries(p),
                resource_handling_option: optional(p, "ResourceHandlingOption"),
                max_items: max_items_u32(paging.max_items)?,
                marker: paging.marker,
                ..SimulateCustomPolicyInput::default()
            };
            let page = simulate::simulate_custom_policy(emulator, caller, &input, trail)?;
            ok(&|x| write_simulation(x, &page))
        }
        "SimulatePrincipalPolicy" => {
            let input = SimulatePrincipalPolicyInput {
                policy_source_arn: required(p, "PolicySourceArn")?,
                policy_input_list: p.list("PolicyInputList"),
                permissions_boundary_policy_input_list: p.list("PermissionsBoundaryPolicyInputList"),
                action_names: p.list("ActionNames"),
                resource_arns: p.list("ResourceArns"),
                resource_policy: optional(p, "ResourcePolicy"),
                resource_owner: optional(p, "ResourceOwner"),
                caller_arn: optional(p, "CallerArn"),
                context_entries: context_entries(p),
                paging: paging(p)?,
            };
            let page = simulate::simulate_principal_policy(emulator, caller, &input, trail)?;
            ok(&|x| write_simulation(x, &page))
        }
        other => {
            return Err(AwsError::new(
                "InvalidAction",
                400,
                format!("Could not find operation {other} for version 2010-05-08"),
            ));
        }
    })
}

/// MaxItems as the engine's input takes it, after IAM's range check.
fn max_items_u32(n: Option<i64>) -> Result<Option<u32>, AwsError> {
    let Some(n) = n else { return Ok(None) };
    let mut v = Violations::new();
    v.range(n, "maxItems", 1, 1000);
    v.into_result()?;
    Ok(u32::try_from(n).ok())
}

fn owner_of(action: &str) -> Owner {
    if action.contains("User") {
        Owner::User
    } else {
        Owner::Role
    }
}

fn owner_param(owner: Owner) -> &'static str {
    match owner {
        Owner::Role => "RoleName",
        Owner::User => "UserName",
    }
}

/// `<name><member>text</member>…</name>`: a list of plain strings.
fn write_strings(x: &mut Xml, name: &str, items: &[String]) {
    x.node(name, |x| {
        for item in items {
            x.leaf("member", item);
        }
    });
}

fn write_tags(x: &mut Xml, tags: &[Tag]) {
    if tags.is_empty() {
        return;
    }
    x.members("Tags", tags, |x, t| {
        x.leaf("Key", &t.key).leaf("Value", &t.value);
    });
}

fn write_tag_page(x: &mut Xml, page: &Page<Tag>) {
    x.members("Tags", &page.items, |x, t| {
        x.leaf("Key", &t.key).leaf("Value", &t.value);
    });
    write_truncation(x, page);
}

fn write_truncation<T>(x: &mut Xml, page: &Page<T>) {
    x.leaf("IsTruncated", if page.is_truncated() { "true" } else { "false" });
    x.opt("Marker", page.marker.as_deref());
}

fn write_provider(x: &mut Xml, p: &OidcProvider) {
    // IAM answers with the URL it keys the provider by: no scheme (ccoctl relies on it).
    x.leaf("Url", p.key_prefix());
    write_strings(x, "ClientIDList", &p.client_ids);
    write_strings(x, "ThumbprintList", &p.thumbprints);
    x.leaf("CreateDate", &iso8601(p.created));
    write_tags(x, &p.tags);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoleShape {
    /// CreateRole: the role as made.
    Created,
    /// GetRole: everything, `RoleLastUsed` included.
    Full,
    /// ListRoles: IAM leaves out tags, boundary and last use.
    Listed,
}

fn write_role(x: &mut Xml, role: &Role, shape: RoleShape) {
    x.leaf("Path", &role.path)
        .leaf("RoleName", &role.name)
        .leaf("RoleId", &role.id)
        .leaf("Arn", &role.arn)
        .leaf("CreateDate", &iso8601(role.created))
        .leaf("AssumeRolePolicyDocument", &url_encode(&role.trust_policy))
        .opt("Description", role.description.as_deref())
        .leaf("MaxSessionDuration", &role.max_session_duration.to_string());
    if shape == RoleShape::Listed {
        return;
    }
    if let Some(arn) = &role.permissions_boundary {
        x.node("PermissionsBoundary", |x| {
            x.leaf("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .leaf("PermissionsBoundaryArn", arn);
        });
    }
    write_tags(x, &role.tags);
    if shape == RoleShape::Full {
        // The emulator keeps no last-use record; IAM sends the element empty for unused roles.
        x.node("RoleLastUsed", |_| {});
    }
}

fn write_policy(x: &mut Xml, view: &PolicyView, with_description: bool, with_tags: bool) {
    let p = &view.policy;
    x.leaf("PolicyName", &p.name)
        .leaf("PolicyId", &p.id)
        .leaf("Arn", &p.arn)
        .leaf("Path", &p.path)
        .leaf("DefaultVersionId", &p.default_version)
        .leaf("AttachmentCount", &view.attachment_count.to_string())
        .leaf("PermissionsBoundaryUsageCount", &view.boundary_usage_count.to_string())
        .leaf("IsAttachable", "true");
    if with_description {
        x.opt("Description", p.description.as_deref());
    }
    x.leaf("CreateDate", &iso8601(p.created))
        .leaf("UpdateDate", &iso8601(p.updated));
    if with_tags {
        write_tags(x, &p.tags);
    }
}

fn write_version(x: &mut Xml, v: &VersionView, with_document: bool) {
    if with_document {
        x.leaf("Document", &url_encode(&v.document));
    }
    x.leaf("VersionId", &v.version_id)
        .leaf("IsDefaultVersion", if v.is_default { "true" } else { "false" })
        .leaf("CreateDate", &iso8601(v.created));
}

fn write_attached(x: &mut Xml, a: &AttachedPolicy) {
    x.leaf("PolicyName", &a.policy_name).leaf("PolicyArn", &a.policy_arn);
}

fn write_simulation(x: &mut Xml, page: &Page<EvaluationResult>) {
    x.members("EvaluationResults", &page.items, |x, r| {
        x.leaf("EvalActionName", &r.action)
            .leaf("EvalResourceName", &r.resource)
            .leaf("EvalDecision", r.decision.as_str());
        x.members("MatchedStatements", &r.matched_statements, |x, m| {
            x.leaf("SourcePolicyId", &m.source_policy_id)
                .leaf("SourcePolicyType", &m.source_policy_type);
            x.node("StartPosition", |x| {
                x.leaf("Line", &m.start.line.to_string())
                    .leaf("Column", &m.start.column.to_string());
            });
            if let Some(end) = m.end {
                x.node("EndPosition", |x| {
                    x.leaf("Line", &end.line.to_string())
                        .leaf("Column", &end.column.to_string());
                });
            }
        });
        write_strings(x, "MissingContextValues", &r.missing_context_values);
        if let Some(allowed) = r.allowed_by_organizations {
            x.node("OrganizationsDecisionDetail", |x| {
                x.leaf("AllowedByOrganizations", if allowed { "true" } else { "false" });
            });
        }
        if let Some(allowed) = r.allowed_by_permissions_boundary {
            x.node("PermissionsBoundaryDecisionDetail", |x| {
                x.leaf("AllowedByPermissionsBoundary", if allowed { "true" } else { "false" });
            });
        }
        if !r.eval_decision_details.is_empty() {
            x.node("EvalDecisionDetails", |x| {
                for (key, decision) in &r.eval_decision_details {
                    x.node("entry", |x| {
                        x.leaf("key", key).leaf("value", decision.as_str());
                    });
                }
            });
        }
    });
    write_truncation(x, page);
}
