//! A prompt object: what `Unlock` returns while the vault is locked and the
//! host can ask for it (the app's unlock window). The client calls
//! `Prompt`, which returns at once; `Completed` follows when the user
//! unlocked (with the objects now unlocked) or did not within the host's
//! wait (`dismissed`). `Dismiss`, or a second `Prompt`, ends it too. Either
//! way the object goes away, so a prompt is used once.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use zbus::{
    interface,
    object_server::SignalEmitter,
    zvariant::{OwnedObjectPath, Value},
};

use crate::{Error, State};

pub(crate) struct PromptObject {
    pub state: Arc<State>,
    /// Who asks, for the unlock window: "secret-tool (/usr/bin/secret-tool, pid 42)".
    pub why: String,
    /// What the client asked to unlock, answered once unlocked.
    pub objects: Vec<OwnedObjectPath>,
    pub used: AtomicBool,
}

#[interface(name = "org.freedesktop.Secret.Prompt")]
impl PromptObject {
    async fn prompt(
        &self,
        _window_id: String,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> Result<(), Error> {
        if self.used.swap(true, Ordering::SeqCst) {
            return Err(Error::NoSuchObject("this prompt was answered already".into()));
        }
        let (state, why, objects) = (self.state.clone(), self.why.clone(), self.objects.clone());
        let (sender, emitter) = (connection.clone(), emitter.into_owned());
        // The question waits (up to the host's limit) off the bus: the
        // client's call returns now, as the specification has it.
        connection
            .executor()
            .spawn(
                async move {
                    let unlocked = blocking::unblock(move || state.host.unlock(&why)).await;
                    let result = if unlocked { objects } else { Vec::new() };
                    if let Err(err) = finish(&sender, &emitter, !unlocked, result).await {
                        tracing::warn!("secret service: a prompt's answer was not sent: {err}");
                    }
                },
                "keyhaven-secret-service-prompt",
            )
            .detach();
        Ok(())
    }

    async fn dismiss(
        &self,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> Result<(), Error> {
        if !self.used.swap(true, Ordering::SeqCst) {
            finish(connection, &emitter, true, Vec::new()).await?;
        }
        Ok(())
    }

    #[zbus(signal)]
    async fn completed(emitter: &SignalEmitter<'_>, dismissed: bool, result: Value<'_>) -> zbus::Result<()>;
}

/// Sends `Completed` and takes the prompt off the bus.
async fn finish(
    connection: &zbus::Connection,
    emitter: &SignalEmitter<'_>,
    dismissed: bool,
    unlocked: Vec<OwnedObjectPath>,
) -> zbus::Result<()> {
    PromptObject::completed(emitter, dismissed, Value::from(unlocked)).await?;
    connection.object_server().remove::<PromptObject, _>(emitter.path()).await.map(drop)
}
