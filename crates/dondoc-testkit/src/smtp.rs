//! A real SMTP server process for tests: Python's aiosmtpd on 127.0.0.1.
//!
//! [`SmtpServer::start`] writes a small handler script into a temporary directory and runs
//! `python3 <script> ...`; the handler stores each message it accepts as one JSON file
//! (decoded subject, text and HTML parts, attachment descriptions), which
//! [`SmtpServer::messages`] reads back as [`ReceivedMail`], so tests need no MIME parser.
//!
//! Recipients steer the server: a local part starting with `reject` gets
//! `550 5.1.1 user unknown`, one starting with `defer` gets `451 4.3.0 try again later`,
//! one starting with `norelay` gets `550 5.7.1 Relaying denied` (a refusal of the sender,
//! not the recipient); a message to one starting with `slow` is stored at once and its
//! `250` answered [`SmtpServer::SLOW_SECONDS`] later (a send in flight for that long). [`SmtpServer::start_auth_required`] refuses mail from a client that
//! did not authenticate (`530 5.7.0`, RFC 4954).
//! [`SmtpServer::start_starttls`] and [`SmtpServer::start_implicit_tls`] serve a self-signed
//! certificate made with the `openssl` CLI and accept `AUTH PLAIN/LOGIN` with
//! [`SmtpServer::USERNAME`] / [`SmtpServer::PASSWORD`].
//!
//! Needs `python3` with `aiosmtpd` (`python3 -m pip install aiosmtpd`).

use std::fs;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tempfile::TempDir;

/// How long [`SmtpServer::start`] waits for the server to listen.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The handler script run by `python3`.
const SCRIPT: &str = r#"
import asyncio, email, email.policy, hashlib, json, os, ssl, sys, time, uuid
from datetime import datetime, timezone
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

mode, port, outdir, ready_file, parent = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
cert, key = (sys.argv[6], sys.argv[7]) if len(sys.argv) > 7 else (None, None)
USERNAME, PASSWORD = b"nhacviec", b"dondoc-test-secret"
SLOW_SECONDS = 3


def authenticator(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login == USERNAME and auth_data.password == PASSWORD:
        return AuthResult(success=True, auth_data=auth_data.login.decode())
    return AuthResult(success=False, handled=False)


def describe(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text = html = None
    attachments, content_types = [], []
    for part in msg.walk():
        ctype = part.get_content_type()
        content_types.append(ctype)
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        cid = part.get("content-id")
        if disposition == "attachment" or filename is not None or cid is not None:
            payload = part.get_payload(decode=True) or b""
            attachments.append({
                "filename": filename,
                "content_type": ctype,
                "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
                "inline": disposition == "inline",
                "content_id": str(cid).strip().strip("<>") if cid is not None else None,
            })
        elif ctype == "text/plain" and text is None:
            text = part.get_content().replace("\r\n", "\n")
        elif ctype == "text/html" and html is None:
            html = part.get_content().replace("\r\n", "\n")
    header = lambda name: str(msg[name]) if msg[name] is not None else None
    return {
        "subject": header("subject") or "",
        "from": header("from"),
        "to": header("to"),
        "message_id": header("message-id"),
        "text": text,
        "html": html,
        "attachments": attachments,
        "content_types": content_types,
    }


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.rsplit("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 user unknown"
        if local.startswith("norelay"):
            return "550 5.7.1 Relaying denied"
        if local.startswith("defer"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        queue_id = uuid.uuid4().hex[:12].upper()
        now = time.time_ns()
        try:
            record = describe(raw)
            record["parse_error"] = None
        except Exception as e:  # keep the message: the test shows what went wrong
            record = {"subject": "", "attachments": [], "content_types": [], "parse_error": repr(e)}
        name = f"{now:020d}-{queue_id}"
        with open(os.path.join(outdir, name + ".eml"), "wb") as f:
            f.write(raw)
        record.update({
            "queue_id": queue_id,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options),
            "received_at": datetime.fromtimestamp(now / 1e9, timezone.utc).isoformat(),
            "seq": now,
            "raw_size": len(raw),
            "eml": os.path.join(outdir, name + ".eml"),
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": session.auth_data if session.authenticated else None,
            "peer_port": session.peer[1] if session.peer else None,
        })
        tmp = os.path.join(outdir, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(tmp, os.path.join(outdir, name + ".json"))
        if any(r.rsplit("@", 1)[0].lower().startswith("slow") for r in envelope.rcpt_tos):
            await asyncio.sleep(SLOW_SECONDS)
        return f"250 2.0.0 Ok: queued as {queue_id}"


async def watch_parent():
    while os.getppid() == parent:
        await asyncio.sleep(0.5)
    os._exit(0)


async def main():
    context = None
    if mode in ("starttls", "tls"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
    loop = asyncio.get_running_loop()

    def factory():
        return SMTP(
            Handler(),
            hostname="dondoc-test-smtp",
            enable_SMTPUTF8=True,
            tls_context=context if mode == "starttls" else None,
            authenticator=authenticator,
            auth_required=(mode == "authreq"),
            auth_require_tls=(mode not in ("tls", "authreq")),
            timeout=60,
            loop=loop,
        )

    server = await loop.create_server(
        factory, "127.0.0.1", port, ssl=context if mode == "tls" else None, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    with open(ready_file + ".tmp", "w") as f:
        f.write(str(bound))
    os.replace(ready_file + ".tmp", ready_file)
    asyncio.ensure_future(watch_parent())
    await server.serve_forever()


asyncio.run(main())
"#;

/// How the server secures connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    /// Plain, with authentication required before `MAIL` (AUTH allowed without TLS).
    AuthRequired,
    StartTls,
    ImplicitTls,
}

impl Mode {
    fn arg(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::AuthRequired => "authreq",
            Mode::StartTls => "starttls",
            Mode::ImplicitTls => "tls",
        }
    }
}

/// One attachment as the server decoded it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReceivedAttachment {
    /// Decoded file name (RFC 2231 / RFC 2047 undone).
    pub filename: Option<String>,
    pub content_type: String,
    /// Size of the decoded content in bytes.
    pub size: usize,
    /// SHA-256 of the decoded content, lowercase hex.
    pub sha256: String,
    /// `Content-Disposition: inline`.
    pub inline: bool,
    /// The Content-ID without angle brackets.
    pub content_id: Option<String>,
}

/// One message as the server received and decoded it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReceivedMail {
    /// The id given in the `250 ... queued as <id>` reply.
    pub queue_id: String,
    /// Envelope sender (`MAIL FROM`).
    pub mail_from: Option<String>,
    /// Envelope recipients that were accepted (`RCPT TO`).
    pub rcpt_tos: Vec<String>,
    /// `MAIL FROM` parameters, e.g. `BODY=8BITMIME`.
    pub mail_options: Vec<String>,
    /// Decoded `Subject` header.
    pub subject: String,
    /// Decoded `From` and `To` headers.
    pub from: Option<String>,
    pub to: Option<String>,
    pub message_id: Option<String>,
    /// The first `text/plain` and `text/html` parts, decoded, line endings `\n`.
    pub text: Option<String>,
    pub html: Option<String>,
    pub attachments: Vec<ReceivedAttachment>,
    /// Content types of every MIME part in tree order, multiparts included.
    pub content_types: Vec<String>,
    /// When the server finished receiving, RFC 3339 UTC.
    pub received_at: String,
    /// Arrival order (nanoseconds since the epoch).
    pub seq: u64,
    /// Size of the raw message in bytes.
    pub raw_size: usize,
    /// Path of the raw message (`.eml`).
    pub eml: PathBuf,
    /// Whether the session was encrypted (STARTTLS or implicit TLS).
    pub tls: bool,
    /// The user that authenticated, if any.
    pub auth_user: Option<String>,
    /// Client port of the connection, to count the connections a pool used.
    pub peer_port: Option<u16>,
    /// Set when the server could not parse the MIME structure.
    pub parse_error: Option<String>,
}

/// A running aiosmtpd process on 127.0.0.1 that records what it receives.
#[derive(Debug)]
pub struct SmtpServer {
    child: Option<Child>,
    port: u16,
    mode: Mode,
    dir: TempDir,
}

impl SmtpServer {
    /// Login accepted by the TLS servers.
    pub const USERNAME: &'static str = "nhacviec";
    /// Password accepted by the TLS servers.
    pub const PASSWORD: &'static str = "dondoc-test-secret";
    /// Seconds a message to a `slow…` recipient waits for its final `250`.
    pub const SLOW_SECONDS: u64 = 3;

    /// Starts a plain SMTP server on a free port and waits until it listens.
    pub fn start() -> io::Result<SmtpServer> {
        SmtpServer::start_mode(Mode::Plain)
    }

    /// Starts a plain server that requires `AUTH` ([`SmtpServer::USERNAME`] /
    /// [`SmtpServer::PASSWORD`]) before it takes mail.
    pub fn start_auth_required() -> io::Result<SmtpServer> {
        SmtpServer::start_mode(Mode::AuthRequired)
    }

    /// Starts a server offering STARTTLS with a self-signed certificate for `localhost`
    /// and `127.0.0.1` (needs the `openssl` CLI; `NotFound` when it is missing).
    pub fn start_starttls() -> io::Result<SmtpServer> {
        SmtpServer::start_mode(Mode::StartTls)
    }

    /// Starts a server speaking TLS from the first byte ("SMTPS"), self-signed certificate.
    pub fn start_implicit_tls() -> io::Result<SmtpServer> {
        SmtpServer::start_mode(Mode::ImplicitTls)
    }

    fn start_mode(mode: Mode) -> io::Result<SmtpServer> {
        let dir = tempfile::Builder::new().prefix("dondoc-smtp-").tempdir()?;
        fs::write(dir.path().join("server.py"), SCRIPT)?;
        fs::create_dir(dir.path().join("mail"))?;
        if matches!(mode, Mode::StartTls | Mode::ImplicitTls) {
            make_certificate(dir.path())?;
        }
        let mut server = SmtpServer { child: None, port: 0, mode, dir };
        server.spawn(0)?;
        Ok(server)
    }

    /// Runs the script on `port` (0: any free port) and waits until it accepts connections.
    fn spawn(&mut self, port: u16) -> io::Result<()> {
        let dir = self.dir.path();
        let ready = dir.join("ready");
        let _ = fs::remove_file(&ready);
        let log = fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log"))?;
        let mut command = Command::new("python3");
        command
            .arg(dir.join("server.py"))
            .arg(self.mode.arg())
            .arg(port.to_string())
            .arg(dir.join("mail"))
            .arg(&ready)
            .arg(std::process::id().to_string());
        if matches!(self.mode, Mode::StartTls | Mode::ImplicitTls) {
            command.arg(dir.join("cert.pem")).arg(dir.join("key.pem"));
        }
        let child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log).spawn()?;
        self.child = Some(child);

        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                return Err(io::Error::other(format!(
                    "the SMTP server exited ({status}) before listening:\n{}",
                    self.log_tail()
                )));
            }
            if let Ok(text) = fs::read_to_string(&ready)
                && let Ok(bound) = text.trim().parse::<u16>()
            {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, bound));
                if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
                    self.port = bound;
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the SMTP server did not listen within {START_TIMEOUT:?}:\n{}", self.log_tail()),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The listening port (kept across [`SmtpServer::restart`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The listening address, `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The self-signed certificate (PEM) of a TLS server.
    pub fn certificate_path(&self) -> Option<PathBuf> {
        matches!(self.mode, Mode::StartTls | Mode::ImplicitTls).then(|| self.dir.path().join("cert.pem"))
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Every message received so far, in arrival order (earlier runs included).
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let Ok(entries) = fs::read_dir(self.dir.path().join("mail")) else {
            return Vec::new();
        };
        let mut mails: Vec<ReceivedMail> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter_map(|p| fs::read(&p).ok())
            .filter_map(|bytes| serde_json::from_slice(&bytes).ok())
            .collect();
        mails.sort_by(|a, b| (a.seq, &a.queue_id).cmp(&(b.seq, &b.queue_id)));
        mails
    }

    /// Waits until at least `n` messages arrived or `timeout` passed; returns them all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mails = self.messages();
            if mails.len() >= n || tokio::time::Instant::now() >= deadline {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the process: connections are refused until [`SmtpServer::restart`].
    pub fn stop(&mut self) {
        self.kill();
    }

    /// Starts the server again on the same port with the same outbox (stopping it first if
    /// it runs).
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill();
        let port = self.port;
        self.spawn(port)
    }

    /// The server's stderr so far (aiosmtpd logs), for diagnosing failures.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Writes `cert.pem` and `key.pem` (self-signed, P-256) into `dir` with the openssl CLI.
fn make_certificate(dir: &Path) -> io::Result<()> {
    let output = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        // A leaf certificate: clients reject a CA certificate used by a server outright.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdin(Stdio::null())
        .output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "openssl could not make a certificate: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(())
}
