//! Raw HTTP/1.1 over a TCP socket, for what a well-behaved client never sends.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `host:port` of a server base URL (`http://127.0.0.1:PORT`).
pub fn address(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

pub async fn connect(base: &str) -> TcpStream {
    TcpStream::connect(address(base))
        .await
        .unwrap_or_else(|e| panic!("connect {base}: {e}"))
}

/// Sends `request` and reads until the server closes (or `wait` passes): the status,
/// the head, and the body parsed as JSON when it is.
pub async fn exchange(
    base: &str,
    request: &[u8],
    wait: Duration,
) -> (u16, String, serde_json::Value) {
    let mut stream = connect(base).await;
    // The server may answer and close before all of an over-large request is sent.
    let _ = stream.write_all(request).await;
    let text = read_until_closed(&mut stream, wait).await;
    parse(&text)
}

/// Reads what the server sends until it closes the connection or `wait` passes.
pub async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> String {
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut bytes)).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Whether the server closed `stream` within `wait` (reading nothing more).
pub async fn closed_within(stream: &mut TcpStream, wait: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(
            wait.saturating_sub(started.elapsed()),
            stream.read(&mut buf),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

/// Status, head and JSON body of one answer.
pub fn parse(text: &str) -> (u16, String, serde_json::Value) {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    (status, head.to_ascii_lowercase(), body)
}
