//! Reading the WebSocket `/stream` as a client would.
#![allow(dead_code)]

use futures_util::StreamExt;
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// A client's connection to `/stream`.
pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads `socket` until a `fills` message of `order_id` arrives, at most `within`; whether
/// one did.
pub async fn fill_arrives(socket: &mut Socket, order_id: &str, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(Duration::from_secs(5), socket.next()).await
        else {
            continue;
        };
        let message: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if message["channel"] == "fills" && message["data"]["order_id"] == order_id {
            return true;
        }
    }
    false
}
