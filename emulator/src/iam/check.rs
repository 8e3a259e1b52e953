//! IAM's parameter constraints (botocore's IAM model: lengths and patterns,
//! which the SDKs do not check client-side) and its document rules, with
//! AWS's wording. Member names are lowerCamelCase, as the Coral message has them.

use rolechain_policy::kind::PolicyKind;
use rolechain_policy::policy::Policy;

use crate::error::{AwsError, Violations};
use crate::state::Tag;

use super::{invalid_input, limit_exceeded};

/// IAM's limit on tags per entity.
pub const MAX_TAGS: usize = 50;
/// Upper bound of every policy document parameter (IAM model `policyDocumentType`).
const MAX_DOCUMENT_PARAM: usize = 131_072;

/// `[\w+=,.@-]+`: user, role and policy names.
pub fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

pub fn name(v: &mut Violations, value: &str, member: &str, max: usize) {
    v.length(value, member, 1, max);
    v.pattern(value, member, r"[\w+=,.@-]+", name_char);
}

/// `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, 1–512.
pub fn path(v: &mut Violations, value: &str, member: &str) {
    v.length(value, member, 1, 512);
    let shaped = value == "/"
        || (value.len() >= 3
            && value.starts_with('/')
            && value.ends_with('/')
            && value.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c)));
    if !shaped {
        v.add(
            value,
            member,
            r"Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
        );
    }
}

/// `\u002F[\u0021-\u007F]*`, 1–512.
pub fn path_prefix(v: &mut Violations, value: &str, member: &str) {
    v.length(value, member, 1, 512);
    if !value.starts_with('/') || !value.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c)) {
        v.add(
            value,
            member,
            r"Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*",
        );
    }
}

pub fn description(v: &mut Violations, value: &str, member: &str) {
    v.length(value, member, 0, 1000);
    v.pattern(
        value,
        member,
        r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*",
        |c| matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'),
    );
}

pub fn document(v: &mut Violations, value: &str, member: &str) {
    v.length(value, member, 1, MAX_DOCUMENT_PARAM);
    v.pattern(value, member, r"[\u0009\u000A\u000D\u0020-\u00FF]+", |c| {
        matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{ff}')
    });
}

pub fn arn(v: &mut Violations, value: &str, member: &str) {
    v.length(value, member, 20, 2048);
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// The tag list constraints, then IAM's own rules on tag keys.
pub fn tags(v: &mut Violations, tags: &[Tag], member: &str) {
    if tags.len() > MAX_TAGS {
        v.add(
            "[...]",
            member,
            &format!("Member must have length less than or equal to {MAX_TAGS}"),
        );
    }
    for (i, tag) in tags.iter().enumerate() {
        let key = format!("{member}.{}.member.key", i + 1);
        let value = format!("{member}.{}.member.value", i + 1);
        v.length(&tag.key, &key, 1, 128);
        v.pattern(&tag.key, &key, r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", tag_char);
        v.length(&tag.value, &value, 0, 256);
        v.pattern(&tag.value, &value, r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", tag_char);
    }
}

pub fn tag_keys(v: &mut Violations, keys: &[String], member: &str) {
    if keys.len() > MAX_TAGS {
        v.add(
            "[...]",
            member,
            &format!("Member must have length less than or equal to {MAX_TAGS}"),
        );
    }
    for (i, key) in keys.iter().enumerate() {
        let m = format!("{member}.{}.member", i + 1);
        v.length(key, &m, 1, 128);
        v.pattern(key, &m, r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", tag_char);
    }
}

/// What IAM checks of tags beyond the model: no key twice (keys are
/// case-insensitive) and no `aws:` prefix, which AWS reserves.
pub fn tag_rules(tags: &[Tag]) -> Result<(), AwsError> {
    for (i, tag) in tags.iter().enumerate() {
        if tags[..i].iter().any(|t| t.key.eq_ignore_ascii_case(&tag.key)) {
            return Err(invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        if tag.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_input(format!(
                "User is not authorized to use the aws: prefix in tag key {}.",
                tag.key
            )));
        }
    }
    Ok(())
}

/// A tag set after merging must stay within the per-entity limit.
pub fn tag_total(existing: &[Tag], new: &[Tag], quota: &str) -> Result<(), AwsError> {
    let added = new
        .iter()
        .filter(|t| !existing.iter().any(|e| e.key.eq_ignore_ascii_case(&t.key)))
        .count();
    if existing.len() + added > MAX_TAGS {
        return Err(limit_exceeded(format!("Cannot exceed quota for {quota}: {MAX_TAGS}")));
    }
    Ok(())
}

/// Characters IAM counts towards a policy's size: whitespace is not counted.
pub fn counted_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Parses `text` as a policy of `kind` with the engine, as IAM would accept
/// it. A document refused for its content is `MalformedPolicyDocument`; for
/// its size alone, `LimitExceeded` with `size_message` (IAM words each limit
/// after its own quota).
pub fn parse_document(kind: PolicyKind, text: &str, size_message: impl Fn() -> String) -> Result<(), AwsError> {
    let e = match Policy::parse(kind, text) {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    if e.code == "LimitExceeded" {
        // The size is only one finding: a document also wrong in content is malformed first.
        return match e.findings.iter().find(|f| f.code != "POLICY_SIZE_EXCEEDED") {
            Some(f) => Err(AwsError::new("MalformedPolicyDocument", 400, f.message.clone())),
            None => Err(limit_exceeded(size_message())),
        };
    }
    let status = 400;
    Err(AwsError::new(e.code, status, e.message))
}

/// Whether `value` is 12 digits.
pub fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

/// Splits `arn:aws:iam::ACCOUNT:<kind>/…` into the account and what follows `<kind>`
/// (the `/path/name` of a policy, the `host/path` of an OIDC provider).
pub fn split_iam_arn<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let tail = resource.strip_prefix(kind)?.strip_prefix('/')?;
    (!tail.is_empty() && (account == "aws" || is_account_id(account))).then_some((account, tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_read_as_iam_words_them() {
        let mut v = Violations::new();
        name(&mut v, "bad name", "roleName", 64);
        assert_eq!(
            v.into_result().unwrap_err().message,
            r"1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
        );
        let mut v = Violations::new();
        path(&mut v, "/a/b/", "path");
        path(&mut v, "/", "path");
        assert!(v.into_result().is_ok());
        let mut v = Violations::new();
        path(&mut v, "a/", "path");
        assert!(v.into_result().is_err());
        assert!(
            tag_rules(&[
                Tag {
                    key: "a".into(),
                    value: "1".into()
                },
                Tag {
                    key: "A".into(),
                    value: "2".into()
                }
            ])
            .is_err()
        );
        assert_eq!(
            split_iam_arn("arn:aws:iam::111111111111:policy/a/b", "policy"),
            Some(("111111111111", "a/b"))
        );
        assert_eq!(split_iam_arn("arn:aws:iam::aws:policy/X", "policy"), Some(("aws", "X")));
        assert_eq!(split_iam_arn("arn:aws:iam::1:policy/X", "policy"), None);
    }

    #[test]
    fn documents_are_refused_with_iam_codes() {
        let e = parse_document(PolicyKind::Identity, "{", || unreachable!()).unwrap_err();
        assert_eq!((e.code.as_str(), e.status), ("MalformedPolicyDocument", 400));
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"aws:x":"{}"}}}}}}]}}"#,
            "a".repeat(3000)
        );
        let e = parse_document(PolicyKind::Trust, &big, || {
            "Cannot exceed quota for ACLSizePerRole: 2048".into()
        })
        .unwrap_err();
        assert_eq!((e.code.as_str(), e.status), ("LimitExceeded", 409));
        assert_eq!(counted_size(" { a } "), 3);
    }
}
