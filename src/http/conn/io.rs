//! A connection's socket as hyper sees it: reads tell the connection's [`Activity`],
//! and hyper's own answers to requests it cannot parse get the error envelope.
//!
//! hyper answers a request line or head it cannot take (malformed, a URI over 64 KiB,
//! a head over `max_buf_size`, more than 100 headers) by itself, with a status and an
//! empty body, before any service sees a request; no hook changes that answer. Such an
//! answer is the only one on this server without a `content-type` (every answer of
//! ours has a JSON body), so it is recognised on its way out and given its envelope.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::activity::Activity;
use crate::http::error::ApiError;

pin_project! {
    /// `rewritten`: an answer of hyper's, rewritten, and how much of it is written.
    pub struct ConnIo<T> {
        #[pin]
        inner: T,
        activity: Arc<Activity>,
        rewritten: Option<(Vec<u8>, usize)>,
    }
}

impl<T> ConnIo<T> {
    pub fn new(inner: T, activity: Arc<Activity>) -> ConnIo<T> {
        ConnIo {
            inner,
            activity,
            rewritten: None,
        }
    }
}

impl<T: AsyncWrite> ConnIo<T> {
    /// Writes what is left of a rewritten answer.
    fn poll_rewritten(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut this = self.project();
        while let Some((bytes, written)) = this.rewritten.as_mut() {
            if *written == bytes.len() {
                *this.rewritten = None;
                break;
            }
            let n = ready!(this.inner.as_mut().poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead> AsyncRead for ConnIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        ready!(this.inner.poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.activity.bytes_read();
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> AsyncWrite for ConnIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.as_mut().poll_rewritten(cx))?;
        if let Some(answer) = enveloped(buf) {
            *self.as_mut().project().rewritten = Some((answer, 0));
            ready!(self.as_mut().poll_rewritten(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.as_mut().poll_rewritten(cx))?;
        let mut filled = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (filled.next(), filled.next())
            && enveloped(only).is_some()
        {
            return self.poll_write(cx, only);
        }
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_rewritten(cx))?;
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_rewritten(cx))?;
        self.project().inner.poll_shutdown(cx)
    }
}

/// hyper's bodiless answer in `head`, as the same answer with its envelope.
fn enveloped(head: &[u8]) -> Option<Vec<u8>> {
    const EMPTY: &[u8] = b"\r\ncontent-length: 0\r\n";
    let status = head.strip_prefix(b"HTTP/1.1 ")?.get(..3)?;
    let error = match status {
        b"400" => ApiError::unparsable_request(),
        b"414" => ApiError::uri_too_long(),
        b"431" => ApiError::headers_too_large(),
        _ => return None,
    };
    if !head.ends_with(b"\r\n\r\n") || contains(head, b"content-type") {
        return None;
    }
    let at = (0..head.len()).find(|&i| head[i..].starts_with(EMPTY))?;
    let body = error.envelope_json();
    let mut answer = Vec::with_capacity(head.len() + body.len() + 40);
    answer.extend_from_slice(&head[..at]);
    answer.extend_from_slice(b"\r\ncontent-type: application/json\r\ncontent-length: ");
    answer.extend_from_slice(body.len().to_string().as_bytes());
    answer.extend_from_slice(b"\r\n");
    answer.extend_from_slice(&head[at + EMPTY.len()..]);
    answer.extend_from_slice(&body);
    Some(answer)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "date: Wed, 02 Dec 2026 05:57:01 GMT\r\n\r\n";

    #[test]
    fn hypers_bodiless_answers_get_the_envelope() {
        for (status, code, field) in [
            ("414 URI Too Long", "uri_too_long", "uri"),
            (
                "431 Request Header Fields Too Large",
                "headers_too_large",
                "headers",
            ),
            ("400 Bad Request", "invalid_request", "request"),
        ] {
            let head =
                format!("HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: 0\r\n{DATE}");
            let answer = enveloped(head.as_bytes()).unwrap_or_default();
            let text = String::from_utf8(answer).unwrap_or_default();
            let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
            assert!(head.starts_with(&format!("HTTP/1.1 {status}\r\nconnection: close\r\n")));
            assert!(head.contains("content-type: application/json"), "{head}");
            assert!(
                head.contains(&format!("content-length: {}", body.len())),
                "{head}"
            );
            let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            assert_eq!(json["error"], code);
            assert_eq!(json["details"]["field"], field);
        }
    }

    #[test]
    fn our_own_answers_pass_untouched() {
        for head in [
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 10\r\n\r\n",
        ] {
            assert_eq!(enveloped(head.as_bytes()), None, "{head}");
        }
    }
}
