//! The awsQuery protocol at the edge: STS and IAM requests arrive as
//! form-encoded `Action=…&Version=…&…` parameters (in a POST body or a GET
//! query string), and answers leave as XML. Lists are `Name.member.N`
//! (`PolicyArns.member.1.arn`), maps `Name.entry.N.key`/`.value`.

use std::collections::BTreeMap;
use std::fmt::Write;

/// The parameters of one awsQuery request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams {
    values: BTreeMap<String, String>,
}

impl QueryParams {
    /// Reads form-encoded parameters; a later repeat of a name wins (as AWS does).
    pub fn parse(form: &[u8]) -> QueryParams {
        let mut values = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(form) {
            values.insert(k.into_owned(), v.into_owned());
        }
        QueryParams { values }
    }

    /// Merges two sources: the query string first, then the body (body wins).
    pub fn merged(query: &[u8], body: &[u8]) -> QueryParams {
        let mut params = QueryParams::parse(query);
        params.values.extend(QueryParams::parse(body).values);
        params
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> QueryParams {
        QueryParams {
            values: pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// `Name.member.1`, `Name.member.2`, … up to the first gap.
    pub fn list(&self, name: &str) -> Vec<String> {
        (1..)
            .map_while(|i| self.get(&format!("{name}.member.{i}")).map(str::to_string))
            .collect()
    }

    /// `Name.member.N.field` for each N, as a list of records.
    pub fn structs(&self, name: &str, fields: &[&str]) -> Vec<BTreeMap<String, String>> {
        let mut out = Vec::new();
        for i in 1.. {
            let prefix = format!("{name}.member.{i}.");
            let record: BTreeMap<String, String> = fields
                .iter()
                .filter_map(|f| {
                    self.get(&format!("{prefix}{f}"))
                        .map(|v| (f.to_string(), v.to_string()))
                })
                .collect();
            if record.is_empty() {
                break;
            }
            out.push(record);
        }
        out
    }

    /// Whether any parameter starts with `Name.` (a list given, even empty-looking).
    pub fn has_prefix(&self, name: &str) -> bool {
        let prefix = format!("{name}.");
        self.values
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Escapes text for XML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A small XML writer for awsQuery results: elements, escaped text, nothing else.
#[derive(Debug, Default, Clone)]
pub struct Xml {
    out: String,
}

impl Xml {
    pub fn new() -> Xml {
        Xml::default()
    }

    /// `<name>text</name>`, text escaped.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        let _ = write!(self.out, "<{name}>{}</{name}>", escape(text));
        self
    }

    /// A leaf only when `text` is present.
    pub fn opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.leaf(name, text);
        }
        self
    }

    /// `<name>…</name>` around whatever `body` writes.
    pub fn node(&mut self, name: &str, body: impl FnOnce(&mut Xml)) -> &mut Self {
        let _ = write!(self.out, "<{name}>");
        body(self);
        let _ = write!(self.out, "</{name}>");
        self
    }

    /// `<name><member>…</member>…</name>`, one member per item.
    pub fn members<T>(&mut self, name: &str, items: &[T], mut each: impl FnMut(&mut Xml, &T)) -> &mut Self {
        self.node(name, |x| {
            for item in items {
                x.node("member", |x| each(x, item));
            }
        })
    }

    pub fn into_string(self) -> String {
        self.out
    }
}

/// The success envelope: `<{Op}Response xmlns=…><{Op}Result>…</{Op}Result><ResponseMetadata>…`.
pub fn response(namespace: &str, operation: &str, request_id: &str, result: impl FnOnce(&mut Xml)) -> String {
    let mut xml = Xml::new();
    xml.node("ResponseMetadata", |x| {
        x.leaf("RequestId", request_id);
    });
    let metadata = xml.into_string();
    let mut body = Xml::new();
    result(&mut body);
    let body = body.into_string();
    let result = if body.is_empty() {
        format!("<{operation}Result/>")
    } else {
        format!("<{operation}Result>{body}</{operation}Result>")
    };
    format!("<{operation}Response xmlns=\"{namespace}\">{result}{metadata}</{operation}Response>\n")
}

/// The error envelope STS and IAM answer with.
pub fn error_response(namespace: &str, sender_fault: bool, code: &str, message: &str, request_id: &str) -> String {
    let kind = if sender_fault { "Sender" } else { "Receiver" };
    format!(
        "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>\n",
        escape(code),
        escape(message),
        escape(request_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lists_and_structs_as_botocore_serialises_them() {
        let p = QueryParams::parse(
            b"Action=AssumeRole&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A1%3Apolicy%2Fa&PolicyArns.member.2.arn=b\
              &Tags.member.1.Key=team&Tags.member.1.Value=red+blue&TransitiveTagKeys.member.1=team",
        );
        assert_eq!(p.action(), Some("AssumeRole"));
        let arns = p.structs("PolicyArns", &["arn"]);
        assert_eq!(arns.len(), 2);
        assert_eq!(arns[0]["arn"], "arn:aws:iam::1:policy/a");
        let tags = p.structs("Tags", &["Key", "Value"]);
        assert_eq!(tags[0]["Value"], "red blue");
        assert_eq!(p.list("TransitiveTagKeys"), vec!["team"]);
        assert!(p.has_prefix("Tags"));
        assert!(!p.has_prefix("Tag"));
    }

    #[test]
    fn body_wins_over_query_string() {
        let p = QueryParams::merged(b"Action=GetCallerIdentity&Version=x", b"Version=2011-06-15");
        assert_eq!(p.get("Version"), Some("2011-06-15"));
        assert_eq!(p.action(), Some("GetCallerIdentity"));
    }

    #[test]
    fn envelopes_escape_text() {
        let ok = response("urn:x", "GetCallerIdentity", "rid", |x| {
            x.leaf("Arn", "a<b&c");
        });
        assert_eq!(
            ok,
            "<GetCallerIdentityResponse xmlns=\"urn:x\"><GetCallerIdentityResult><Arn>a&lt;b&amp;c</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetCallerIdentityResponse>\n"
        );
        let err = error_response("urn:x", true, "AccessDenied", "User: \"x\"", "rid");
        assert!(err.contains("<Type>Sender</Type><Code>AccessDenied</Code><Message>User: &quot;x&quot;</Message>"));
    }
}
