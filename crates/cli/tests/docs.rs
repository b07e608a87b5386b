//! docs/cli.md is run: each `keyhaven --json …` example in it is run in
//! order against a vault and the emulator set up here, and what it prints
//! must have the shape the document shows (the same keys at every level,
//! every row of an array shaped as the first one shown, the same kind of
//! value where neither side is null).
//! `KEYHAVEN_PRINT_DOCS=1` prints what each command printed instead, to write
//! the document from.

mod common;
#[path = "../../core/tests/common/emulator.rs"]
mod emulator;

use common::Kh;
use emulator::{Emulator, TOKEN};
use keyhaven_core::remote::Kind;
use serde_json::{Value, json};

/// Each example: the command's arguments (after `keyhaven`) and the JSON shown.
fn examples(doc: &str) -> Vec<(String, String)> {
    let mut examples = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line != "```sh" {
            continue;
        }
        let command = lines.next().expect("a command after ```sh");
        let Some(args) = command.strip_prefix("keyhaven --json ") else { continue };
        assert_eq!(lines.next(), Some("```"), "one command per block: {command}");
        assert_eq!(lines.next(), Some("```json"), "its JSON after {command}");
        let json: Vec<&str> = lines.by_ref().take_while(|line| *line != "```").collect();
        examples.push((args.to_owned(), json.join("\n")));
    }
    examples
}

/// Where `actual` differs in shape from `shown`, at `path`.
fn differs(path: &str, shown: &Value, actual: &Value) -> Option<String> {
    match (shown, actual) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Object(shown), Value::Object(actual)) => {
            let keys = |map: &serde_json::Map<String, Value>| {
                let mut keys = map.keys().cloned().collect::<Vec<_>>();
                keys.sort();
                keys
            };
            if keys(shown) != keys(actual) {
                return Some(format!("{path}: keys {:?} shown, {:?} printed", keys(shown), keys(actual)));
            }
            shown.iter().find_map(|(key, value)| differs(&format!("{path}.{key}"), value, &actual[key]))
        }
        // Every row printed has the shape of the first shown; an empty list
        // printed says nothing against it, but rows where none are shown are
        // a shape the document leaves out.
        (Value::Array(shown), Value::Array(actual)) => match shown.first() {
            Some(row) => actual.iter().find_map(|each| differs(&format!("{path}[]"), row, each)),
            None if actual.is_empty() => None,
            None => Some(format!("{path}: no row shown, {} printed", actual.len())),
        },
        (Value::String(_), Value::String(_)) | (Value::Number(_), Value::Number(_)) => None,
        (Value::Bool(_), Value::Bool(_)) => None,
        _ => Some(format!("{path}: {shown} shown, {actual} printed")),
    }
}

#[test]
fn every_json_example_in_docs_cli_md_has_the_shape_printed() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    kh.ok(
        &["set", "OPENAI_API_KEY", "--description", "Production key", "--category", "llm"],
        Some(b"sk-doc-0123456789"),
    );
    kh.ok(&["set", "DB_PASSWORD", "--rotate-by", "2027-03-31"], Some(b"pw-doc-0123456789"));
    let runloop = emulator.url(Kind::Runloop);
    kh.ok(
        &["remote", "add", "rl", "--kind", "runloop", "--url", &runloop, "--include", "*"],
        Some(TOKEN.as_bytes()),
    );
    kh.ok(
        &["remote", "add", "rt", "--kind", "runtype", "--url", &emulator.url(Kind::Runtype)],
        Some(TOKEN.as_bytes()),
    );
    kh.ok(&["sync", "rl", "--yes"], None);
    // Two conflicts (changed on both sides) and a name only the remote holds.
    for name in ["DB_PASSWORD", "OPENAI_API_KEY"] {
        emulator.call(
            Kind::Runloop,
            "POST",
            &format!("/v1/secrets/{name}"),
            Some(json!({"value": "theirs-0123"})),
        );
        kh.ok(&["rotate", name], Some(b"mine-0123456789"));
    }
    emulator.call(
        Kind::Runloop,
        "POST",
        "/v1/secrets",
        Some(json!({"name": "THEIRS_ONLY", "value": "t-0123"})),
    );
    kh.run(&["sync", "rl"], None);
    emulator.call(
        Kind::Runtype,
        "POST",
        "/v1/secrets",
        Some(json!({"key": "OPENAI_API_KEY", "value": "sk-0123456789"})),
    );
    std::fs::write(kh.path("secrets.env"), "IMPORTED_KEY=imported-0123\nOPENAI_API_KEY=sk-new-0123\n")
        .unwrap();

    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md")).unwrap();
    let examples = examples(&doc);
    assert!(examples.len() >= 25, "{} examples", examples.len());
    let print = std::env::var_os("KEYHAVEN_PRINT_DOCS").is_some();
    let mut wrong = Vec::new();
    for (args, shown) in examples {
        let mut argv = vec!["--json".to_owned()];
        for arg in shell_words(&args) {
            argv.push(match arg.as_str() {
                "secrets.env" => kh.path("secrets.env").display().to_string(),
                "https://api.runloop.ai" => runloop.clone(),
                _ => arg,
            });
        }
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let out = kh.run(&argv, Some(b"doc-stdin-value-0123"));
        let printed = String::from_utf8_lossy(&out.stdout);
        if print {
            println!("$ keyhaven --json {args}  (exit {:?})\n{printed}", out.status.code());
            continue;
        }
        let actual: Value = match serde_json::from_str(&printed) {
            Ok(value) => value,
            Err(err) => {
                wrong.push(format!(
                    "{args}: not JSON ({err}): {printed}{}",
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
        };
        let shown: Value =
            serde_json::from_str(&shown).unwrap_or_else(|err| panic!("docs/cli.md, {args}: {err}"));
        if let Some(why) = differs("", &shown, &actual) {
            wrong.push(format!("{args}: {why}"));
        }
    }
    assert!(wrong.is_empty(), "docs/cli.md differs from what is printed:\n{}", wrong.join("\n"));
}

/// `args` split on spaces, single quotes keeping theirs together.
fn shell_words(args: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut quoted = false;
    let mut word = String::new();
    for c in args.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => words.extend((!word.is_empty()).then(|| std::mem::take(&mut word))),
            c => word.push(c),
        }
    }
    words.extend((!word.is_empty()).then_some(word));
    words
}

/// docs/cli.md's last section is `keyhaven generate reference` (every command
/// and option from the clap definitions); `UPDATE_DOCS=1` rewrites it.
#[test]
fn the_reference_in_the_document_is_made_from_the_clap_definitions() {
    const START: &str = "<!-- Generated from the clap definitions";
    const END: &str = "<!-- End of the generated reference. -->";
    let kh = Kh::new();
    let out = tempfile::tempdir().unwrap();
    kh.ok(&["generate", "reference", "--out", out.path().to_str().unwrap()], None);
    let generated = std::fs::read_to_string(out.path().join("cli-reference.md")).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let start = doc.find(START).expect("the generated section's start marker");
    let body = start + doc[start..].find("-->\n").expect("the marker's end") + "-->\n".len();
    let end = doc.find(END).expect("the generated section's end marker");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, format!("{}{generated}{}", &doc[..body], &doc[end..])).unwrap();
        return;
    }
    assert!(
        doc[body..end] == generated,
        "docs/cli.md's reference is stale: `UPDATE_DOCS=1 cargo test -p keyhaven-cli --test docs` rewrites it"
    );
}
