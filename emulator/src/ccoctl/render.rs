//! What ccoctl makes of one CredentialsRequest (spec §1.1–§1.6): the role name
//! and description, the trust policy (a string template, extra spaces and
//! all), the permissions policy (Go's `json.Marshal` of its structs), the
//! Secret manifest and the dry-run files.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::requests::{CredentialsRequest, StatementEntry};
use super::{DRY_RUN_SECRET_LINE, Error, ROLE_NAME_MAX, TOKEN_PATH};

/// Everything needed to make, write or print the role of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct RolePlan {
    /// The request's 0-based index in discovery order (dry-run file names only).
    pub index: usize,
    /// `<metadata.namespace>/<metadata.name>`, for messages.
    pub request: String,
    /// `<--name>-<secretRef.namespace>-<secretRef.name>`, uncut (dry-run file names only).
    pub full_name: String,
    /// The name IAM gets: the full name cut to 64 bytes.
    pub role_name: String,
    pub description: String,
    pub trust_policy: String,
    pub permissions_policy: String,
    pub permissions_boundary: Option<String>,
    /// `--name`, for the tags.
    pub name: String,
    pub secret_name: String,
    pub secret_namespace: String,
}

impl RolePlan {
    /// `manifests/<ns>-<name>-credentials.yaml`, relative to the output directory.
    pub fn secret_file(&self) -> String {
        format!(
            "{}/{}-{}-credentials.yaml",
            super::MANIFESTS_DIR,
            self.secret_namespace,
            self.secret_name
        )
    }

    /// The Secret manifest for the role's ARN; `None` (dry run) leaves it empty and appends the
    /// line that makes the manifest invalid until someone fills it in.
    pub fn secret(&self, role_arn: Option<&str>) -> String {
        secret_manifest(&self.secret_name, &self.secret_namespace, role_arn)
    }

    /// `05-<i>-<full name>-role.json`: CreateRole's input as ccoctl saves it.
    pub fn dry_run_role_file(&self) -> (String, String) {
        let mut fields: Vec<(&str, String)> = vec![
            ("AssumeRolePolicyDocument", go_string(&self.trust_policy)),
            ("Description", go_string(&self.description)),
        ];
        if let Some(b) = &self.permissions_boundary {
            fields.push(("PermissionsBoundary", go_string(b)));
        }
        fields.push(("RoleName", go_string(&self.role_name)));
        let tags: Vec<String> = super::tags(&self.name)
            .iter()
            .map(|(k, v)| format!("{{\"Key\":{},\"Value\":{}}}", go_string(k), go_string(v)))
            .collect();
        fields.push(("Tags", format!("[{}]", tags.join(","))));
        (
            format!("05-{}-{}-role.json", self.index, self.full_name),
            go_object(&fields),
        )
    }

    /// `06-<i>-<full name>-policy.json`: PutRolePolicy's input as ccoctl saves it.
    pub fn dry_run_policy_file(&self) -> (String, String) {
        let fields = [
            ("PolicyDocument", go_string(&self.permissions_policy)),
            ("PolicyName", go_string(&self.role_name)),
            ("RoleName", go_string(&self.role_name)),
        ];
        (
            format!("06-{}-{}-policy.json", self.index, self.full_name),
            go_object(&fields),
        )
    }
}

/// Builds the plans of all requests, checking first what ccoctl checks (provider kind, service
/// accounts) and what it does not but should: two requests that land on one role.
pub fn plan(
    requests: &[CredentialsRequest],
    name: &str,
    provider_arn: &str,
    issuer_url: &str,
    permissions_boundary: Option<&str>,
) -> Result<Vec<RolePlan>, Error> {
    let wrap = |e: Error| e.wrap("Failed while processing each CredentialsRequest");
    let mut plans: Vec<RolePlan> = Vec::with_capacity(requests.len());
    for (index, cr) in requests.iter().enumerate() {
        let plan = plan_one(index, cr, name, provider_arn, issuer_url, permissions_boundary)
            .map_err(|e| wrap(e.wrap(format!("{} (document {})", cr.file.display(), cr.document))))?;
        // IAM names are unique ignoring case.
        if let Some(other) = plans.iter().find(|p| p.role_name.eq_ignore_ascii_case(&plan.role_name)) {
            return Err(wrap(Error::new(format!(
                "CredentialsRequests {} and {} both map to the IAM role {}{}: ccoctl would give both \
                 Secrets that one role, with the trust policy of the first and the permissions of the \
                 last; use a shorter --name or different secretRef names",
                other.request,
                plan.request,
                plan.role_name,
                if plan.full_name.len() > ROLE_NAME_MAX {
                    format!(
                        " (cut to {ROLE_NAME_MAX} bytes from {} and {})",
                        other.full_name, plan.full_name
                    )
                } else {
                    String::new()
                }
            ))));
        }
        plans.push(plan);
    }
    Ok(plans)
}

fn plan_one(
    index: usize,
    cr: &CredentialsRequest,
    name: &str,
    provider_arn: &str,
    issuer_url: &str,
    permissions_boundary: Option<&str>,
) -> Result<RolePlan, Error> {
    let request = format!("{}/{}", cr.namespace, cr.name);
    if cr.provider_kind.as_deref() != Some("AWSProviderSpec") {
        return Err(Error::new(format!("CredentialsRequest {request} is not of type AWS")));
    }
    let full_name = format!("{name}-{}-{}", cr.secret_namespace, cr.secret_name);
    let role_name = shorten(&full_name).to_string();
    let trust_policy = trust_policy(provider_arn, issuer_url, &cr.secret_namespace, &cr.service_accounts)
        .map_err(|e| e.wrap(format!("error while creating Role policy document for {}", cr.name)))?;
    Ok(RolePlan {
        index,
        request,
        full_name,
        role_name,
        description: format!("OpenShift role for {}/{}", cr.secret_namespace, cr.secret_name),
        trust_policy,
        permissions_policy: permissions_policy(&cr.statements),
        permissions_boundary: permissions_boundary.filter(|b| !b.is_empty()).map(str::to_string),
        name: name.to_string(),
        secret_name: cr.secret_name.clone(),
        secret_namespace: cr.secret_namespace.clone(),
    })
}

/// The first 64 bytes (ccoctl's `roleName[0:64]`; the result may end in `-`). A cut inside a
/// multi-byte character backs off to its start, where Go would leave broken UTF-8 that IAM
/// refuses anyway (role names are `[\w+=,.@-]`).
pub fn shorten(full: &str) -> &str {
    if full.len() <= ROLE_NAME_MAX {
        return full;
    }
    let mut end = ROLE_NAME_MAX;
    while !full.is_char_boundary(end) {
        end -= 1;
    }
    &full[..end]
}

/// ccoctl's trust policy, formatted as its template formats it (values inserted unescaped).
pub fn trust_policy(
    provider_arn: &str,
    issuer_url: &str,
    namespace: &str,
    service_accounts: &[String],
) -> Result<String, Error> {
    if service_accounts.is_empty() {
        // Upstream's wording, typo included.
        return Err(Error::new(
            "CredentialsRequest must provide ServieAccounts to bind the Role policy to",
        ));
    }
    let mut subjects = String::new();
    for (i, sa) in service_accounts.iter().enumerate() {
        if i == 0 {
            let _ = write!(subjects, "[ \"system:serviceaccount:{namespace}:{sa}\" ");
        } else {
            let _ = write!(subjects, " , \"system:serviceaccount:{namespace}:{sa}\"");
        }
    }
    subjects.push_str(" ]");
    let condition = format!(" {{ \"StringEquals\": {{ \"{issuer_url}:sub\": {subjects} }} }}");
    Ok(format!(
        "{{ \"Version\": \"2012-10-17\", \"Statement\": [ {{ \"Effect\": \"Allow\", \"Principal\": {{ \"Federated\": \"{provider_arn}\" }}, \"Action\": \"sts:AssumeRoleWithWebIdentity\", \"Condition\": {condition} }} ] }}"
    ))
}

/// The inline policy: compact, `Version` then `Statement`; each statement `Effect`, `Action`,
/// `Resource`, then `Condition` when there is one, its maps in sorted key order.
pub fn permissions_policy(statements: &[StatementEntry]) -> String {
    let mut out = String::from("{\"Version\":\"2012-10-17\",\"Statement\":[");
    for (i, st) in statements.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let action = match &st.action {
            Some(actions) => format!(
                "[{}]",
                actions.iter().map(|a| go_string(a)).collect::<Vec<_>>().join(",")
            ),
            None => "null".to_string(),
        };
        let mut fields = vec![
            ("Effect", go_string(&st.effect)),
            ("Action", action),
            ("Resource", go_string(&st.resource)),
        ];
        if let Some(condition) = st.policy_condition.as_ref().filter(|c| !c.is_empty()) {
            fields.push(("Condition", go_condition(condition)));
        }
        out.push_str(&go_object(&fields));
    }
    out.push_str("]}");
    out
}

fn go_condition(condition: &BTreeMap<String, BTreeMap<String, serde_json::Value>>) -> String {
    let operators: Vec<(&str, String)> = condition
        .iter()
        .map(|(op, keys)| {
            let keys: Vec<(&str, String)> = keys.iter().map(|(k, v)| (k.as_str(), go_value(v))).collect();
            (op.as_str(), go_object(&keys))
        })
        .collect();
    go_object(&operators)
}

/// ccoctl's Secret template: `apiVersion`, `stringData`, `kind`, `metadata`, `type`, no final
/// newline; the profile as a `|-` block.
pub fn secret_manifest(name: &str, namespace: &str, role_arn: Option<&str>) -> String {
    let mut text = format!(
        "apiVersion: v1\nstringData:\n  credentials: |-\n    [default]\n    sts_regional_endpoints = regional\n    role_arn = {}\n    web_identity_token_file = {TOKEN_PATH}\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\ntype: Opaque",
        role_arn.unwrap_or_default()
    );
    if role_arn.is_none() {
        text.push('\n');
        text.push_str(DRY_RUN_SECRET_LINE);
    }
    text
}

/// A JSON object of already-encoded values, in the given order.
fn go_object(fields: &[(&str, String)]) -> String {
    let members: Vec<String> = fields.iter().map(|(k, v)| format!("{}:{v}", go_string(k))).collect();
    format!("{{{}}}", members.join(","))
}

/// Any JSON value as Go's `json.Marshal` writes it: objects with sorted keys, strings escaped.
fn go_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => go_string(s),
        serde_json::Value::Array(items) => format!("[{}]", items.iter().map(go_value).collect::<Vec<_>>().join(",")),
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<(&str, String)> = keys.iter().map(|k| (k.as_str(), go_value(&map[k.as_str()]))).collect();
            go_object(&fields)
        }
        other => other.to_string(),
    }
}

/// A JSON string as Go's `encoding/json` escapes it: HTML-safe (`<`, `>`, `&` as `\u003c` …),
/// U+2028/U+2029 escaped, other control characters as `\u00xx`.
pub fn go_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
