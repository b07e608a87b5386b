//! init, info, unlock, lock, forget, passwd.

use anyhow::Result;
use keyhaven_core::{KdfParams, Vault, passphrase};
use secrecy::SecretString;

use super::Context;
use crate::output::{note, say};
use crate::{cli::KdfArgs, input::NewPassphrase, output};

fn kdf_params(args: &KdfArgs) -> Result<Option<KdfParams>> {
    Ok(match (args.kdf_memory_mib, args.kdf_iterations) {
        (None, None) => None,
        (memory, iterations) => {
            let floor = KdfParams::RECOMMENDED;
            let params = KdfParams::custom(
                memory.unwrap_or(floor.memory_kib / 1024),
                iterations.unwrap_or(floor.iterations),
            )?;
            if params.is_below_recommended() {
                note!(
                    "warning: these KDF settings are below RFC 9106's recommendation (64 MiB, 3 iterations); use them for tests only"
                );
            }
            Some(params)
        }
    })
}

fn describe(kdf: &KdfParams) -> String {
    format!(
        "argon2id, {} MiB, {} iterations, {} lanes",
        kdf.memory_kib / 1024,
        kdf.iterations,
        kdf.parallelism
    )
}

/// A new master passphrase, checked by core's rule; a weak one accepted with
/// `--allow-weak` is said so.
fn new_passphrase(ctx: &mut Context, which: NewPassphrase, allow_weak: bool) -> Result<SecretString> {
    let passphrase = ctx.input.new_passphrase(which)?;
    let strength = passphrase::check_new(&passphrase, allow_weak)?;
    if !strength.strong_enough {
        note!(
            "warning: a weak passphrase (strength {} of 4, {} characters), accepted because of --allow-weak",
            strength.score,
            strength.chars
        );
    }
    Ok(passphrase)
}

pub fn init(ctx: &mut Context, args: KdfArgs, allow_weak: bool) -> Result<()> {
    if ctx.vault_path.exists() {
        return Err(keyhaven_core::Error::VaultExists(ctx.vault_path.clone()).into());
    }
    let kdf = match kdf_params(&args)? {
        Some(params) => params,
        None => KdfParams::for_new_vault()?,
    };
    let passphrase = new_passphrase(ctx, NewPassphrase::Init, allow_weak)?;
    Vault::create(&ctx.vault_path, &passphrase, kdf)?;
    note!("Created vault {} ({})", ctx.vault_path.display(), describe(&kdf));
    Ok(())
}

pub fn info(ctx: &Context) -> Result<()> {
    let info = ctx.open()?.info()?;
    if ctx.json {
        return output::json(&info);
    }
    let rows = [
        ("vault", info.path.display().to_string()),
        ("id", info.vault_id.clone()),
        ("created", output::when(info.created)),
        ("schema", info.schema_version.to_string()),
        ("key derivation", describe(&info.kdf)),
        ("remembered on this device", if info.remembered_on_device { "yes" } else { "no" }.into()),
        ("secrets", info.secrets.to_string()),
        ("removed (tombstones)", info.tombstones.to_string()),
        ("size on disk", output::mib(info.file_bytes)),
    ];
    for (label, value) in rows {
        say!("{label:<27}{value}");
    }
    if info.kdf_below_recommended {
        note!(
            "warning: key derivation is below RFC 9106's recommendation; change it with `keyhaven passwd --kdf-memory-mib 64 --kdf-iterations 3`"
        );
    }
    Ok(())
}

/// Checks the passphrase; only with `--remember` is the key kept (an earlier
/// `--remember` followed by `lock` does not bring it back by itself).
pub fn unlock(ctx: &mut Context, remember: bool, lifetime: Option<&str>) -> Result<()> {
    let lifetime = lifetime
        .map(|text| {
            text.trim().parse::<jiff::SignedDuration>().map_err(|_| {
                crate::exit::invalid(format!("--for {text:?}: give a duration such as 8h, 90m or 1h30m"))
            })
        })
        .transpose()?;
    let mut vault = ctx.unlock_with_passphrase()?;
    if !remember {
        note!("Passphrase accepted. Without --remember nothing stays unlocked: each command asks again.");
        return Ok(());
    }
    match vault.remember_on_device_for(lifetime)? {
        Some(until) => note!(
            "Unlocked: the key is kept in the OS keyring until {} (or `keyhaven lock`), then removed.",
            until.to_zoned(jiff::tz::TimeZone::system()).strftime("%Y-%m-%d %H:%M")
        ),
        None => {
            note!("Unlocked: the key is kept in the OS keyring until `keyhaven lock` or `keyhaven forget`.")
        }
    }
    Ok(())
}

pub fn lock(ctx: &Context, forget: bool) -> Result<()> {
    let mut vault = ctx.open()?;
    let remembered = vault.is_remembered();
    match vault.drop_device_key(forget) {
        // Nothing could be kept without a keyring, so nothing is left to remove.
        Err(keyhaven_core::Error::Keyring(_)) if !remembered => {
            note!("This device has no keyring Keyhaven can reach, so it keeps no key: the vault is locked.");
            return Ok(());
        }
        Err(keyhaven_core::Error::Keyring(_)) => {
            return Err(crate::exit::Failure(
                crate::exit::FAILURE,
                "the OS keyring cannot be reached (it is locked, or its service is not running), so the key \
                 it keeps for this vault was not removed: unlock the keyring and run `keyhaven lock` again"
                    .into(),
            )
            .into());
        }
        result => result?,
    }
    match (remembered, forget) {
        (false, _) => note!("This device does not remember the key: the vault is locked."),
        (true, false) => note!("Locked: `keyhaven unlock --remember` keeps the key again."),
        (true, true) => note!("Forgotten: the key is no longer kept on this device."),
    }
    Ok(())
}

pub fn passwd(ctx: &mut Context, args: KdfArgs, allow_weak: bool, rekey: bool) -> Result<()> {
    let kdf = kdf_params(&args)?;
    let mut vault = ctx.unlock_with_passphrase()?;
    let new = new_passphrase(ctx, NewPassphrase::Change, allow_weak)?;
    if rekey {
        let versions = vault.rekey(&new, kdf)?;
        note!("Passphrase changed; {versions} versions and every remote token re-encrypted to a new key.");
    } else {
        vault.change_passphrase(&new, kdf)?;
        note!("Passphrase changed.");
    }
    Ok(())
}

pub fn verify(ctx: &mut Context) -> Result<()> {
    let vault = ctx.unlocked()?;
    vault.verify()?;
    let info = vault.info()?;
    let remotes = vault.remotes()?.len();
    if ctx.json {
        return output::json(&serde_json::json!({
            "verified": true, "secrets": info.secrets, "removed": info.tombstones, "remotes": remotes
        }));
    }
    note!("Every row checks out: {} secrets, {} removed, {remotes} remotes.", info.secrets, info.tombstones);
    Ok(())
}
