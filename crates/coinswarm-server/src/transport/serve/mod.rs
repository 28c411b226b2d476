//! The HTTP listener of `coinswarm up`: every connection is admitted within the caps
//! ([`admission`]), served as HTTP/1.1 with a deadline on each request's head, closed once
//! idle ([`idle`]), and handed its peer address (`ConnectInfo`) for per-address limits.
//! On shutdown it stops accepting, lets each connection finish its request, and waits at
//! most `connections.shutdown_grace_ms`.

pub mod admission;
mod idle;

use admission::{Admission, Refusal};
use axum::Router;
use axum::extract::ConnectInfo;
use coinswarm_api::{ErrorCode, Failure, RetryAfter};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// How connections are admitted and timed.
#[derive(Debug, Clone)]
pub struct ConnectionPolicy {
    pub admission: Arc<Admission>,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    /// SO_SNDBUF of each connection: bounds what a client that stops reading pins.
    pub send_buffer_bytes: usize,
    /// How long a shutdown waits for connections to finish their requests; the rest are
    /// dropped with the runtime.
    pub shutdown_grace: Duration,
}

/// Descriptors kept for everything but client connections (the database, its journal,
/// Parquet files, the index, outbound Coinbase connections).
const RESERVED_FILE_DESCRIPTORS: u64 = 128;

/// The connection cap that fits this process's file descriptor limit: the soft limit is
/// raised to the hard one when that helps, and `wanted` is lowered (with a warning) when even
/// that is too few, so the server never runs out of descriptors for `/healthz` or its store.
pub fn fit_to_descriptor_limit(wanted: usize) -> usize {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let needed = wanted as u64 + RESERVED_FILE_DESCRIPTORS;
        let limit = getrlimit(Resource::Nofile);
        let mut soft = limit.current.unwrap_or(u64::MAX);
        if soft < needed {
            let raised = limit.maximum.map_or(needed, |hard| hard.min(needed));
            if raised > soft
                && setrlimit(Resource::Nofile, Rlimit { current: Some(raised), maximum: limit.maximum }).is_ok()
            {
                soft = raised;
            }
        }
        let fits = soft.saturating_sub(RESERVED_FILE_DESCRIPTORS).max(1);
        if fits < wanted as u64 {
            tracing::warn!(
                wanted,
                allowed = fits,
                "connections.max lowered to fit the open-file limit (raise `ulimit -n` for more)"
            );
            return fits as usize;
        }
    }
    wanted
}

/// The answer to a connection over a cap, written without waiting (the socket is new, its
/// buffer empty) before it is closed.
fn refusal_response(refusal: Refusal) -> &'static [u8] {
    static FULL: LazyLock<Vec<u8>> = LazyLock::new(|| raw_refusal("the server's connections are full"));
    static FROM_ADDRESS: LazyLock<Vec<u8>> = LazyLock::new(|| raw_refusal("too many connections from this address"));
    match refusal {
        Refusal::Full => &FULL,
        Refusal::TooManyFromAddress => &FROM_ADDRESS,
    }
}

/// A `TOO_MANY_CONNECTIONS` 503 as HTTP/1.1 bytes: the error envelope and `Retry-After`, as
/// the API answers every 503.
fn raw_refusal(message: &str) -> Vec<u8> {
    let failure = Failure::unavailable_as(ErrorCode::TooManyConnections, message, RetryAfter::BUSY);
    let body = serde_json::to_string(&failure.envelope()).unwrap_or_default();
    let retry_after = failure.retry_after_secs().unwrap_or(1);
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: {retry_after}\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains the connections.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    policy: ConnectionPolicy,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    // Every connection task holds a receiver: the sender sees when the last one ended.
    let (close_tx, close_rx) = watch::channel(());
    // Tells the connection tasks to finish their request and close.
    let (stop_tx, stop_rx) = watch::channel(false);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors or memory, or a connection reset before accept:
                    // back off briefly rather than spin.
                    tracing::debug!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let ticket = match policy.admission.admit(peer.ip()) {
            Ok(ticket) => ticket,
            Err(refusal) => {
                tracing::debug!(%peer, ?refusal, "connection refused");
                let _ = tcp.try_write(refusal_response(refusal));
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let _ = socket2::SockRef::from(&tcp).set_send_buffer_size(policy.send_buffer_bytes);
        let io = TokioIo::new(idle::AdmittedStream::new(tcp, ticket, policy.idle_timeout));
        let service = router.clone().map_request(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.map(axum::body::Body::new)
        });
        let service = TowerToHyperService::new(service);
        let header_read_timeout = policy.header_read_timeout;
        let mut stop = stop_rx.clone();
        let closed = close_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
            let connection = builder.serve_connection(io, service).with_upgrades();
            tokio::pin!(connection);
            let stopping = tokio::select! {
                result = connection.as_mut() => {
                    log_end(peer, result);
                    false
                }
                _ = stop.wait_for(|stop| *stop) => true,
            };
            if stopping {
                // Finish the request in flight, then close.
                connection.as_mut().graceful_shutdown();
                log_end(peer, connection.as_mut().await);
            }
            drop(closed);
        });
    }
    drop(listener);
    drop(close_rx);
    let _ = stop_tx.send(true);
    if tokio::time::timeout(policy.shutdown_grace, close_tx.closed()).await.is_err() {
        tracing::warn!(
            open = close_tx.receiver_count(),
            "connections still open {} ms after the shutdown began: closing them",
            policy.shutdown_grace.as_millis()
        );
    }
}

fn log_end(peer: SocketAddr, result: Result<(), hyper::Error>) {
    if let Err(err) = result {
        tracing::debug!(%peer, "connection ended: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_fits_the_open_file_limit() {
        assert_eq!(fit_to_descriptor_limit(16), 16, "a small cap fits as asked");
        let wanted = usize::MAX / 4;
        let fitted = fit_to_descriptor_limit(wanted);
        assert!(fitted > 0 && fitted < wanted, "a cap beyond the limit is lowered: {fitted}");
        #[cfg(unix)]
        {
            let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(u64::MAX);
            assert!(fitted as u64 + RESERVED_FILE_DESCRIPTORS <= soft.max(RESERVED_FILE_DESCRIPTORS + 1));
        }
    }

    #[test]
    fn refusals_are_well_formed_http() {
        for refusal in [Refusal::Full, Refusal::TooManyFromAddress] {
            let text = std::str::from_utf8(refusal_response(refusal)).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            let length: usize = head.lines().find_map(|l| l.strip_prefix("content-length: ")).unwrap().parse().unwrap();
            assert_eq!(body.len(), length, "{text}");
            let json: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(json["error"]["code"], "TOO_MANY_CONNECTIONS");
            let retry_after = head.lines().find_map(|l| l.strip_prefix("retry-after: ")).unwrap();
            assert_eq!(retry_after, "1", "{text}");
            assert_eq!(json["error"]["retry_after_secs"], 1, "the body says the same: {text}");
        }
    }
}
