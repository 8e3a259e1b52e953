//! The documents `ccoctl aws create-identity-provider` writes for an issuer
//! (spec §2.2–§2.4), for the emulator's built-in issuer: the discovery
//! document and `keys.json` exactly as the issuer serves them, the
//! installer's Authentication manifest, and the dry-run provider file.

use serde::Serialize;
use serde_json::Value;

use super::Error;

/// ccoctl's dry-run file names (§2.3, §2.4).
pub const DISCOVERY_FILE: &str = "02-openid-configuration";
pub const KEYS_FILE: &str = "03-keys.json";
pub const PROVIDER_FILE: &str = "04-iam-identity-provider.json";
/// `manifests/cluster-authentication-02-config.yaml`.
pub const AUTHENTICATION_FILE: &str = "cluster-authentication-02-config.yaml";
/// The thumbprint placeholder of a dry run.
pub const THUMBPRINT_PLACEHOLDER: &str = "<enter_tls_fingerprint_for_issuer_url_here>";

/// The discovery document of `issuer_url`, as ccoctl's Go template writes it (two tab-indented
/// members, the rest indented with spaces, `sub` listed twice, no final newline). The same
/// bytes the built-in issuer serves ([`crate::issuer::Issuer::discovery_json_pretty`]).
pub fn discovery(issuer_url: &str) -> String {
    format!(
        "{{\n\t\"issuer\": \"{issuer_url}\",\n\t\"jwks_uri\": \"{issuer_url}/keys.json\",\n    \"response_types_supported\": [\n        \"id_token\"\n    ],\n    \"subject_types_supported\": [\n        \"public\"\n    ],\n    \"id_token_signing_alg_values_supported\": [\n        \"RS256\"\n    ],\n    \"claims_supported\": [\n        \"aud\",\n        \"exp\",\n        \"sub\",\n        \"iat\",\n        \"iss\",\n        \"sub\"\n    ]\n}}"
    )
}

#[derive(Serialize)]
struct Jwks<'a> {
    keys: Vec<Jwk<'a>>,
}

/// go-jose's member order.
#[derive(Serialize)]
struct Jwk<'a> {
    #[serde(rename = "use")]
    use_: &'a str,
    kty: &'a str,
    kid: &'a str,
    alg: &'a str,
    n: &'a str,
    e: &'a str,
}

/// `keys.json` from a JWKS value (the admin API's, whose members come sorted): go-jose's member
/// order, indented with four spaces, no final newline.
pub fn keys_json(jwks: &Value) -> Result<String, Error> {
    let member = |key: &Value, name: &str| -> Result<String, Error> {
        key[name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Error::new(format!("the issuer's JWKS has a key without `{name}`")))
    };
    let mut owned: Vec<[String; 6]> = Vec::new();
    for key in jwks["keys"].as_array().map(Vec::as_slice).unwrap_or_default() {
        owned.push([
            member(key, "use")?,
            member(key, "kty")?,
            member(key, "kid")?,
            member(key, "alg")?,
            member(key, "n")?,
            member(key, "e")?,
        ]);
    }
    let doc = Jwks {
        keys: owned
            .iter()
            .map(|[use_, kty, kid, alg, n, e]| Jwk {
                use_,
                kty,
                kid,
                alg,
                n,
                e,
            })
            .collect(),
    };
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, serde_json::ser::PrettyFormatter::with_indent(b"    "));
    doc.serialize(&mut ser)
        .map_err(|e| Error::new(format!("cannot write keys.json: {e}")))?;
    String::from_utf8(out).map_err(|e| Error::new(e.to_string()))
}

/// The installer's manifest that sets the cluster's `iss` (ccoctl's template, no final newline).
pub fn authentication_manifest(issuer_url: &str) -> String {
    format!(
        "apiVersion: config.openshift.io/v1\nkind: Authentication\nmetadata:\n  name: cluster\nspec:\n  serviceAccountIssuer: {issuer_url}"
    )
}

/// `04-iam-identity-provider.json` of a dry run (ccoctl's template, with a final newline).
pub fn provider_dry_run(issuer_url: &str) -> String {
    format!(
        "{{\n\t\"Url\": \"{issuer_url}\",\n\t\"ClientIDList\": [\n\t\t\"openshift\",\n\t\t\"sts.amazonaws.com\"\n\t],\n\t\"ThumbprintList\": [\n\t\t\"{THUMBPRINT_PLACEHOLDER}\"\n\t]\n}}\n"
    )
}
