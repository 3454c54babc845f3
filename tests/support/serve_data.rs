//! A data directory for `dondoc serve` tests: a small plan imported (task 01 overdue on
//! Monday 22/09/2025), `[server] listen` on a free port, and the commands run against it.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dondoc_testkit::zalo::ZaloServer;
use serde_json::Value;

use super::serve_process::{Serve, free_port};

pub const PLAN: &str = "TK-2025";
/// Task 01 was due in August 2025: overdue on Monday 22/09/2025.
pub const PLAN_CSV: &str = "\
code,title,lead,cooperating,start,finish,product
01,Xây dựng kế hoạch thu thập thông tin thống kê,Cục Thống kê tỉnh,Sở Tài chính,Tháng 7/2025,Tháng 8/2025,Kế hoạch
02,Công bố niên giám thống kê tỉnh,Cục Thống kê tỉnh,,,Quý IV/2025,Niên giám thống kê
";
pub const OFFICER: &str = "Nguyễn Văn An";
pub const AGENCY: &str = "Cục Thống kê tỉnh";
pub const TG_TOKEN: &str = "123456:dondoc-serve-test";
pub const TG_CHAT: i64 = 70_001;
pub const ZALO_OA_ID: &str = "4321987654321";
pub const ZALO_OA_SECRET: &str = "oa-secret-for-webhooks";

/// A data directory with the plan imported and `[server] listen` on a free port.
pub struct Data {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// A server store (`DONDOC_STORE`), else the embedded file.
    pub store: Option<String>,
}

impl Data {
    pub fn new(now: &str) -> Data {
        Data::on_store(now, None)
    }

    /// As [`Data::new`], with the log on the server store `store` when given.
    pub fn on_store(now: &str, store: Option<&str>) -> Data {
        let data = Data { dir: tempfile::tempdir().unwrap(), port: free_port(), store: store.map(str::to_string) };
        data.ok(now, &["init"]);
        let config = data.config_path();
        let text = std::fs::read_to_string(&config).unwrap();
        let default_listen = "listen = \"127.0.0.1:8787\"";
        assert!(text.contains(default_listen), "the example configuration changed: {text}");
        let text = text.replace(default_listen, &format!("listen = \"127.0.0.1:{}\"", data.port));
        std::fs::write(&config, text).unwrap();
        let csv = data.dir.path().join("plan.csv");
        std::fs::write(&csv, PLAN_CSV).unwrap();
        data.ok(now, &["import", csv.to_str().unwrap(), "--plan", PLAN]);
        data
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("dondoc.toml")
    }

    /// Appends sections to `dondoc.toml`.
    pub fn configure(&self, sections: &str) {
        let mut file = std::fs::OpenOptions::new().append(true).open(self.config_path()).unwrap();
        writeln!(file, "\n{sections}").unwrap();
    }

    pub fn command(&self, now: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dondoc"));
        cmd.env("DONDOC_DATA_DIR", self.path())
            .env("DONDOC_NOW", now)
            .env("DONDOC_ACTOR", "Tổ giúp việc")
            .env("TG_TOKEN", TG_TOKEN)
            .env("ZALO_APP_SECRET", ZaloServer::APP_SECRET)
            .env("ZALO_OA_SECRET", ZALO_OA_SECRET)
            .env("RUST_LOG", "info")
            .env_remove("DONDOC_CALENDAR")
            .env_remove("DONDOC_POLICY");
        match &self.store {
            Some(store) => cmd.env("DONDOC_STORE", store),
            None => cmd.env_remove("DONDOC_STORE"),
        };
        cmd
    }

    pub fn run(&self, now: &str, args: &[&str]) -> Output {
        self.command(now).args(args).output().expect("run dondoc")
    }

    pub fn ok(&self, now: &str, args: &[&str]) -> String {
        let out = self.run(now, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, now: &str, args: &[&str]) -> Value {
        let out = self.ok(now, args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// The events of task `code` (`dondoc audit --json`).
    pub fn audit(&self, now: &str, code: &str) -> Vec<Value> {
        let audit = self.json(now, &["audit", "--plan", PLAN, "--code", code, "--json"]);
        audit["events"].as_array().unwrap().clone()
    }

    /// Starts `dondoc serve` with the clock starting at `now`; logs go to a file.
    pub fn serve(&self, now: &str) -> Serve {
        let log = self.path().join(format!("serve-{}.log", now.replace(':', "")));
        let mut command = self.command(now);
        command.arg("serve");
        Serve::start(command, self.port, log)
    }
}
