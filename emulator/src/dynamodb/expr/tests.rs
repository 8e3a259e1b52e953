//! Tests of the expression language: every construct, every error message,
//! the Developer Guide's own examples, and properties on random input.

use proptest::prelude::*;
use serde_json::{Value as Json, json};

use super::*;
use crate::dynamodb::value::{AttributeValue, Item, item_from_json};

fn names(pairs: &[(&str, &str)]) -> AttributeNames {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn values(j: Json) -> AttributeValues {
    item_from_json(&j).unwrap()
}

fn item(j: Json) -> Item {
    item_from_json(&j).unwrap()
}

fn none() -> AttributeNames {
    AttributeNames::new()
}

/// The message for a condition that parse or validate refuses.
fn cond_err(text: &str, n: &AttributeNames, v: &AttributeValues) -> String {
    match parse_condition(text) {
        Err(e) => e.message,
        Ok(c) => c.validate(n, v).expect_err(text).message,
    }
}

fn holds(text: &str, it: &Item, n: &AttributeNames, v: &AttributeValues) -> bool {
    let c = parse_condition(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    c.evaluate(it, n, v).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn update(it: &Item, text: &str, n: &AttributeNames, v: &AttributeValues) -> Result<Item, String> {
    let u = parse_update(text).map_err(|e| e.message)?;
    apply_update(it, &u, n, v).map_err(|e| e.message)
}

fn update_err(text: &str, n: &AttributeNames, v: &AttributeValues) -> String {
    match parse_update(text) {
        Err(e) => e.message,
        Ok(u) => u.validate(n, v).expect_err(text).message,
    }
}

// ---- syntax ----

#[test]
fn syntax_errors_name_the_token_and_its_neighbours() {
    let v = values(json!({":v": {"N": "1"}}));
    assert_eq!(
        cond_err("a = ", &none(), &v),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \""
    );
    assert_eq!(
        cond_err("a = :v :v", &none(), &v),
        "Invalid ConditionExpression: Syntax error; token: \":v\", near: \":v :v\""
    );
    assert_eq!(
        update_err("SET numx = numx / :v", &none(), &v),
        "Invalid UpdateExpression: Syntax error; token: \"/\", near: \"numx / :v\""
    );
    assert_eq!(
        update_err("SET", &none(), &v),
        "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"SET\""
    );
    assert_eq!(
        update_err("SET a = :v +", &none(), &v),
        "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"+\""
    );
    let proj = |t: &str| parse_projection(t).unwrap_err().message;
    assert_eq!(
        proj("!!!"),
        "Invalid ProjectionExpression: Syntax error; token: \"!\", near: \"!!\""
    );
    assert_eq!(
        proj("a b"),
        "Invalid ProjectionExpression: Syntax error; token: \"b\", near: \"a b\""
    );
    assert_eq!(
        proj("a,"),
        "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\""
    );
    assert_eq!(
        proj("a[01]"),
        "Invalid ProjectionExpression: Syntax error; token: \"1\", near: \"01]\""
    );
    assert_eq!(
        proj("_a"),
        "Invalid ProjectionExpression: Syntax error; token: \"_\", near: \"_a\""
    );
    assert_eq!(
        proj("a.#"),
        "Invalid ProjectionExpression: Syntax error; token: \"#\", near: \".#\""
    );
    // The furthest reading of an ambiguous parenthesis is the one reported.
    assert_eq!(
        cond_err("(a = :v", &none(), &v),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":v\""
    );
    assert_eq!(
        parse_filter("a BETWEEN :v").unwrap_err().message,
        "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \":v\""
    );
    // Keywords are not names.
    assert!(cond_err("and = :v", &none(), &v).starts_with("Invalid ConditionExpression: Syntax error; token: \"and\""));
}

#[test]
fn empty_and_oversized_expressions() {
    for text in ["", "   ", "\n\t"] {
        assert_eq!(
            parse_projection(text).unwrap_err().message,
            "Invalid ProjectionExpression: The expression can not be empty;"
        );
        assert_eq!(
            parse_update(text).unwrap_err().message,
            "Invalid UpdateExpression: The expression can not be empty;"
        );
        assert_eq!(
            parse_condition(text).unwrap_err().message,
            "Invalid ConditionExpression: The expression can not be empty;"
        );
    }
    let long = format!("a = :v{}", " ".repeat(4096));
    assert_eq!(
        parse_filter(&long).unwrap_err().message,
        "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4102"
    );
}

#[test]
fn redundant_parentheses_are_refused() {
    let v = values(json!({":v": {"N": "1"}}));
    for text in [
        "((a = :v))",
        "((a)) = :v",
        "a = ((:v))",
        "NOT ((a = :v))",
        "((a = :v) AND (a = :v)) OR ((b = :v))",
    ] {
        assert_eq!(
            cond_err(text, &none(), &v),
            "Invalid ConditionExpression: The expression has redundant parentheses;",
            "{text}"
        );
    }
    // One pair anywhere is fine.
    for text in [
        "(a = :v)",
        "(a) = :v",
        "(a = :v) AND (b = :v)",
        "NOT (a = :v)",
        "(size(a)) = :v",
    ] {
        let c = parse_condition(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        c.validate(&none(), &v).unwrap();
    }
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let v = values(json!({":v": {"N": "1"}}));
    let deep = format!("{}a = :v{}", "(a = :v AND ".repeat(40), ")".repeat(40));
    assert!(cond_err(&deep, &none(), &v).starts_with("Invalid ConditionExpression: Syntax error;"));
    let nots = format!("{}a = :v", "NOT ".repeat(1000));
    assert!(cond_err(&nots, &none(), &v).starts_with("Invalid ConditionExpression: Syntax error;"));
    // A long flat chain is fine: AND and OR do not nest.
    let chain = vec!["a = :v"; 300].join(" OR ");
    let c = parse_condition(&chain).unwrap();
    assert!(c.evaluate(&item(json!({"a": {"N": "1"}})), &none(), &v).unwrap());
}

// ---- names, values, reserved words ----

#[test]
fn reserved_words_need_placeholders() {
    let v = values(json!({":v": {"S": "x"}}));
    assert_eq!(
        cond_err("name = :v", &none(), &v),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"
    );
    assert_eq!(
        parse_projection("a.Status").unwrap_err().message,
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: Status"
    );
    assert_eq!(
        update_err("SET #a = :v, year = :v", &names(&[("#a", "a")]), &v),
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: year"
    );
    let n = names(&[("#n", "name")]);
    assert!(holds("#n = :v", &item(json!({"name": {"S": "x"}})), &n, &v));
}

#[test]
fn undefined_and_unused_placeholders() {
    let v = values(json!({":v": {"S": "x"}}));
    assert_eq!(
        cond_err("#x = :v", &none(), &v),
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"
    );
    assert_eq!(
        cond_err("a = :x", &none(), &v),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :x"
    );
    assert_eq!(
        update_err("SET a = :x", &none(), &v),
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :x"
    );
    let c = parse_condition("#a = :v").unwrap();
    let n = names(&[("#a", "a"), ("#b", "b")]);
    assert_eq!(
        check_unused(&[&c], Some(&n), Some(&v)).unwrap_err().message,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    );
    let n = names(&[("#a", "a")]);
    let v2 = values(json!({":v": {"S": "x"}, ":w": {"S": "y"}, ":x": {"S": "z"}}));
    assert_eq!(
        check_unused(&[&c], Some(&n), Some(&v2)).unwrap_err().message,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w, :x}"
    );
    // Used in another expression of the same request counts.
    let p = parse_projection("#b").unwrap();
    let n = names(&[("#a", "a"), ("#b", "b")]);
    check_unused(&[&c, &p], Some(&n), Some(&v)).unwrap();
}

#[test]
fn attribute_maps_are_checked() {
    assert_eq!(
        check_attribute_maps(Some(&none()), None).unwrap_err().message,
        "ExpressionAttributeNames must not be empty"
    );
    assert_eq!(
        check_attribute_maps(None, Some(&AttributeValues::new()))
            .unwrap_err()
            .message,
        "ExpressionAttributeValues must not be empty"
    );
    assert_eq!(
        check_attribute_maps(Some(&names(&[("a", "b")])), None)
            .unwrap_err()
            .message,
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""
    );
    assert_eq!(
        check_attribute_maps(Some(&names(&[("#a", "")])), None)
            .unwrap_err()
            .message,
        "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"
    );
    assert_eq!(
        check_attribute_maps(None, Some(&values(json!({"v": {"S": "x"}}))))
            .unwrap_err()
            .message,
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\""
    );
    check_attribute_maps(
        Some(&names(&[("#a_1", "b")])),
        Some(&values(json!({":v_1": {"S": "x"}}))),
    )
    .unwrap();
}

#[test]
fn attribute_names_for_authorization() {
    let n = names(&[("#p", "price"), ("#q", "qty")]);
    let c = parse_condition("attribute_exists(#p.x) AND size(tags) > :z AND extra[1] = :z").unwrap();
    let u = parse_update("SET #q = #q + :one, grand = if_not_exists(seed, :z) REMOVE stale").unwrap();
    let p = parse_projection("a.b, c[0]").unwrap();
    let all = attribute_names_in(&[&c, &u, &p], &n);
    let expected: BTreeSet<String> = ["price", "tags", "extra", "qty", "grand", "seed", "stale", "a", "c"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(all, expected);
    assert_eq!(
        u.updated_attributes(&n),
        ["grand", "qty", "stale"].iter().map(|s| s.to_string()).collect()
    );
}

// ---- functions and operand types ----

#[test]
fn function_errors() {
    let v = values(json!({":v": {"S": "x"}, ":n": {"N": "1"}, ":t": {"S": "X"}, ":l": {"L": []}}));
    let e = |t: &str| cond_err(t, &none(), &v);
    assert_eq!(
        e("foo(a)"),
        "Invalid ConditionExpression: Invalid function name; function: foo"
    );
    assert_eq!(
        e("Size(a) = :n"),
        "Invalid ConditionExpression: Invalid function name; function: Size"
    );
    assert_eq!(
        e("size(a)"),
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"
    );
    assert_eq!(
        e("begins_with(a, :v) = :n"),
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: begins_with"
    );
    assert_eq!(
        e("list_append(a, :l) = :l"),
        "Invalid ConditionExpression: The function is not allowed in a condition expression; function: list_append"
    );
    assert_eq!(
        e("attribute_exists(a, b)"),
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"
    );
    assert_eq!(
        e("attribute_exists(:v)"),
        "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"
    );
    assert_eq!(
        e("begins_with(a, :n)"),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert_eq!(
        e("size(:n) > :n"),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"
    );
    assert_eq!(
        e("attribute_type(a, :t)"),
        "Invalid ConditionExpression: Invalid attribute type name found; type: X, valid types: {N,BS,L,B,NULL,M,S,SS,NS,BOOL}"
    );
    assert_eq!(
        e("attribute_type(a, :n)"),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"
    );
    assert_eq!(
        e("a < :l"),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: L"
    );
    assert_eq!(
        e("a = a"),
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"
    );
    assert_eq!(
        e("contains(a.b[1], a.b[1])"),
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a, b, [1]]"
    );
    assert_eq!(
        e("a[99999999999] = :v"),
        "Invalid ConditionExpression: List index is not within the allowable range; index: [99999999999]"
    );
    let deep = format!("a{} = :v", ".b".repeat(32));
    assert_eq!(
        e(&deep),
        "Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33"
    );
    let update_fn = update_err("SET a = size(b)", &none(), &v);
    assert_eq!(
        update_fn,
        "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"
    );
    assert_eq!(
        update_err("SET a = list_append(b)", &none(), &v),
        "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"
    );
    assert_eq!(
        update_err("SET a = if_not_exists(:v, :v)", &none(), &v),
        "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"
    );
    assert_eq!(
        update_err("SET a = list_append(b, :v)", &none(), &v),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S"
    );
    assert_eq!(
        update_err("SET a = b + :v", &none(), &v),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"
    );
}

#[test]
fn between_and_in_checks() {
    let v = values(json!({":lo": {"N": "5"}, ":hi": {"N": "1"}, ":s": {"S": "a"}, ":b": {"B": "AAE="}}));
    assert_eq!(
        cond_err("a BETWEEN :lo AND :hi", &none(), &v),
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"
    );
    assert_eq!(
        cond_err("a BETWEEN :lo AND :s", &none(), &v),
        "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:a}"
    );
    assert_eq!(
        cond_err("a BETWEEN :b AND :s", &none(), &v),
        "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {B:java.nio.HeapByteBuffer[pos=0 lim=2 cap=2]}, upper bound operand: AttributeValue: {S:a}"
    );
    let list = vec![":s"; 101].join(", ");
    assert_eq!(
        cond_err(&format!("a IN ({list})"), &none(), &v),
        "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"
    );
    let list = vec![":s"; 100].join(", ");
    parse_condition(&format!("a IN ({list})"))
        .unwrap()
        .validate(&none(), &v)
        .unwrap();
}

// ---- evaluation ----

#[test]
fn comparisons_follow_dynamodb() {
    let it = item(json!({
        "s": {"S": "a"}, "up": {"S": "Z"}, "accent": {"S": "é"}, "z": {"S": "z"},
        "n9": {"N": "9"}, "n10": {"N": "10"}, "neg": {"N": "-1.5"},
        "b1": {"B": "AQ=="}, "bff": {"B": "/w=="},
        "ss": {"SS": ["x", "y"]}, "ss2": {"SS": ["y", "x"]}, "flag": {"BOOL": true}
    }));
    let v = values(json!({":one": {"N": "1"}, ":a": {"S": "a"}, ":n": {"N": "1.0"}}));
    let h = |t: &str| holds(t, &it, &none(), &v);
    // Strings compare by UTF-8 bytes: "Z" < "a" < "z" < "é".
    assert!(h("up < s") && h("s < z") && h("z < accent"));
    // Numbers numerically, binary by unsigned bytes.
    assert!(h("n9 < n10") && h("neg < n9") && h("b1 < bff"));
    // Different types: every comparison is false, <> true.
    assert!(!h("s < n9") && !h("s > n9") && !h("s = n9") && h("s <> n9"));
    // Missing attributes: = false, <> true, ordering false.
    assert!(!h("nope = :a") && h("nope <> :a") && !h("nope < :a") && !h("nope >= :a"));
    // Sets are equal whatever their order; numbers whatever their spelling.
    assert!(h("ss = ss2") && h("n9 <> :n") && h(":one = :n"));
    assert!(!h("flag < flag2"));
    assert!(h("n9 BETWEEN :one AND n10") && !h("s BETWEEN :one AND n10"));
    assert!(h("s IN (:one, :a)") && !h("s IN (:one, :n)"));
}

#[test]
fn precedence_is_not_then_and_then_or() {
    let it = item(json!({"a": {"N": "1"}, "b": {"N": "2"}, "c": {"N": "3"}}));
    let v = values(json!({":1": {"N": "1"}, ":2": {"N": "2"}, ":9": {"N": "9"}}));
    let h = |t: &str| holds(t, &it, &none(), &v);
    // a = 1 OR (b = 9 AND c = 9)
    assert!(h("a = :1 OR b = :9 AND c = :9"));
    // (a = 9 OR b = 2) AND c = 9 is false
    assert!(!h("(a = :9 OR b = :2) AND c = :9"));
    // (NOT a = 9) AND b = 2
    assert!(h("NOT a = :9 AND b = :2"));
    assert!(!h("NOT (a = :1 OR b = :9)"));
    assert!(h("NOT NOT a = :1"));
    assert!(h("not a = :9 and b = :2 or c = :9"));
}

#[test]
fn functions_evaluate_as_dynamodb() {
    let it = item(json!({
        "s": {"S": "hello world"}, "b": {"B": "AAECAw=="}, "ss": {"SS": ["red", "blue"]},
        "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AA=="]}, "l": {"L": [{"S": "x"}, {"N": "2"}]},
        "m": {"M": {"k": {"NULL": true}, "j": {"BOOL": false}}}, "n": {"N": "5"}, "u": {"S": "ü"}
    }));
    let v = values(json!({
        ":hello": {"S": "hello"}, ":world": {"S": "world"}, ":red": {"S": "red"}, ":two": {"N": "2.50"},
        ":x": {"S": "x"}, ":pre": {"B": "AAE="}, ":mid": {"B": "AQI="}, ":L": {"S": "L"}, ":M": {"S": "M"},
        ":N": {"S": "N"}, ":2": {"N": "2"}, ":11": {"N": "11"}, ":1": {"N": "1"}, ":00": {"B": "AA=="}
    }));
    let h = |t: &str| holds(t, &it, &none(), &v);
    assert!(h("attribute_exists(s)") && !h("attribute_exists(nope)") && h("attribute_not_exists(m.z)"));
    assert!(h("attribute_exists(m.k)") && h("attribute_exists(l[1])") && !h("attribute_exists(l[2])"));
    assert!(!h("attribute_exists(s[0])") && !h("attribute_exists(l.x)"));
    assert!(h("attribute_type(l, :L)") && h("attribute_type(m, :M)") && !h("attribute_type(s, :N)"));
    assert!(h("begins_with(s, :hello)") && !h("begins_with(s, :world)") && h("begins_with(b, :pre)"));
    assert!(!h("begins_with(n, :hello)"));
    assert!(h("contains(s, :world)") && h("contains(ss, :red)") && h("contains(ns, :two)"));
    assert!(h("contains(l, :x)") && h("contains(l, :2)") && h("contains(b, :mid)") && h("contains(bs, :00)"));
    assert!(!h("contains(ss, :two)") && !h("contains(n, :2)"));
    assert!(h("size(s) = :11") && h("size(ss) = :2") && h("size(l) = :2") && h("size(m) = :2"));
    assert!(h("size(u) = :1"));
    // size() of a number is undefined, so any comparison with it is false.
    assert!(!h("size(n) = :1") && h("size(n) <> :1"));
    assert!(!h("size(nope) > :1"));
}

// ---- key conditions ----

fn key_cond(text: &str, v: &AttributeValues, sort: Option<&str>) -> Result<KeyCondition, String> {
    let c = parse_key_condition(text).map_err(|e| e.message)?;
    c.validate(&none(), v).map_err(|e| e.message)?;
    c.key_condition(&none(), v, "pk", sort).map_err(|e| e.message)
}

#[test]
fn key_conditions_resolve_against_the_schema() {
    let v = values(json!({":p": {"S": "p1"}, ":a": {"N": "1"}, ":b": {"N": "5"}, ":pre": {"S": "ab"}}));
    let k = key_cond("pk = :p", &v, Some("sk")).unwrap();
    assert_eq!(k.partition, ("pk".to_string(), AttributeValue::S("p1".into())));
    assert_eq!(k.sort, None);
    let k = key_cond(":a < sk AND pk = :p", &v, Some("sk")).unwrap();
    assert_eq!(
        k.sort,
        Some(SortCondition {
            name: "sk".into(),
            op: SortOp::Gt(AttributeValue::N("1".parse().unwrap()))
        })
    );
    let k = key_cond("pk = :p AND sk BETWEEN :a AND :b", &v, Some("sk")).unwrap();
    assert!(k.matches(&item(json!({"pk": {"S": "p1"}, "sk": {"N": "3"}}))));
    assert!(!k.matches(&item(json!({"pk": {"S": "p1"}, "sk": {"N": "6"}}))));
    assert!(!k.matches(&item(json!({"pk": {"S": "p2"}, "sk": {"N": "3"}}))));
    let k = key_cond("(pk = :p) AND begins_with(sk, :pre)", &v, Some("sk")).unwrap();
    assert!(k.matches(&item(json!({"pk": {"S": "p1"}, "sk": {"S": "abc"}}))));
    assert!(!k.matches(&item(json!({"pk": {"S": "p1"}, "sk": {"S": "b"}}))));
}

#[test]
fn key_condition_errors() {
    let v = values(json!({":p": {"S": "p1"}, ":a": {"N": "1"}, ":b": {"N": "5"}}));
    let e = |t: &str| key_cond(t, &v, Some("sk")).unwrap_err();
    assert_eq!(
        e("pk = :p OR sk = :a"),
        "Invalid operator used in KeyConditionExpression: OR"
    );
    assert_eq!(e("NOT pk = :p"), "Invalid operator used in KeyConditionExpression: NOT");
    assert_eq!(e("pk IN (:p)"), "Invalid operator used in KeyConditionExpression: IN");
    assert_eq!(e("pk <> :p"), "Invalid operator used in KeyConditionExpression: <>");
    assert_eq!(
        e("pk = :p AND attribute_exists(sk)"),
        "Invalid operator used in KeyConditionExpression: attribute_exists"
    );
    assert_eq!(
        e("pk = :p AND size(sk) > :a"),
        "KeyConditionExpressions cannot contain nested operations"
    );
    assert_eq!(
        e("pk = :p AND pk = :p"),
        "KeyConditionExpressions must only contain one condition per key"
    );
    assert_eq!(e("sk = :a"), "Query condition missed key schema element: pk");
    assert_eq!(
        e("pk = :p AND extra = :a"),
        "Query condition missed key schema element: sk"
    );
    assert_eq!(
        key_cond("pk = :p AND extra = :a", &v, None).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(e("pk < :p"), "Query key condition not supported");
    assert_eq!(e("pk BETWEEN :a AND :b"), "Query key condition not supported");
    assert_eq!(
        e("pk.x = :p"),
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk"
    );
    assert_eq!(
        e("pk = sk"),
        "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
    );
    assert_eq!(
        e("pk = :p AND begins_with(sk, :a)"),
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    let f = parse_filter("pk = :p").unwrap();
    assert_eq!(
        f.check_no_key_attributes(&none(), &["pk", "sk"]).unwrap_err().message,
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk"
    );
}

// ---- projection ----

#[test]
fn projection_keeps_structure() {
    let it = item(json!({
        "a": {"M": {"b": {"N": "1"}, "c": {"N": "2"}}},
        "l": {"L": [{"S": "0"}, {"M": {"x": {"S": "x1"}, "y": {"S": "y1"}}}, {"S": "2"}, {"S": "3"}]},
        "top": {"S": "t"}
    }));
    let p = parse_projection("l[3], a.b, l[1].x, top, nope, a.zz, l[9]").unwrap();
    let paths = p.validate(&none()).unwrap();
    assert_eq!(
        crate::dynamodb::value::item_to_json(&project(&it, &paths)),
        json!({
            "a": {"M": {"b": {"N": "1"}}},
            "l": {"L": [{"M": {"x": {"S": "x1"}}}, {"S": "3"}]},
            "top": {"S": "t"}
        })
    );
}

#[test]
fn projection_paths_may_not_overlap() {
    let e = |t: &str| parse_projection(t).unwrap().validate(&none()).unwrap_err().message;
    assert_eq!(
        e("a, a.b"),
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert_eq!(
        e("a.b, a"),
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"
    );
    assert_eq!(
        e("x, x"),
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [x], path two: [x]"
    );
    assert_eq!(
        e("a.b, a[0]"),
        "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"
    );
    parse_projection("a.b, a.c, l[0], l[1].x")
        .unwrap()
        .validate(&none())
        .unwrap();
}

// ---- update ----

#[test]
fn update_actions_apply() {
    let it = item(json!({
        "pk": {"S": "k"}, "n": {"N": "10"}, "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]},
        "m": {"M": {"x": {"N": "1"}}}, "ss": {"SS": ["a", "b"]}, "gone": {"S": "x"}, "keep": {"S": "k"}
    }));
    let v = values(json!({
        ":one": {"N": "1"}, ":more": {"L": [{"S": "e"}]}, ":zero": {"N": "0"}, ":c": {"SS": ["b", "c"]},
        ":d": {"SS": ["a", "z"]}, ":new": {"S": "new"}
    }));
    let out = update(
        &it,
        "SET n = n + :one, m.y = :new, l[1] = :new, l[10] = :new, c = if_not_exists(c, :zero), more = list_append(:more, l) \
         REMOVE gone, l[0], l[2] ADD ss :c, tally :one DELETE dset :d",
        &none(),
        &v,
    )
    .unwrap();
    assert_eq!(
        crate::dynamodb::value::item_to_json(&out),
        json!({
            "pk": {"S": "k"}, "n": {"N": "11"}, "keep": {"S": "k"},
            // l[0] and l[2] go by their positions before the update; l[10] appends.
            "l": {"L": [{"S": "new"}, {"S": "d"}, {"S": "new"}]},
            "m": {"M": {"x": {"N": "1"}, "y": {"S": "new"}}},
            "ss": {"SS": ["a", "b", "c"]},
            "c": {"N": "0"}, "tally": {"N": "1"},
            // Values are worked out from the item as it was.
            "more": {"L": [{"S": "e"}, {"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]}
        })
    );
    // DELETE that empties a set removes the attribute.
    let out = update(
        &out,
        "DELETE ss :c",
        &none(),
        &values(json!({":c": {"SS": ["a", "b", "c"]}})),
    )
    .unwrap();
    assert!(!out.contains_key("ss"));
    let u = parse_update("SET a.b = :x REMOVE c[1] ADD d :y").unwrap();
    let paths = u.updated_paths(&none()).unwrap();
    assert_eq!(
        paths,
        vec![
            vec![PathElem::Attr("a".into()), PathElem::Attr("b".into())],
            vec![PathElem::Attr("c".into()), PathElem::Index(1)],
            vec![PathElem::Attr("d".into())]
        ]
    );
}

#[test]
fn update_static_errors() {
    let v = values(json!({":v": {"S": "x"}, ":n": {"N": "1"}, ":ns": {"NS": ["1"]}}));
    let e = |t: &str| update_err(t, &none(), &v);
    assert_eq!(
        e("SET a = :v SET b = :v"),
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"
    );
    assert_eq!(
        e("REMOVE a ADD b :n remove c"),
        "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an update expression;"
    );
    assert_eq!(
        e("SET a = :v REMOVE a.b"),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert_eq!(
        e("SET a.b = :v REMOVE a[0]"),
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"
    );
    assert_eq!(
        e("ADD a :v"),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"
    );
    assert_eq!(
        e("DELETE a :n"),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"
    );
    parse_update("ADD a :ns DELETE b :ns")
        .unwrap()
        .validate(&none(), &v)
        .unwrap();
    assert_eq!(
        e("SET #a = :v"),
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a"
    );
    let u = parse_update("SET pk = :v").unwrap();
    assert_eq!(
        u.check_key_attributes(&none(), &["pk"]).unwrap_err().message,
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    );
}

#[test]
fn update_runtime_errors() {
    let it = item(json!({"s": {"S": "x"}, "n": {"N": "1"}, "l": {"L": []}, "m": {"M": {}},
        "big": {"N": "9.9999999999999999999999999999999999999E+125"}, "ss": {"SS": ["a"]}}));
    let v = values(
        json!({":n": {"N": "1"}, ":s": {"S": "x"}, ":ss": {"SS": ["b"]}, ":ns": {"NS": ["1"]},
        ":l": {"L": []}, ":big": {"N": "1E+125"}}),
    );
    let e = |t: &str| update(&it, t, &none(), &v).unwrap_err();
    let wrong_type = "An operand in the update expression has an incorrect data type";
    assert_eq!(e("SET a = s + :n"), wrong_type);
    assert_eq!(e("SET a = list_append(s, :l)"), wrong_type);
    assert_eq!(e("ADD s :n"), wrong_type);
    assert_eq!(e("ADD ss :ns"), wrong_type);
    assert_eq!(e("DELETE n :ns"), wrong_type);
    let missing = "The provided expression refers to an attribute that does not exist in the item";
    assert_eq!(e("SET a = nope"), missing);
    assert_eq!(e("SET a = nope + :n"), missing);
    assert_eq!(e("SET a = list_append(nope, :l)"), missing);
    let bad_path = "The document path provided in the update expression is invalid for update";
    assert_eq!(e("SET nope.x = :n"), bad_path);
    assert_eq!(e("SET s.x = :n"), bad_path);
    assert_eq!(e("SET m[0] = :n"), bad_path);
    assert_eq!(e("SET l.x = :n"), bad_path);
    assert_eq!(e("REMOVE nope.x"), bad_path);
    assert_eq!(
        e("SET big = big + :big"),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
    assert_eq!(
        e("ADD big :big"),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
    // Removing what is not there is no error.
    update(&it, "REMOVE nope, l[5], m.z", &none(), &v).unwrap();
    // Writing a value too deep for an item.
    let mut deep = json!({"S": "leaf"});
    for _ in 0..31 {
        deep = json!({"M": {"n": deep}});
    }
    let dv = values(json!({":deep": deep}));
    update(&it, "SET top = :deep", &none(), &dv).unwrap();
    assert_eq!(
        update(&it, "SET m.x = :deep", &none(), &dv).unwrap_err(),
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
    );
}

// ---- the Developer Guide's examples ----

/// The ProductCatalog item the Developer Guide's expression pages use.
fn product() -> Item {
    item(json!({
        "Id": {"N": "123"},
        "Title": {"S": "Bicycle 123"},
        "Description": {"S": "123 description"},
        "BicycleType": {"S": "Hybrid"},
        "Brand": {"S": "Brand-Company C"},
        "Price": {"N": "500"},
        "Color": {"SS": ["Red", "Black"]},
        "ProductCategory": {"S": "Bicycle"},
        "InStock": {"BOOL": true},
        "QuantityOnHand": {"NULL": true},
        "RelatedItems": {"L": [{"N": "341"}, {"N": "472"}, {"N": "649"}]},
        "Pictures": {"M": {
            "FrontView": {"S": "http://example.com/products/123_front.jpg"},
            "RearView": {"S": "http://example.com/products/123_rear.jpg"},
            "SideView": {"S": "http://example.com/products/123_left_side.jpg"}
        }},
        "ProductReviews": {"M": {
            "FiveStar": {"L": [{"S": "Excellent! Can't recommend it highly enough! Buy it!"}, {"S": "Do yourself a favor and buy this."}]},
            "OneStar": {"L": [{"S": "Terrible product! Do not buy this."}]}
        }},
        "Comment": {"S": "This product sells out quickly during the summer"},
        "Safety.Warning": {"S": "Always wear a helmet"}
    }))
}

#[test]
fn developer_guide_condition_examples() {
    let it = product();
    // (page, expression, names, values, expected)
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, Json, bool);
    let cases: Vec<Case<'_>> = vec![
        // "Condition and filter expressions, operators, and functions"
        (
            "Condition expressions",
            "attribute_not_exists(Price)",
            vec![],
            json!({}),
            false,
        ),
        (
            "Condition expressions",
            "attribute_exists(Pictures.SideView)",
            vec![],
            json!({}),
            true,
        ),
        (
            "Condition expressions",
            "attribute_not_exists(Manufacturer)",
            vec![],
            json!({}),
            true,
        ),
        (
            "Condition expressions",
            "attribute_type(ProductReviews.FiveStar, :v_sub)",
            vec![],
            json!({":v_sub": {"S": "L"}}),
            true,
        ),
        (
            "Condition expressions",
            "begins_with(Pictures.FrontView, :v_sub)",
            vec![],
            json!({":v_sub": {"S": "http://"}}),
            true,
        ),
        (
            "Condition expressions",
            "contains(Brand, :v_sub)",
            vec![],
            json!({":v_sub": {"S": "Company"}}),
            true,
        ),
        (
            "Condition expressions",
            "contains(Color, :v_sub)",
            vec![],
            json!({":v_sub": {"S": "Red"}}),
            true,
        ),
        (
            "Condition expressions",
            "size(Brand) <= :v_sub",
            vec![],
            json!({":v_sub": {"N": "20"}}),
            true,
        ),
        (
            "Condition expressions",
            "size(Color) < :v_sub",
            vec![],
            json!({":v_sub": {"N": "3"}}),
            true,
        ),
        (
            "Condition expressions",
            "size(ProductReviews.OneStar) > :v_sub",
            vec![],
            json!({":v_sub": {"N": "0"}}),
            true,
        ),
        // Conditional delete example.
        (
            "Condition expressions",
            "(ProductCategory IN (:cat1, :cat2)) and (Price between :lo and :hi)",
            vec![],
            json!({":cat1": {"S": "Sporting Goods"}, ":cat2": {"S": "Gardening Supplies"}, ":lo": {"N": "500"}, ":hi": {"N": "600"}}),
            false,
        ),
        (
            "Condition expressions",
            "(ProductCategory IN (:cat1, :cat2)) and (Price between :lo and :hi)",
            vec![],
            json!({":cat1": {"S": "Bicycle"}, ":cat2": {"S": "Gardening Supplies"}, ":lo": {"N": "500"}, ":hi": {"N": "600"}}),
            true,
        ),
        // Conditional update example.
        (
            "Condition expressions",
            "Price > :limit",
            vec![],
            json!({":limit": {"N": "500"}}),
            false,
        ),
        // "Specifying item attributes when using expressions": a name with a dot.
        (
            "Specifying item attributes",
            "attribute_exists(#sw)",
            vec![("#sw", "Safety.Warning")],
            json!({}),
            true,
        ),
        (
            "Specifying item attributes",
            "attribute_exists(Safety.Warning)",
            vec![],
            json!({}),
            false,
        ),
        // "Expression attribute names": a reserved word behind a placeholder.
        (
            "Expression attribute names",
            "#c = :c",
            vec![("#c", "Comment")],
            json!({":c": {"S": "This product sells out quickly during the summer"}}),
            true,
        ),
        // "Using expression attribute values".
        (
            "Expression attribute values",
            "ProductCategory = :c and Price <= :p",
            vec![],
            json!({":c": {"S": "Bicycle"}, ":p": {"N": "500"}}),
            true,
        ),
    ];
    for (page, text, n, v, expected) in cases {
        let (n, v) = (names(&n), values(v));
        assert_eq!(holds(text, &it, &n, &v), expected, "{page}: {text}");
    }
}

#[test]
fn developer_guide_update_examples() {
    let it = product();
    let n = names(&[("#pr", "ProductReviews"), ("#ri", "RelatedItems")]);
    let run = |text: &str, n: &AttributeNames, v: Json| {
        update(&it, text, n, &values(v)).unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    // "Update expressions": SET adding and modifying attributes.
    let out = run(
        "SET ProductCategory = :c, Price = :p",
        &none(),
        json!({":c": {"S": "Hardware"}, ":p": {"N": "60"}}),
    );
    assert_eq!(out["ProductCategory"], AttributeValue::S("Hardware".into()));
    assert_eq!(out["Price"], AttributeValue::N("60".parse().unwrap()));
    // Modifying a list element.
    let out = run("SET RelatedItems[1] = :ri", &none(), json!({":ri": {"S": "Nails"}}));
    assert_eq!(
        crate::dynamodb::value::item_to_json(&out)["RelatedItems"],
        json!({"L": [{"N": "341"}, {"S": "Nails"}, {"N": "649"}]})
    );
    // Adding nested map attributes.
    let out = run(
        "SET #pr.FiveStar[0] = :r5, #pr.ThreeStar = :r3",
        &n.iter()
            .filter(|(k, _)| *k == "#pr")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        json!({":r5": {"S": "Very happy with my purchase"}, ":r3": {"L": [{"S": "Just OK - not that great"}]}}),
    );
    let AttributeValue::M(reviews) = &out["ProductReviews"] else {
        panic!()
    };
    assert!(reviews.contains_key("ThreeStar"));
    // Incrementing and decrementing numeric attributes.
    let out = run("SET Price = Price - :p", &none(), json!({":p": {"N": "15"}}));
    assert_eq!(out["Price"], AttributeValue::N("485".parse().unwrap()));
    // Appending elements to a list.
    let ri = names(&[("#ri", "RelatedItems")]);
    let out = run(
        "SET #ri = list_append(#ri, :vals)",
        &ri,
        json!({":vals": {"L": [{"S": "Screwdriver"}, {"S": "Hacksaw"}]}}),
    );
    let AttributeValue::L(l) = &out["RelatedItems"] else {
        panic!()
    };
    assert_eq!(l.len(), 5);
    assert_eq!(l[4], AttributeValue::S("Hacksaw".into()));
    let out = run(
        "SET #ri = list_append(:vals, #ri)",
        &ri,
        json!({":vals": {"L": [{"S": "Chisel"}]}}),
    );
    let AttributeValue::L(l) = &out["RelatedItems"] else {
        panic!()
    };
    assert_eq!(l[0], AttributeValue::S("Chisel".into()));
    // Preventing overwrites of an existing attribute.
    let out = run(
        "SET Price = if_not_exists(Price, :p)",
        &none(),
        json!({":p": {"N": "100"}}),
    );
    assert_eq!(out["Price"], AttributeValue::N("500".parse().unwrap()));
    // REMOVE: removing attributes, and elements from a list.
    let out = run("REMOVE Brand, InStock, QuantityOnHand", &none(), json!({}));
    assert!(!out.contains_key("Brand") && !out.contains_key("InStock") && !out.contains_key("QuantityOnHand"));
    let out = run("REMOVE RelatedItems[1], RelatedItems[2]", &none(), json!({}));
    assert_eq!(
        crate::dynamodb::value::item_to_json(&out)["RelatedItems"],
        json!({"L": [{"N": "341"}]})
    );
    // ADD: a number (QuantityOnHand is NULL here, so start from an item without it) and set elements.
    let mut base = it.clone();
    base.remove("QuantityOnHand");
    let out = update(
        &base,
        "ADD QuantityOnHand :q",
        &none(),
        &values(json!({":q": {"N": "5"}})),
    )
    .unwrap();
    assert_eq!(out["QuantityOnHand"], AttributeValue::N("5".parse().unwrap()));
    let out = run("ADD Color :c", &none(), json!({":c": {"SS": ["Orange", "Purple"]}}));
    assert_eq!(
        crate::dynamodb::value::item_to_json(&out)["Color"],
        json!({"SS": ["Red", "Black", "Orange", "Purple"]})
    );
    // DELETE: removing elements from a set.
    let out = run("DELETE Color :p", &none(), json!({":p": {"SS": ["Red", "Purple"]}}));
    assert_eq!(
        crate::dynamodb::value::item_to_json(&out)["Color"],
        json!({"SS": ["Black"]})
    );
}

#[test]
fn developer_guide_projection_examples() {
    let it = product();
    // "Projection expressions": top-level, list element and nested map attribute.
    let p = parse_projection("Description, RelatedItems[0], ProductReviews.FiveStar").unwrap();
    let out = project(&it, &p.validate(&none()).unwrap());
    let j = crate::dynamodb::value::item_to_json(&out);
    assert_eq!(j["Description"], json!({"S": "123 description"}));
    assert_eq!(j["RelatedItems"], json!({"L": [{"N": "341"}]}));
    assert_eq!(j["ProductReviews"]["M"]["FiveStar"]["L"].as_array().unwrap().len(), 2);
    assert_eq!(out.len(), 3);
    // "Expression attribute names": a name with a dot needs a placeholder.
    let n = names(&[("#sw", "Safety.Warning")]);
    let p = parse_projection("#sw").unwrap();
    assert_eq!(project(&it, &p.validate(&n).unwrap()).len(), 1);
}

#[test]
fn developer_guide_key_condition_examples() {
    // "Key condition expressions for the Query operation" (Thread table).
    let n = names(&[("#fn", "ForumName")]);
    let v = values(json!({":name": {"S": "Amazon DynamoDB"}, ":sub": {"S": "DynamoDB Thread 1"}}));
    let c = parse_key_condition("ForumName = :name and Subject = :sub").unwrap();
    c.validate(&n, &v).unwrap();
    let k = c.key_condition(&n, &v, "ForumName", Some("Subject")).unwrap();
    assert_eq!(k.partition.0, "ForumName");
    assert_eq!(
        k.sort.unwrap().op,
        SortOp::Eq(AttributeValue::S("DynamoDB Thread 1".into()))
    );
    let c = parse_key_condition("#fn = :name").unwrap();
    let v = values(json!({":name": {"S": "Amazon DynamoDB"}}));
    c.validate(&n, &v).unwrap();
    c.key_condition(&n, &v, "ForumName", Some("Subject")).unwrap();
}

// ---- properties ----

fn expression_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("a".to_string()),
        Just("b.c".to_string()),
        Just("l[0]".to_string()),
        Just("#n".to_string()),
        Just(":v".to_string()),
        Just(":w".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("=".to_string()),
        Just("<>".to_string()),
        Just("<".to_string()),
        Just(">=".to_string()),
        Just(",".to_string()),
        Just("AND".to_string()),
        Just("OR".to_string()),
        Just("NOT".to_string()),
        Just("BETWEEN".to_string()),
        Just("IN".to_string()),
        Just("SET".to_string()),
        Just("REMOVE".to_string()),
        Just("ADD".to_string()),
        Just("DELETE".to_string()),
        Just("+".to_string()),
        Just("-".to_string()),
        Just("size(".to_string()),
        Just("begins_with(".to_string()),
        Just("contains(".to_string()),
        Just("attribute_exists(".to_string()),
        Just("list_append(".to_string()),
        Just("if_not_exists(".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(".".to_string()),
        "[ -~é]{1,3}",
    ];
    proptest::collection::vec(token, 0..24).prop_map(|t| t.join(" "))
}

fn sample_item() -> Item {
    item(json!({
        "a": {"N": "1"}, "b": {"M": {"c": {"S": "x"}}}, "l": {"L": [{"N": "1"}, {"S": "y"}]},
        "s": {"SS": ["p"]}, "name": {"S": "n"}
    }))
}

proptest! {
    #[test]
    fn parsers_never_panic(text in expression_text()) {
        let n = names(&[("#n", "name")]);
        let v = values(json!({":v": {"N": "1"}, ":w": {"SS": ["q"]}}));
        let it = sample_item();
        if let Ok(c) = parse_condition(&text) {
            let _ = c.evaluate(&it, &n, &v);
            let _ = c.key_condition(&n, &v, "a", Some("name"));
        }
        if let Ok(u) = parse_update(&text) {
            let _ = apply_update(&it, &u, &n, &v);
        }
        if let Ok(p) = parse_projection(&text)
            && let Ok(paths) = p.validate(&n)
        {
            let _ = project(&it, &paths);
        }
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_text(text in "\\PC{0,64}") {
        let _ = parse_condition(&text);
        let _ = parse_update(&text);
        let _ = parse_projection(&text);
    }

    #[test]
    fn updates_never_panic_and_leave_other_attributes_alone(
        actions in proptest::collection::vec(
            (prop_oneof![Just("SET"), Just("REMOVE")], prop_oneof![
                Just("a"), Just("b.c"), Just("b.d"), Just("l[0]"), Just("l[1]"), Just("l[5]"), Just("x"), Just("x.y"), Just("l[0].z")
            ], prop_oneof![Just(":v"), Just("a + :n"), Just("list_append(l, :l)"), Just("if_not_exists(x, :v)"), Just("b")]),
            1..5,
        )
    ) {
        let it = sample_item();
        let v = values(json!({":v": {"S": "v"}, ":n": {"N": "2"}, ":l": {"L": [{"N": "3"}]}}));
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        for (kind, path, value) in &actions {
            if *kind == "SET" { sets.push(format!("{path} = {value}")); } else { removes.push(path.to_string()); }
        }
        let mut text = String::new();
        if !sets.is_empty() { text.push_str(&format!("SET {}", sets.join(", "))); }
        if !removes.is_empty() { text.push_str(&format!(" REMOVE {}", removes.join(", "))); }
        let u = parse_update(&text).unwrap();
        let used = u.values_used();
        let v: AttributeValues = v.into_iter().filter(|(k, _)| used.contains(k)).collect();
        if let Ok(out) = apply_update(&it, &u, &none(), &v) {
            let touched = u.updated_attributes(&none());
            for (k, val) in &it {
                if !touched.contains(k) {
                    prop_assert_eq!(out.get(k), Some(val));
                }
            }
            for k in out.keys() {
                prop_assert!(it.contains_key(k) || touched.contains(k));
            }
        }
    }
}
