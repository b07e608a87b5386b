//! Keeping a remote's key alive: a token the server can renew (OpenBao's)
//! is renewed before a sync uses it, once its expiry is near.

use jiff::{ToSpan, Zoned};

use crate::{
    Result, UnlockedVault,
    remote::{
        Failure, SecretsApi,
        key::{WARN_BEFORE_DAYS, expiry_date},
    },
};

/// Renews `remote`'s key when it expires within [`WARN_BEFORE_DAYS`] (the
/// days it is warned about) and the server can renew it, and records the
/// new expiry. A renewal that fails is only a warning: the sync goes on
/// with the key as it is, and one that cannot reach the server says
/// nothing (the sync says it).
pub(super) fn renew_if_due(
    vault: &mut UnlockedVault,
    remote: &str,
    api: &dyn SecretsApi,
) -> Result<Option<String>> {
    let today = Zoned::now().date();
    let due = vault
        .remote(remote)?
        .key
        .expires
        .is_some_and(|date| today.checked_add(WARN_BEFORE_DAYS.days()).is_ok_and(|soon| date <= soon));
    if !due {
        return Ok(None);
    }
    match api.renew_key() {
        Ok(Some(expires)) => {
            let date = expiry_date(expires);
            vault.set_remote_expiry(remote, Some(date))?;
            tracing::info!(remote, %date, "renewed the remote's token");
            Ok(None)
        }
        Ok(None) => Ok(None),
        Err(err) if matches!(err.kind, Failure::Unreachable | Failure::Unavailable) => Ok(None),
        Err(err) => Ok(Some(format!("{remote}'s token could not be renewed: {err}"))),
    }
}
