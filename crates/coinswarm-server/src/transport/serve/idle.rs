//! An admitted connection's socket: it holds the connection's [`Ticket`] and ends the
//! connection with a `TimedOut` error once no byte has moved either way for the idle
//! timeout. It wraps the socket below HTTP, so the rule also holds for an upgraded
//! WebSocket and for a response a client stopped reading.

use super::admission::Ticket;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

#[derive(Debug)]
pub struct AdmittedStream {
    tcp: TcpStream,
    idle_timeout: Duration,
    last_activity: Instant,
    /// Wake a reader and a writer waiting on the socket when the idle timeout may have
    /// passed; one each, since a WebSocket's reader and writer are different tasks and one
    /// timer keeps only the last waker. Moved forward lazily (only when they fire).
    read_check: Pin<Box<Sleep>>,
    write_check: Pin<Box<Sleep>>,
    _ticket: Ticket,
}

impl AdmittedStream {
    pub fn new(tcp: TcpStream, ticket: Ticket, idle_timeout: Duration) -> Self {
        let now = Instant::now();
        Self {
            tcp,
            idle_timeout,
            last_activity: now,
            read_check: Box::pin(tokio::time::sleep_until(now + idle_timeout)),
            write_check: Box::pin(tokio::time::sleep_until(now + idle_timeout)),
            _ticket: ticket,
        }
    }

    /// Called when the socket is not ready: `Pending` while the connection may still wait,
    /// an error once it has been idle for the whole timeout.
    fn poll_idle(
        check: &mut Pin<Box<Sleep>>,
        last_activity: Instant,
        idle_timeout: Duration,
        cx: &mut Context<'_>,
    ) -> Poll<io::Error> {
        loop {
            if check.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let due = last_activity + idle_timeout;
            if due <= Instant::now() {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no data either way for {} ms", idle_timeout.as_millis()),
                ));
            }
            check.as_mut().reset(due);
        }
    }

    /// A write's outcome: bytes written count as activity; a socket not ready waits on the
    /// writer's idle timer.
    fn after_write(&mut self, written: Poll<io::Result<usize>>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    self.last_activity = Instant::now();
                }
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Self::poll_idle(&mut self.write_check, self.last_activity, self.idle_timeout, cx).map(Err),
        }
    }
}

impl AsyncRead for AdmittedStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.tcp).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.last_activity = Instant::now();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Self::poll_idle(&mut this.read_check, this.last_activity, this.idle_timeout, cx).map(Err),
        }
    }
}

impl AsyncWrite for AdmittedStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.tcp).poll_write(cx, data);
        this.after_write(written, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.tcp).poll_write_vectored(cx, data);
        this.after_write(written, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::serve::admission::Admission;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn pair(idle: Duration) -> (AdmittedStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        let ticket = Admission::new(1, 1).admit(peer.ip()).unwrap();
        (AdmittedStream::new(server, ticket, idle), client)
    }

    #[tokio::test]
    async fn a_silent_connection_ends_after_the_idle_timeout() {
        let (mut server, _client) = pair(Duration::from_millis(200)).await;
        let started = std::time::Instant::now();
        let mut buf = [0u8; 16];
        let err = tokio::time::timeout(Duration::from_secs(5), server.read(&mut buf)).await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(200), "not before the timeout");
    }

    #[tokio::test]
    async fn bytes_either_way_keep_a_connection_open() {
        let (mut server, mut client) = pair(Duration::from_millis(300)).await;
        let mut buf = [0u8; 16];
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            client.write_all(b"x").await.unwrap();
            assert_eq!(server.read(&mut buf).await.unwrap(), 1);
            tokio::time::sleep(Duration::from_millis(150)).await;
            server.write_all(b"y").await.unwrap();
        }
        let err = server.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "then silence ends it");
    }

    #[tokio::test]
    async fn a_reader_waiting_on_a_quiet_peer_stays_while_the_server_writes() {
        // A quiet subscription: the client sends nothing, the server writes now and then.
        let (server, mut client) = pair(Duration::from_millis(300)).await;
        let (mut reader, mut writer) = tokio::io::split(server);
        let waiting = tokio::spawn(async move {
            let mut buf = [0u8; 16];
            reader.read(&mut buf).await
        });
        let mut received = [0u8; 1];
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            writer.write_all(b"y").await.unwrap();
            client.read_exact(&mut received).await.unwrap();
        }
        assert!(!waiting.is_finished(), "900 ms of server writes keep the reader waiting past the 300 ms timeout");
        let ended = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
        assert_eq!(ended.unwrap_err().kind(), io::ErrorKind::TimedOut, "then silence ends it");
    }
}
