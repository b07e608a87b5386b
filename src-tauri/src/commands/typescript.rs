//! The UI's command module (ui/src/lib/commands.ts), generated from the Rust
//! signatures build.rs reads in this folder, and the capability files checked
//! against the same list. Tests here fail when either is stale;
//! `UPDATE_BINDINGS=1 cargo test -p keyhaven-app` rewrites commands.ts.

use std::{collections::BTreeSet, fmt::Write as _, path::Path};

use ts_rs::{Config, Dependency, TS, TypeVisitor};

/// One command as the webview calls it.
pub struct Signature {
    pub name: &'static str,
    pub docs: &'static str,
    pub args: Vec<(&'static str, Ts)>,
    pub result: Ts,
}

/// A TypeScript type, and the generated bindings it names (file stems under
/// ui/src/lib/bindings/).
pub struct Ts {
    text: String,
    imports: BTreeSet<String>,
}

fn ts<T: TS + 'static + ?Sized>() -> Ts {
    /// The named types the text shows: `T` and its type arguments, deeply
    /// (`Option<Vec<SecretMeta>>` names SecretMeta), not their fields' types.
    struct Named<'a>(&'a Config, BTreeSet<String>);
    impl TypeVisitor for Named<'_> {
        fn visit<T: TS + 'static + ?Sized>(&mut self) {
            if let Some(dependency) = Dependency::from_ty::<T>(self.0) {
                self.1.insert(dependency.output_path.with_extension("").to_string_lossy().into_owned());
            }
            T::visit_generics(self);
        }
    }
    let cfg = Config::default();
    let mut named = Named(&cfg, BTreeSet::new());
    named.visit::<T>();
    Ts { text: T::name(&cfg), imports: named.1 }
}

pub fn arg<T: TS + 'static + ?Sized>(name: &'static str) -> (&'static str, Ts) {
    (name, ts::<T>())
}

pub fn result<T: TS + 'static + ?Sized>() -> Ts {
    let ts = ts::<T>();
    // A command returning `()` resolves to null: nothing to use.
    if ts.text == "null" { Ts { text: "void".into(), imports: ts.imports } } else { ts }
}

fn all() -> Vec<Signature> {
    include!(concat!(env!("OUT_DIR"), "/commands/all.rs"))
}

/// `allow_weak` → `allowWeak`: Tauri's default for argument keys, and ours
/// for function names.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

fn module_text(signatures: &[Signature]) -> String {
    let imports: BTreeSet<&str> = signatures
        .iter()
        .flat_map(|sig| sig.args.iter().map(|(_, ts)| ts).chain([&sig.result]))
        .flat_map(|ts| ts.imports.iter().map(String::as_str))
        .collect();
    let mut text = String::from(
        "// Generated from the Rust commands (src-tauri/src/commands/) by\n\
         // `UPDATE_BINDINGS=1 cargo test -p keyhaven-app`: do not edit.\n\
         import { invoke } from \"@tauri-apps/api/core\";\n",
    );
    for name in &imports {
        writeln!(text, "import type {{ {name} }} from \"./bindings/{name}\";").unwrap();
    }
    text.push_str("\n/** Each command's arguments, as the webview sends them, and its result. */\nexport interface Commands {\n");
    for sig in signatures {
        let args: Vec<String> =
            sig.args.iter().map(|(name, ts)| format!("{}: {}", camel(name), ts.text)).collect();
        let args = if args.is_empty() {
            "Record<string, never>".to_owned()
        } else {
            format!("{{ {} }}", args.join("; "))
        };
        writeln!(text, "  {}: {{ args: {args}; result: {} }};", sig.name, sig.result.text).unwrap();
    }
    text.push_str("}\n\n/** Each command as a function. */\nexport const commands = {\n");
    for sig in signatures {
        if !sig.docs.is_empty() {
            writeln!(text, "  /** {} */", sig.docs).unwrap();
        }
        let params: Vec<String> =
            sig.args.iter().map(|(name, ts)| format!("{}: {}", camel(name), ts.text)).collect();
        let keys: Vec<String> = sig.args.iter().map(|(name, _)| camel(name)).collect();
        let sent = if keys.is_empty() { String::new() } else { format!(", {{ {} }}", keys.join(", ")) };
        writeln!(
            text,
            "  {}: ({}) => invoke<{}>(\"{}\"{sent}),",
            camel(sig.name),
            params.join(", "),
            sig.result.text,
            sig.name
        )
        .unwrap();
    }
    text.push_str("};\n");
    text
}

#[test]
fn the_uis_command_module_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/commands.ts");
    let text = module_text(&all());
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert!(
        std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()),
        "ui/src/lib/commands.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p keyhaven-app`"
    );
}

/// The main window may call every command, and no capability names one that
/// does not exist (a renamed command would otherwise be refused at run time).
#[test]
fn capabilities_name_the_commands_there_are() {
    let commands: BTreeSet<String> =
        all().iter().map(|sig| format!("allow-{}", sig.name.replace('_', "-"))).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let allowed: BTreeSet<String> = file["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|permission| permission.as_str())
            .filter(|permission| permission.starts_with("allow-"))
            .map(str::to_owned)
            .collect();
        let unknown: Vec<_> = allowed.difference(&commands).collect();
        assert!(unknown.is_empty(), "{} allows commands that do not exist: {unknown:?}", path.display());
        if file["identifier"] == "main" {
            let missing: Vec<_> = commands.difference(&allowed).collect();
            assert!(
                missing.is_empty(),
                "the main window may not call {missing:?}: add them to {}",
                path.display()
            );
        }
    }
}

#[test]
fn argument_keys_are_camel_case_as_tauri_sends_them() {
    assert_eq!(camel("allow_weak"), "allowWeak");
    assert_eq!(camel("list_page"), "listPage");
    assert_eq!(camel("from_vault"), "fromVault");
    assert_eq!(camel("unlock"), "unlock");
}
