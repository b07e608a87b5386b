//! `keyhaven generate man|completions --out DIR`: the man page and the shell
//! completions, made from the same clap definition as the binary, so they
//! cannot drift from it. `make package` puts them in the packages.

use std::path::Path;

use anyhow::{Context as _, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, Generated};

pub fn generate(what: Generated, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut command = Cli::command();
    match what {
        Generated::Man => {
            let path = out.join("keyhaven.1");
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page).context("cannot render the man page")?;
            std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
        }
        Generated::Completions => {
            for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
                clap_complete::generate_to(shell, &mut command, "keyhaven", out)
                    .with_context(|| format!("cannot write the {shell} completions"))?;
            }
        }
    }
    Ok(())
}

/// Completions for `shell` on stdout (subcommands, options and their values);
/// in bash, the secret names too, from `keyhaven ls --format names` (which
/// works while the vault is locked and prints names only).
pub fn completion(shell: Shell) -> Result<()> {
    let mut command = crate::cli::Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "keyhaven", &mut out);
    if shell == Shell::Bash {
        std::io::Write::write_all(&mut out, BASH_NAMES.as_bytes())?;
    }
    Ok(())
}

/// After clap's bash script: a secret's name where a command takes one.
const BASH_NAMES: &str = r#"
_keyhaven_with_names() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    if [[ $COMP_CWORD -eq 2 && "$cur" != -* ]]; then
        case "${COMP_WORDS[1]}" in
            get|rotate|rm|history|rollback|resolve)
                COMPREPLY=($(compgen -W "$(keyhaven ls --format names 2>/dev/null)" -- "$cur"))
                return 0;;
        esac
    fi
    _keyhaven "$@"
}
complete -F _keyhaven_with_names -o bashdefault -o default keyhaven
"#;
