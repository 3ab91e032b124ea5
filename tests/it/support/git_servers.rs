//! Real git servers on loopback, started by a test: `git daemon` (the git
//! protocol, pushes enabled) and `git http-backend` behind a small HTTP
//! server with basic authentication. Each listens on a port the system
//! picks and serves bare repositories under a directory of its own; each
//! connection is served by git itself (`git daemon --inetd`, or
//! `http-backend` as a CGI). A server can be taken down and brought back
//! (it then closes each connection at once), and stops when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::support::NoUserConfig;

/// A request head or body larger than this is refused: a test server.
const MAX_REQUEST: usize = 64 << 20;

/// What a server runs for each connection it accepts.
type Serve = Arc<dyn Fn(TcpStream) + Send + Sync>;

/// A server on `127.0.0.1`, serving the bare repositories under `root`.
pub struct GitServer {
    /// Where its repositories are (`<root>/<name>.git`).
    pub root: PathBuf,
    port: u16,
    up: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl GitServer {
    /// `git daemon --enable=receive-pack`, one `--inetd` process per connection.
    pub fn daemon(root: &Path) -> GitServer {
        let base = root.to_path_buf();
        GitServer::start(
            root,
            Arc::new(move |stream: TcpStream| {
                let fd = OwnedFd::from(stream);
                let out = fd.try_clone().expect("dup the socket");
                let status = Command::new("git")
                    .args([
                        "daemon",
                        "--inetd",
                        "--enable=receive-pack",
                        "--export-all",
                        "--log-destination=none",
                    ])
                    // A client that stops talking cannot hold the server.
                    .args(["--init-timeout=30", "--timeout=60"])
                    .arg(format!("--base-path={}", base.display()))
                    .arg(&base)
                    .without_user_config()
                    .stdin(Stdio::from(fd))
                    .stdout(Stdio::from(out))
                    .stderr(Stdio::null())
                    .status();
                // The client reports what went wrong; the server has no one to tell.
                let _ = status;
            }),
        )
    }

    /// `git http-backend` as a CGI behind basic authentication: `user` and
    /// `password` are the only credentials it accepts.
    pub fn http(root: &Path, user: &str, password: &str) -> GitServer {
        let base = root.to_path_buf();
        let expected = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
        let user = user.to_string();
        GitServer::start(
            root,
            Arc::new(move |stream: TcpStream| {
                let _ = serve_http(stream, &base, &expected, &user);
            }),
        )
    }

    /// A server that accepts connections and never answers: a remote that hangs.
    pub fn black_hole(root: &Path) -> GitServer {
        GitServer::start(
            root,
            Arc::new(|mut stream: TcpStream| {
                // Read and ignore until the client gives up.
                let mut sink = [0u8; 4096];
                while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
            }),
        )
    }

    fn start(root: &Path, serve: Serve) -> GitServer {
        std::fs::create_dir_all(root).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (up2, stop2, accepted2) = (up.clone(), stop.clone(), accepted.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                accepted2.fetch_add(1, Ordering::SeqCst);
                if !up2.load(Ordering::SeqCst) {
                    // Down: the connection is closed unanswered.
                    drop(stream);
                    continue;
                }
                let serve = serve.clone();
                std::thread::spawn(move || serve(stream));
            }
        });
        GitServer { root: root.to_path_buf(), port, up, stop, accepted, accept: Some(accept) }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// `scheme://[userinfo@]127.0.0.1:PORT/` for `{team}.git` and the like.
    pub fn url(&self, scheme: &str, userinfo: Option<&str>) -> String {
        let at = userinfo.map(|u| format!("{u}@")).unwrap_or_default();
        format!("{scheme}://{at}127.0.0.1:{}/", self.port)
    }

    /// Creates the bare repository `<root>/<name>.git`.
    pub fn create(&self, name: &str) -> PathBuf {
        let path = self.root.join(format!("{name}.git"));
        let out = Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(&path)
            .without_user_config()
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        path
    }

    /// Takes the server down (`false`) or brings it back.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which sees the stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// One HTTP/1.1 request, answered by `git http-backend`, then the
/// connection is closed (which ends the response body).
fn serve_http(stream: TcpStream, root: &Path, expected: &str, user: &str) -> std::io::Result<()> {
    // A client that stops talking cannot hold the server.
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if head.len() > 200 {
            return Ok(());
        }
        head.push(line.trim_end().to_string());
    }
    let Some((method, target)) = head.first().and_then(|l| {
        let mut parts = l.split(' ');
        Some((parts.next()?.to_string(), parts.next()?.to_string()))
    }) else {
        return Ok(());
    };
    let header = |name: &str| {
        head.iter().skip(1).find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    if header("Authorization").as_deref() != Some(expected) {
        write!(
            out,
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        return Ok(());
    }
    if header("Expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        write!(out, "HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = if header("Transfer-Encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        read_chunked(&mut reader)?
    } else {
        let n: usize = header("Content-Length").and_then(|n| n.parse().ok()).unwrap_or(0).min(MAX_REQUEST);
        let mut body = vec![0; n];
        reader.read_exact(&mut body)?;
        body
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut cgi = Command::new("git");
    cgi.arg("http-backend")
        .without_user_config()
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_USER", user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (h, var) in [
        ("Content-Type", "CONTENT_TYPE"),
        ("Content-Encoding", "HTTP_CONTENT_ENCODING"),
        ("Git-Protocol", "GIT_PROTOCOL"),
    ] {
        if let Some(v) = header(h) {
            cgi.env(var, v);
        }
    }
    let mut child = cgi.spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let feed = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let mut output = Vec::new();
    child.stdout.take().expect("piped").read_to_end(&mut output)?;
    let _ = feed.join();
    child.wait()?;
    let split = output.windows(4).position(|w| w == b"\r\n\r\n").map(|p| (p, 4));
    let split = split.or_else(|| output.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)));
    let Some((end, sep)) = split else { return Ok(()) };
    let cgi_head = String::from_utf8_lossy(&output[..end]).into_owned();
    let mut status = "200 OK".to_string();
    let mut headers = String::new();
    for line in cgi_head.lines() {
        match line.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("Status") => status = v.trim().to_string(),
            Some(_) => headers.push_str(&format!("{}\r\n", line.trim_end())),
            None => {}
        }
    }
    write!(out, "HTTP/1.1 {status}\r\n{headers}Connection: close\r\n\r\n")?;
    out.write_all(&output[end + sep..])?;
    out.flush()
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        if n == 0 || body.len() + n > MAX_REQUEST {
            let mut end = String::new();
            reader.read_line(&mut end)?;
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + n, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
    }
}

/// Standard base64, padded (RFC 4648): what basic authentication sends.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_is_rfc_4648() {
    for (plain, coded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
        assert_eq!(base64(plain.as_bytes()), coded);
    }
}
