//! Declares the app's own commands, so each window gets only those its
//! capability file allows (capabilities/*.json).

fn main() {
    let commands = &[
        "vault_state",
        "create_vault",
        "unlock",
        "lock",
        "note_activity",
        "list_secrets",
        "secret_history",
        "audit_log",
        "reveal_secret",
        "copy_secret",
        "add_secret",
        "rotate_secret",
        "rollback_secret",
        "remove_secret",
    ];
    let manifest = tauri_build::AppManifest::new().commands(commands);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build");
}
