//! `keyhaven generate man|completions|reference --out DIR`: the man page, the
//! shell completions and docs/cli.md's reference, made from the same clap
//! definition as the binary, so they cannot drift from it. `make package`
//! puts the first two in the packages; a test holds docs/cli.md to the third.

use std::{io::Write, path::Path};

use anyhow::{Context as _, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, Generated};

pub fn generate(what: Generated, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    match what {
        Generated::Man => {
            let path = out.join("keyhaven.1");
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page).context("cannot render the man page")?;
            std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
        }
        Generated::Reference => {
            let path = out.join("cli-reference.md");
            std::fs::write(&path, reference()).with_context(|| format!("cannot write {}", path.display()))?;
        }
        Generated::Completions => {
            // The names each shell looks for, as clap's generate_to writes them.
            for (shell, file) in
                [(Shell::Bash, "keyhaven.bash"), (Shell::Zsh, "_keyhaven"), (Shell::Fish, "keyhaven.fish")]
            {
                let path = out.join(file);
                std::fs::write(&path, completion_script(shell)?)
                    .with_context(|| format!("cannot write the {shell} completions to {}", path.display()))?;
            }
        }
    }
    Ok(())
}

/// Every command and option, as Markdown with its headings one level down
/// (it is a section of docs/cli.md).
fn reference() -> String {
    let options = clap_markdown::MarkdownOptions::new()
        .title("Every command and option".to_owned())
        .show_footer(false)
        .show_table_of_contents(true);
    let markdown = clap_markdown::help_markdown_custom::<Cli>(&options);
    let mut lines: Vec<String> = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        in_code ^= line.starts_with("```");
        let line = if !in_code && line.starts_with('#') { format!("#{line}") } else { line.to_owned() };
        lines.push(line.trim_end().to_owned());
    }
    lines.join("\n").trim().to_owned() + "\n"
}

/// Completions for `shell` on stdout (subcommands, options and their values),
/// and names where a command takes one: secrets from `keyhaven ls --format
/// names`, remotes from `keyhaven remote ls --format names` (both work while
/// the vault is locked and print names only).
pub fn completion(shell: Shell) -> Result<()> {
    let script = completion_script(shell)?;
    let mut out = std::io::stdout().lock();
    out.write_all(script.as_bytes())?;
    Ok(out.flush()?)
}

/// clap's script for `shell`, taught the names. Built in memory first, so a
/// closed pipe (`| head`) is an error main leaves quiet, not clap's panic.
pub fn completion_script(shell: Shell) -> Result<String> {
    let mut command = Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut command, "keyhaven", &mut buffer);
    let script = String::from_utf8(buffer)?;
    Ok(match shell {
        Shell::Bash => script + &with_commands(BASH_NAMES, "|"),
        Shell::Fish => script + &with_commands(FISH_NAMES, " "),
        // clap's `_keyhaven` becomes `_keyhaven_clap`, which ours calls where no names are wanted.
        Shell::Zsh => {
            let (head, tail) = script
                .split_once("\n_keyhaven() {")
                .context("clap's zsh script no longer defines _keyhaven")?;
            let (body, end) = tail
                .rsplit_once("\nif [ \"$funcstack[1]\" = \"_keyhaven\" ]; then")
                .context("clap's zsh script no longer ends as expected")?;
            format!(
                "{head}\n_keyhaven_clap() {{{body}{}\nif [ \"$funcstack[1]\" = \"_keyhaven\" ]; then{end}",
                with_commands(ZSH_NAMES, "|")
            )
        }
        _ => script,
    })
}

/// The commands whose first argument is a secret's name (`@SECRETS@` in the scripts below).
const SECRET_COMMANDS: [&str; 8] = ["get", "rotate", "rm", "history", "rollback", "resolve", "edit", "mv"];
/// `remote` subcommands whose argument is a remote's name (`@REMOTES@`).
const REMOTE_COMMANDS: [&str; 5] = ["edit", "show", "set-token", "test", "rm"];

/// `script` with the command lists filled in, joined by `separator`.
fn with_commands(script: &str, separator: &str) -> String {
    script
        .replace("@SECRETS@", &SECRET_COMMANDS.join(separator))
        .replace("@REMOTES@", &REMOTE_COMMANDS.join(separator))
}

/// After clap's bash script: a secret's or a remote's name where a command
/// takes one (`sync R`, `remote show R`, `--remote R`).
const BASH_NAMES: &str = r#"
_keyhaven_with_names() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" list=""
    if [[ "$cur" != -* ]]; then
        if [[ "$prev" == --remote ]]; then
            list=remote
        elif [[ $COMP_CWORD -eq 2 ]]; then
            case "${COMP_WORDS[1]}" in
                @SECRETS@) list=secret;;
                sync) list=remote;;
            esac
        elif [[ $COMP_CWORD -eq 3 && "${COMP_WORDS[1]}" == remote ]]; then
            case "${COMP_WORDS[2]}" in @REMOTES@) list=remote;; esac
        fi
    fi
    case "$list" in
        secret) COMPREPLY=($(compgen -W "$(keyhaven ls --format names 2>/dev/null)" -- "$cur")); return 0;;
        remote) COMPREPLY=($(compgen -W "$(keyhaven remote ls --format names 2>/dev/null)" -- "$cur")); return 0;;
    esac
    _keyhaven "$@"
}
complete -F _keyhaven_with_names -o bashdefault -o default keyhaven
"#;

/// Before the end of clap's zsh script: `_keyhaven` offers the names, else
/// hands over to clap's completion.
const ZSH_NAMES: &str = r#"
_keyhaven() {
    local list="" ; local -a names
    if [[ ${words[CURRENT]} != -* ]]; then
        if [[ ${words[CURRENT-1]} == --remote ]]; then
            list=remote
        elif (( CURRENT == 3 )); then
            case ${words[2]} in
                (@SECRETS@) list=secret;;
                (sync) list=remote;;
            esac
        elif (( CURRENT == 4 )) && [[ ${words[2]} == remote ]]; then
            case ${words[3]} in (@REMOTES@) list=remote;; esac
        fi
    fi
    case $list in
        (secret) names=(${(f)"$(keyhaven ls --format names 2>/dev/null)"});;
        (remote) names=(${(f)"$(keyhaven remote ls --format names 2>/dev/null)"});;
        (*) _keyhaven_clap "$@"; return;;
    esac
    compadd -a names
}
"#;

/// After clap's fish script.
const FISH_NAMES: &str = r#"
complete -c keyhaven -n "__fish_keyhaven_using_subcommand @SECRETS@" -f -a "(keyhaven ls --format names 2>/dev/null)"
complete -c keyhaven -n "__fish_keyhaven_using_subcommand sync" -f -a "(keyhaven remote ls --format names 2>/dev/null)"
complete -c keyhaven -n "__fish_keyhaven_using_subcommand remote; and __fish_seen_subcommand_from @REMOTES@" -f -a "(keyhaven remote ls --format names 2>/dev/null)"
complete -c keyhaven -n "__fish_keyhaven_using_subcommand resolve check setup-url intake" -l remote -f -r -a "(keyhaven remote ls --format names 2>/dev/null)"
"#;
