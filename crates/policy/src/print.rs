//! Printing the lossless [`model`](crate::model) back to JSON.
//!
//! The output is what the author wrote, re-indented: top-level and statement
//! elements in their original order, a single value or statement where one
//! was written and an array where an array was, `NotAction` / `NotResource`
//! / `NotPrincipal` as such, principal types in their original order, and
//! condition values as the strings, numbers (their text as written) and
//! booleans they were. Reading the output back gives the same model (up to
//! positions), and printing that gives the same text again.
//!
//! Elements whose value the reader could not keep (an `Effect` of `"allow"`,
//! say) are absent from the model and so from the output.

use crate::model::{
    ActionElement, ConditionBlock, ConditionValue, Located, OneOrMany, PolicyDocument, PrincipalElement,
    PrincipalValue, ResourceElement, Statement, StatementElement, TopElement,
};

/// Indentation of one nesting level.
const INDENT: &str = "  ";

/// Prints `doc` as JSON indented by two spaces, without a trailing newline.
pub fn to_json(doc: &PolicyDocument) -> String {
    let mut p = Printer {
        out: String::new(),
        depth: 0,
    };
    p.document(doc);
    p.out
}

struct Printer {
    out: String,
    depth: usize,
}

/// Writes the members of one JSON object, each on its own line.
struct ObjectWriter {
    first: bool,
}

impl Printer {
    fn newline(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str(INDENT);
        }
    }

    fn open_object(&mut self) -> ObjectWriter {
        self.out.push('{');
        self.depth += 1;
        ObjectWriter { first: true }
    }

    /// Starts a member: the separator, the line break and the key.
    fn key(&mut self, w: &mut ObjectWriter, key: &str) {
        if !w.first {
            self.out.push(',');
        }
        w.first = false;
        self.newline();
        self.string(key);
        self.out.push_str(": ");
    }

    fn close_object(&mut self, w: ObjectWriter) {
        self.depth -= 1;
        if !w.first {
            self.newline();
        }
        self.out.push('}');
    }

    /// An array whose items `item` prints; `[]` when empty.
    fn array<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        self.out.push('[');
        if items.is_empty() {
            self.out.push(']');
            return;
        }
        self.depth += 1;
        for (i, v) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.newline();
            item(self, v);
        }
        self.depth -= 1;
        self.newline();
        self.out.push(']');
    }

    fn one_or_many<T>(&mut self, value: &OneOrMany<T>, mut item: impl FnMut(&mut Self, &T)) {
        match value {
            OneOrMany::One(v) => item(self, v),
            OneOrMany::Many(vs) => self.array(vs, item),
        }
    }

    fn strings(&mut self, value: &OneOrMany<Located<String>>) {
        self.one_or_many(value, |p, s| p.string(&s.value));
    }

    /// A JSON string literal, escaping what JSON requires and nothing else.
    fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '\u{8}' => self.out.push_str("\\b"),
                '\u{c}' => self.out.push_str("\\f"),
                c if (c as u32) < 0x20 => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    let n = c as usize;
                    self.out.push_str("\\u00");
                    self.out.push(char::from(HEX[n >> 4]));
                    self.out.push(char::from(HEX[n & 0xf]));
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    fn document(&mut self, doc: &PolicyDocument) {
        let mut w = self.open_object();
        let mut printed: Vec<TopElement> = Vec::with_capacity(3);
        // The elements in the order written, then any the order does not list
        // (a model built by hand), in the conventional order.
        let extra = [TopElement::Version, TopElement::Id, TopElement::Statement]
            .into_iter()
            .filter(|e| !doc.order.contains(e));
        for element in doc.order.iter().copied().chain(extra) {
            if printed.contains(&element) {
                continue;
            }
            printed.push(element);
            match element {
                TopElement::Version => {
                    if let Some(v) = &doc.version {
                        self.key(&mut w, "Version");
                        self.string(&v.value);
                    }
                }
                TopElement::Id => {
                    if let Some(id) = &doc.id {
                        self.key(&mut w, "Id");
                        self.string(&id.value);
                    }
                }
                TopElement::Statement => {
                    // A missing Statement reads as an empty list: print none.
                    let missing = !doc.order.contains(&TopElement::Statement)
                        && matches!(&doc.statements, OneOrMany::Many(v) if v.is_empty());
                    if !missing {
                        self.key(&mut w, "Statement");
                        self.one_or_many(&doc.statements, Self::statement);
                    }
                }
            }
        }
        self.close_object(w);
    }

    fn statement(&mut self, st: &Statement) {
        let mut w = self.open_object();
        let mut printed: Vec<StatementElement> = Vec::with_capacity(6);
        let extra = [
            StatementElement::Sid,
            StatementElement::Effect,
            StatementElement::Principal,
            StatementElement::Action,
            StatementElement::Resource,
            StatementElement::Condition,
        ]
        .into_iter()
        .filter(|e| !st.order.contains(e));
        for element in st.order.iter().copied().chain(extra) {
            if printed.contains(&element) {
                continue;
            }
            printed.push(element);
            match element {
                StatementElement::Sid => {
                    if let Some(sid) = &st.sid {
                        self.key(&mut w, "Sid");
                        self.string(&sid.value);
                    }
                }
                StatementElement::Effect => {
                    if let Some(effect) = &st.effect {
                        self.key(&mut w, "Effect");
                        self.string(effect.value.as_str());
                    }
                }
                StatementElement::Principal => {
                    if let Some(p) = &st.principal {
                        self.principal(&mut w, p);
                    }
                }
                StatementElement::Action => {
                    if let Some(a) = &st.action {
                        self.action(&mut w, a);
                    }
                }
                StatementElement::Resource => {
                    if let Some(r) = &st.resource {
                        self.resource(&mut w, r);
                    }
                }
                StatementElement::Condition => {
                    if let Some(c) = &st.condition {
                        self.key(&mut w, "Condition");
                        self.condition(&c.value);
                    }
                }
            }
        }
        self.close_object(w);
    }

    fn principal(&mut self, w: &mut ObjectWriter, p: &PrincipalElement) {
        self.key(w, if p.negated { "NotPrincipal" } else { "Principal" });
        match &p.value {
            PrincipalValue::Wildcard => self.string("*"),
            PrincipalValue::Map(entries) => {
                let mut inner = self.open_object();
                for (kind, values) in entries {
                    self.key(&mut inner, kind.value.as_str());
                    self.strings(values);
                }
                self.close_object(inner);
            }
        }
    }

    fn action(&mut self, w: &mut ObjectWriter, a: &ActionElement) {
        self.key(w, if a.negated { "NotAction" } else { "Action" });
        self.strings(&a.values);
    }

    fn resource(&mut self, w: &mut ObjectWriter, r: &ResourceElement) {
        self.key(w, if r.negated { "NotResource" } else { "Resource" });
        self.strings(&r.values);
    }

    fn condition(&mut self, blocks: &[ConditionBlock]) {
        let mut w = self.open_object();
        for block in blocks {
            self.key(&mut w, &block.operator.value);
            let mut keys = self.open_object();
            for entry in &block.entries {
                self.key(&mut keys, &entry.key.value);
                self.one_or_many(&entry.values, |p, v| p.condition_value(&v.value));
            }
            self.close_object(keys);
        }
        self.close_object(w);
    }

    fn condition_value(&mut self, v: &ConditionValue) {
        match v {
            ConditionValue::String(s) => self.string(s),
            // The number's text as written is valid JSON already.
            ConditionValue::Number(n) => self.out.push_str(n),
            ConditionValue::Bool(true) => self.out.push_str("true"),
            ConditionValue::Bool(false) => self.out.push_str("false"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_document;

    #[test]
    fn prints_what_was_written() {
        let text = r#"{"Statement":{"Effect":"Deny","Sid":"S","NotAction":"s3:*","NotResource":["*"],
            "Condition":{"NumericLessThan":{"s3:max-keys":[10,"10"]},"Bool":{"aws:SecureTransport":false}}},
            "Id":"i","Version":"2012-10-17"}"#;
        let doc = parse_document(text).document.unwrap();
        let printed = to_json(&doc);
        assert_eq!(
            printed,
            r#"{
  "Statement": {
    "Effect": "Deny",
    "Sid": "S",
    "NotAction": "s3:*",
    "NotResource": [
      "*"
    ],
    "Condition": {
      "NumericLessThan": {
        "s3:max-keys": [
          10,
          "10"
        ]
      },
      "Bool": {
        "aws:SecureTransport": false
      }
    }
  },
  "Id": "i",
  "Version": "2012-10-17"
}"#
        );
        let again = parse_document(&printed).document.unwrap();
        assert_eq!(to_json(&again), printed);
    }

    #[test]
    fn escapes_strings_and_keeps_empty_containers() {
        let text = "{\"Statement\":[{\"Sid\":\"a\\\"b\\\\c\\u0001\\n\u{e9}\",\"Principal\":{},\"Action\":[],\"Condition\":{}}]}";
        let doc = parse_document(text).document.unwrap();
        let printed = to_json(&doc);
        assert!(printed.contains(r#""Sid": "a\"b\\c\u0001\né""#), "{printed}");
        assert!(printed.contains(r#""Principal": {}"#), "{printed}");
        assert!(printed.contains(r#""Action": []"#), "{printed}");
        assert!(printed.contains(r#""Condition": {}"#), "{printed}");
        assert_eq!(to_json(&parse_document(&printed).document.unwrap()), printed);
    }

    #[test]
    fn a_missing_statement_stays_missing() {
        let doc = parse_document(r#"{"Version":"2012-10-17"}"#).document.unwrap();
        assert_eq!(to_json(&doc), "{\n  \"Version\": \"2012-10-17\"\n}");
        let doc = parse_document("{}").document.unwrap();
        assert_eq!(to_json(&doc), "{}");
    }
}
