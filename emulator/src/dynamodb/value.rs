//! DynamoDB attribute values and items, their JSON wire form ("DynamoDB
//! JSON": `{"S":"x"}`, `{"N":"1"}`, ...), DynamoDB's validation of them with its
//! exact messages, its item-size accounting, and an order-preserving byte
//! encoding of the scalar key types for the table store.
//!
//! Messages are the bare ones DynamoDB gives on GetItem and Query; PutItem,
//! UpdateItem and DeleteItem put them inside `1 validation error detected: `,
//! which is the operation layer's business.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value as Json};

use super::number::{Number, NumberError};

/// Document nesting limit: the attribute itself is level 1, and a leaf at
/// level 32 is the deepest DynamoDB stores.
pub const MAX_NESTING_DEPTH: usize = 32;

const NESTING_MESSAGE: &str =
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
const INVALID: &str = "One or more parameter values were invalid: ";

/// One DynamoDB attribute value. Sets keep the order they were given in
/// (DynamoDB returns sets in no particular order) and never hold duplicates;
/// equality between sets ignores order.
#[derive(Clone, Debug)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(BTreeMap<String, AttributeValue>),
    L(Vec<AttributeValue>),
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
}

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// A value DynamoDB refuses. `message` is DynamoDB's wording: a
/// `ValidationException` message, except where [`ValueError::is_serialization`]
/// says the JSON itself has the wrong shape (DynamoDB's `SerializationException`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    pub message: String,
}

impl ValueError {
    fn new(message: impl Into<String>) -> ValueError {
        ValueError {
            message: message.into(),
        }
    }

    /// True when DynamoDB reports this as a `SerializationException` (a JSON
    /// member of the wrong JSON type, or binary that is not base64) rather
    /// than a `ValidationException`.
    pub fn is_serialization(&self) -> bool {
        self.message.contains(" can not be converted to ")
            || self.message.starts_with("Start of ")
            || self.message == EXPECTED_STRUCTURE
    }
}

/// What DynamoDB's JSON reader says when a scalar stands where an object
/// (an AttributeValue or an item) belongs.
const EXPECTED_STRUCTURE: &str = "Expected null";

impl From<NumberError> for ValueError {
    fn from(e: NumberError) -> Self {
        ValueError::new(e.message())
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValueError {}

/// The JSON reader's complaint about a member that has the wrong JSON type.
fn wrong_json_type(found: &Json, wanted: &str) -> ValueError {
    match found {
        Json::Object(_) => ValueError::new("Start of structure or map found where not expected."),
        Json::Array(_) => ValueError::new("Start of list found where not expected"),
        Json::Bool(b) => ValueError::new(format!(
            "{} can not be converted to {wanted}",
            if *b { "TRUE" } else { "FALSE" }
        )),
        Json::Number(_) => ValueError::new(format!("NUMBER_VALUE can not be converted to {wanted}")),
        Json::String(_) => ValueError::new(format!("STRING_VALUE can not be converted to {wanted}")),
        Json::Null => ValueError::new(format!("null can not be converted to {wanted}")),
    }
}

fn json_string<'a>(v: &'a Json, wanted: &str) -> Result<&'a str, ValueError> {
    v.as_str().ok_or_else(|| wrong_json_type(v, wanted))
}

fn json_array(v: &Json) -> Result<&Vec<Json>, ValueError> {
    match v {
        Json::Array(a) => Ok(a),
        Json::Object(_) => Err(ValueError::new("Start of structure or map found where not expected.")),
        _ => Err(ValueError::new("Expected list or null")),
    }
}

fn json_object(v: &Json) -> Result<&Map<String, Json>, ValueError> {
    match v {
        Json::Object(m) => Ok(m),
        Json::Array(_) => Err(ValueError::new("Start of list found where not expected")),
        _ => Err(ValueError::new(EXPECTED_STRUCTURE)),
    }
}

/// Decodes base64 as DynamoDB's reader does, with its complaints.
fn decode_base64(text: &str) -> Result<Vec<u8>, ValueError> {
    let blob_error = |why: String| ValueError::new(format!("'{text}' can not be converted to a Blob: {why}"));
    if !text.len().is_multiple_of(4) {
        return Err(blob_error(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            text.len()
        )));
    }
    let bytes = text.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        let valid = c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=';
        // Padding may only be followed by padding.
        let bad_pad = c == b'=' && bytes.get(i + 1).is_some_and(|&n| n != b'=');
        if !valid || bad_pad {
            let shown = text[i..].chars().next().unwrap_or('?');
            return Err(blob_error(format!("Invalid Base64 character: '{shown}'")));
        }
    }
    // DynamoDB's spelling, kept.
    BASE64
        .decode(text)
        .map_err(|_| blob_error("Invalid last non-pad Base64 character dectected".to_string()))
}

/// SS and BS duplicate messages list the members the way DynamoDB's
/// validator met them: sorted up to the first repeat, then the repeat, then
/// the rest as sent.
fn duplicate_listing<T: Ord + Clone>(members: &[T]) -> Option<Vec<T>> {
    let mut seen: Vec<T> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        if seen.contains(m) {
            seen.sort();
            seen.extend(members[i..].iter().cloned());
            return Some(seen);
        }
        seen.push(m.clone());
    }
    None
}

impl AttributeValue {
    /// Reads one DynamoDB JSON attribute value, validating it as DynamoDB does.
    pub fn from_json(v: &Json) -> Result<AttributeValue, ValueError> {
        Self::from_json_at(v, 1)
    }

    fn from_json_at(v: &Json, level: usize) -> Result<AttributeValue, ValueError> {
        if level > MAX_NESTING_DEPTH {
            return Err(ValueError::new(NESTING_MESSAGE));
        }
        let object = json_object(v)?;
        // Unknown members and JSON nulls are ignored by DynamoDB's reader, so
        // they count as absent.
        let mut found = None;
        let mut count = 0;
        for (key, member) in object {
            if member.is_null() {
                continue;
            }
            let value = match key.as_str() {
                "S" => AttributeValue::S(json_string(member, "String")?.to_string()),
                "N" => AttributeValue::N(Number::parse(json_string(member, "String")?)?),
                "B" => AttributeValue::B(decode_base64(json_string(member, "Blob")?)?),
                "BOOL" => AttributeValue::Bool(member.as_bool().ok_or_else(|| wrong_json_type(member, "Boolean"))?),
                "NULL" => match member.as_bool() {
                    Some(true) => AttributeValue::Null,
                    Some(false) => {
                        return Err(ValueError::new(format!(
                            "{INVALID}Null attribute value types must have the value of true"
                        )));
                    }
                    None => return Err(wrong_json_type(member, "Boolean")),
                },
                "M" => {
                    let mut map = BTreeMap::new();
                    for (name, child) in json_object(member)? {
                        map.insert(name.clone(), Self::from_json_at(child, level + 1)?);
                    }
                    AttributeValue::M(map)
                }
                "L" => {
                    let list = json_array(member)?;
                    let mut out = Vec::with_capacity(list.len());
                    for child in list {
                        out.push(Self::from_json_at(child, level + 1)?);
                    }
                    AttributeValue::L(out)
                }
                "SS" => {
                    let members: Vec<String> = json_array(member)?
                        .iter()
                        .map(|m| json_string(m, "String").map(str::to_string))
                        .collect::<Result<_, _>>()?;
                    Self::string_set(members)?
                }
                "NS" => {
                    let members: Vec<Number> = json_array(member)?
                        .iter()
                        .map(|m| Ok(Number::parse(json_string(m, "String")?)?))
                        .collect::<Result<_, ValueError>>()?;
                    Self::number_set(members)?
                }
                "BS" => {
                    let members: Vec<Vec<u8>> = json_array(member)?
                        .iter()
                        .map(|m| decode_base64(json_string(m, "Blob")?))
                        .collect::<Result<_, _>>()?;
                    Self::binary_set(members)?
                }
                _ => continue,
            };
            count += 1;
            found = Some(value);
        }
        match (count, found) {
            (1, Some(value)) => Ok(value),
            (0, _) | (_, None) => Err(ValueError::new(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            )),
            _ => Err(ValueError::new(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            )),
        }
    }

    /// A string set, refused as DynamoDB refuses it when empty or duplicated.
    pub fn string_set(members: Vec<String>) -> Result<AttributeValue, ValueError> {
        if members.is_empty() {
            return Err(ValueError::new(format!("{INVALID}An string set  may not be empty")));
        }
        if let Some(listing) = duplicate_listing(&members) {
            let shown: Vec<String> = listing.iter().map(|m| format!("\"{m}\"")).collect();
            return Err(ValueError::new(format!(
                "{INVALID}Input collection [{}] contains duplicates.",
                shown.join(", ")
            )));
        }
        Ok(AttributeValue::Ss(members))
    }

    /// A number set; members that are numerically equal (`1`, `1.0`) are
    /// duplicates.
    pub fn number_set(members: Vec<Number>) -> Result<AttributeValue, ValueError> {
        if members.is_empty() {
            return Err(ValueError::new(format!("{INVALID}An number set  may not be empty")));
        }
        if duplicate_listing(&members).is_some() {
            // DynamoDB names no members of a number set.
            return Err(ValueError::new(format!(
                "{INVALID}Input collection contains duplicates."
            )));
        }
        Ok(AttributeValue::Ns(members))
    }

    /// A binary set.
    pub fn binary_set(members: Vec<Vec<u8>>) -> Result<AttributeValue, ValueError> {
        if members.is_empty() {
            return Err(ValueError::new(format!("{INVALID}Binary sets should not be empty")));
        }
        if let Some(listing) = duplicate_listing(&members) {
            let shown: Vec<String> = listing.iter().map(|m| format!("\"{}\"", BASE64.encode(m))).collect();
            // No space before "of" and none after the commas: DynamoDB's text.
            return Err(ValueError::new(format!(
                "{INVALID}Input collection [{}]of type BS contains duplicates.",
                shown.join(",")
            )));
        }
        Ok(AttributeValue::Bs(members))
    }

    /// The DynamoDB JSON form.
    pub fn to_json(&self) -> Json {
        let one = |key: &str, v: Json| {
            let mut m = Map::new();
            m.insert(key.to_string(), v);
            Json::Object(m)
        };
        match self {
            AttributeValue::S(s) => one("S", Json::String(s.clone())),
            AttributeValue::N(n) => one("N", Json::String(n.to_string())),
            AttributeValue::B(b) => one("B", Json::String(BASE64.encode(b))),
            AttributeValue::Bool(b) => one("BOOL", Json::Bool(*b)),
            AttributeValue::Null => one("NULL", Json::Bool(true)),
            AttributeValue::M(m) => one("M", item_to_json(m)),
            AttributeValue::L(l) => one("L", Json::Array(l.iter().map(AttributeValue::to_json).collect())),
            AttributeValue::Ss(s) => one("SS", Json::Array(s.iter().cloned().map(Json::String).collect())),
            AttributeValue::Ns(n) => one(
                "NS",
                Json::Array(n.iter().map(|x| Json::String(x.to_string())).collect()),
            ),
            AttributeValue::Bs(b) => one(
                "BS",
                Json::Array(b.iter().map(|x| Json::String(BASE64.encode(x))).collect()),
            ),
        }
    }

    /// DynamoDB's type descriptor: "S", "N", "B", "BOOL", "NULL", "M", "L",
    /// "SS", "NS", "BS".
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
        }
    }

    /// Bytes the value counts for in an item's size (its name not included),
    /// per "DynamoDB item sizes and formats": strings and binaries by length,
    /// numbers by significant digits, BOOL/NULL 1, List/Map 3 plus 1 per
    /// element (a map element also counts its name), sets the sum of members.
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.size(),
            AttributeValue::B(b) => b.len(),
            AttributeValue::Bool(_) | AttributeValue::Null => 1,
            AttributeValue::M(m) => 3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            AttributeValue::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttributeValue::Ss(s) => s.iter().map(String::len).sum(),
            AttributeValue::Ns(n) => n.iter().map(Number::size).sum(),
            AttributeValue::Bs(b) => b.iter().map(Vec::len).sum(),
        }
    }

    /// Nesting level of the deepest leaf, the value itself being level 1
    /// (DynamoDB stores at most [`MAX_NESTING_DEPTH`]).
    pub fn depth(&self) -> usize {
        match self {
            AttributeValue::M(m) => 1 + m.values().map(AttributeValue::depth).max().unwrap_or(0),
            AttributeValue::L(l) => 1 + l.iter().map(AttributeValue::depth).max().unwrap_or(0),
            _ => 1,
        }
    }

    /// An order-preserving encoding of a scalar key value: between two values
    /// of the same type, byte order equals DynamoDB's order. S is its UTF-8
    /// bytes, B its bytes (neither self-delimiting), N the self-delimiting
    /// encoding of [`Number::key_bytes`]. None for the other types, which
    /// cannot be keys.
    pub fn key_bytes(&self) -> Option<Vec<u8>> {
        match self {
            AttributeValue::S(s) => Some(s.as_bytes().to_vec()),
            AttributeValue::N(n) => Some(n.key_bytes()),
            AttributeValue::B(b) => Some(b.clone()),
            _ => None,
        }
    }

    /// DynamoDB's key order: strings by UTF-8 bytes, numbers numerically,
    /// binaries by unsigned bytes. Meaningful between values of one scalar key
    /// type; other pairs are ordered by type only, so the order stays total.
    pub fn cmp_key(&self, other: &AttributeValue) -> Ordering {
        self.compare(other)
            .unwrap_or_else(|| type_rank(self).cmp(&type_rank(other)))
    }

    /// The order the comparison operators `< <= > >=` and BETWEEN use: defined
    /// only between two S, two N or two B; None otherwise (DynamoDB then
    /// evaluates the comparison to false).
    pub fn compare(&self, other: &AttributeValue) -> Option<Ordering> {
        match (self, other) {
            (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (AttributeValue::N(a), AttributeValue::N(b)) => Some(a.cmp(b)),
            (AttributeValue::B(a), AttributeValue::B(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

fn type_rank(v: &AttributeValue) -> u8 {
    match v {
        AttributeValue::S(_) => 0,
        AttributeValue::N(_) => 1,
        AttributeValue::B(_) => 2,
        AttributeValue::Bool(_) => 3,
        AttributeValue::Null => 4,
        AttributeValue::M(_) => 5,
        AttributeValue::L(_) => 6,
        AttributeValue::Ss(_) => 7,
        AttributeValue::Ns(_) => 8,
        AttributeValue::Bs(_) => 9,
    }
}

fn same_members<T: Ord>(a: &[T], b: &[T]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut x: Vec<&T> = a.iter().collect();
    let mut y: Vec<&T> = b.iter().collect();
    x.sort();
    y.sort();
    x == y
}

/// Structural equality, except that sets are equal when they hold the same
/// members in any order (as DynamoDB's `=` treats them).
impl PartialEq for AttributeValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (AttributeValue::S(a), AttributeValue::S(b)) => a == b,
            (AttributeValue::N(a), AttributeValue::N(b)) => a == b,
            (AttributeValue::B(a), AttributeValue::B(b)) => a == b,
            (AttributeValue::Bool(a), AttributeValue::Bool(b)) => a == b,
            (AttributeValue::Null, AttributeValue::Null) => true,
            (AttributeValue::M(a), AttributeValue::M(b)) => a == b,
            (AttributeValue::L(a), AttributeValue::L(b)) => a == b,
            (AttributeValue::Ss(a), AttributeValue::Ss(b)) => same_members(a, b),
            (AttributeValue::Ns(a), AttributeValue::Ns(b)) => same_members(a, b),
            (AttributeValue::Bs(a), AttributeValue::Bs(b)) => same_members(a, b),
            _ => false,
        }
    }
}

impl Eq for AttributeValue {}

/// Reads an item (`{"name": {"S": "x"}, ...}`), validating every value.
pub fn item_from_json(v: &Json) -> Result<Item, ValueError> {
    let mut item = Item::new();
    for (name, value) in json_object(v)? {
        item.insert(name.clone(), AttributeValue::from_json(value)?);
    }
    Ok(item)
}

/// The DynamoDB JSON form of an item (or of a map's contents).
pub fn item_to_json(item: &Item) -> Json {
    Json::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// An item's size as DynamoDB counts it against the 400 KB limit: each
/// attribute's UTF-8 name length plus its value's size.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn err(v: Json) -> String {
        AttributeValue::from_json(&v).unwrap_err().message
    }

    #[test]
    fn reads_every_type_and_writes_it_back() {
        let cases = [
            json!({"S": "x"}),
            json!({"S": ""}),
            json!({"N": "1.5"}),
            json!({"B": "AAEC"}),
            json!({"B": ""}),
            json!({"BOOL": true}),
            json!({"NULL": true}),
            json!({"M": {"a": {"S": "x"}, "b": {"L": [{"N": "1"}, {"NULL": true}]}}}),
            json!({"L": []}),
            json!({"M": {}}),
            json!({"SS": ["b", "a"]}),
            json!({"NS": ["2", "1"]}),
            json!({"BS": ["AA==", "/w=="]}),
        ];
        for case in cases {
            let v = AttributeValue::from_json(&case).unwrap();
            assert_eq!(v.to_json(), case);
        }
        // Numbers come back canonical.
        let v = AttributeValue::from_json(&json!({"N": "1.50e1"})).unwrap();
        assert_eq!(v.to_json(), json!({"N": "15"}));
        // Unknown members and nulls are ignored, as DynamoDB's reader does.
        let v = AttributeValue::from_json(&json!({"S": "x", "Q": 1, "N": null})).unwrap();
        assert_eq!(v, AttributeValue::S("x".into()));
    }

    #[test]
    fn refuses_what_dynamodb_refuses_in_its_words() {
        assert_eq!(
            err(json!({})),
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        );
        assert_eq!(
            err(json!({"S": "a", "N": "1"})),
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
        );
        assert_eq!(
            err(json!({"NULL": false})),
            "One or more parameter values were invalid: Null attribute value types must have the value of true"
        );
        assert_eq!(
            err(json!({"SS": []})),
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        assert_eq!(
            err(json!({"NS": []})),
            "One or more parameter values were invalid: An number set  may not be empty"
        );
        assert_eq!(
            err(json!({"BS": []})),
            "One or more parameter values were invalid: Binary sets should not be empty"
        );
        assert_eq!(
            err(json!({"SS": ["b", "a", "b"]})),
            "One or more parameter values were invalid: Input collection [\"a\", \"b\", \"b\"] contains duplicates."
        );
        assert_eq!(
            err(json!({"BS": ["/w==", "AA==", "AA=="]})),
            "One or more parameter values were invalid: Input collection [\"AA==\",\"/w==\",\"AA==\"]of type BS contains duplicates."
        );
        assert_eq!(
            err(json!({"NS": ["2", "1", "2.0"]})),
            "One or more parameter values were invalid: Input collection contains duplicates."
        );
        assert_eq!(
            err(json!({"N": "abc"})),
            "The parameter cannot be converted to a numeric value: abc"
        );
        assert_eq!(
            err(json!({"NS": ["1", "b"]})),
            "The parameter cannot be converted to a numeric value: b"
        );
        assert_eq!(
            err(json!({"N": "1e126"})),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
        assert_eq!(
            err(json!({"B": "abc"})),
            "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3"
        );
        assert_eq!(
            err(json!({"B": "ab!="})),
            "'ab!=' can not be converted to a Blob: Invalid Base64 character: '!'"
        );
        assert_eq!(
            err(json!({"B": "a=bc"})),
            "'a=bc' can not be converted to a Blob: Invalid Base64 character: '='"
        );
        assert_eq!(
            AttributeValue::from_json(&json!({"B": "YQ=="})).unwrap(),
            AttributeValue::B(b"a".to_vec())
        );
        let e = AttributeValue::from_json(&json!({"B": "YR=="})).unwrap_err();
        assert!(e.is_serialization());
        assert_eq!(
            e.message,
            "'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"
        );
        let e = AttributeValue::from_json(&json!({"S": 1})).unwrap_err();
        assert!(e.is_serialization(), "{e}");
        assert!(AttributeValue::from_json(&json!("x")).unwrap_err().is_serialization());
        assert!(
            !AttributeValue::from_json(&json!({"SS": []}))
                .unwrap_err()
                .is_serialization()
        );
    }

    fn nested(levels: usize) -> Json {
        let mut v = json!({"S": "leaf"});
        for _ in 0..levels {
            v = json!({"M": {"n": v}});
        }
        v
    }

    #[test]
    fn nesting_stops_at_32_levels() {
        // 31 wraps put the leaf at level 32: accepted; 32 wraps: refused.
        let ok = AttributeValue::from_json(&nested(31)).unwrap();
        assert_eq!(ok.depth(), 32);
        assert_eq!(
            err(nested(32)),
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
        );
        // Far deeper input is refused without deep recursion.
        assert!(AttributeValue::from_json(&nested(100)).is_err());
    }

    #[test]
    fn sizes_follow_the_item_size_rules() {
        let item = item_from_json(&json!({
            "id": {"S": "abc"},
            "n": {"N": "12345"},
            "flag": {"BOOL": true},
            "nothing": {"NULL": true},
            "bin": {"B": "AAEC"},
            "l": {"L": [{"S": "ab"}, {"N": "1"}]},
            "m": {"M": {"k": {"S": "v"}}},
            "ss": {"SS": ["a", "bc"]},
            "e": {"M": {}}
        }))
        .unwrap();
        let expected = (2 + 3)
            + (1 + 4)
            + (4 + 1)
            + (7 + 1)
            + (3 + 3)
            + (1 + 3 + (2 + 1) + (2 + 1))
            + (1 + 3 + (1 + 1 + 1))
            + (2 + 3)
            + (1 + 3);
        assert_eq!(item_size(&item), expected);
    }

    #[test]
    fn items_read_and_write() {
        let j = json!({"a": {"S": "x"}, "b": {"N": "2"}});
        let item = item_from_json(&j).unwrap();
        assert_eq!(item_to_json(&item), j);
        assert!(item_from_json(&json!([1])).unwrap_err().is_serialization());
        assert_eq!(
            item_from_json(&json!({"a": {"SS": []}})).unwrap_err().message,
            "One or more parameter values were invalid: An string set  may not be empty"
        );
    }

    #[test]
    fn set_equality_ignores_order() {
        let a = AttributeValue::from_json(&json!({"SS": ["a", "b"]})).unwrap();
        let b = AttributeValue::from_json(&json!({"SS": ["b", "a"]})).unwrap();
        assert_eq!(a, b);
        let c = AttributeValue::from_json(&json!({"NS": ["1", "2"]})).unwrap();
        let d = AttributeValue::from_json(&json!({"NS": ["2.0", "1"]})).unwrap();
        assert_eq!(c, d);
        assert_ne!(a, c);
    }

    fn number() -> impl Strategy<Value = Number> {
        (any::<bool>(), "[0-9]{1,20}", -40i32..40).prop_map(|(neg, digits, exp)| {
            Number::parse(&format!("{}{digits}e{exp}", if neg { "-" } else { "" })).unwrap()
        })
    }

    fn scalar() -> impl Strategy<Value = AttributeValue> {
        prop_oneof![
            ".{0,12}".prop_map(AttributeValue::S),
            number().prop_map(AttributeValue::N),
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(AttributeValue::B),
        ]
    }

    fn value() -> impl Strategy<Value = AttributeValue> {
        let leaf = prop_oneof![
            scalar(),
            any::<bool>().prop_map(AttributeValue::Bool),
            Just(AttributeValue::Null),
            proptest::collection::btree_set(".{0,6}", 1..5).prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
            proptest::collection::vec(number(), 1..5).prop_map(|mut v| {
                v.sort();
                v.dedup();
                AttributeValue::Ns(v)
            }),
            proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 0..6), 1..5)
                .prop_map(|s| AttributeValue::Bs(s.into_iter().collect())),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
                proptest::collection::btree_map(".{0,6}", inner, 0..4).prop_map(AttributeValue::M),
            ]
        })
    }

    proptest! {
        #[test]
        fn json_round_trips(v in value()) {
            let back = AttributeValue::from_json(&v.to_json()).unwrap();
            prop_assert_eq!(back, v);
        }

        #[test]
        fn key_bytes_preserve_key_order(a in scalar(), b in scalar()) {
            if a.type_name() == b.type_name() {
                prop_assert_eq!(a.cmp_key(&b), a.key_bytes().cmp(&b.key_bytes()));
            }
        }

        #[test]
        fn number_key_bytes_preserve_order(a in number(), b in number()) {
            let (x, y) = (AttributeValue::N(a), AttributeValue::N(b));
            prop_assert_eq!(x.cmp_key(&y), x.key_bytes().cmp(&y.key_bytes()));
        }

        #[test]
        fn from_json_never_panics(text in "[\\[\\]{}\":, A-Za-z0-9=+/.-]{0,80}") {
            if let Ok(j) = serde_json::from_str::<Json>(&text) {
                let _ = AttributeValue::from_json(&j);
                let _ = item_from_json(&j);
            }
        }
    }
}
