//! Reading members out of a JSON 1.0 request body with the errors DynamoDB's
//! Coral deserialiser gives for wrong JSON shapes (`SerializationException`:
//! `Start of structure or map found where not expected.`, `class
//! java.lang.Boolean can not be converted to an String`, …), and collecting
//! constraint violations (`1 validation error detected: Value '…' at
//! 'tableName' failed to satisfy constraint: …`).
//!
//! A JSON `null` member is treated as absent, as Coral does. Unknown members
//! are ignored, as Coral does (SDKs newer than the service send members the
//! service does not know yet).

use serde_json::{Map, Value};

use super::super::service::DdbError;

pub type Obj = Map<String, Value>;

fn ser(message: impl Into<String>) -> DdbError {
    DdbError::new("SerializationException", message)
}

/// The Java class Coral names for a JSON number it cannot convert.
fn number_class(n: &serde_json::Number) -> &'static str {
    match n.as_i64() {
        Some(i) if (-32768..=32767).contains(&i) => "java.lang.Short",
        Some(i) if (i32::MIN as i64..=i32::MAX as i64).contains(&i) => "java.lang.Integer",
        Some(_) => "java.lang.Long",
        None if n.is_u64() => "java.lang.Long",
        None => "java.lang.Double",
    }
}

fn mismatch(v: &Value, target: &str) -> DdbError {
    match v {
        Value::Array(_) => ser("Start of list found where not expected"),
        Value::Object(_) => ser("Start of structure or map found where not expected."),
        Value::Bool(_) => ser(format!("class java.lang.Boolean can not be converted to an {target}")),
        Value::Number(n) => ser(format!("class {} can not be converted to an {target}", number_class(n))),
        Value::String(_) => ser(format!("class java.lang.String can not be converted to an {target}")),
        Value::Null => ser("Unexpected field type"),
    }
}

/// The request body itself: a JSON object.
pub fn body(v: &Value) -> Result<&Obj, DdbError> {
    match v {
        Value::Object(m) => Ok(m),
        Value::Array(_) => Err(ser("Start of list found where not expected")),
        _ => Err(ser("Expected null")),
    }
}

fn member<'a>(o: &'a Obj, key: &str) -> Option<&'a Value> {
    o.get(key).filter(|v| !v.is_null())
}

pub fn opt_str<'a>(o: &'a Obj, key: &str) -> Result<Option<&'a str>, DdbError> {
    match member(o, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(mismatch(v, "String")),
    }
}

pub fn opt_bool(o: &Obj, key: &str) -> Result<Option<bool>, DdbError> {
    match member(o, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => Err(ser(format!(
            "'{}' can not be converted to an Boolean",
            s.to_uppercase()
        ))),
        Some(Value::Number(n)) => match n.as_f64() {
            // Coral accepts fractional numbers as booleans (|x| >= 1 is true).
            Some(f) if n.as_i64().is_none() && !n.is_u64() => Ok(Some(f.abs() >= 1.0)),
            _ => Err(ser(format!(
                "class {} can not be converted to an Boolean",
                number_class(n)
            ))),
        },
        Some(v) => Err(mismatch(v, "Boolean")),
    }
}

/// An `Integer`/`Long` member; Coral truncates a fractional JSON number.
pub fn opt_int(o: &Obj, key: &str, class: &str) -> Result<Option<i64>, DdbError> {
    match member(o, key) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(match n.as_i64() {
            Some(i) => i,
            None => n
                .as_f64()
                .map(|f| f.floor().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
                .unwrap_or(i64::MAX),
        })),
        Some(v) => Err(mismatch(v, class)),
    }
}

pub fn opt_map<'a>(o: &'a Obj, key: &str) -> Result<Option<&'a Obj>, DdbError> {
    match member(o, key) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(Value::Array(_)) => Err(ser("Start of list found where not expected")),
        Some(_) => Err(ser("Expected map or null")),
    }
}

/// A structure member: the same JSON shape as a map, a different message.
pub fn opt_struct<'a>(o: &'a Obj, key: &str) -> Result<Option<&'a Obj>, DdbError> {
    match member(o, key) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(Value::Array(_)) => Err(ser("Start of list found where not expected")),
        Some(_) => Err(ser("Expected null")),
    }
}

pub fn opt_list<'a>(o: &'a Obj, key: &str) -> Result<Option<&'a Vec<Value>>, DdbError> {
    match member(o, key) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(Value::Object(_)) => Err(ser("Start of structure or map found where not expected.")),
        Some(_) => Err(ser("Expected list or null")),
    }
}

/// An element of a list of structures.
pub fn as_struct(v: &Value) -> Result<Option<&Obj>, DdbError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(m) => Ok(Some(m)),
        Value::Array(_) => Err(ser("Start of list found where not expected")),
        _ => Err(ser("Expected null")),
    }
}

/// An element of a list of strings.
pub fn as_str(v: &Value) -> Result<Option<&str>, DdbError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(mismatch(other, "String")),
    }
}

/// A list of strings (`NonKeyAttributes`, `TagKeys`, `AttributesToGet`).
pub fn opt_str_list(o: &Obj, key: &str) -> Result<Option<Vec<String>>, DdbError> {
    let Some(list) = opt_list(o, key)? else { return Ok(None) };
    let mut out = Vec::with_capacity(list.len());
    for v in list {
        if let Some(s) = as_str(v)? {
            out.push(s.to_string());
        }
    }
    Ok(Some(out))
}

/// Coral's constraint violations, gathered in member order and reported
/// together (at most 10, as Coral does).
#[derive(Debug, Default)]
pub struct Violations {
    found: Vec<String>,
}

impl Violations {
    pub fn new() -> Violations {
        Violations::default()
    }

    pub fn add(&mut self, value: Option<&str>, member: &str, constraint: &str) {
        if self.found.len() >= 10 {
            return;
        }
        let value = match value {
            Some(v) => format!("'{v}'"),
            None => "null".to_string(),
        };
        self.found.push(format!(
            "Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    pub fn not_null<T>(&mut self, v: Option<T>, member: &str) {
        if v.is_none() {
            self.add(None, member, "Member must not be null");
        }
    }

    /// Length of a string in characters.
    pub fn length(&mut self, v: Option<&str>, member: &str, min: usize, max: usize) {
        let Some(s) = v else { return };
        let n = s.chars().count();
        if n < min {
            self.add(
                Some(s),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.add(
                Some(s),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// `[a-zA-Z0-9_.-]+`: table and index names.
    pub fn name_pattern(&mut self, v: Option<&str>, member: &str) {
        let Some(s) = v else { return };
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
            self.add(
                Some(s),
                member,
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            );
        }
    }

    pub fn table_name(&mut self, v: Option<&str>, member: &str) {
        self.name_pattern(v, member);
        self.length(v, member, 3, 255);
    }

    pub fn one_of(&mut self, v: Option<&str>, member: &str, allowed: &[&str]) {
        let Some(s) = v else { return };
        if !allowed.contains(&s) {
            self.add(
                Some(s),
                member,
                &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")),
            );
        }
    }

    pub fn range(&mut self, v: Option<i64>, member: &str, min: i64, max: i64) {
        let Some(n) = v else { return };
        if n < min {
            self.add(
                Some(&n.to_string()),
                member,
                &format!("Member must have value greater than or equal to {min}"),
            );
        } else if n > max {
            self.add(
                Some(&n.to_string()),
                member,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    /// A count bound on a list or map whose value Coral renders itself.
    pub fn count(&mut self, n: Option<usize>, shown: &str, member: &str, min: usize, max: usize) {
        let Some(n) = n else { return };
        if n < min {
            self.add(
                Some(shown),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.add(
                Some(shown),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    pub fn into_result(self) -> Result<(), DdbError> {
        match self.found.len() {
            0 => Ok(()),
            1 => Err(DdbError::validation(format!(
                "1 validation error detected: {}",
                self.found[0]
            ))),
            n => Err(DdbError::validation(format!(
                "{n} validation errors detected: {}",
                self.found.join("; ")
            ))),
        }
    }
}
