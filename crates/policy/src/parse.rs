//! From policy text to the lossless [`PolicyDocument`] model.
//!
//! The reader is lenient in one way only: it keeps going after a problem, so
//! that every problem of a document is reported at once (the linter shows all
//! of them; [`crate::Policy::parse`] refuses the document on the first error,
//! as AWS does). Rules that depend on the kind of policy (a principal where
//! one is forbidden, a missing resource) live in [`crate::kind`].

use std::collections::HashSet;

use crate::finding::{Finding, Severity};
use crate::json::{self, Json, JsonValue, Member, Position};

use crate::model::*;
use crate::operator::Operator;
use crate::text::closest;

/// AWS's text for a document it cannot read at all.
pub const SYNTAX_ERRORS: &str = "Syntax errors in policy.";
/// AWS's text when a known element holds a value of the wrong form.
pub const LEGACY_PARSING: &str = "The policy failed legacy parsing";

/// What reading a document produced: the model (when the text was a JSON
/// object) and every structural finding.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub document: Option<PolicyDocument>,
    pub findings: Vec<Finding>,
}

/// Reads a policy document, collecting every structural problem.
pub fn parse_document(text: &str) -> Parsed {
    match json::parse(text) {
        Ok(root) => read_root(&root),
        Err(e) => json_error(e),
    }
}

/// Like [`parse_document`], for bytes that may not be UTF-8.
pub fn parse_document_bytes(bytes: &[u8]) -> Parsed {
    match json::parse_bytes(bytes) {
        Ok(root) => read_root(&root),
        Err(e) => json_error(e),
    }
}

fn json_error(e: json::JsonError) -> Parsed {
    let mut finding = Finding::error(
        "JSON_SYNTAX_ERROR",
        format!("{SYNTAX_ERRORS} The document is not valid JSON: {}", e.message),
        e.pos,
    );
    finding.fix = Some(e.hint.unwrap_or_else(|| "fix the JSON syntax at this position".into()));
    Parsed {
        document: None,
        findings: vec![finding],
    }
}

fn read_root(root: &Json<'_>) -> Parsed {
    let mut reader = Reader { findings: Vec::new() };
    let document = reader.document(root);
    Parsed {
        document,
        findings: reader.findings,
    }
}

struct Reader {
    findings: Vec<Finding>,
}

const TOP_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

impl Reader {
    fn error(&mut self, code: &'static str, message: impl Into<String>, pos: Position, fix: impl Into<String>) {
        self.findings.push(Finding::error(code, message, pos).with_fix(fix));
    }

    fn wrong_type(&mut self, element: &str, expected: &str, found: &Json<'_>) {
        self.error(
            "INVALID_ELEMENT_TYPE",
            format!(
                "{LEGACY_PARSING}: `{element}` must be {expected}, not {}",
                found.value.kind_name()
            ),
            found.pos,
            format!("write `{element}` as {expected}"),
        );
    }

    fn unknown_element(&mut self, member: &Member<'_>, known: &[&'static str], place: &str) {
        let suggestion = closest(&member.key, known.iter().copied(), 3);
        let fix = match suggestion {
            Some(s) => format!("did you mean `{s}`? Element names are case-sensitive"),
            None => format!("remove it; a {place} may contain only {}", known.join(", ")),
        };
        self.error(
            "UNKNOWN_ELEMENT",
            format!("{SYNTAX_ERRORS} `{}` is not a {place} element", member.key),
            member.key_pos,
            fix,
        );
    }

    /// Reports a second occurrence of an element; AWS refuses duplicate keys.
    fn duplicate(&mut self, member: &Member<'_>) {
        self.error(
            "DUPLICATE_ELEMENT",
            format!("{SYNTAX_ERRORS} `{}` appears more than once", member.key),
            member.key_pos,
            "keep one of the two; a JSON object must not repeat a key",
        );
    }

    fn document(&mut self, root: &Json<'_>) -> Option<PolicyDocument> {
        let JsonValue::Object(members) = &root.value else {
            self.error(
                "INVALID_DOCUMENT",
                format!(
                    "{SYNTAX_ERRORS} A policy document must be a JSON object, not {}",
                    root.value.kind_name()
                ),
                root.pos,
                "write the policy as { \"Version\": \"2012-10-17\", \"Statement\": [ ... ] }",
            );
            return None;
        };
        let mut version = None;
        let mut id = None;
        let mut statements = None;
        let mut order = Vec::new();
        for member in members {
            let (slot_taken, element) = match member.key.as_ref() {
                "Version" => (version.is_some(), TopElement::Version),
                "Id" => (id.is_some(), TopElement::Id),
                "Statement" => (statements.is_some(), TopElement::Statement),
                _ => {
                    self.unknown_element(member, &TOP_ELEMENTS, "policy document");
                    continue;
                }
            };
            if slot_taken {
                self.duplicate(member);
                continue;
            }
            order.push(element);
            match element {
                TopElement::Version => version = Some(self.version(&member.value)),
                TopElement::Id => id = Some(self.plain_string("Id", &member.value)),
                TopElement::Statement => statements = Some(self.statements(&member.value)),
            }
        }
        let statements = match statements {
            Some(s) => s,
            None => {
                self.error(
                    "MISSING_STATEMENT",
                    "Missing required field Statement",
                    root.pos,
                    "add a \"Statement\" array with at least one statement",
                );
                OneOrMany::Many(Vec::new())
            }
        };
        Some(PolicyDocument {
            version: version.flatten(),
            id: id.flatten(),
            statements,
            order,
            pos: root.pos,
        })
    }

    fn version(&mut self, value: &Json<'_>) -> Option<Located<String>> {
        let v = self.plain_string("Version", value)?;
        if Version::parse(&v.value).is_none() {
            self.error(
                "INVALID_VERSION",
                format!(
                    "{SYNTAX_ERRORS} The version {} is not valid. Use one of the following versions: 2012-10-17, 2008-10-17",
                    v.value
                ),
                v.pos,
                "set \"Version\": \"2012-10-17\" (the date is the policy language's version, not today's date)",
            );
        }
        Some(v)
    }

    fn plain_string(&mut self, element: &str, value: &Json<'_>) -> Option<Located<String>> {
        match &value.value {
            JsonValue::String(s) => Some(Located::new(s.to_string(), value.pos)),
            _ => {
                self.wrong_type(element, "a string", value);
                None
            }
        }
    }

    fn statements(&mut self, value: &Json<'_>) -> OneOrMany<Statement> {
        match &value.value {
            JsonValue::Object(_) => OneOrMany::One(self.statement(value).unwrap_or_else(|| empty_statement(value.pos))),
            JsonValue::Array(items) => OneOrMany::Many(items.iter().filter_map(|item| self.statement(item)).collect()),
            _ => {
                self.wrong_type("Statement", "an object or an array of objects", value);
                OneOrMany::Many(Vec::new())
            }
        }
    }

    fn statement(&mut self, value: &Json<'_>) -> Option<Statement> {
        let JsonValue::Object(members) = &value.value else {
            self.wrong_type("Statement", "an object or an array of objects", value);
            return None;
        };
        let mut st = empty_statement(value.pos);
        let mut seen: Vec<StatementElement> = Vec::new();
        for member in members {
            let element = match member.key.as_ref() {
                "Sid" => StatementElement::Sid,
                "Effect" => StatementElement::Effect,
                "Principal" | "NotPrincipal" => StatementElement::Principal,
                "Action" | "NotAction" => StatementElement::Action,
                "Resource" | "NotResource" => StatementElement::Resource,
                "Condition" => StatementElement::Condition,
                _ => {
                    self.unknown_element(member, &STATEMENT_ELEMENTS, "statement");
                    continue;
                }
            };
            if seen.contains(&element) {
                // `Action` with `NotAction` is a duplicate of the same element slot.
                self.error(
                    "DUPLICATE_ELEMENT",
                    format!("{SYNTAX_ERRORS} `{}` conflicts with an earlier element of the same statement", member.key),
                    member.key_pos,
                    "a statement has one of Action/NotAction, one of Resource/NotResource and one of Principal/NotPrincipal, each once",
                );
                continue;
            }
            seen.push(element);
            st.order.push(element);
            let negated = member.key.starts_with("Not");
            match element {
                StatementElement::Sid => st.sid = self.plain_string("Sid", &member.value),
                StatementElement::Effect => st.effect = self.effect(&member.value),
                StatementElement::Principal => st.principal = self.principal(negated, member),
                StatementElement::Action => {
                    st.action = self
                        .string_list(&member.key, &member.value)
                        .map(|values| ActionElement {
                            negated,
                            values,
                            pos: member.key_pos,
                        });
                }
                StatementElement::Resource => {
                    st.resource = self
                        .string_list(&member.key, &member.value)
                        .map(|values| ResourceElement {
                            negated,
                            values,
                            pos: member.key_pos,
                        });
                }
                StatementElement::Condition => st.condition = self.condition(&member.value),
            }
        }
        Some(st)
    }

    fn effect(&mut self, value: &Json<'_>) -> Option<Located<Effect>> {
        let text = self.plain_string("Effect", value)?;
        match text.value.as_str() {
            "Allow" => Some(Located::new(Effect::Allow, text.pos)),
            "Deny" => Some(Located::new(Effect::Deny, text.pos)),
            other => {
                let fix = match other.to_ascii_lowercase().as_str() {
                    "allow" => "write \"Allow\" (Effect is case-sensitive)".to_string(),
                    "deny" => "write \"Deny\" (Effect is case-sensitive)".to_string(),
                    _ => "use \"Allow\" or \"Deny\"".to_string(),
                };
                self.error(
                    "INVALID_EFFECT",
                    format!("{LEGACY_PARSING}: the effect {other} is not valid. Use Allow or Deny."),
                    text.pos,
                    fix,
                );
                None
            }
        }
    }

    /// A string or a non-empty... AWS accepts an empty array too; the linter flags it.
    fn string_list(&mut self, element: &str, value: &Json<'_>) -> Option<OneOrMany<Located<String>>> {
        match &value.value {
            JsonValue::String(s) => Some(OneOrMany::One(Located::new(s.to_string(), value.pos))),
            JsonValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match &item.value {
                        JsonValue::String(s) => out.push(Located::new(s.to_string(), item.pos)),
                        _ => self.wrong_type(element, "a string or an array of strings", item),
                    }
                }
                Some(OneOrMany::Many(out))
            }
            _ => {
                self.wrong_type(element, "a string or an array of strings", value);
                None
            }
        }
    }

    fn principal(&mut self, negated: bool, member: &Member<'_>) -> Option<PrincipalElement> {
        let value = &member.value;
        let principal = match &value.value {
            JsonValue::String(s) if s == "*" => PrincipalValue::Wildcard,
            JsonValue::String(s) => {
                self.error(
                    "INVALID_PRINCIPAL",
                    format!("Invalid principal in policy: \"{s}\""),
                    value.pos,
                    format!("write {{\"AWS\": \"{s}\"}} (or Federated/Service); only \"*\" may stand alone"),
                );
                return None;
            }
            JsonValue::Object(entries) => {
                let mut map: Vec<(Located<PrincipalType>, OneOrMany<Located<String>>)> = Vec::new();
                for entry in entries {
                    let Some(kind) = PrincipalType::parse(&entry.key) else {
                        let suggestion = closest(&entry.key, ["AWS", "Federated", "Service", "CanonicalUser"], 3);
                        self.error(
                            "INVALID_PRINCIPAL",
                            format!("Invalid principal in policy: \"{}\" is not a principal type", entry.key),
                            entry.key_pos,
                            match suggestion {
                                Some(s) => format!("did you mean \"{s}\"?"),
                                None => "use AWS, Federated, Service or CanonicalUser".into(),
                            },
                        );
                        continue;
                    };
                    if map.iter().any(|(k, _)| k.value == kind) {
                        self.duplicate(entry);
                        continue;
                    }
                    if let Some(values) = self.string_list(&entry.key, &entry.value) {
                        map.push((Located::new(kind, entry.key_pos), values));
                    }
                }
                PrincipalValue::Map(map)
            }
            _ => {
                self.wrong_type(&member.key, "\"*\" or an object such as {\"AWS\": \"...\"}", value);
                return None;
            }
        };
        Some(PrincipalElement {
            negated,
            value: principal,
            pos: member.key_pos,
        })
    }

    fn condition(&mut self, value: &Json<'_>) -> Option<Located<Vec<ConditionBlock>>> {
        let JsonValue::Object(operators) = &value.value else {
            self.wrong_type(
                "Condition",
                "an object of operators, such as {\"StringEquals\": {...}}",
                value,
            );
            return None;
        };
        let mut blocks: Vec<ConditionBlock> = Vec::new();
        // Sets, not scans: a hostile document may hold thousands of keys.
        let mut operators_seen: HashSet<&str> = HashSet::new();
        for op in operators {
            if let Err(unknown) = Operator::parse(&op.key) {
                let fix = match unknown.suggestion {
                    Some("Null") if op.key.starts_with("Null") || op.key.contains(":Null") => {
                        "Null takes neither IfExists nor a set qualifier; write \"Null\"".to_string()
                    }
                    Some(s) => format!("did you mean `{s}`? Operator names are case-sensitive"),
                    None => "use a condition operator such as StringEquals, ArnLike or Bool".into(),
                };
                self.error(
                    "INVALID_CONDITION_OPERATOR",
                    format!("Invalid Condition type : {}", op.key),
                    op.key_pos,
                    fix,
                );
                continue;
            }
            if !operators_seen.insert(op.key.as_ref()) {
                self.duplicate(op);
                continue;
            }
            let JsonValue::Object(keys) = &op.value.value else {
                self.wrong_type(&op.key, "an object of condition keys and values", &op.value);
                continue;
            };
            let mut entries: Vec<ConditionEntry> = Vec::new();
            let mut keys_seen: HashSet<&str> = HashSet::new();
            for key in keys {
                if !keys_seen.insert(key.key.as_ref()) {
                    self.duplicate(key);
                    continue;
                }
                if let Some(values) = self.condition_values(key) {
                    entries.push(ConditionEntry {
                        key: Located::new(key.key.to_string(), key.key_pos),
                        values,
                    });
                }
            }
            blocks.push(ConditionBlock {
                operator: Located::new(op.key.to_string(), op.key_pos),
                entries,
            });
        }
        Some(Located::new(blocks, value.pos))
    }

    fn condition_values(&mut self, key: &Member<'_>) -> Option<OneOrMany<Located<ConditionValue>>> {
        let scalar = |this: &mut Self, v: &Json| -> Option<Located<ConditionValue>> {
            let value = match &v.value {
                JsonValue::String(s) => ConditionValue::String(s.to_string()),
                JsonValue::Number(n) => ConditionValue::Number(n.to_string()),
                JsonValue::Bool(b) => ConditionValue::Bool(*b),
                _ => {
                    this.wrong_type(&key.key, "a string, number or boolean, or an array of them", v);
                    return None;
                }
            };
            Some(Located::new(value, v.pos))
        };
        match &key.value.value {
            JsonValue::Array(items) => Some(OneOrMany::Many(items.iter().filter_map(|i| scalar(self, i)).collect())),
            _ => scalar(self, &key.value).map(OneOrMany::One),
        }
    }
}

fn empty_statement(pos: Position) -> Statement {
    Statement {
        sid: None,
        effect: None,
        principal: None,
        action: None,
        resource: None,
        condition: None,
        order: Vec::new(),
        pos,
    }
}

/// True when `findings` hold something AWS would refuse.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_form() {
        let parsed = parse_document(
            r#"{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"A","Effect":"Allow",
            "Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:root"],"Federated":"cognito-identity.amazonaws.com"},
            "NotAction":"s3:*","Resource":["*"],"Condition":{"StringEquals":{"aws:x":["a",1,true]}}}}"#,
        );
        assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
        let doc = parsed.document.unwrap();
        assert!(matches!(doc.statements, OneOrMany::One(_)));
        let st = &doc.statements()[0];
        assert!(st.action.as_ref().unwrap().negated);
        let cond = &st.condition.as_ref().unwrap().value[0];
        assert_eq!(cond.entries[0].values.as_slice().len(), 3);
        assert_eq!(cond.entries[0].values.as_slice()[1].value.as_text(), "1");
    }

    #[test]
    fn collects_every_structural_problem() {
        let parsed = parse_document(
            r#"{"Version":"2021-10-17","Statement":[{"Effect":"allow","Acton":"s3:*","Principal":"arn:aws:iam::1:root",
            "Condition":{"StringEqual":{"a":"b"}}}]}"#,
        );
        let codes: Vec<_> = parsed.findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                "INVALID_VERSION",
                "INVALID_EFFECT",
                "UNKNOWN_ELEMENT",
                "INVALID_PRINCIPAL",
                "INVALID_CONDITION_OPERATOR"
            ]
        );
        assert!(parsed.findings[2].fix.as_ref().unwrap().contains("Action"));
    }

    #[test]
    fn refuses_duplicates_and_conflicts() {
        let parsed =
            parse_document(r#"{"Statement":[{"Effect":"Allow","Action":"a:b","NotAction":"c:d","Effect":"Deny"}]}"#);
        assert_eq!(
            parsed.findings.iter().filter(|f| f.code == "DUPLICATE_ELEMENT").count(),
            2
        );
    }

    #[test]
    fn json_errors_carry_position_and_hint() {
        let parsed = parse_document("{\n\t\"Statement\": {\n\t\t{\n");
        let f = &parsed.findings[0];
        assert_eq!(f.code, "JSON_SYNTAX_ERROR");
        assert_eq!((f.position.line, f.position.column), (3, 3));
        assert!(f.message.starts_with(SYNTAX_ERRORS));
    }
}
