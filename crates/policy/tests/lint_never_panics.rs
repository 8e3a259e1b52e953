//! `lint` must answer any input with a report, never a panic: random text,
//! random bytes, and random mutations of valid policies (which keep most of
//! the structure, so the deeper checks run on odd values).

use proptest::prelude::*;
use rolechain_policy::PolicyKind;
use rolechain_policy::lint::{lint, lint_bytes};

const VALID: &[&str] = &[
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/Orders","Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:userid}"]},"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#,
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.example.com/c"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.example.com/c:sub":"system:serviceaccount:ns:app","oidc.example.com/c:aud":"sts.amazonaws.com"}}}]}"#,
    "{\n\t\"Version\": \"2021-10-17\",\n\t\"Statement\": {\n\t\t{\n\t\t\t\"Effect\": \"Allow\",\n\t\t\t\"Principal\": {\n\t\t\t\t\"AWS\": \"arn:aws:sts::<acct>:assumed-role/<role>/<session>\"\n\t\t\t}\n\t\t}\n\t}\n}",
    r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":["s3:*","iam:Pass*"],"NotResource":"arn:aws:s3:::b/*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"StringLike":{"aws:PrincipalTag/Team":"a*"},"Null":{"aws:TagKeys":"false"}}},{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::111122223333:root"]},"Action":"*","Resource":"*"}]}"#,
];

/// Characters that make JSON and policies interesting.
fn jsonish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(",".to_string()),
            Just(":".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("\"Statement\"".to_string()),
            Just("\"Principal\"".to_string()),
            Just("\"Condition\"".to_string()),
            Just("\"StringLike\"".to_string()),
            Just("\"${aws:username}\"".to_string()),
            Just("\"arn:aws:iam::<a>:role/*\"".to_string()),
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..64,
    )
    .prop_map(|parts| parts.concat())
}

fn kind() -> impl Strategy<Value = Option<PolicyKind>> {
    prop_oneof![
        Just(None),
        proptest::sample::select(PolicyKind::ALL.to_vec()).prop_map(Some)
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
    Duplicate(usize, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let ch = prop_oneof![
        proptest::sample::select(vec![
            '{', '}', '[', ']', ',', ':', '"', '\\', '*', '?', '$', '<', '>', '/', ' ', '\n', '\t'
        ]),
        any::<char>(),
    ];
    proptest::collection::vec(
        prop_oneof![
            (any::<usize>(), ch.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
            any::<usize>().prop_map(Edit::Delete),
            (any::<usize>(), ch).prop_map(|(i, c)| Edit::Replace(i, c)),
            (any::<usize>(), 0usize..40).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        ],
        1..8,
    )
}

fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let len = chars.len().max(1);
        match *edit {
            Edit::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i % len);
            }
            Edit::Replace(i, c) if !chars.is_empty() => chars[i % len] = c,
            Edit::Duplicate(i, n) if !chars.is_empty() => {
                let start = i % len;
                let end = (start + n).min(chars.len());
                let copy: Vec<char> = chars[start..end].to_vec();
                chars.splice(start..start, copy);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn check(report: &rolechain_policy::lint::LintReport, len: usize) {
    // Findings are sorted and point inside the text (or at its end).
    assert!(
        report
            .findings
            .windows(2)
            .all(|w| w[0].position.offset <= w[1].position.offset)
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.position.offset <= len && f.position.line >= 1)
    );
}

proptest! {
    // 256 cases each by default; PROPTEST_CASES=20000 for a longer hunt.

    #[test]
    fn random_text(text in any::<String>(), kind in kind()) {
        let report = lint(&text, kind);
        check(&report, text.len());
    }

    #[test]
    fn random_jsonish_text(text in jsonish(), kind in kind()) {
        let report = lint(&text, kind);
        check(&report, text.len());
    }

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256), kind in kind()) {
        let _ = lint_bytes(&bytes, kind);
    }

    #[test]
    fn mutated_valid_policies(which in 0..VALID.len(), edits in edits(), kind in kind()) {
        let text = mutate(VALID[which], &edits);
        let report = lint(&text, kind);
        check(&report, text.len());
    }

    #[test]
    fn mutated_bytes_of_valid_policies(which in 0..VALID.len(), at in any::<usize>(), byte in any::<u8>()) {
        let mut bytes = VALID[which].as_bytes().to_vec();
        let i = at % bytes.len();
        bytes[i] = byte;
        let _ = lint_bytes(&bytes, None);
    }
}
