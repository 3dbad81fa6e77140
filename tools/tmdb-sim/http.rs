//! A small HTTP/1.1 server: one thread per connection, keep-alive, `Content-Length` bodies.
//!
//! Why not tiny_http: the simulator's faults need control of the socket that tiny_http does
//! not give (closing a keep-alive connection without answering, or after half a body, without
//! the connection thread waiting for a next request that never comes), and its worker pool let
//! stalled requests starve other keep-alive clients. Here each connection has its own thread, so
//! a stall only delays the one request that drew it.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Requests larger than this (request line plus headers) are refused.
const MAX_HEAD: usize = 16 * 1024;
/// An idle keep-alive connection is closed after this long.
const IDLE: Duration = Duration::from_secs(120);

/// What a handler sees of a request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Percent-decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    /// The client takes a gzip body (`Accept-Encoding: gzip`), as TMDB's CDN gives one.
    pub accepts_gzip: bool,
}

impl Request {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An answer with its status, type, extra headers and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type: "application/json; charset=utf-8",
            headers: Vec::new(),
            body,
        }
    }
}

/// How to deliver an answer: the faults are ways of not delivering it properly.
#[derive(Debug)]
pub enum Reply {
    Send(Response),
    /// Close the connection without answering.
    Drop,
    /// Send the headers with the full `Content-Length`, then half of the body, then close.
    Truncate(Response),
    /// Wait, then send.
    Stall(Duration, Response),
}

/// Anything that answers requests.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, request: &Request) -> Reply;
}

/// Serves `listener` until the process ends, at most `max_connections` connections at a time
/// (more wait in the accept queue).
pub fn serve(listener: TcpListener, handler: Arc<dyn Handler>, max_connections: usize) {
    let open = Arc::new((Mutex::new(0usize), Condvar::new()));
    for (id, stream) in listener.incoming().enumerate() {
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                eprintln!("tmdb-sim: accept: {e}");
                continue;
            }
        };
        {
            let (count, freed) = &*open;
            let mut n = count.lock().unwrap_or_else(|e| e.into_inner());
            while *n >= max_connections {
                n = freed.wait(n).unwrap_or_else(|e| e.into_inner());
            }
            *n += 1;
        }
        let handler = Arc::clone(&handler);
        let slot = Slot(Arc::clone(&open));
        let spawned = std::thread::Builder::new()
            .name(format!("conn-{id}"))
            .spawn(move || {
                let _slot = slot;
                let _ = connection(stream, &*handler);
            });
        // Out of threads: this connection is dropped (and its slot given back); keep serving.
        if let Err(e) = spawned {
            eprintln!("tmdb-sim: no thread for a connection: {e}");
        }
    }
}

/// A connection's place among the `max_connections`, given back when its thread ends, even by
/// a panic.
struct Slot(Arc<(Mutex<usize>, Condvar)>);

impl Drop for Slot {
    fn drop(&mut self) {
        let (count, freed) = &*self.0;
        *count.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        freed.notify_one();
    }
}

fn connection(stream: TcpStream, handler: &dyn Handler) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IDLE))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = BufWriter::with_capacity(64 * 1024, stream.try_clone()?);
    loop {
        let (request, keep_alive) = match read_request(&mut reader) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(()),
            Err(e) => {
                let body = format!("{{\"errors\":[\"{e}\"]}}").into_bytes();
                let _ = write_response(&mut writer, &Response::json(400, body), false, None);
                return Ok(());
            }
        };
        match handler.handle(&request) {
            Reply::Send(resp) => write_response(&mut writer, &resp, keep_alive, None)?,
            Reply::Stall(pause, resp) => {
                std::thread::sleep(pause);
                write_response(&mut writer, &resp, keep_alive, None)?;
            }
            Reply::Drop => {
                let _ = stream.shutdown(Shutdown::Both);
                return Ok(());
            }
            Reply::Truncate(resp) => {
                let _ = write_response(&mut writer, &resp, true, Some(resp.body.len() / 2));
                let _ = stream.shutdown(Shutdown::Both);
                return Ok(());
            }
        }
        if !keep_alive {
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
    }
}

/// Reads one request head (and skips its body). `None` when the client closed the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Option<(Request, bool)>, String> {
    let mut line = String::new();
    let mut head_len = 0;
    // Tolerate blank lines between requests (RFC 9112 §2.2).
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => head_len += n,
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line".into());
    };
    let (method, target, version) = (method.to_owned(), target.to_owned(), version.to_owned());
    let mut keep_alive = version == "HTTP/1.1";
    let mut content_length = 0usize;
    let mut authorization = None;
    let mut accepts_gzip = false;
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(|e| e.to_string())?;
        head_len += n;
        if n == 0 || head_len > MAX_HEAD {
            return Err("request head too long or cut short".into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err("malformed header".into());
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "connection" => {
                let v = value.to_ascii_lowercase();
                if v.contains("close") {
                    keep_alive = false;
                } else if v.contains("keep-alive") {
                    keep_alive = true;
                }
            }
            "content-length" => {
                content_length = value.parse().map_err(|_| "bad Content-Length".to_owned())?
            }
            "transfer-encoding" => return Err("chunked request bodies are not supported".into()),
            "authorization" => authorization = Some(value.to_owned()),
            "accept-encoding" => {
                accepts_gzip = value
                    .split(',')
                    .any(|coding| coding.split(';').next().unwrap_or("").trim() == "gzip")
            }
            _ => {}
        }
    }
    io::copy(
        &mut reader.by_ref().take(content_length as u64),
        &mut io::sink(),
    )
    .map_err(|e| e.to_string())?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), parse_query(q)),
        None => (target, Vec::new()),
    };
    Ok(Some((
        Request {
            method,
            path: percent_decode(&path),
            query,
            authorization,
            accepts_gzip,
        },
        keep_alive,
    )))
}

/// `a=1&b=x%2Cy` as decoded pairs (`+` is a space).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// Writes the response; with `cut`, only that many body bytes (the headers still promise all).
fn write_response(
    w: &mut BufWriter<TcpStream>,
    resp: &Response,
    keep_alive: bool,
    cut: Option<usize>,
) -> io::Result<()> {
    write!(
        w,
        "HTTP/1.1 {} {}\r\nServer: tmdb-sim\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
        resp.body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    )?;
    for (name, value) in &resp.headers {
        write!(w, "{name}: {value}\r\n")?;
    }
    w.write_all(b"\r\n")?;
    w.write_all(&resp.body[..cut.unwrap_or(resp.body.len())])?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_percent_decoded() {
        assert_eq!(
            parse_query("with_genres=28%2C12&q=a+b&x=%7C&bad=%zz&flag"),
            vec![
                ("with_genres".into(), "28,12".into()),
                ("q".into(), "a b".into()),
                ("x".into(), "|".into()),
                ("bad".into(), "%zz".into()),
                ("flag".into(), "".into()),
            ]
        );
    }
}
