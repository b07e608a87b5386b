//! Which names may be set in a child's environment. A secret's name can come
//! from a remote (a pull) or an import file, so a name that makes a loader,
//! shell or interpreter run code of its choosing (`BASH_ENV`, `LD_PRELOAD`,
//! `NODE_OPTIONS`…) is never injected unless the user names it explicitly.
//! This list is the one place those names live; docs/cli.md (`run`) documents it.

/// Names matched exactly (case-insensitively: npm and .NET read lower-case
/// and mixed-case variants too).
const EXACT: &[&str] = &[
    // Shells: startup files, word splitting, command lookup, prompts that run code.
    "BASH_ENV",
    "ENV",
    "PATH",
    "IFS",
    "CDPATH",
    "SHELLOPTS",
    "BASHOPTS",
    "PROMPT_COMMAND",
    "PS4",
    "ZDOTDIR",
    "HOME",
    "SHELL",
    // Programs that tools start on their own.
    "EDITOR",
    "VISUAL",
    "PAGER",
    "MANPAGER",
    "BROWSER",
    "LESSOPEN",
    "LESSCLOSE",
    "TMPDIR",
    // glibc: tunables and the charset converters it loads.
    "GLIBC_TUNABLES",
    "GCONV_PATH",
    "LOCPATH",
    // Interpreters and runtimes.
    "RUBYOPT",
    "RUBYLIB",
    "PERLLIB",
    "CLASSPATH",
    "JDK_JAVA_OPTIONS",
];

/// Name prefixes: loaders, interpreters, version control, SSH, build tools.
const PREFIXES: &[&str] = &[
    "LD_",
    "DYLD_",
    "PYTHON",
    "PERL5",
    "NODE_",
    "NPM_CONFIG_",
    "GIT_",
    "SSH_",
    "JAVA_",
    "_JAVA_",
    "DOTNET_",
    "CORECLR_",
    "COMPLUS_",
    "LUA_",
    "CARGO_",
    "RUSTC_",
    "KEYHAVEN_",
];

/// Whether `name` steers how programs load or run code, and so is injected
/// only when the user names it explicitly (`run --only NAME`).
pub fn is_guarded(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    EXACT.contains(&upper.as_str()) || PREFIXES.iter().any(|prefix| upper.starts_with(prefix))
}

/// The guarded names and prefixes, for help text and docs.
pub fn guarded_names() -> impl Iterator<Item = String> {
    EXACT.iter().map(|name| (*name).to_owned()).chain(PREFIXES.iter().map(|prefix| format!("{prefix}*")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_and_interpreter_variables_are_guarded_in_any_case() {
        for name in ["BASH_ENV", "bash_env", "LD_PRELOAD", "DYLD_INSERT_LIBRARIES", "NODE_OPTIONS", "PATH"] {
            assert!(is_guarded(name), "{name}");
        }
        for name in
            ["PYTHONSTARTUP", "PERL5OPT", "GIT_SSH_COMMAND", "SSH_AUTH_SOCK", "npm_config_script_shell"]
        {
            assert!(is_guarded(name), "{name}");
        }
        for name in ["OPENAI_API_KEY", "GITHUB_TOKEN", "DATABASE_URL", "PATHFINDER_KEY", "ENVOY_TOKEN"] {
            assert!(!is_guarded(name), "{name}");
        }
    }
}
