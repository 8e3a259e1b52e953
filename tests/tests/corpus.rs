//! The shared decision corpus (`tests/corpus/*.json`), run on the native engine.
//!
//! Every file holds a policy set and cases; each case has a request, a
//! hand-written `expect` (decision and, for denials, `deniedBy`, derived from
//! AWS's documented rules) and an `answer` (the engine's whole decision JSON,
//! blessed from the native engine). The wasmtime, JavaScript and Python hosts
//! run the same files and must reproduce every `answer` exactly.
//!
//! `ROLECHAIN_BLESS=1 cargo test -p rolechain-tests --test corpus` rewrites
//! the `answer` fields from the engine; `expect` is asserted even then.
//!
//! The policy set and the requests are handed to the engine as compact JSON
//! with the members in file order — what `JSON.stringify` gives — because the
//! line and column of a statement of an inline (object) document are counted
//! in that document's own text (docs/wasm-abi.md). Every host does the same.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rolechain_policy::evaluator::Evaluator;
use rolechain_policy::json::{self, Json, JsonValue};
use rolechain_policy::kind::PolicyKind;
use rolechain_policy::operator::BaseOperator;
use rolechain_policy::wire::PolicySetSpec;
use rolechain_policy::{Request, authorize};
use rolechain_wasm_host::WasmEvaluator;
use serde_json::Value;

/// The corpus may grow; it must not shrink below this.
const MIN_CASES: usize = 250;
/// Lines of the pretty-printed files fit in this many columns where they can.
const WIDTH: usize = 120;
/// A container of scalars only may run to this width rather than break.
const LEAF_WIDTH: usize = 170;

const DECISIONS: [&str; 3] = ["allowed", "explicitDeny", "implicitDeny"];
const DENIED_BY: [&str; 7] = [
    "identity",
    "resource",
    "roleTrust",
    "permissionsBoundary",
    "session",
    "serviceControl",
    "resourceControl",
];
const PRINCIPAL_TYPES: [&str; 7] = [
    "root",
    "user",
    "assumedRole",
    "federatedUser",
    "webIdentity",
    "service",
    "anonymous",
];

// ---------------------------------------------------------------- an ordered JSON tree

/// JSON with object members in the order written and numbers as written,
/// so that a blessed file keeps its author's layout and hosts see the same text.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Node>),
    Obj(Vec<(String, Node)>),
}

impl Node {
    fn from_json(v: &Json<'_>) -> Node {
        match &v.value {
            JsonValue::Null => Node::Null,
            JsonValue::Bool(b) => Node::Bool(*b),
            JsonValue::Number(n) => Node::Num((*n).to_string()),
            JsonValue::String(s) => Node::Str(s.to_string()),
            JsonValue::Array(items) => Node::Arr(items.iter().map(Node::from_json).collect()),
            JsonValue::Object(members) => Node::Obj(
                members
                    .iter()
                    .map(|m| (m.key.to_string(), Node::from_json(&m.value)))
                    .collect(),
            ),
        }
    }

    fn parse(text: &str) -> Result<Node, String> {
        json::parse(text)
            .map(|j| Node::from_json(&j))
            .map_err(|e| e.to_string())
    }

    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    fn items(&self) -> &[Node] {
        match self {
            Node::Arr(items) => items,
            _ => &[],
        }
    }

    fn keys(&self) -> Vec<&str> {
        match self {
            Node::Obj(members) => members.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    fn is_scalar(&self) -> bool {
        match self {
            Node::Arr(items) => items.is_empty(),
            Node::Obj(members) => members.is_empty(),
            _ => true,
        }
    }

    fn to_value(&self) -> Value {
        serde_json::from_str(&compact(self)).expect("compact JSON reads back")
    }
}

/// A JSON string literal escaped as `JSON.stringify` escapes it.
fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `JSON.stringify(node)`; Python: `json.dumps(node, separators=(",", ":"), ensure_ascii=False)`.
fn compact(node: &Node) -> String {
    let mut out = String::new();
    write_flat(node, &mut out);
    out
}

fn write_flat(node: &Node, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Num(n) => out.push_str(n),
        Node::Str(s) => quote(s, out),
        Node::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_flat(item, out);
            }
            out.push(']');
        }
        Node::Obj(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                quote(k, out);
                out.push(':');
                write_flat(v, out);
            }
            out.push('}');
        }
    }
}

/// One line, with a space after each comma and colon.
fn inline(node: &Node) -> String {
    let mut out = String::new();
    write_spaced(node, &mut out);
    out
}

fn write_spaced(node: &Node, out: &mut String) {
    match node {
        Node::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_spaced(item, out);
            }
            out.push(']');
        }
        Node::Obj(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                quote(k, out);
                out.push_str(": ");
                write_spaced(v, out);
            }
            out.push('}');
        }
        scalar => write_flat(scalar, out),
    }
}

/// Pretty-printed with a two-space indent; a container stays on one line when it fits.
fn pretty(node: &Node) -> String {
    let mut out = String::new();
    write_pretty(node, 0, 0, &mut out);
    out.push('\n');
    out
}

/// `used` is how many columns the line already holds before `node`.
fn write_pretty(node: &Node, indent: usize, used: usize, out: &mut String) {
    let one_line = inline(node);
    let width = one_line.chars().count();
    let leaf = match node {
        Node::Arr(items) => items.iter().all(Node::is_scalar),
        Node::Obj(members) => members.iter().all(|(_, v)| v.is_scalar()),
        _ => true,
    };
    if node.is_scalar() || used + width <= WIDTH || (leaf && used + width <= LEAF_WIDTH) {
        out.push_str(&one_line);
        return;
    }
    let pad = " ".repeat(indent + 2);
    match node {
        Node::Arr(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad);
                write_pretty(item, indent + 2, indent + 2, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
        }
        Node::Obj(members) => {
            out.push_str("{\n");
            for (i, (k, v)) in members.iter().enumerate() {
                out.push_str(&pad);
                let mut key = String::new();
                quote(k, &mut key);
                out.push_str(&key);
                out.push_str(": ");
                write_pretty(v, indent + 2, indent + 2 + key.chars().count() + 2, out);
                out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
        }
        _ => unreachable!("scalars are written inline"),
    }
}

/// Numbers every host prints back exactly as written: no exponent, no
/// trailing fraction zeros, no `-0`, at most 15 significant digits.
fn canonical_number(n: &str) -> bool {
    let digits = n.strip_prefix('-').unwrap_or(n);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let int_ok = !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && (int == "0" || !int.starts_with('0'));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) && !f.ends_with('0'));
    let significant = digits
        .trim_start_matches(['0', '.'])
        .bytes()
        .filter(u8::is_ascii_digit)
        .count();
    int_ok && frac_ok && significant <= 15 && n != "-0"
}

fn non_canonical_numbers(node: &Node, path: &str, out: &mut Vec<String>) {
    match node {
        Node::Num(n) if !canonical_number(n) => out.push(format!("{path}: {n}")),
        Node::Arr(items) => {
            for (i, item) in items.iter().enumerate() {
                non_canonical_numbers(item, &format!("{path}[{i}]"), out);
            }
        }
        Node::Obj(members) => {
            for (k, v) in members {
                non_canonical_numbers(v, &format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------- the corpus

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

struct CorpusFile {
    path: PathBuf,
    name: String,
    root: Node,
}

fn load_corpus() -> Vec<CorpusFile> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/corpus exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let root = Node::parse(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            CorpusFile { path, name, root }
        })
        .collect()
}

fn blessing() -> bool {
    std::env::var("ROLECHAIN_BLESS").is_ok_and(|v| v == "1")
}

/// The differences between two JSON values, one line each, by path.
fn diff(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (e.get(k), a.get(k)) {
                    (Some(x), Some(y)) => diff(&p, x, y, out),
                    (Some(x), None) => out.push(format!("  {p}: expected {x}, the engine gives nothing")),
                    (None, Some(y)) => out.push(format!("  {p}: not expected, the engine gives {y}")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for i in 0..e.len().max(a.len()) {
                let p = format!("{path}[{i}]");
                match (e.get(i), a.get(i)) {
                    (Some(x), Some(y)) => diff(&p, x, y, out),
                    (Some(x), None) => out.push(format!("  {p}: expected {x}, the engine gives nothing")),
                    (None, Some(y)) => out.push(format!("  {p}: not expected, the engine gives {y}")),
                    (None, None) => {}
                }
            }
        }
        (e, a) if e != a => out.push(format!("  {path}: expected {e}, the engine gives {a}")),
        _ => {}
    }
}

/// Checks the shape of a case's `expect`, returning (decision, deniedBy).
fn read_expect(expect: Option<&Node>) -> Result<(String, Option<String>), String> {
    let expect = expect.ok_or("no `expect`")?;
    for k in expect.keys() {
        if k != "decision" && k != "deniedBy" {
            return Err(format!("`expect` has an unknown field `{k}`"));
        }
    }
    let decision = expect
        .get("decision")
        .and_then(Node::as_str)
        .ok_or("`expect.decision` must be a string")?;
    if !DECISIONS.contains(&decision) {
        return Err(format!("`expect.decision` is `{decision}`; use one of {DECISIONS:?}"));
    }
    let denied_by = match expect.get("deniedBy") {
        None => None,
        Some(Node::Str(s)) if DENIED_BY.contains(&s.as_str()) => Some(s.clone()),
        Some(other) => {
            return Err(format!(
                "`expect.deniedBy` is {}; use one of {DENIED_BY:?}",
                compact(other)
            ));
        }
    };
    match (decision, &denied_by) {
        ("allowed", Some(_)) => Err("an allowed case has no `deniedBy`".into()),
        ("allowed", None) => Ok((decision.into(), None)),
        (_, None) => Err("a denial names its `deniedBy`".into()),
        (_, Some(_)) => Ok((decision.into(), denied_by)),
    }
}

/// Runs one file: every failure is a line of the returned list. With
/// `bless`, the file's answers are rewritten from the engine.
fn run_file(file: &CorpusFile, bless: bool) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut fail = |case: &str, message: String| failures.push(format!("{} / {case}: {message}", file.name));
    let root = &file.root;
    if root.keys() != ["description", "source", "policies", "cases"] {
        fail(
            "(file)",
            format!(
                "the members must be description, source, policies, cases in that order; found {:?}",
                root.keys()
            ),
        );
    }
    for key in ["description", "source"] {
        if root.get(key).and_then(Node::as_str).is_none_or(str::is_empty) {
            fail("(file)", format!("`{key}` must be a non-empty string"));
        }
    }
    let mut numbers = Vec::new();
    non_canonical_numbers(root, "", &mut numbers);
    for n in numbers {
        fail("(file)", format!("a number hosts would print differently: {n}"));
    }
    let policies = root.get("policies").cloned().unwrap_or(Node::Obj(Vec::new()));
    // The same set in rolechain_policy.wasm under wasmtime: every case is decided there too.
    let wasm = wasm_evaluator();
    let mut wasm_set = None;
    let set = match PolicySetSpec::from_json_str(&compact(&policies)) {
        Ok(spec) => match spec.build() {
            Ok(set) => {
                match wasm.load(&spec) {
                    Ok(h) => wasm_set = Some(h),
                    Err(e) => fail("(policies)", format!("the wasm host refuses the set: {e}")),
                }
                Some(set)
            }
            Err(e) => {
                fail("(policies)", format!("the set does not build: {e}"));
                None
            }
        },
        Err(e) => {
            fail("(policies)", format!("the set does not read: {e}"));
            None
        }
    };
    let cases = root.get("cases").map(Node::items).unwrap_or_default();
    let mut names = BTreeSet::new();
    let mut blessed_cases = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case
            .get("name")
            .and_then(Node::as_str)
            .map_or_else(|| format!("(case {i})"), str::to_string);
        if !names.insert(name.clone()) {
            fail(&name, "the name is used twice in the file".into());
        }
        let mut extra: Vec<&str> = case.keys();
        extra.retain(|k| !["name", "request", "expect", "answer"].contains(k));
        if !extra.is_empty() {
            fail(&name, format!("unknown fields {extra:?}"));
        }
        let expect = match read_expect(case.get("expect")) {
            Ok(e) => Some(e),
            Err(e) => {
                fail(&name, e);
                None
            }
        };
        let request_node = case.get("request").cloned().unwrap_or(Node::Null);
        let request = match Request::from_json_str(&compact(&request_node)) {
            Ok(r) => r,
            Err(e) => {
                fail(&name, format!("the request does not read: {e}"));
                blessed_cases.push(case.clone());
                continue;
            }
        };
        let Some(set) = &set else {
            blessed_cases.push(case.clone());
            continue;
        };
        let decision = authorize(set, &request);
        let actual = serde_json::to_value(&decision).expect("a decision serializes");
        if let Some(h) = wasm_set {
            match wasm.authorize(h, &request) {
                Ok(d) if d == decision => {}
                Ok(d) => {
                    let mut lines = Vec::new();
                    diff(
                        "wasm",
                        &actual,
                        &serde_json::to_value(&d).expect("a decision serializes"),
                        &mut lines,
                    );
                    fail(
                        &name,
                        format!(
                            "rolechain_policy.wasm decides otherwise than the native engine:\n{}",
                            lines.join("\n")
                        ),
                    );
                }
                Err(e) => fail(&name, format!("rolechain_policy.wasm gave no decision: {e}")),
            }
        }
        let got_decision = actual["decision"].as_str().unwrap_or_default().to_string();
        let got_denied_by = actual.get("deniedBy").and_then(Value::as_str).map(str::to_string);
        if let Some((want_decision, want_denied_by)) = &expect
            && (*want_decision != got_decision || *want_denied_by != got_denied_by)
        {
            fail(
                &name,
                format!(
                    "expected {want_decision}{}, the engine decides {got_decision}{}: {}",
                    want_denied_by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default(),
                    got_denied_by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default(),
                    actual.get("message").and_then(Value::as_str).unwrap_or("(no message)"),
                ),
            );
        }
        if bless {
            let text = serde_json::to_string(&decision).expect("a decision serializes");
            let answer = Node::parse(&text).expect("the engine writes JSON");
            blessed_cases.push(with_answer(case, answer));
            continue;
        }
        match case.get("answer") {
            None => fail(
                &name,
                "no `answer`; bless the corpus (see tests/corpus/README.md)".into(),
            ),
            Some(answer) => {
                let expected = answer.to_value();
                if expected != actual {
                    let mut lines = Vec::new();
                    diff("answer", &expected, &actual, &mut lines);
                    fail(
                        &name,
                        format!(
                            "the decision differs from the blessed answer:\n{}\n  the engine's whole answer: {}",
                            lines.join("\n"),
                            actual
                        ),
                    );
                }
            }
        }
    }
    if bless {
        let mut root = root.clone();
        if let Node::Obj(members) = &mut root
            && let Some((_, v)) = members.iter_mut().find(|(k, _)| k == "cases")
        {
            *v = Node::Arr(blessed_cases);
        }
        write_atomically(&file.path, &pretty(&root));
    }
    (cases.len(), failures)
}

/// One wasmtime host for the whole corpus (compiling the module once).
fn wasm_evaluator() -> &'static WasmEvaluator {
    static WASM: std::sync::OnceLock<WasmEvaluator> = std::sync::OnceLock::new();
    WASM.get_or_init(|| WasmEvaluator::new().expect("rolechain_policy.wasm starts in wasmtime"))
}

/// The case with its `answer` replaced, or placed after `expect`.
fn with_answer(case: &Node, answer: Node) -> Node {
    let Node::Obj(members) = case else {
        return case.clone();
    };
    let mut out: Vec<(String, Node)> = members.iter().filter(|(k, _)| k != "answer").cloned().collect();
    let at = out.iter().position(|(k, _)| k == "expect").map_or(out.len(), |i| i + 1);
    out.insert(at, ("answer".into(), answer));
    Node::Obj(out)
}

fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
    std::fs::rename(&tmp, path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

#[test]
fn every_case_decides_as_expected_and_as_blessed() {
    let bless = blessing();
    let files = load_corpus();
    assert!(!files.is_empty(), "no corpus files in {}", corpus_dir().display());
    let mut total = 0;
    let mut failures = Vec::new();
    let mut counts = Vec::new();
    for file in &files {
        let (n, f) = run_file(file, bless);
        counts.push(format!("{}: {n}", file.name));
        total += n;
        failures.extend(f);
    }
    eprintln!(
        "corpus: {total} cases in {} files\n  {}",
        files.len(),
        counts.join("\n  ")
    );
    assert!(
        failures.is_empty(),
        "{} corpus failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        total >= MIN_CASES,
        "the corpus has {total} cases; it must keep at least {MIN_CASES}"
    );
}

// ---------------------------------------------------------------- coverage

/// What the corpus exercises, gathered from every file.
#[derive(Default)]
struct Coverage {
    operators: BTreeSet<String>,
    kinds: BTreeSet<String>,
    qualifiers: BTreeSet<String>,
    if_exists: bool,
    elements: BTreeSet<String>,
    versions: BTreeSet<String>,
    document_forms: BTreeSet<&'static str>,
    principal_types: BTreeSet<String>,
    principal_forms: BTreeSet<String>,
    decisions: BTreeSet<String>,
    denied_by: BTreeSet<String>,
    missing_keys_reported: bool,
    empty_multivalued_keys: bool,
    unknown_operators: Vec<String>,
}

impl Coverage {
    fn policy(&mut self, policy: &Node, default_kind: &str) {
        let kind = policy.get("kind").and_then(Node::as_str).unwrap_or(default_kind);
        self.kinds.insert(kind.to_string());
        let document = match policy.get("document") {
            Some(Node::Str(text)) => {
                self.document_forms.insert("string");
                match Node::parse(text) {
                    Ok(d) => d,
                    Err(_) => return,
                }
            }
            Some(doc @ Node::Obj(_)) => {
                self.document_forms.insert("inline");
                doc.clone()
            }
            _ => return,
        };
        self.versions.insert(
            document
                .get("Version")
                .and_then(Node::as_str)
                .unwrap_or("(none)")
                .to_string(),
        );
        let statements = match document.get("Statement") {
            Some(Node::Arr(items)) => items.clone(),
            Some(one) => vec![one.clone()],
            None => Vec::new(),
        };
        for st in &statements {
            for key in st.keys() {
                self.elements.insert(key.to_string());
            }
            for principal in [st.get("Principal"), st.get("NotPrincipal")].into_iter().flatten() {
                match principal {
                    Node::Str(s) => {
                        self.principal_forms.insert(format!("\"{s}\""));
                    }
                    other => {
                        for k in other.keys() {
                            self.principal_forms.insert(k.to_string());
                        }
                    }
                }
            }
            let Some(condition) = st.get("Condition") else {
                continue;
            };
            for op in condition.keys() {
                let mut name = op;
                for q in ["ForAllValues:", "ForAnyValue:"] {
                    if let Some(rest) = name.strip_prefix(q) {
                        self.qualifiers.insert(q.trim_end_matches(':').to_string());
                        name = rest;
                    }
                }
                if let Some(rest) = name.strip_suffix("IfExists") {
                    self.if_exists = true;
                    name = rest;
                }
                if BaseOperator::all_names().any(|n| n == name) {
                    self.operators.insert(name.to_string());
                } else {
                    self.unknown_operators.push(op.to_string());
                }
            }
        }
    }

    fn policies(&mut self, set: &Node) {
        for (place, default) in [("identity", "identity"), ("session", "session")] {
            for p in set.get(place).map(Node::items).unwrap_or_default() {
                self.policy(p, default);
            }
        }
        for (place, default) in [("resource", "resource"), ("permissionsBoundary", "boundary")] {
            if let Some(p) = set.get(place) {
                self.policy(p, default);
            }
        }
        for (place, default) in [("scpLevels", "scp"), ("rcpLevels", "rcp")] {
            for level in set.get(place).map(Node::items).unwrap_or_default() {
                for p in level.items() {
                    self.policy(p, default);
                }
            }
        }
    }

    fn case(&mut self, case: &Node) {
        if let Some(request) = case.get("request") {
            if let Some(t) = request
                .get("principal")
                .and_then(|p| p.get("type"))
                .and_then(Node::as_str)
            {
                self.principal_types.insert(t.to_string());
            }
            if let Some(Node::Obj(context)) = request.get("context") {
                self.empty_multivalued_keys |= context.iter().any(|(_, v)| matches!(v, Node::Arr(a) if a.is_empty()));
            }
        }
        if let Some(expect) = case.get("expect") {
            if let Some(d) = expect.get("decision").and_then(Node::as_str) {
                self.decisions.insert(d.to_string());
            }
            if let Some(b) = expect.get("deniedBy").and_then(Node::as_str) {
                self.denied_by.insert(b.to_string());
            }
        }
        if let Some(answer) = case.get("answer") {
            self.missing_keys_reported |= !answer
                .get("missingContextKeys")
                .map(Node::items)
                .unwrap_or_default()
                .is_empty();
        }
    }
}

fn missing<'a>(wanted: impl IntoIterator<Item = &'a str>, have: &BTreeSet<String>) -> Vec<&'a str> {
    wanted.into_iter().filter(|w| !have.contains(*w)).collect()
}

#[test]
fn the_corpus_covers_every_operator_kind_and_rule() {
    let mut cov = Coverage::default();
    let mut per_file = BTreeMap::new();
    for file in load_corpus() {
        if let Some(set) = file.root.get("policies") {
            cov.policies(set);
        }
        let cases = file.root.get("cases").map(Node::items).unwrap_or_default();
        for case in cases {
            cov.case(case);
        }
        per_file.insert(file.name.clone(), cases.len());
    }
    let mut gaps = Vec::new();
    let mut gap = |what: &str, missing: Vec<&str>| {
        if !missing.is_empty() {
            gaps.push(format!("{what}: {missing:?}"));
        }
    };
    gap(
        "condition operators",
        missing(BaseOperator::all_names(), &cov.operators),
    );
    gap(
        "policy kinds",
        missing(PolicyKind::ALL.iter().map(|k| k.name()), &cov.kinds),
    );
    gap(
        "set qualifiers",
        missing(["ForAllValues", "ForAnyValue"], &cov.qualifiers),
    );
    gap("...IfExists", if cov.if_exists { vec![] } else { vec!["IfExists"] });
    gap(
        "statement elements",
        missing(
            [
                "Sid",
                "Principal",
                "NotPrincipal",
                "Action",
                "NotAction",
                "Resource",
                "NotResource",
                "Condition",
            ],
            &cov.elements,
        ),
    );
    gap(
        "policy versions",
        missing(["2012-10-17", "2008-10-17", "(none)"], &cov.versions),
    );
    let forms: BTreeSet<String> = cov.document_forms.iter().map(|s| s.to_string()).collect();
    gap("document forms", missing(["string", "inline"], &forms));
    gap("principal types", missing(PRINCIPAL_TYPES, &cov.principal_types));
    gap(
        "principal forms",
        missing(["\"*\"", "AWS", "Federated", "Service"], &cov.principal_forms),
    );
    gap("decisions", missing(DECISIONS, &cov.decisions));
    gap("deniedBy", missing(DENIED_BY, &cov.denied_by));
    gap(
        "missing context keys",
        if cov.missing_keys_reported {
            vec![]
        } else {
            vec!["a case reporting one"]
        },
    );
    gap(
        "empty multivalued keys",
        if cov.empty_multivalued_keys {
            vec![]
        } else {
            vec!["a request with one"]
        },
    );
    assert!(
        cov.unknown_operators.is_empty(),
        "operators the corpus scan does not know: {:?}",
        cov.unknown_operators
    );
    assert!(gaps.is_empty(), "the corpus no longer covers:\n  {}", gaps.join("\n  "));
    eprintln!(
        "corpus coverage: {} operators, {} kinds, {} principal types, files {per_file:?}",
        cov.operators.len(),
        cov.kinds.len(),
        cov.principal_types.len()
    );
}

#[test]
fn the_printer_and_number_rules() {
    let node = Node::parse(r#"{"b": [1, "x\ny", {"c": null}], "a": true, "e": {}, "f": []}"#).unwrap();
    assert_eq!(compact(&node), r#"{"b":[1,"x\ny",{"c":null}],"a":true,"e":{},"f":[]}"#);
    assert_eq!(
        pretty(&node),
        "{\"b\": [1, \"x\\ny\", {\"c\": null}], \"a\": true, \"e\": {}, \"f\": []}\n"
    );
    assert_eq!(Node::parse(&pretty(&node)).unwrap(), node);
    for ok in ["0", "10", "-3", "1.5", "0.25", "-0.5", "1700000000"] {
        assert!(canonical_number(ok), "{ok}");
    }
    for bad in ["1.0", "1e3", "01", "-0", "1.", "1.50", "12345678901234567"] {
        assert!(!canonical_number(bad), "{bad}");
    }
}
