//! The agent's socket: mode 0600 in a directory only its user can enter or
//! write. A stale socket of ours (nobody answers on it) is replaced; a live
//! one, one owned by someone else, or anything that is not a socket is
//! refused and left alone.

use std::{
    io,
    os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
};

/// `$XDG_RUNTIME_DIR/keyhaven/ssh-agent.sock` (the runtime directory is the
/// user's own, on a tmpfs, removed at logout).
pub fn default_socket() -> Option<PathBuf> {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty())?;
    Some(PathBuf::from(runtime).join("keyhaven").join("ssh-agent.sock"))
}

/// Binds `path` as described above, for the current runtime.
pub fn bind(path: &Path) -> io::Result<tokio::net::UnixListener> {
    let uid = rustix::process::getuid().as_raw();
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match std::fs::symlink_metadata(dir) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
            // `recursive` made the parents with the same mode; the last one matters.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Err(err) => return Err(err),
        Ok(meta) if !meta.is_dir() => return Err(refused(dir, "is not a directory")),
        Ok(meta) if meta.uid() != uid => return Err(refused(dir, "belongs to another user")),
        Ok(meta) if meta.mode() & 0o022 != 0 => {
            return Err(refused(dir, "can be written by other users, who could swap the socket"));
        }
        Ok(_) => {}
    }
    match std::fs::symlink_metadata(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
        Ok(meta) if !meta.file_type().is_socket() => return Err(refused(path, "exists and is not a socket")),
        Ok(meta) if meta.uid() != uid => return Err(refused(path, "is another user's socket")),
        Ok(_) => match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => return Err(refused(path, "is served by a running agent")),
            Err(_) => std::fs::remove_file(path)?,
        },
    }
    // Created 0600 from the start: no moment where another user could connect.
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
    let bound = std::os::unix::net::UnixListener::bind(path);
    rustix::process::umask(old);
    let listener = bound?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    listener.set_nonblocking(true)?;
    tokio::net::UnixListener::from_std(listener)
}

fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::AlreadyExists, format!("{} {why}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_is_private_a_stale_one_replaced_and_a_live_one_or_a_file_refused() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap();
        let _guard = runtime.enter();
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("run").join("agent.sock");
        let live = bind(&path).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().mode() & 0o777;
        assert_eq!((mode(path.parent().unwrap()), mode(&path)), (0o700, 0o600));
        let err = bind(&path).unwrap_err();
        assert!(err.to_string().contains("served by a running agent"), "{err}");
        drop(live); // the file stays behind, as after a crash
        assert!(path.exists());
        bind(&path).unwrap();

        let file = home.path().join("run").join("not-a-socket");
        std::fs::write(&file, "x").unwrap();
        assert!(bind(&file).unwrap_err().to_string().contains("not a socket"));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");

        let open = home.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(bind(&open.join("agent.sock")).unwrap_err().to_string().contains("other users"));
    }
}
