//! One keep-alive HTTP/1.1 connection: write a request, read one response.
//!
//! Each worker owns its connection and has one request in flight at a time, so there is no pool
//! to lock, no request queue and no pipelining: a request is written with one `write_all` and the
//! response read into a buffer reused across requests. The client's own CPU per request matters
//! when client and server share two cores; `docs/benchmarks.md` records what it costs.
//!
//! Responses may carry `Content-Length`, be chunked, or (HTTP/1.0 servers, `Connection: close`)
//! end at end of stream; after a response that does not keep the connection alive, or after any
//! error, the next request opens a new connection. Nothing is retried here: a failure is reported
//! to the caller, which counts it.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most headers a response may carry.
const MAX_HEADERS: usize = 64;
/// The largest response accepted (a 1 MB Query page with room to spare), in bytes.
const MAX_RESPONSE_BYTES: usize = 32 << 20;

/// Why a request got no HTTP response. The connection is closed afterwards; whether the server
/// executed the request is unknown for every variant except [`TransportError::Connect`].
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// No connection could be opened (refused, unreachable): the request was not sent.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// The server's address.
        address: SocketAddr,
        /// What the operating system said.
        source: io::Error,
    },
    /// Sending the request or reading the response failed.
    #[error("connection to {address} failed: {source}")]
    Io {
        /// The server's address.
        address: SocketAddr,
        /// What the operating system said.
        source: io::Error,
    },
    /// The server closed the connection before a complete response.
    #[error("{address} closed the connection before a complete response")]
    Closed {
        /// The server's address.
        address: SocketAddr,
    },
    /// The response is not valid HTTP/1.x, or exceeds the size limit.
    #[error("{address} sent an invalid HTTP response: {reason}")]
    Malformed {
        /// The server's address.
        address: SocketAddr,
        /// What was wrong with it.
        reason: &'static str,
    },
}

impl TransportError {
    /// A short name for the error, for counting errors by type in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            TransportError::Connect { source, .. } => match source.kind() {
                io::ErrorKind::ConnectionRefused => "ConnectionRefused",
                _ => "ConnectFailed",
            },
            TransportError::Io { source, .. } => match source.kind() {
                io::ErrorKind::ConnectionReset => "ConnectionReset",
                io::ErrorKind::BrokenPipe => "BrokenPipe",
                _ => "IoError",
            },
            TransportError::Closed { .. } => "ConnectionClosed",
            TransportError::Malformed { .. } => "MalformedResponse",
        }
    }
}

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy)]
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// A response head: status, framing, whether the connection stays open, and its length.
#[derive(Debug)]
struct Head {
    status: u16,
    framing: Framing,
    keep_alive: bool,
    length: usize,
}

/// One HTTP/1.1 connection to a fixed address, opened on first use and after failures.
#[derive(Debug)]
pub struct Connection {
    address: SocketAddr,
    stream: Option<TcpStream>,
    /// Bytes read from the socket; the current response starts at 0.
    input: Vec<u8>,
    /// The de-chunked body of a chunked response.
    dechunked: Vec<u8>,
    /// Where the last response's body is: in `dechunked`, or in `input` from this offset.
    body_at: Option<usize>,
}

impl Connection {
    /// A connection to `address`; nothing is opened until the first request.
    pub fn new(address: SocketAddr) -> Self {
        Connection {
            address,
            stream: None,
            input: Vec::with_capacity(16 << 10),
            dechunked: Vec::new(),
            body_at: Some(0),
        }
    }

    /// Sends `request` (a complete HTTP/1.1 request, head and body), reads the response, and
    /// returns its status; [`Connection::body`] then holds its body.
    ///
    /// Opens the connection first if it is not open. On error the connection is closed, so the
    /// next call starts afresh. A cancelled call leaves the connection in an unknown state: close
    /// it with [`Connection::close`].
    pub async fn send(&mut self, request: &[u8]) -> Result<u16, TransportError> {
        self.input.clear();
        self.dechunked.clear();
        match self.exchange(request).await {
            Ok((head, keep_alive)) => {
                if !keep_alive {
                    self.stream = None;
                }
                self.body_at = match head.framing {
                    Framing::Chunked => None,
                    Framing::Length(_) | Framing::UntilClose => Some(head.length),
                };
                Ok(head.status)
            }
            Err(error) => {
                self.stream = None;
                Err(error)
            }
        }
    }

    /// The body of the last response (de-chunked), empty after a failed exchange.
    pub fn body(&self) -> &[u8] {
        match self.body_at {
            None => &self.dechunked,
            Some(start) => self.input.get(start..).unwrap_or_default(),
        }
    }

    /// Closes the connection (after a timeout, whose request may still be in flight).
    pub fn close(&mut self) {
        self.stream = None;
    }

    async fn exchange(&mut self, request: &[u8]) -> Result<(Head, bool), TransportError> {
        let address = self.address;
        let io_error = |source| TransportError::Io { address, source };
        if self.stream.is_none() {
            let stream = TcpStream::connect(address)
                .await
                .map_err(|source| TransportError::Connect { address, source })?;
            // Requests are written whole; Nagle would only hold back their tail.
            stream.set_nodelay(true).map_err(io_error)?;
            self.stream = Some(stream);
        }
        let stream = self.stream.as_mut().expect("connected above");
        stream.write_all(request).await.map_err(io_error)?;
        let head = loop {
            if let Some(head) = parse_head(&self.input, address)? {
                break head;
            }
            read_more(stream, &mut self.input, address).await?;
        };
        match head.framing {
            Framing::Length(length) => {
                while self.input.len() < head.length + length {
                    read_more(stream, &mut self.input, address).await?;
                }
                self.input.truncate(head.length + length);
            }
            Framing::Chunked => loop {
                match dechunk(&self.input[head.length..], &mut self.dechunked, address)? {
                    true => break,
                    false => read_more(stream, &mut self.input, address).await?,
                }
            },
            Framing::UntilClose => loop {
                let read = stream.read_buf(&mut self.input).await.map_err(io_error)?;
                if read == 0 {
                    break;
                }
                check_size(&self.input, address)?;
            },
        }
        let keep_alive = head.keep_alive && !matches!(head.framing, Framing::UntilClose);
        Ok((head, keep_alive))
    }
}

async fn read_more(
    stream: &mut TcpStream,
    input: &mut Vec<u8>,
    address: SocketAddr,
) -> Result<(), TransportError> {
    if input.capacity() - input.len() < 4096 {
        input.reserve(input.capacity().max(4096));
    }
    let read = stream
        .read_buf(input)
        .await
        .map_err(|source| TransportError::Io { address, source })?;
    if read == 0 {
        return Err(TransportError::Closed { address });
    }
    check_size(input, address)
}

fn check_size(input: &[u8], address: SocketAddr) -> Result<(), TransportError> {
    if input.len() > MAX_RESPONSE_BYTES {
        return Err(TransportError::Malformed {
            address,
            reason: "response larger than 32 MiB",
        });
    }
    Ok(())
}

/// Parses the response head if `input` holds all of it.
fn parse_head(input: &[u8], address: SocketAddr) -> Result<Option<Head>, TransportError> {
    let malformed = |reason| TransportError::Malformed { address, reason };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let length = match response.parse(input) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(malformed("unparseable status line or headers")),
    };
    let status = response.code.ok_or(malformed("no status code"))?;
    // HTTP/1.1 keeps connections open unless told otherwise; HTTP/1.0 closes them unless told.
    let mut keep_alive = response.version == Some(1);
    let mut framing = Framing::UntilClose;
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .and_then(|text| text.trim().parse().ok())
                .ok_or(malformed("Content-Length is not a number"))?;
            if value > MAX_RESPONSE_BYTES {
                return Err(malformed("response larger than 32 MiB"));
            }
            if !matches!(framing, Framing::Chunked) {
                framing = Framing::Length(value);
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            if contains_token(header.value, b"chunked") {
                framing = Framing::Chunked;
            }
        } else if header.name.eq_ignore_ascii_case("connection") {
            if contains_token(header.value, b"close") {
                keep_alive = false;
            } else if contains_token(header.value, b"keep-alive") {
                keep_alive = true;
            }
        }
    }
    // Responses to which HTTP forbids a body.
    if status == 204 || status == 304 || (100..200).contains(&status) {
        framing = Framing::Length(0);
    }
    Ok(Some(Head {
        status,
        framing,
        keep_alive,
        length,
    }))
}

fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&byte| byte == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

/// Decodes a chunked body into `body`. Returns whether it is complete (the last chunk and the
/// trailer section have arrived); if not, call again with more input.
fn dechunk(
    mut input: &[u8],
    body: &mut Vec<u8>,
    address: SocketAddr,
) -> Result<bool, TransportError> {
    let malformed = |reason| TransportError::Malformed { address, reason };
    body.clear();
    loop {
        let Some(line_end) = input.windows(2).position(|pair| pair == b"\r\n") else {
            return Ok(false);
        };
        let size_text = input[..line_end]
            .split(|&byte| byte == b';')
            .next()
            .unwrap_or_default();
        let size = std::str::from_utf8(size_text)
            .ok()
            .and_then(|text| usize::from_str_radix(text.trim(), 16).ok())
            .ok_or(malformed("bad chunk size"))?;
        input = &input[line_end + 2..];
        if size == 0 {
            // Trailers (none expected) end with an empty line.
            return Ok(
                input.starts_with(b"\r\n") || input.windows(4).any(|four| four == b"\r\n\r\n")
            );
        }
        if size > MAX_RESPONSE_BYTES || body.len() + size > MAX_RESPONSE_BYTES {
            return Err(malformed("response larger than 32 MiB"));
        }
        if input.len() < size + 2 {
            return Ok(false);
        }
        if &input[size..size + 2] != b"\r\n" {
            return Err(malformed("chunk not followed by CRLF"));
        }
        body.extend_from_slice(&input[..size]);
        input = &input[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A server that answers each request it reads with the next canned reply, writing it in
    /// pieces of `piece` bytes to exercise partial reads, then closes after the last one.
    async fn canned_server(replies: Vec<&'static [u8]>, piece: usize) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let mut replies = replies.into_iter().peekable();
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buffer = [0u8; 4096];
                loop {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let Some(reply) = replies.next() else { return };
                    for part in reply.chunks(piece) {
                        socket.write_all(part).await.unwrap();
                        socket.flush().await.unwrap();
                        tokio::task::yield_now().await;
                    }
                    if reply.starts_with(b"HTTP/1.0") {
                        break;
                    }
                    if replies.peek().is_none() {
                        // Closing after the last reply ends a client waiting for more.
                        return;
                    }
                }
            }
        });
        address
    }

    const REQUEST: &[u8] = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";

    #[tokio::test]
    async fn reads_content_length_bodies_over_one_kept_alive_connection() {
        let replies: Vec<&[u8]> = vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"Item\":{}}",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}",
        ];
        let mut connection = Connection::new(canned_server(replies, 7).await);
        assert_eq!(connection.send(REQUEST).await.unwrap(), 200);
        assert_eq!(connection.body(), b"{\"Item\":{}}");
        let stream_address = connection.stream.as_ref().unwrap().local_addr().unwrap();
        assert_eq!(connection.send(REQUEST).await.unwrap(), 400);
        assert_eq!(connection.body(), b"{}");
        let reused = connection.stream.as_ref().unwrap().local_addr().unwrap();
        assert_eq!(stream_address, reused, "the connection was kept alive");
    }

    #[tokio::test]
    async fn decodes_chunked_bodies() {
        let replies: Vec<&[u8]> = vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n",
        ];
        let mut connection = Connection::new(canned_server(replies, 5).await);
        assert_eq!(connection.send(REQUEST).await.unwrap(), 200);
        assert_eq!(connection.body(), b"{\"a\":1}");
    }

    #[tokio::test]
    async fn reads_http_1_0_bodies_until_close_and_reconnects() {
        let replies: Vec<&[u8]> = vec![
            b"HTTP/1.0 200 OK\r\nContent-Type: x\r\n\r\n{\"n\":1}",
            b"HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\n{\"n\":2}",
        ];
        let mut connection = Connection::new(canned_server(replies, 3).await);
        connection.send(REQUEST).await.unwrap();
        assert_eq!(connection.body(), b"{\"n\":1}");
        assert!(
            connection.stream.is_none(),
            "HTTP/1.0 without keep-alive closes"
        );
        connection.send(REQUEST).await.unwrap();
        assert_eq!(connection.body(), b"{\"n\":2}");
    }

    #[tokio::test]
    async fn a_server_closing_mid_response_is_an_error_and_the_next_request_reconnects() {
        let replies: Vec<&[u8]> = vec![b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"short\""];
        let address = canned_server(replies, 64).await;
        let mut connection = Connection::new(address);
        let error = connection.send(REQUEST).await.unwrap_err();
        assert_eq!(error.kind(), "ConnectionClosed", "{error}");
        assert!(connection.stream.is_none());
    }

    #[tokio::test]
    async fn refused_connections_are_named_as_such() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let error = Connection::new(address).send(REQUEST).await.unwrap_err();
        assert_eq!(error.kind(), "ConnectionRefused", "{error}");
    }

    #[tokio::test]
    async fn garbage_is_a_malformed_response() {
        let replies: Vec<&[u8]> = vec![b"SSH-2.0-OpenSSH\r\n\r\n"];
        let mut connection = Connection::new(canned_server(replies, 64).await);
        let error = connection.send(REQUEST).await.unwrap_err();
        assert_eq!(error.kind(), "MalformedResponse", "{error}");
    }
}
