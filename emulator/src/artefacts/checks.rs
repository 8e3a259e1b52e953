//! The checks: one function per artefact kind, and the cross-file checks.

use rolechain_policy::json::Position;
use rolechain_policy::{Finding, Severity};

use super::position_at;
use super::yaml::{self, Node, Value};

/// Where ccoctl's Secret points the SDK for the token (`OidcTokenPath`).
pub const TOKEN_FILE: &str = "/var/run/secrets/openshift/serviceaccount/token";
/// The directory the projected token is mounted at (facts §1.9).
pub const TOKEN_DIR: &str = "/var/run/secrets/openshift/serviceaccount";
/// The client ids of the seed world's OIDC provider (`emulator/seed/world.yaml`).
pub const CLIENT_IDS: [&str; 2] = ["openshift", "sts.amazonaws.com"];
/// Kubernetes' minimum `expirationSeconds` (TokenRequest validation, `MinTokenAgeSec`).
const MIN_TOKEN_SECONDS: u64 = 600;
/// IAM's limit on role names, at which ccoctl cuts (`roleName[0:64]`).
const ROLE_NAME_MAX: usize = 64;
const CR_API_VERSION: &str = "cloudcredential.openshift.io/v1";

type At = (usize, Position);

#[derive(Debug, Default)]
pub struct Facts {
    crs: Vec<Cr>,
    pods: Vec<Pod>,
    secrets: Vec<Secret>,
    ccoctl: Vec<Ccoctl>,
    trusts: Vec<Trust>,
}

#[derive(Debug)]
struct Cr {
    secret: Option<(String, String, At)>,
    service_accounts: Vec<(String, At)>,
}

#[derive(Debug)]
struct Pod {
    namespace: Option<String>,
    service_account: Option<(String, At)>,
    session_name: Option<(String, At)>,
    token_file: Option<(String, At)>,
    secret_names: Vec<(String, At)>,
}

#[derive(Debug)]
struct Secret {
    name: String,
    namespace: String,
    role_arn: Option<(String, At)>,
    token_file: Option<(String, At)>,
}

#[derive(Debug)]
struct Ccoctl {
    name: Option<(String, At)>,
}

#[derive(Debug)]
struct Trust {
    /// Values of `...:sub` conditions.
    subjects: Vec<(String, At)>,
    /// Role-session principals: (role name, session name).
    sessions: Vec<(String, String, At)>,
}

fn err(code: &'static str, message: impl Into<String>, pos: Position, fix: impl Into<String>) -> Finding {
    Finding::error(code, message, pos).with_fix(fix)
}

fn warn(code: &'static str, message: impl Into<String>, pos: Position, fix: impl Into<String>) -> Finding {
    Finding::new(Severity::Warning, code, message, pos).with_fix(fix)
}

pub fn lint_artefact(file: usize, text: &str, facts: &mut Facts) -> super::FileReport {
    if text.trim_start().starts_with("ccoctl") {
        return super::FileReport {
            kind: "ccoctl-command",
            findings: ccoctl(file, text, facts),
        };
    }
    let parsed = yaml::parse(text);
    let mut findings = parsed.findings;
    let mut kind = "kubernetes";
    for doc in &parsed.docs {
        let k = document(file, text, doc, &mut findings, facts);
        if kind == "kubernetes" {
            kind = k;
        }
    }
    if kind == "kubernetes" {
        let pos = parsed.docs.first().map_or_else(Position::default, |d| d.pos);
        findings.push(warn(
            "ARTEFACT_UNKNOWN_KIND",
            "not a CredentialsRequest, Deployment, Pod, pod spec or Secret: nothing here was checked",
            pos,
            "lint CredentialsRequests, workloads, Secrets, policies and ccoctl commands",
        ));
    }
    super::FileReport { kind, findings }
}

fn document(file: usize, text: &str, doc: &Node, out: &mut Vec<Finding>, facts: &mut Facts) -> &'static str {
    let kind = doc.get("kind").and_then(Node::str).unwrap_or("");
    match kind {
        "CredentialsRequest" => {
            credentials_request(file, doc, out, facts);
            "credentials-request"
        }
        "Secret" => {
            secret(file, text, doc, out, facts);
            "secret"
        }
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            let spec = doc.path(&["spec", "template", "spec"]);
            let ns = doc.path(&["metadata", "namespace"]).and_then(Node::str);
            if let Some(spec) = spec {
                pod(file, spec, None, ns, out, facts);
            }
            "deployment"
        }
        "Pod" => {
            let ns = doc.path(&["metadata", "namespace"]).and_then(Node::str);
            if let Some(spec) = doc.get("spec") {
                pod(file, spec, None, ns, out, facts);
            }
            "pod"
        }
        _ if doc.get("containers").is_some() => {
            pod(file, doc, None, None, out, facts);
            "pod-spec"
        }
        _ if doc.path(&["spec", "containers"]).is_some() => {
            let spec = doc.get("spec").unwrap_or(doc);
            pod(file, spec, Some(doc), None, out, facts);
            "pod-spec"
        }
        _ if doc.path(&["spec", "providerSpec"]).is_some() => {
            credentials_request(file, doc, out, facts);
            "credentials-request"
        }
        _ => "kubernetes",
    }
}

// ---------------------------------------------------------------------------
// CredentialsRequest
// ---------------------------------------------------------------------------

fn credentials_request(file: usize, doc: &Node, out: &mut Vec<Finding>, facts: &mut Facts) {
    match doc.get("apiVersion") {
        Some(v) if v.str() == Some(CR_API_VERSION) => {}
        Some(v) => out.push(err(
            "CR_API_VERSION",
            format!(
                "CredentialsRequest's apiVersion is `{}`; the CRD serves `{CR_API_VERSION}`",
                v.str().unwrap_or("")
            ),
            v.pos,
            format!("apiVersion: {CR_API_VERSION}"),
        )),
        None => out.push(err(
            "CR_API_VERSION",
            "the CredentialsRequest has no apiVersion",
            doc.pos,
            format!("add `apiVersion: {CR_API_VERSION}`"),
        )),
    }
    if doc.get("kind").is_none() {
        out.push(err(
            "CR_KIND",
            "the document has no `kind`; ccoctl and the API server need `kind: CredentialsRequest`",
            doc.pos,
            "add `kind: CredentialsRequest`",
        ));
    }
    let Some(spec) = doc.get("spec") else {
        out.push(err(
            "CR_MISSING_SPEC",
            "the CredentialsRequest has no spec",
            doc.pos,
            "add spec.secretRef, spec.providerSpec and spec.serviceAccountNames",
        ));
        return;
    };
    let provider = spec.get("providerSpec");
    match provider.and_then(|p| p.entry("kind")) {
        Some(k) if k.value.str() == Some("AWSProviderSpec") => {}
        Some(k) => out.push(err(
            "CR_PROVIDER_KIND",
            format!(
                "providerSpec.kind is `{}`; ccoctl aws refuses it (\"... is not of type AWS\")",
                k.value.str().unwrap_or("")
            ),
            k.value.pos,
            "kind: AWSProviderSpec",
        )),
        None => out.push(err(
            "CR_PROVIDER_KIND",
            "spec.providerSpec.kind is missing; ccoctl aws refuses the request (\"... is not of type AWS\")",
            provider.map_or(spec.pos, |p| p.pos),
            "add `providerSpec: {apiVersion: cloudcredential.openshift.io/v1, kind: AWSProviderSpec, ...}`",
        )),
    }
    if let Some(p) = provider {
        if let Some(v) = p.get("apiVersion")
            && v.str() != Some(CR_API_VERSION)
        {
            out.push(err(
                "CR_API_VERSION",
                format!("providerSpec.apiVersion must be `{CR_API_VERSION}`"),
                v.pos,
                format!("apiVersion: {CR_API_VERSION}"),
            ));
        }
        statements(p, out);
    }
    // secretRef
    let secret = match spec.get("secretRef") {
        Some(r) => {
            let name = r.get("name").and_then(Node::str);
            let ns = r.get("namespace").and_then(Node::str);
            if name.is_none() || ns.is_none() {
                out.push(err(
                    "CR_SECRET_REF",
                    "spec.secretRef needs both `name` and `namespace`: ccoctl names the role and the Secret \
                     manifest after them",
                    r.pos,
                    "secretRef: {name: <secret name>, namespace: <namespace of the pods>}",
                ));
            }
            name.zip(ns).map(|(n, s)| (n.to_string(), s.to_string(), (file, r.pos)))
        }
        None => {
            out.push(err(
                "CR_SECRET_REF",
                "spec.secretRef is missing (required): ccoctl names the role `<--name>-<namespace>-<name>` after it",
                spec.pos,
                "add `secretRef: {name: <secret name>, namespace: <namespace of the pods>}`",
            ));
            None
        }
    };
    let mut sas = Vec::new();
    match spec.entry("serviceAccountNames") {
        Some(e) if !e.value.items().is_empty() => {
            for item in e.value.items() {
                if let Some(s) = item.str() {
                    sas.push((s.to_string(), (file, item.pos)));
                }
            }
        }
        other => out.push(err(
            "CR_NO_SERVICE_ACCOUNTS",
            "spec.serviceAccountNames is empty: ccoctl refuses the request (\"CredentialsRequest must provide \
             ServieAccounts to bind the Role policy to\")",
            other.map_or(spec.pos, |e| e.key_pos),
            "list the service accounts the pods run as: `serviceAccountNames: [dev-db-reader]`",
        )),
    }
    if let Some(e) = spec.entry("cloudTokenPath") {
        out.push(warn(
            "CR_CLOUD_TOKEN_PATH_IGNORED",
            format!(
                "ccoctl ignores spec.cloudTokenPath: the Secret it writes always points at `{TOKEN_FILE}` \
                 (only the in-cluster CCO STS flow reads this field)"
            ),
            e.key_pos,
            format!("remove cloudTokenPath and mount the projected token at `{TOKEN_DIR}`"),
        ));
    }
    facts.crs.push(Cr {
        secret,
        service_accounts: sas,
    });
}

fn statements(provider: &Node, out: &mut Vec<Finding>) {
    let Some(entries) = provider.entry("statementEntries") else {
        out.push(err(
            "CR_NO_STATEMENTS",
            "providerSpec.statementEntries is missing: the role would get an empty permissions policy",
            provider.pos,
            "add `statementEntries: [{effect: Allow, action: [...], resource: ...}]`",
        ));
        return;
    };
    for st in entries.value.items() {
        match st.entry("effect") {
            Some(e) => {
                let v = e.value.str().unwrap_or("");
                if v != "Allow" && v != "Deny" {
                    let fixed = if v.eq_ignore_ascii_case("allow") {
                        "Allow"
                    } else if v.eq_ignore_ascii_case("deny") {
                        "Deny"
                    } else {
                        "Allow or Deny"
                    };
                    out.push(err(
                        "CR_STATEMENT_EFFECT",
                        format!("effect `{v}`: IAM accepts only `Allow` or `Deny`, with that casing"),
                        e.value.pos,
                        format!("effect: {fixed}"),
                    ));
                }
            }
            None => out.push(err(
                "CR_STATEMENT_EFFECT",
                "the statement has no effect; IAM refuses the policy ccoctl writes from it",
                st.pos,
                "add `effect: Allow`",
            )),
        }
        match st.get("action") {
            Some(a) if !a.items().is_empty() => {}
            Some(a) if a.str().is_some() => out.push(err(
                "CR_STATEMENT_ACTION",
                "action must be a list of strings (`[]string` in AWSProviderSpec)",
                a.pos,
                format!("action: [{}]", a.str().unwrap_or("")),
            )),
            _ => out.push(err(
                "CR_STATEMENT_ACTION",
                "the statement has no action (\"Policy statement must contain actions.\")",
                st.pos,
                "add `action: [sts:AssumeRole]` (the actions the role may call)",
            )),
        }
        match st.get("resource") {
            Some(r) => {
                if let Some(s) = r.str() {
                    if let Some(what) = placeholder_in_arn(s) {
                        out.push(err(
                            "ARN_PLACEHOLDER",
                            format!("resource `{s}` still holds the placeholder {what}: IAM refuses it"),
                            r.pos,
                            "put the 12-digit account id of the target role's account in place of the placeholder, \
                             e.g. `arn:aws:iam::222222222222:role/dynamodb-reader`",
                        ));
                    }
                } else {
                    out.push(err(
                        "CR_STATEMENT_RESOURCE",
                        "resource must be one string in AWSProviderSpec",
                        r.pos,
                        "resource: \"arn:aws:...\" (one statement per resource)",
                    ));
                }
            }
            None => out.push(err(
                "CR_STATEMENT_RESOURCE",
                "the statement has no resource; IAM refuses the policy ccoctl writes from it",
                st.pos,
                "add `resource: \"arn:aws:...\"`",
            )),
        }
    }
}

/// Describes a placeholder left in an ARN, if any.
pub fn placeholder_in_arn(arn: &str) -> Option<String> {
    if let Some(start) = arn.find('<') {
        let end = arn[start..].find('>').map_or(arn.len(), |e| start + e + 1);
        return Some(format!("`{}`", &arn[start..end]));
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" {
        let account = parts[4];
        let needs_account = parts[2] != "s3" && !account.eq_ignore_ascii_case("aws");
        if needs_account && !account.is_empty() && !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        {
            return Some(format!("`{account}` where the 12-digit account id belongs"));
        }
    }
    for word in ["ACCOUNT_ID", "ACCOUNT-ID", "AWS_ACCOUNT_ID", "REPLACE", "CHANGEME"] {
        if arn.contains(word) {
            return Some(format!("`{word}`"));
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------

const POD_FIELDS: [&str; 6] = [
    "volumes",
    "serviceAccount",
    "serviceAccountName",
    "containers",
    "initContainers",
    "automountServiceAccountToken",
];

fn pod(file: usize, spec: &Node, outer: Option<&Node>, ns: Option<&str>, out: &mut Vec<Finding>, facts: &mut Facts) {
    // Pod-spec fields written beside `spec` instead of inside it.
    let mut stray: Vec<&yaml::Entry> = Vec::new();
    if let Some(outer) = outer {
        for e in outer.entries() {
            if POD_FIELDS.contains(&e.key.as_str()) {
                out.push(err(
                    "POD_FIELD_OUTSIDE_SPEC",
                    format!(
                        "`{}` is beside `spec`, not inside it: Kubernetes reads it only in the pod spec (beside \
                         `containers`), so here it is ignored or refused",
                        e.key
                    ),
                    e.key_pos,
                    format!("move `{}` into `spec`, at the indentation of `containers`", e.key),
                ));
                stray.push(e);
            }
        }
    }
    let field = |key: &str| spec.entry(key).or_else(|| stray.iter().copied().find(|e| e.key == key));
    // Service account.
    let sa_name = field("serviceAccountName");
    if let Some(e) = field("serviceAccount") {
        out.push(warn(
            "POD_SERVICE_ACCOUNT_DEPRECATED",
            "`serviceAccount` is the deprecated alias of `serviceAccountName`",
            e.key_pos,
            format!("serviceAccountName: {}", e.value.str().unwrap_or("<name>")),
        ));
    }
    let sa = sa_name.or_else(|| field("serviceAccount"));
    if sa.is_none() {
        out.push(warn(
            "POD_NO_SERVICE_ACCOUNT",
            "no serviceAccountName: the pod runs as `default`, which the ccoctl role does not trust",
            spec.pos,
            "serviceAccountName: <one of the CredentialsRequest's serviceAccountNames>",
        ));
    }
    // Volumes.
    let volumes: Vec<&Node> = field("volumes")
        .map(|e| e.value.items().iter().collect())
        .unwrap_or_default();
    let vol_name = |v: &Node| v.get("name").and_then(Node::str).unwrap_or("").to_string();
    let mut token_volume: Option<(&Node, &Node)> = None; // (volume, serviceAccountToken source)
    let mut secret_volumes: Vec<(String, String, Option<&Node>)> = Vec::new(); // (volume, secretName, items)
    for v in &volumes {
        if let Some(sources) = v.path(&["projected", "sources"]) {
            for s in sources.items() {
                let Some(e) = s.entry("serviceAccountToken") else {
                    continue;
                };
                let beside: Vec<&yaml::Entry> = s
                    .entries()
                    .iter()
                    .filter(|x| ["audience", "expirationSeconds", "path"].contains(&x.key.as_str()))
                    .collect();
                if e.value.value == Value::Null && !beside.is_empty() {
                    let keys: Vec<&str> = beside.iter().map(|x| x.key.as_str()).collect();
                    out.push(err(
                        "POD_TOKEN_FIELDS_MISPLACED",
                        format!(
                            "{} are beside `serviceAccountToken`, not inside it: the source then projects no token \
                             and the API server refuses the pod (the keys are unknown fields of a projected source)",
                            keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                        ),
                        beside[0].key_pos,
                        format!(
                            "indent {} two spaces deeper than `serviceAccountToken`",
                            keys.join(", ")
                        ),
                    ));
                    token_volume.get_or_insert((v, s));
                } else {
                    token_volume.get_or_insert((v, &e.value));
                }
            }
        }
        if let Some(s) = v.get("secret") {
            let name = s.get("secretName").and_then(Node::str).unwrap_or("").to_string();
            secret_volumes.push((vol_name(v), name, s.get("items")));
        }
    }
    let containers: Vec<&Node> = field("containers")
        .map(|e| e.value.items().iter().collect())
        .unwrap_or_default();
    let mounts: Vec<&Node> = containers
        .iter()
        .flat_map(|c| c.get("volumeMounts").map(Node::items).unwrap_or(&[]))
        .collect();
    let defined: Vec<String> = volumes.iter().map(|v| vol_name(v)).collect();
    for m in &mounts {
        if let Some(n) = m.get("name")
            && let Some(name) = n.str()
            && !defined.iter().any(|d| d == name)
        {
            out.push(err(
                "POD_VOLUME_UNDEFINED",
                format!("volumeMount `{name}` names no volume of the pod spec: the pod is refused"),
                n.pos,
                format!("add a volume named `{name}` under spec.volumes"),
            ));
        }
    }
    let mount_of = |volume: &str| {
        mounts
            .iter()
            .find(|m| m.get("name").and_then(Node::str) == Some(volume))
            .copied()
    };
    // The projected token.
    let mut token_file = None;
    match token_volume {
        None => out.push(err(
            "POD_NO_TOKEN_VOLUME",
            "no projected serviceAccountToken volume: the SDK finds no web identity token at the Secret's \
             web_identity_token_file",
            spec.pos,
            format!(
                "add a volume `bound-sa-token` with `projected.sources: [{{serviceAccountToken: {{audience: openshift, \
                 expirationSeconds: 3600, path: token}}}}]` and mount it read-only at `{TOKEN_DIR}`"
            ),
        )),
        Some((volume, t)) => {
            match t.get("audience") {
                Some(a) if a.str().is_some_and(|s| CLIENT_IDS.contains(&s)) => {}
                Some(a) => out.push(err(
                    "POD_TOKEN_AUDIENCE",
                    format!(
                        "token audience `{}` is not a client id of the IAM OIDC provider ({}): STS refuses the \
                         token (InvalidIdentityToken: Incorrect token audience)",
                        a.str().unwrap_or(""),
                        CLIENT_IDS.join(", ")
                    ),
                    a.pos,
                    "audience: openshift",
                )),
                None => out.push(err(
                    "POD_TOKEN_AUDIENCE",
                    "the token has no audience, so it gets the API server's, which the IAM OIDC provider does not \
                     list",
                    t.pos,
                    "audience: openshift",
                )),
            }
            if let Some(x) = t.get("expirationSeconds") {
                match x.str().and_then(|s| s.parse::<u64>().ok()) {
                    Some(n) if n >= MIN_TOKEN_SECONDS => {}
                    _ => out.push(err(
                        "POD_TOKEN_EXPIRATION",
                        format!(
                            "expirationSeconds `{}`: Kubernetes requires at least {MIN_TOKEN_SECONDS} (10 minutes)",
                            x.str().unwrap_or("")
                        ),
                        x.pos,
                        "expirationSeconds: 3600",
                    )),
                }
            }
            let path = t.get("path").and_then(Node::str);
            if path.is_none_or(|p| p != "token") {
                out.push(err(
                    "POD_TOKEN_PATH",
                    format!(
                        "the token file is named `{}`; ccoctl's Secret points the SDK at `.../token`",
                        path.unwrap_or("")
                    ),
                    t.get("path").map_or(t.pos, |p| p.pos),
                    "path: token",
                ));
            }
            let name = vol_name(volume);
            match mount_of(&name) {
                None => out.push(err(
                    "POD_TOKEN_NOT_MOUNTED",
                    format!("the token volume `{name}` is mounted in no container"),
                    volume.pos,
                    format!("mount `{name}` at `{TOKEN_DIR}` (readOnly: true)"),
                )),
                Some(m) => {
                    let mp = m.get("mountPath");
                    let dir = mp.and_then(Node::str).unwrap_or("").trim_end_matches('/');
                    let at = mp.map_or(m.pos, |n| n.pos);
                    token_file = Some((format!("{dir}/{}", path.unwrap_or("token")), (file, at)));
                    if m.get("readOnly").and_then(Node::str) != Some("true") {
                        out.push(
                            Finding::new(
                                Severity::Suggestion,
                                "POD_TOKEN_MOUNT_WRITABLE",
                                "the token is mounted writable; nothing in the pod should write it",
                                m.pos,
                            )
                            .with_fix("readOnly: true"),
                        );
                    }
                }
            }
        }
    }
    if let Some((f, (_, at))) = &token_file
        && f != TOKEN_FILE
    {
        out.push(err(
            "POD_TOKEN_FILE_MISMATCH",
            format!("the token lands at `{f}`, but ccoctl's Secret sets web_identity_token_file = {TOKEN_FILE}"),
            *at,
            format!("mountPath: {TOKEN_DIR}"),
        ));
    }
    // The Secret's mount and the SDK's file variables.
    let secret_dirs: Vec<(String, String, Vec<String>)> = secret_volumes
        .iter()
        .filter_map(|(vol, secret, items)| {
            let m = mount_of(vol)?;
            let dir = m
                .get("mountPath")
                .and_then(Node::str)?
                .trim_end_matches('/')
                .to_string();
            let files = match items {
                Some(items) => items
                    .items()
                    .iter()
                    .filter_map(|i| i.get("path").and_then(Node::str).map(str::to_string))
                    .collect(),
                None => vec!["credentials".to_string()],
            };
            Some((dir, secret.clone(), files))
        })
        .collect();
    let env: Vec<&Node> = containers
        .iter()
        .flat_map(|c| c.get("env").map(Node::items).unwrap_or(&[]))
        .collect();
    let env_var = |name: &str| {
        env.iter()
            .find(|e| e.get("name").and_then(Node::str) == Some(name))
            .copied()
    };
    let files = ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"];
    let mut any_file = false;
    for var in files {
        let Some(e) = env_var(var) else { continue };
        any_file = true;
        let value = e.get("value");
        let v = value.and_then(Node::str).unwrap_or("");
        let ok = secret_dirs
            .iter()
            .any(|(dir, _, keys)| keys.iter().any(|k| v == format!("{dir}/{k}")));
        if !ok {
            let want = secret_dirs
                .first()
                .map_or("<secret mountPath>/credentials".to_string(), |(d, _, k)| {
                    format!("{d}/{}", k.first().map_or("credentials", String::as_str))
                });
            out.push(err(
                "POD_AWS_FILE_OUTSIDE_SECRET",
                format!("{var} is `{v}`, which is not the `credentials` file of a mounted Secret volume"),
                value.map_or(e.pos, |n| n.pos),
                format!("value: {want}"),
            ));
        }
    }
    if !any_file && !secret_dirs.is_empty() {
        out.push(warn(
            "POD_AWS_FILE_UNSET",
            "neither AWS_CONFIG_FILE nor AWS_SHARED_CREDENTIALS_FILE is set: the SDK never reads the mounted Secret",
            containers.first().map_or(spec.pos, |c| c.pos),
            format!(
                "env: [{{name: AWS_SHARED_CREDENTIALS_FILE, value: {}/credentials}}]",
                secret_dirs[0].0
            ),
        ));
    }
    let session_name = env_var("AWS_ROLE_SESSION_NAME").and_then(|e| {
        let v = e.get("value")?;
        Some((v.str()?.to_string(), (file, v.pos)))
    });
    facts.pods.push(Pod {
        namespace: ns.map(str::to_string),
        // A pod that names no service account (or an empty one) runs as `default`, and its token
        // says so: the cross-file checks must see that name too, or lint would pass a pod STS refuses.
        service_account: Some(
            sa.and_then(|e| {
                let name = e.value.str().filter(|s| !s.is_empty())?;
                Some((name.to_string(), (file, e.value.pos)))
            })
            .unwrap_or_else(|| ("default".to_string(), (file, spec.pos))),
        ),
        session_name,
        token_file,
        secret_names: secret_volumes
            .iter()
            .map(|(_, s, _)| (s.clone(), (file, spec.pos)))
            .collect(),
    });
}

// ---------------------------------------------------------------------------
// Secret
// ---------------------------------------------------------------------------

fn secret(file: usize, source: &str, doc: &Node, out: &mut Vec<Finding>, facts: &mut Facts) {
    let name = doc
        .path(&["metadata", "name"])
        .and_then(Node::str)
        .unwrap_or("")
        .to_string();
    let namespace = doc
        .path(&["metadata", "namespace"])
        .and_then(Node::str)
        .unwrap_or("")
        .to_string();
    let Some(creds) = doc.path(&["stringData", "credentials"]) else {
        let at = doc
            .get("data")
            .or_else(|| doc.get("stringData"))
            .map_or(doc.pos, |n| n.pos);
        if doc.path(&["data", "credentials"]).is_none() {
            out.push(err(
                "SECRET_NO_CREDENTIALS",
                "the Secret has no `credentials` key: ccoctl's Secret holds the SDK profile under stringData.credentials",
                at,
                "stringData: {credentials: \"[default]\\nsts_regional_endpoints = regional\\nrole_arn = ...\\n\
                 web_identity_token_file = /var/run/secrets/openshift/serviceaccount/token\"}",
            ));
        }
        facts.secrets.push(Secret {
            name,
            namespace,
            role_arn: None,
            token_file: None,
        });
        return;
    };
    let text = creds.str().unwrap_or("");
    let at_line = |n: usize, col: usize| {
        let line = creds.pos.line as usize + n;
        let start: usize = source
            .split('\n')
            .take(line.saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum();
        let column = creds.pos.column as usize + col;
        let offset = start
            + source.get(start..).map_or(0, |rest| {
                rest.char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(rest.len(), |(i, _)| i)
            });
        position_at(source, offset)
    };
    let mut role_arn = None;
    let mut token_file = None;
    let mut regional = false;
    let mut profile = None;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        let lead = line.len() - line.trim_start().len();
        if t.starts_with('[') {
            profile = Some(t.trim_matches(['[', ']']).trim().to_string());
            continue;
        }
        let Some((k, v)) = t.split_once('=') else { continue };
        let (k, v) = (k.trim(), v.trim());
        let vcol = lead + line.trim_start().find('=').map_or(0, |i| i + 1) + 1;
        match k {
            "role_arn" => role_arn = Some((v.to_string(), (file, at_line(n, vcol)))),
            "web_identity_token_file" => token_file = Some((v.to_string(), (file, at_line(n, vcol)))),
            "sts_regional_endpoints" => regional = true,
            "role_name" => out.push(err(
                "SECRET_ROLE_NAME_KEY",
                "`role_name` is not an SDK key (a typo in CCO's docs): the profile has no role, so web-identity \
                 credentials are never loaded",
                at_line(n, lead),
                format!(
                    "role_arn = {}",
                    if v.starts_with("arn:") {
                        v
                    } else {
                        "arn:aws:iam::<account>:role/<name>"
                    }
                ),
            )),
            _ => {}
        }
    }
    if profile.as_deref() != Some("default") {
        out.push(warn(
            "SECRET_PROFILE",
            "the credentials have no `[default]` profile; ccoctl writes `[default]`, and the SDK reads it unless \
             AWS_PROFILE says otherwise",
            creds.pos,
            "begin the credentials with `[default]`",
        ));
    }
    match &role_arn {
        None => out.push(err(
            "SECRET_NO_ROLE_ARN",
            "the credentials profile has no role_arn: the SDK does not use web identity",
            creds.pos,
            "role_arn = arn:aws:iam::<account>:role/<ccoctl role name>",
        )),
        Some((arn, (_, at))) => {
            if let Some(what) = placeholder_in_arn(arn) {
                out.push(err(
                    "ARN_PLACEHOLDER",
                    format!("role_arn `{arn}` still holds the placeholder {what}"),
                    *at,
                    "the ARN ccoctl printed for the role",
                ));
            }
        }
    }
    match &token_file {
        None => out.push(err(
            "SECRET_NO_TOKEN_FILE",
            "the credentials profile has no web_identity_token_file",
            creds.pos,
            format!("web_identity_token_file = {TOKEN_FILE}"),
        )),
        Some((f, (_, at))) if f != TOKEN_FILE => out.push(warn(
            "SECRET_TOKEN_FILE",
            format!("web_identity_token_file is `{f}`; ccoctl always writes `{TOKEN_FILE}`"),
            *at,
            format!("web_identity_token_file = {TOKEN_FILE} (and mount the token there)"),
        )),
        Some(_) => {}
    }
    if !regional {
        out.push(
            Finding::new(
                Severity::Suggestion,
                "SECRET_STS_REGIONAL_ENDPOINTS",
                "no `sts_regional_endpoints = regional`: older SDKs then call the global STS endpoint",
                creds.pos,
            )
            .with_fix("sts_regional_endpoints = regional"),
        );
    }
    facts.secrets.push(Secret {
        name,
        namespace,
        role_arn,
        token_file,
    });
}

// ---------------------------------------------------------------------------
// ccoctl command line
// ---------------------------------------------------------------------------

fn ccoctl(file: usize, text: &str, facts: &mut Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    // Words with their byte offsets; `\` line continuations are blanks.
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let blank = c.is_whitespace() || (c == '\\' && text[i + 1..].starts_with(['\n', '\r']));
        match (blank, start) {
            (true, Some(s)) => {
                words.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &text[s..]));
    }
    let flag = |name: &str| -> Option<(String, usize)> {
        let long = format!("--{name}");
        words.iter().enumerate().find_map(|(i, (off, w))| {
            if let Some(v) = w.strip_prefix(&long).and_then(|r| r.strip_prefix('=')) {
                Some((v.trim_matches(['"', '\'']).to_string(), off + long.len() + 1))
            } else if *w == long {
                words
                    .get(i + 1)
                    .map(|(o, v)| (v.trim_matches(['"', '\'']).to_string(), *o))
            } else {
                None
            }
        })
    };
    let cmd_pos = position_at(text, words.first().map_or(0, |w| w.0));
    for required in ["name", "credentials-requests-dir", "identity-provider-arn"] {
        if flag(required).is_none() {
            out.push(err(
                "CCOCTL_MISSING_FLAG",
                format!("`--{required}` is required by ccoctl aws create-iam-roles"),
                cmd_pos,
                format!("add `--{required}=...`"),
            ));
        }
    }
    if let Some((arn, off)) = flag("identity-provider-arn") {
        let pos = position_at(text, off);
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let shape = parts.len() == 6 && parts[0] == "arn" && parts[2] == "iam";
        let host = parts
            .get(5)
            .and_then(|r| r.strip_prefix("oidc-provider/"))
            .unwrap_or("");
        if let Some(what) = placeholder_in_arn(&arn) {
            out.push(err(
                "ARN_PLACEHOLDER",
                format!("--identity-provider-arn `{arn}` still holds the placeholder {what}"),
                pos,
                "the ARN `ccoctl aws create-identity-provider` printed: \
                 arn:aws:iam::<12-digit account id>:oidc-provider/<issuer host and path>",
            ));
        }
        if !shape || host.is_empty() {
            out.push(err(
                "CCOCTL_PROVIDER_ARN",
                format!("`{arn}` is not an IAM OIDC provider ARN"),
                pos,
                "arn:aws:iam::<account id>:oidc-provider/<issuer host and path>",
            ));
        } else if !host.split('/').next().unwrap_or("").contains('.') {
            let pos = position_at(
                text,
                off + arn.find("oidc-provider/").map_or(0, |i| i + "oidc-provider/".len()),
            );
            out.push(err(
                "ARN_PLACEHOLDER",
                format!(
                    "the provider in `{arn}` is `{host}`, a placeholder: it must be the issuer URL without \
                     `https://` (e.g. `oidc.rolechain.local/my-cluster`); ccoctl reads the issuer from it to \
                     write the trust policy's `:sub` condition"
                ),
                pos,
                "the issuer host and path of the cluster's service-account issuer",
            ));
        }
    }
    facts.ccoctl.push(Ccoctl {
        name: flag("name").map(|(n, off)| (n, (file, position_at(text, off)))),
    });
    out
}

// ---------------------------------------------------------------------------
// Policies (facts only)
// ---------------------------------------------------------------------------

pub fn policy_facts(file: usize, text: &str, facts: &mut Facts) {
    let Ok(json) = rolechain_policy::json::parse(text) else {
        return;
    };
    let doc = yaml::from_json(&json);
    let mut trust = Trust {
        subjects: Vec::new(),
        sessions: Vec::new(),
    };
    let statements: Vec<&Node> = match doc.get("Statement") {
        Some(s) if s.is_map() => vec![s],
        Some(s) => s.items().iter().collect(),
        None => Vec::new(),
    };
    for st in statements {
        for (_, cond) in st
            .get("Condition")
            .map(Node::entries)
            .unwrap_or(&[])
            .iter()
            .map(|e| (&e.key, &e.value))
        {
            for e in cond.entries() {
                if e.key.ends_with(":sub") {
                    let values: Vec<&Node> = match &e.value.value {
                        Value::Seq(v) => v.iter().collect(),
                        _ => vec![&e.value],
                    };
                    for v in values {
                        if let Some(s) = v.str() {
                            trust.subjects.push((s.to_string(), (file, v.pos)));
                        }
                    }
                }
            }
        }
        if let Some(aws) = st.path(&["Principal", "AWS"]) {
            let values: Vec<&Node> = match &aws.value {
                Value::Seq(v) => v.iter().collect(),
                _ => vec![aws],
            };
            for v in values {
                let Some(s) = v.str() else { continue };
                if let Some(rest) = s.split_once(":assumed-role/").map(|(_, r)| r)
                    && let Some((role, session)) = rest.split_once('/')
                {
                    trust
                        .sessions
                        .push((role.to_string(), session.to_string(), (file, v.pos)));
                }
            }
        }
    }
    if !trust.subjects.is_empty() || !trust.sessions.is_empty() {
        facts.trusts.push(trust);
    }
}

// ---------------------------------------------------------------------------
// Across files
// ---------------------------------------------------------------------------

pub fn cross(facts: &Facts) -> Vec<(usize, Finding)> {
    let mut out = Vec::new();
    // The pod's service account must be one the CredentialsRequest binds the role to.
    for pod in &facts.pods {
        let Some((sa, (file, at))) = &pod.service_account else {
            continue;
        };
        for cr in &facts.crs {
            if !cr.service_accounts.is_empty() && !cr.service_accounts.iter().any(|(s, _)| s == sa) {
                let names: Vec<&str> = cr.service_accounts.iter().map(|(s, _)| s.as_str()).collect();
                out.push((
                    *file,
                    err(
                        "XREF_SERVICE_ACCOUNT",
                        format!(
                            "the pod runs as `{sa}`, but the CredentialsRequest binds the role to {}: STS refuses \
                             the token (AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity)",
                            names.join(", ")
                        ),
                        *at,
                        format!("serviceAccountName: {}", names[0]),
                    ),
                ));
            }
        }
        // The trust policies' `:sub` against the pod's namespace and service account.
        let ns = pod
            .namespace
            .clone()
            .or_else(|| facts.crs.iter().find_map(|c| c.secret.as_ref().map(|s| s.1.clone())));
        if let Some(ns) = ns {
            let subject = format!("system:serviceaccount:{ns}:{sa}");
            for t in &facts.trusts {
                if !t.subjects.is_empty() && !t.subjects.iter().any(|(s, _)| wildcard(s, &subject)) {
                    let (_, (tf, tat)) = &t.subjects[0];
                    out.push((
                        *tf,
                        err(
                            "XREF_TRUST_SUBJECT",
                            format!(
                                "the trust policy's `:sub` does not match the pod's `{subject}`: STS refuses its \
                                 token (AccessDenied)"
                            ),
                            *tat,
                            format!("\"{subject}\""),
                        ),
                    ));
                }
            }
        }
        // Session names a trust policy expects.
        for t in &facts.trusts {
            for (role, session, (tf, tat)) in &t.sessions {
                let actual = pod.session_name.as_ref().map(|(s, _)| s.as_str());
                if session.starts_with('<') || actual == Some(session.as_str()) {
                    continue;
                }
                out.push((
                    *tf,
                    err(
                        "XREF_SESSION_NAME",
                        format!(
                            "the trust policy trusts only the session `{session}` of `{role}`, but the pod's \
                             session name is {}",
                            actual.map_or("chosen by the SDK (AWS_ROLE_SESSION_NAME is unset)".to_string(), |a| {
                                format!("`{a}` (AWS_ROLE_SESSION_NAME)")
                            })
                        ),
                        *tat,
                        format!("trust the role itself: \"AWS\": \"arn:aws:iam::<account>:role/{role}\""),
                    ),
                ));
            }
        }
        // Token file vs the Secret's web_identity_token_file.
        if let Some((tf, (file, at))) = &pod.token_file {
            for s in &facts.secrets {
                if let Some((want, _)) = &s.token_file
                    && want != tf
                    && want != TOKEN_FILE
                {
                    out.push((
                        *file,
                        err(
                            "XREF_TOKEN_FILE",
                            format!("the token lands at `{tf}`, but the Secret's web_identity_token_file is `{want}`"),
                            *at,
                            format!("mountPath: {}", want.rsplit_once('/').map_or(want.as_str(), |(d, _)| d)),
                        ),
                    ));
                }
            }
        }
        // The Secret volume names a Secret the CredentialsRequest produces.
        for (secret, (file, at)) in &pod.secret_names {
            let crs: Vec<&str> = facts
                .crs
                .iter()
                .filter_map(|c| c.secret.as_ref().map(|s| s.0.as_str()))
                .collect();
            if !crs.is_empty() && !crs.contains(&secret.as_str()) {
                out.push((
                    *file,
                    warn(
                        "XREF_SECRET_NAME",
                        format!(
                            "the pod mounts Secret `{secret}`, which no CredentialsRequest produces ({})",
                            crs.join(", ")
                        ),
                        *at,
                        format!("secretName: {}", crs[0]),
                    ),
                ));
            }
        }
    }
    // ccoctl role names: length, and the Secret's role_arn.
    for c in &facts.ccoctl {
        let Some((name, (file, at))) = &c.name else { continue };
        for cr in &facts.crs {
            let Some((sname, sns, _)) = &cr.secret else { continue };
            let full = format!("{name}-{sns}-{sname}");
            let role: String = full.chars().take(ROLE_NAME_MAX).collect();
            if full.len() > ROLE_NAME_MAX {
                out.push((
                    *file,
                    warn(
                        "CCOCTL_ROLE_NAME_TRUNCATED",
                        format!(
                            "the role name `{full}` is {} characters; ccoctl cuts it to 64: `{role}` (two requests \
                             may collide)",
                            full.len()
                        ),
                        *at,
                        "a shorter --name (or shorter secretRef names)",
                    ),
                ));
            }
            for s in &facts.secrets {
                if s.name != *sname || s.namespace != *sns {
                    continue;
                }
                if let Some((arn, (sf, sat))) = &s.role_arn
                    && arn.rsplit('/').next() != Some(role.as_str())
                {
                    out.push((
                        *sf,
                        err(
                            "XREF_ROLE_ARN",
                            format!("role_arn `{arn}` is not the role ccoctl creates, `{role}`"),
                            *sat,
                            format!("role_arn = arn:aws:iam::<account>:role/{role}"),
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// IAM `StringLike`-style match (`*`, `?`), also right for `StringEquals` values without them.
fn wildcard(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}
