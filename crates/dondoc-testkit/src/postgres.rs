//! A real PostgreSQL server for tests, started by the test itself: Debian's `postgresql`
//! binaries, `initdb` into a temporary directory, the server on a free loopback port with
//! its socket in that directory, stopped (fast shutdown) when dropped. Run as root (CI
//! containers), the server runs as the `postgres` system user, as PostgreSQL requires.
//!
//! Durability as in production: `fsync` and `synchronous_commit` stay on.

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server.
pub struct PgServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    bin: PathBuf,
    user: Option<(u32, u32)>,
}

/// The directory of PostgreSQL's server binaries: `DONDOC_PG_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian's layout), else `pg_config --bindir`.
pub fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DONDOC_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    dir.join("initdb").exists().then_some(dir)
}

/// The uid and gid of the `postgres` user when running as root.
fn server_user() -> Option<(u32, u32)> {
    let me = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&me.stdout).trim() != "0" {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 4 || fields[0] != "postgres" {
            return None;
        }
        Some((fields[2].parse().ok()?, fields[3].parse().ok()?))
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl PgServer {
    /// Initialises and starts a server; panics with the reason when it cannot (the caller
    /// checks [`bin_dir`] first to skip where PostgreSQL is not installed).
    pub fn start() -> PgServer {
        PgServer::start_with(&[])
    }

    /// As [`PgServer::start`], with extra `-c name=value` settings.
    pub fn start_with(settings: &[(&str, &str)]) -> PgServer {
        let bin = bin_dir().expect("PostgreSQL's server binaries (Debian package postgresql)");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let user = server_user();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown the data directory");
        }
        let data = dir.path().join("data");
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .args(["-D"])
            .arg(&data)
            .args(["-U", "dondoc", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        as_user(&mut initdb, user);
        let out = initdb.output().expect("initdb runs");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let mut server = PgServer { child: None, port: free_port(), dir, bin, user };
        server.launch(settings);
        server
    }

    fn launch(&mut self, settings: &[(&str, &str)]) {
        let mut command = Command::new(self.bin.join("postgres"));
        command
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "shared_buffers=32MB", "-c", "max_connections=200"])
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(self.dir.path().join("server.log")).map(Stdio::from).unwrap_or(Stdio::null()),
            );
        for (name, value) in settings {
            command.arg("-c").arg(format!("{name}={value}"));
        }
        as_user(&mut command, self.user);
        // Its own process group: `kill` takes the postmaster and every backend at once, as
        // a machine that dies does.
        command.process_group(0);
        self.child = Some(command.spawn().expect("postgres starts"));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "dondoc", "-d", "postgres"])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            if let Some(Some(status)) = self.child.as_mut().map(|c| c.try_wait().ok().flatten()) {
                panic!("postgres exited ({status}): {}", self.log());
            }
            assert!(Instant::now() < deadline, "postgres did not start in 30 s: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A server that takes only TLS connections (`hostssl` lines only in `pg_hba.conf`),
    /// with a certificate for `127.0.0.1` signed by a CA of its own ([`PgServer::ca_file`]),
    /// both made with the openssl command.
    pub fn start_tls_only() -> PgServer {
        let mut server = PgServer::start();
        server.stop();
        let dir = server.dir.path().to_path_buf();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").args(args).current_dir(&dir).output().expect("openssl runs");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        openssl(
            &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt"]
                .iter()
                .chain(&["-days", "2", "-subj", "/CN=dondoc test CA"])
                .copied()
                .collect::<Vec<_>>(),
        );
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").expect("san.ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ]);
        let data = server.data();
        for file in ["server.crt", "server.key"] {
            std::fs::copy(dir.join(file), data.join(file)).expect("copy the certificate");
            if let Some((uid, gid)) = server.user {
                std::os::unix::fs::chown(data.join(file), Some(uid), Some(gid)).expect("chown");
            }
        }
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(data.join("server.key"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let mut conf = std::fs::OpenOptions::new().append(true).open(data.join("postgresql.conf")).expect("conf");
        std::io::Write::write_all(
            &mut conf,
            b"\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
        )
        .expect("write conf");
        std::fs::write(data.join("pg_hba.conf"), "local all all trust\nhostssl all all 127.0.0.1/32 trust\n")
            .expect("pg_hba.conf");
        server.launch(&[]);
        server
    }

    /// The CA that signed a TLS server's certificate (PEM).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// A streaming replica of `primary` (a base backup with `standby.signal`), known to
    /// the primary as `name` (its `application_name`, for `synchronous_standby_names`).
    pub fn replica_of(primary: &PgServer, name: &str) -> PgServer {
        let dir = tempfile::tempdir().expect("a temporary directory");
        if let Some((uid, gid)) = primary.user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown the data directory");
        }
        let data = dir.path().join("data");
        let conninfo = format!("host=127.0.0.1 port={} user=dondoc application_name={name}", primary.port);
        let mut backup = Command::new(primary.bin.join("pg_basebackup"));
        backup
            .arg("-D")
            .arg(&data)
            .args(["-d", &conninfo, "-R", "-X", "stream", "--no-sync", "--checkpoint=fast"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        as_user(&mut backup, primary.user);
        let out = backup.output().expect("pg_basebackup runs");
        assert!(out.status.success(), "pg_basebackup failed: {}", String::from_utf8_lossy(&out.stderr));
        let mut replica =
            PgServer { child: None, port: free_port(), dir, bin: primary.bin.clone(), user: primary.user };
        replica.launch(&[]);
        replica
    }

    /// Promotes a replica to a primary and waits until it takes writes.
    pub fn promote(&self) {
        self.psql("postgres", "SELECT pg_promote(true, 30)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.psql("postgres", "SELECT pg_is_in_recovery()").trim() != "f" {
            assert!(Instant::now() < deadline, "the replica was not promoted in 30 s: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Makes `standby` the synchronous standby: a commit returns once it has it.
    pub fn require_sync_standby(&self, standby: &str) {
        self.psql("postgres", &format!("ALTER SYSTEM SET synchronous_standby_names = '{standby}'"));
        self.psql("postgres", "SELECT pg_reload_conf()");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state = self.psql(
                "postgres",
                &format!("SELECT sync_state FROM pg_stat_replication WHERE application_name = '{standby}'"),
            );
            if state.trim() == "sync" {
                return;
            }
            assert!(Instant::now() < deadline, "{standby} did not become synchronous: {state:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A URL to the database `db` (created with [`PgServer::create_db`]).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://dondoc@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates a database and returns its URL.
    pub fn create_db(&self, db: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{db}\""));
        self.url(db)
    }

    /// Runs SQL with psql against `db`; returns its output (unaligned, tuples only).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let psql = self.bin.join("psql");
        let psql = if psql.exists() { psql } else { PathBuf::from("psql") };
        let out = Command::new(psql)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "dondoc", "-d", db])
            .args(["-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stops the server abruptly (SIGKILL to the postmaster and every backend), as a
    /// crashed machine would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server cleanly (fast shutdown) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the stopped server again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        self.launch(&[]);
    }

    /// The directory of the server binaries in use.
    pub fn bin(&self) -> &Path {
        &self.bin
    }
}

fn as_user(command: &mut Command, user: Option<(u32, u32)>) {
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid);
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}
