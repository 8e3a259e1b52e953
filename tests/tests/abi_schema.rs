//! docs/wasm-abi.schema.json says what the engine reads and writes: every
//! `$ref` resolves, and every request, policy set and answer of the corpus
//! uses only the members the schema names, with the members it requires.

use std::path::PathBuf;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join("docs/wasm-abi.schema.json")).unwrap();
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn def<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["$defs"].get(name).unwrap_or_else(|| panic!("no $defs/{name}"))
}

/// Checks `value`'s members against an object definition: nothing unnamed, nothing required missing.
fn check_object(schema: &Value, def_name: &str, value: &Value, at: &str) {
    let d = def(schema, def_name);
    let props = d["properties"].as_object().unwrap();
    let obj = value.as_object().unwrap_or_else(|| panic!("{at}: not an object"));
    for key in obj.keys() {
        assert!(
            props.contains_key(key),
            "{at}: member `{key}` is not in $defs/{def_name}"
        );
    }
    for req in d["required"].as_array().into_iter().flatten() {
        assert!(
            obj.contains_key(req.as_str().unwrap()),
            "{at}: required `{req}` of $defs/{def_name} is missing"
        );
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let s = schema();
    let mut refs = Vec::new();
    collect_refs(&s, &mut refs);
    assert!(refs.len() > 20);
    for r in refs {
        let name = r
            .strip_prefix("#/$defs/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        def(&s, name);
    }
}

#[test]
fn the_corpus_fits_the_schema() {
    let s = schema();
    let principal_types: Vec<&str> = def(&s, "Principal")["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["properties"]["type"]["const"].as_str().unwrap())
        .collect();
    let mut cases = 0;
    for entry in std::fs::read_dir(root().join("tests/corpus")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        check_object(&s, "PolicySet", &file["policies"], &name);
        for (place, policies) in file["policies"].as_object().unwrap() {
            let flat: Vec<&Value> = match policies {
                Value::Array(a) => a
                    .iter()
                    .flat_map(|p| p.as_array().map_or(vec![p], |l| l.iter().collect()))
                    .collect(),
                p => vec![p],
            };
            for p in flat {
                check_object(&s, "Policy", p, &format!("{name} {place}"));
            }
        }
        for case in file["cases"].as_array().unwrap() {
            let at = format!("{name} / {}", case["name"]);
            check_object(&s, "Request", &case["request"], &at);
            let ty = case["request"]["principal"]["type"].as_str().unwrap();
            assert!(
                principal_types.contains(&ty),
                "{at}: principal type {ty} not in the schema"
            );
            check_object(&s, "Decision", &case["answer"], &at);
            for st in case["answer"]["matchedStatements"].as_array().unwrap() {
                check_object(&s, "MatchedStatement", st, &at);
            }
            cases += 1;
        }
    }
    assert!(cases >= 250, "only {cases} corpus cases checked");
}
