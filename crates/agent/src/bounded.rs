//! Connections whose messages are at most [`MAX_MESSAGE`] bytes. The
//! protocol's codec buffers a message until its whole length has arrived,
//! whatever length the client claims; this stream reads the framing as it
//! passes and fails the connection at a length prefix over the limit, so a
//! client cannot make the agent hold more than one bounded message.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{UnixListener, UnixStream},
};

/// OpenSSH's own agent refuses messages over 256 KiB (`AGENT_MAX_LEN`).
pub const MAX_MESSAGE: usize = 256 * 1024;

/// The agent's socket, handing out [`Bounded`] connections.
#[derive(Debug)]
pub(crate) struct Listener(pub UnixListener);

#[ssh_agent_lib::async_trait]
impl ssh_agent_lib::agent::ListeningSocket for Listener {
    type Stream = Bounded;

    async fn accept(&mut self) -> io::Result<Bounded> {
        let (stream, _) = self.0.accept().await?;
        Ok(Bounded { inner: stream, header: [0; 4], header_len: 0, body_left: 0 })
    }
}

/// One client's connection, its incoming framing followed byte by byte.
#[derive(Debug)]
pub struct Bounded {
    inner: UnixStream,
    header: [u8; 4],
    header_len: usize,
    body_left: usize,
}

impl Bounded {
    pub fn stream(&self) -> &UnixStream {
        &self.inner
    }

    /// Follows `bytes`, just read; fails at a length over the limit.
    fn follow(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let taken = self.body_left.min(bytes.len());
                self.body_left -= taken;
                bytes = &bytes[taken..];
                continue;
            }
            self.header[self.header_len] = bytes[0];
            self.header_len += 1;
            bytes = &bytes[1..];
            if self.header_len == 4 {
                self.header_len = 0;
                let length = u32::from_be_bytes(self.header) as usize;
                if length > MAX_MESSAGE {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("an agent message of {length} bytes (at most {MAX_MESSAGE})"),
                    ));
                }
                self.body_left = length;
            }
        }
        Ok(())
    }
}

impl AsyncRead for Bounded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fresh = buf.filled()[before..].to_vec();
                Poll::Ready(self.follow(&fresh))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Bounded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounded() -> Bounded {
        let (inner, _other) = std::os::unix::net::UnixStream::pair().unwrap();
        inner.set_nonblocking(true).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap();
        let _guard = runtime.enter();
        Bounded { inner: UnixStream::from_std(inner).unwrap(), header: [0; 4], header_len: 0, body_left: 0 }
    }

    #[test]
    fn messages_up_to_the_limit_pass_in_any_pieces_and_a_longer_one_fails() {
        let mut stream = bounded();
        let mut wire = Vec::new();
        for length in [0usize, 5, MAX_MESSAGE] {
            wire.extend((length as u32).to_be_bytes());
            wire.extend(std::iter::repeat_n(7u8, length));
        }
        for piece in wire.chunks(3) {
            stream.follow(piece).unwrap();
        }
        assert_eq!((stream.header_len, stream.body_left), (0, 0));
        let err = stream.follow(&((MAX_MESSAGE + 1) as u32).to_be_bytes()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
