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
