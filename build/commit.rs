// Shared by the CLI's and the app's build scripts (`include!`): sets
// KEYHAVEN_COMMIT, the git commit `--version` names. A build outside a git
// checkout (a source tarball) may set KEYHAVEN_COMMIT itself; else "unknown".

/// Sets `KEYHAVEN_COMMIT` for the crate being built.
fn stamp_commit() {
    println!("cargo:rerun-if-env-changed=KEYHAVEN_COMMIT");
    let manifest = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    // The checkout this crate sits in (crates/cli and src-tauri are at different depths).
    let root = manifest.ancestors().find(|dir| dir.join(".git").exists()).map(|dir| dir.to_path_buf());
    let commit = std::env::var("KEYHAVEN_COMMIT").ok().filter(|c| !c.is_empty()).or_else(|| {
        let root = root.as_ref()?;
        // Only paths that exist: cargo takes a missing one as always changed
        // and would rebuild the crate on every run. `git pack-refs` creating
        // packed-refs also empties refs/heads, which is watched.
        for watched in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
            let path = root.join(watched);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
        let out = std::process::Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .current_dir(root)
            .output()
            .ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    });
    println!("cargo:rustc-env=KEYHAVEN_COMMIT={}", commit.as_deref().unwrap_or("unknown"));
}
