//! Reads the app's commands from src/commands/ (every `#[tauri::command]`
//! function there), so each is written once, as a Rust function:
//! - declares them, so each window gets only those its capability file
//!   allows (capabilities/*.json);
//! - writes the handler list main.rs registers (`$OUT_DIR/handler.rs`);
//! - writes, per module, the signatures the TypeScript generator reads in
//!   tests (`$OUT_DIR/commands/<module>.rs`, see src/commands/typescript.rs),
//!   which writes ui/src/lib/commands.ts.
//!
//! It also names the git commit in `keyhaven-app --version`.

include!("../build/commit.rs");

use std::{fmt::Write as _, path::Path};

use quote::ToTokens;

/// Parameters Tauri fills itself; the webview never sends them.
const INJECTED: &[&str] = &["State", "AppHandle", "Window", "WebviewWindow", "Webview"];

struct Command {
    module: String,
    name: String,
    docs: String,
    /// (name as written in Rust, type as written in Rust)
    args: Vec<(String, String)>,
    /// The `Ok` type as written in Rust.
    result: String,
}

fn main() {
    stamp_commit();
    let dir = Path::new("src/commands");
    println!("cargo:rerun-if-changed={}", dir.display());
    let commands = read_commands(dir);
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    write_handler(&commands, &out);
    write_signatures(&commands, &out);

    let names: Vec<&'static str> = commands.iter().map(|c| &*c.name.clone().leak()).collect();
    let manifest = tauri_build::AppManifest::new().commands(names.leak());
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build");
}

fn read_commands(dir: &Path) -> Vec<Command> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("src/commands")
        .map(|entry| entry.expect("src/commands entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs") && !path.ends_with("mod.rs"))
        .collect();
    files.sort();
    let mut commands = Vec::new();
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let module = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("a command module");
        let file = syn::parse_file(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        for item in file.items {
            let syn::Item::Fn(function) = item else { continue };
            if !function.attrs.iter().any(is_command_attribute) {
                continue;
            }
            commands.push(command(&module, &function));
        }
    }
    commands
}

fn is_command_attribute(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    path.segments.len() == 2 && path.segments[0].ident == "tauri" && path.segments[1].ident == "command"
}

fn command(module: &str, function: &syn::ItemFn) -> Command {
    let docs = function
        .attrs
        .iter()
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(doc) if doc.path.is_ident("doc") => match &doc.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) => {
                    Some(text.value().trim().to_owned())
                }
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ");
    let args = function
        .sig
        .inputs
        .iter()
        .filter_map(|input| {
            let syn::FnArg::Typed(typed) = input else { panic!("a command is a free function") };
            let syn::Pat::Ident(name) = &*typed.pat else { panic!("a command's parameters are plain names") };
            let ty = &*typed.ty;
            (!is_injected(ty)).then(|| (name.ident.to_string(), ty.to_token_stream().to_string()))
        })
        .collect();
    let result = match &function.sig.output {
        syn::ReturnType::Default => "()".to_owned(),
        syn::ReturnType::Type(_, ty) => ok_type(ty).to_token_stream().to_string(),
    };
    Command { module: module.to_owned(), name: function.sig.ident.to_string(), docs, args, result }
}

fn is_injected(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else { return false };
    path.path.segments.last().is_some_and(|last| INJECTED.iter().any(|name| last.ident == name))
}

/// `T` of `CommandResult<T>` or `Result<T, E>`; else the type itself.
fn ok_type(ty: &syn::Type) -> &syn::Type {
    if let syn::Type::Path(path) = ty
        && let Some(last) = path.path.segments.last()
        && (last.ident == "CommandResult" || last.ident == "Result")
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(ok)) = args.args.first()
    {
        return ok;
    }
    ty
}

fn write_handler(commands: &[Command], out: &Path) {
    let mut text = String::from("tauri::generate_handler![\n");
    for command in commands {
        writeln!(text, "    crate::commands::{}::{},", command.module, command.name).unwrap();
    }
    text.push(']');
    std::fs::write(out.join("handler.rs"), text).expect("handler.rs");
}

/// One file per module, included by the module itself under `cfg(test)`, so
/// its types resolve through the module's own imports.
fn write_signatures(commands: &[Command], out: &Path) {
    let dir = out.join("commands");
    std::fs::create_dir_all(&dir).expect("$OUT_DIR/commands");
    let mut modules: Vec<&str> = commands.iter().map(|c| c.module.as_str()).collect();
    modules.dedup();
    for module in &modules {
        let mut text = String::from(
            "/// This module's commands as the webview calls them (written by build.rs).\n\
             pub(super) fn signatures() -> Vec<super::typescript::Signature> {\n    \
             use super::typescript::{Signature, arg, result};\n    vec![\n",
        );
        for command in commands.iter().filter(|c| c.module == *module) {
            let args: Vec<String> =
                command.args.iter().map(|(name, ty)| format!("arg::<{ty}>({name:?})")).collect();
            writeln!(
                text,
                "        Signature {{ name: {:?}, docs: {:?}, args: vec![{}], result: result::<{}>() }},",
                command.name,
                command.docs,
                args.join(", "),
                command.result
            )
            .unwrap();
        }
        text.push_str("    ]\n}\n");
        std::fs::write(dir.join(format!("{module}.rs")), text).expect("a signatures file");
    }
    // Every module's, in file order: a new module without its `include!`
    // fails to compile here.
    let all: Vec<String> = modules.iter().map(|module| format!("super::{module}::signatures()")).collect();
    std::fs::write(dir.join("all.rs"), format!("[{}].into_iter().flatten().collect()", all.join(", ")))
        .expect("all.rs");
}
