//! A `dondoc serve` child process for the end-to-end tests: a free port, `/healthz`
//! polling, SIGTERM and exit checks, one HTTP exchange on loopback.

#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long `serve` may take to exit after SIGTERM.
pub const EXIT_WITHIN: Duration = Duration::from_secs(10);

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `dondoc serve`; killed if the test fails before stopping it.
pub struct Serve {
    pub child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl Serve {
    /// Starts `command` (a `dondoc serve`) listening on `port`, its log going to `log`.
    pub fn start(mut command: Command, port: u16, log: PathBuf) -> Serve {
        let stderr = std::fs::File::create(&log).unwrap();
        let child =
            command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(stderr).spawn().expect("start dondoc serve");
        Serve { child, port, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls `GET /healthz` until it answers (200 or 503); returns its JSON.
    pub async fn healthz(&mut self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("dondoc serve exited early ({status}):\n{}", self.log());
            }
            if let Some((_, health)) = self.health() {
                return health;
            }
            assert!(Instant::now() < deadline, "/healthz never answered:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `/healthz` now: 200 (ok) or 503 (degraded) and its body; `None` if it does not answer.
    pub fn health(&self) -> Option<(u16, Value)> {
        match http(self.port, "GET", "/healthz", &[], b"") {
            Ok((status @ (200 | 503), body)) => Some((
                status,
                serde_json::from_str(&body).unwrap_or_else(|e| panic!("/healthz is not JSON ({e}): {body}")),
            )),
            _ => None,
        }
    }

    /// Sends SIGTERM and waits for the exit; returns the status and how long it took.
    pub async fn terminate(&mut self) -> (ExitStatus, Duration) {
        let pid = self.child.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(kill.success(), "kill -TERM {pid} failed");
        let sent = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, sent.elapsed());
            }
            assert!(
                sent.elapsed() < EXIT_WITHIN,
                "dondoc serve still running {EXIT_WITHIN:?} after SIGTERM:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then exit 0 within [`EXIT_WITHIN`].
    pub async fn stop(&mut self) {
        let (status, took) = self.terminate().await;
        assert!(status.success(), "dondoc serve exited with {status} after SIGTERM:\n{}", self.log());
        assert!(took < EXIT_WITHIN, "exit took {took:?}");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One HTTP/1.1 exchange on a fresh connection to 127.0.0.1:`port`: (status, body).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) =
        raw.split_once("\r\n\r\n").ok_or_else(|| std::io::Error::other(format!("no header end: {raw}")))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status: {head}")))?;
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "unexpected chunked body: {head}");
    Ok((status, body.to_string()))
}

/// Polls `probe` until it gives a value, for up to 20 s.
pub async fn eventually<T>(what: &str, serve: &Serve, probe: impl FnMut() -> Option<T>) -> T {
    eventually_within(Duration::from_secs(20), what, serve, probe).await
}

/// Polls `probe` until it gives a value, for up to `within`.
pub async fn eventually_within<T>(
    within: Duration,
    what: &str,
    serve: &Serve,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; serve log:\n{}", serve.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `sending.leader` of a daemon's `/healthz`, once it answers.
pub fn leads(serve: &Serve) -> Option<bool> {
    let (_, health) = serve.health()?;
    health["sending"]["leader"].as_bool()
}

/// Of two daemons on one store, waits until exactly one leads; (leader, other) as indexes
/// of `[a, b]`, checked again for 1.5 s: never both.
pub async fn one_leader(a: &Serve, b: &Serve) -> (usize, usize) {
    let pair = eventually("one daemon holds the sending lease", a, || match (leads(a)?, leads(b)?) {
        (true, false) => Some((0, 1)),
        (false, true) => Some((1, 0)),
        _ => None,
    })
    .await;
    let daemons = [a, b];
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!((leads(daemons[pair.0]), leads(daemons[pair.1])), (Some(true), Some(false)), "never both");
    }
    pair
}

/// Kills `leader` with SIGKILL and waits until `survivor` leads, for up to 30 s: how long
/// the takeover took.
pub async fn kill_and_take_over(leader: &mut Serve, survivor: &Serve) -> Duration {
    leader.child.kill().unwrap();
    leader.child.wait().unwrap();
    let killed = Instant::now();
    eventually_within(Duration::from_secs(30), "the other daemon takes the lease", survivor, || {
        leads(survivor)?.then_some(())
    })
    .await;
    killed.elapsed()
}
