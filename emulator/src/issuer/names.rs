//! Kubernetes name rules (k8s.io/apimachinery `pkg/util/validation`), with the API server's
//! wording, so a bad name in a world file reads like `kubectl` would have said it.

/// `metadata.namespace: Invalid value: "Foo": a lowercase RFC 1123 label must ...`
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and \
must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is \
'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' \
or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is \
'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const LABEL_MAX: usize = 63;
const SUBDOMAIN_MAX: usize = 253;

/// A DNS-1123 label (namespaces): at most 63 of `[a-z0-9-]`, alphanumeric at both ends.
pub(crate) fn validate_label(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{field}: Required value"));
    }
    if value.len() > LABEL_MAX {
        return Err(invalid(
            field,
            value,
            &format!("must be no more than {LABEL_MAX} characters"),
        ));
    }
    if !is_label(value) {
        return Err(invalid(field, value, LABEL_MSG));
    }
    Ok(())
}

/// A DNS-1123 subdomain (service accounts, pods, nodes): at most 253 characters, dot-separated labels.
pub(crate) fn validate_subdomain(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{field}: Required value"));
    }
    if value.len() > SUBDOMAIN_MAX {
        return Err(invalid(
            field,
            value,
            &format!("must be no more than {SUBDOMAIN_MAX} characters"),
        ));
    }
    if !value.split('.').all(is_label) {
        return Err(invalid(field, value, SUBDOMAIN_MSG));
    }
    Ok(())
}

/// Kubernetes' `field.Invalid` rendering: `<path>: Invalid value: <Go %q of value>: <detail>`.
pub(crate) fn invalid(field: &str, value: &str, detail: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_else(|_| format!("\"{value}\""));
    format!("{field}: Invalid value: {quoted}: {detail}")
}

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && b.iter().all(|c| alnum(c) || *c == b'-') && b.len() <= LABEL_MAX
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        for ok in ["a", "default", "my-ns", "123-abc", &"a".repeat(63)] {
            assert!(validate_label("metadata.namespace", ok).is_ok(), "{ok}");
        }
        for bad in ["-a", "a-", "A", "a_b", "a.b", "é"] {
            let err = validate_label("metadata.namespace", bad).unwrap_err();
            assert!(err.starts_with("metadata.namespace: Invalid value: "), "{err}");
            assert!(err.contains("RFC 1123 label"), "{err}");
        }
        assert_eq!(
            validate_label("metadata.namespace", "Foo").unwrap_err(),
            format!("metadata.namespace: Invalid value: \"Foo\": {LABEL_MSG}")
        );
        assert!(
            validate_label("x", &"a".repeat(64))
                .unwrap_err()
                .ends_with("must be no more than 63 characters")
        );
        assert_eq!(validate_label("x", "").unwrap_err(), "x: Required value");
    }

    #[test]
    fn subdomains() {
        for ok in ["a", "aws-ebs-csi-driver-controller-sa", "a.b.c", "x1.y-2"] {
            assert!(validate_subdomain("metadata.name", ok).is_ok(), "{ok}");
        }
        for bad in [".a", "a.", "a..b", "A.b", "a_b", "a.-b"] {
            assert!(
                validate_subdomain("metadata.name", bad)
                    .unwrap_err()
                    .contains("RFC 1123 subdomain"),
                "{bad}"
            );
        }
        let long = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63)
        );
        assert!(
            validate_subdomain("metadata.name", &long)
                .unwrap_err()
                .contains("no more than 253")
        );
    }
}
