//! One client's connection: list the keys the agent offers, sign with one.
//! Everything else (adding keys, locking the agent with a password, smart
//! cards) is refused: keys come into the vault through `keyhaven ssh`.

use keyhaven_core::{SecretName, Vault, approval::Subject, ssh::SshKeyInfo};
use ssh_agent_lib::{
    agent::Session as ProtocolSession,
    error::AgentError,
    proto::{Extension, Identity, SignRequest, extension::SessionBind, signature},
};
use ssh_key::{Algorithm, HashAlg, PrivateKey, PublicKey, Signature, private::KeypairData};

use crate::{Agent, Caller, Confirm, binding::Bindings, bounded::Bounded};

impl ssh_agent_lib::agent::Agent<crate::bounded::Listener> for Agent {
    fn new_session(&mut self, socket: &Bounded) -> impl ProtocolSession {
        Session { agent: self.clone(), caller: Caller::of(socket.stream()), bindings: Bindings::default() }
    }
}

struct Session {
    agent: Agent,
    caller: Caller,
    bindings: Bindings,
}

impl Session {
    /// The keys offered, each with its parsed public half, read from the file
    /// now: those meant for the server the client connects to first, and to
    /// a forwarded connection only those allowed to be forwarded.
    fn offered(&self) -> Result<Vec<(SshKeyInfo, PublicKey)>, AgentError> {
        let keys = Vault::open(&self.agent.vault_path).and_then(|vault| vault.ssh_keys()).map_err(|err| {
            tracing::warn!("ssh agent: cannot read the vault's keys: {err}");
            AgentError::Failure
        })?;
        let forwarded = self.bindings.forwarded();
        let mut offered: Vec<_> = keys
            .into_iter()
            .filter(|info| info.settings.agent && (info.settings.forwarding || !forwarded))
            .filter_map(|info| PublicKey::from_openssh(&info.public_key).ok().map(|public| (info, public)))
            .collect();
        if let Some(destination) = self.bindings.destination() {
            // A stable sort: the vault's order (by name) within each group.
            offered.sort_by_key(|(info, _)| !destination.is_for(info));
        }
        Ok(offered)
    }

    /// Only the user's own processes: the socket is 0600, and root is refused too.
    fn allowed(&self) -> Result<(), AgentError> {
        let ours = rustix::process::getuid().as_raw();
        match self.caller.uid {
            Some(uid) if uid == ours => Ok(()),
            _ => {
                tracing::warn!("ssh agent: refused {} (another user)", self.caller.describe());
                Err(AgentError::Failure)
            }
        }
    }
}

#[ssh_agent_lib::async_trait]
impl ProtocolSession for Session {
    async fn request_identities(&mut self) -> Result<Vec<Identity>, AgentError> {
        self.allowed()?;
        Ok(self
            .offered()?
            .into_iter()
            .map(|(info, public)| Identity {
                credential: public.key_data().clone().into(),
                comment: info.comment,
            })
            .collect())
    }

    async fn sign(&mut self, request: SignRequest) -> Result<Signature, AgentError> {
        self.allowed()?;
        let wanted = request.credential.key_data();
        let Some((info, _)) = self.offered()?.into_iter().find(|(_, public)| public.key_data() == wanted)
        else {
            if self.bindings.forwarded() {
                tracing::warn!("ssh agent: refused a forwarded request from {}", self.caller.describe());
            }
            return Err(AgentError::Failure);
        };
        let mut detail = format!("for {}", self.caller.describe());
        if let Some(destination) = self.bindings.destination() {
            detail.push_str(&format!(" to {}", destination.describe(&info)));
        }
        if self.bindings.forwarded() {
            detail.push_str(" (forwarded)");
        }
        let (agent, caller) = (self.agent.clone(), self.caller.clone());
        // Asking the user, and RSA, take a while: off the runtime's workers.
        tokio::task::spawn_blocking(move || agent.sign(&caller, &info.name, &request, &detail))
            .await
            .map_err(AgentError::other)?
    }

    async fn extension(&mut self, extension: Extension) -> Result<Option<Extension>, AgentError> {
        self.allowed()?;
        // Other extensions get a plain failure, as OpenSSH's agent answers them.
        match extension.parse_message::<SessionBind>() {
            Ok(Some(bind)) => self.bindings.bind(&bind).map(|()| None),
            Ok(None) | Err(_) => Err(AgentError::Failure),
        }
    }
}

impl Agent {
    /// Signs for `caller` with the key `name`, once the caller is allowed to.
    fn sign(
        &self,
        caller: &Caller,
        name: &SecretName,
        request: &SignRequest,
        detail: &str,
    ) -> Result<Signature, AgentError> {
        self.unlocked_for(caller, name)?;
        if let Confirm::Ask(approvals) = &self.confirm {
            let refused = |why: String| {
                tracing::warn!("ssh agent: {} may not sign with {name}: {why}", caller.describe());
                AgentError::Failure
            };
            let (Some(pid), Some(exe)) = (caller.pid, caller.program.as_ref()) else {
                return Err(refused("its program is unknown".into()));
            };
            let program = approvals.program(pid, exe).map_err(|err| refused(err.to_string()))?;
            let subject = Subject::SshKey(name.clone());
            let allowed = approvals
                .allow(&program, &subject, |step| {
                    self.on_vault(step).unwrap_or(Err(keyhaven_core::Error::Locked))
                })
                .map_err(|err| refused(err.to_string()))?;
            if !allowed {
                return Err(refused("the user said no".into()));
            }
        }
        let signed = self.on_vault(|vault| {
            let key = vault.ssh_private_key(name).map_err(|err| {
                tracing::warn!("ssh agent: {name}: {err}");
                AgentError::Failure
            })?;
            let signature = sign(&key, &request.data, request.flags)?;
            vault.record_signature(name, detail).map_err(|err| {
                tracing::warn!("ssh agent: the signature was not logged, so it is not given: {err}");
                AgentError::Failure
            })?;
            Ok(signature)
        });
        let signature = signed.unwrap_or_else(|| {
            tracing::warn!(
                "ssh agent: {} asked to sign with {name}, and the vault locked meanwhile",
                caller.describe()
            );
            Err(AgentError::Failure)
        })?;
        Ok(signature)
    }

    /// Makes sure the vault is unlocked, asking the host when it is not.
    fn unlocked_for(&self, caller: &Caller, name: &SecretName) -> Result<(), AgentError> {
        if self.on_vault(|_| ()).is_some() {
            return Ok(());
        }
        let _turn = self.unlocking.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Unlocked while this request waited its turn.
        if self.on_vault(|_| ()).is_some()
            || self.host.unlock(&format!("{} asks to use the SSH key {name}", caller.describe()))
        {
            return Ok(());
        }
        tracing::warn!(
            "ssh agent: {} asked to sign with {name}, and the vault stayed locked",
            caller.describe()
        );
        Err(AgentError::Failure)
    }
}

/// Signs `data` with `key`: Ed25519 and ECDSA as their algorithms define,
/// RSA with SHA-2 as the client's flags ask (SHA-1 `ssh-rsa` is refused, as
/// OpenSSH 8.8 and later refuse it).
fn sign(key: &PrivateKey, data: &[u8], flags: u32) -> Result<Signature, AgentError> {
    // ssh-key's Signer (signature 2, the crate rsa re-exports).
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    match key.key_data() {
        KeypairData::Rsa(pair) => {
            let hash = if flags & signature::RSA_SHA2_512 != 0 {
                HashAlg::Sha512
            } else if flags & signature::RSA_SHA2_256 != 0 {
                HashAlg::Sha256
            } else {
                return Err(AgentError::Failure);
            };
            let uint = |value: &ssh_key::Mpint| rsa::BigUint::try_from(value).map_err(AgentError::other);
            let private = rsa::RsaPrivateKey::from_components(
                uint(&pair.public.n)?,
                uint(&pair.public.e)?,
                uint(&pair.private.d)?,
                vec![uint(&pair.private.p)?, uint(&pair.private.q)?],
            )
            .map_err(AgentError::other)?;
            let bytes = match hash {
                HashAlg::Sha512 => {
                    rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(private).sign(data).to_vec()
                }
                _ => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(private).sign(data).to_vec(),
            };
            Signature::new(Algorithm::Rsa { hash: Some(hash) }, bytes).map_err(AgentError::other)
        }
        _ => key.try_sign(data).map_err(AgentError::other),
    }
}
