//! The API on loopback over a real SQLite file in a temporary directory, with accounts of
//! every role, and a small client for it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dondoc_app::accounts::{self, AccountInput};
use dondoc_app::{Actor, App, Delivery, Settings, clock, task};
use dondoc_core::account::AccountRole;
use dondoc_core::agency::{AgencyConfig, AgencyEntry};
use dondoc_core::event::{Source, TaskKey};
use dondoc_core::task::TaskCommand;
use reqwest::StatusCode;
use serde_json::Value;

pub const PLAN: &str = "KH-1";
pub const PASSWORD: &str = "mật khẩu đủ dài 2026";

/// (login, role, agency) of the accounts every test has.
pub const ROLES: &[(&str, AccountRole, Option<&str>)] = &[
    ("cv.stc", AccountRole::Officer, Some("Sở Tài chính")),
    ("ld.stc", AccountRole::AgencyHead, Some("Sở Tài chính")),
    ("cv.syt", AccountRole::Officer, Some("Sở Y tế")),
    ("cv.snv", AccountRole::Officer, Some("Sở Nội vụ")),
    ("tgv", AccountRole::Secretariat, None),
    ("lanh.dao", AccountRole::Leadership, None),
    ("admin", AccountRole::Admin, None),
];

/// Monday 02/03/2026 09:00 in Hà Nội.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00+07:00").unwrap().with_timezone(&Utc)
}

pub struct Api {
    pub app: Arc<App>,
    pub base: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn settings() -> Settings {
    let agency = |name: &str| AgencyEntry { name: name.into(), aliases: vec![] };
    Settings {
        agencies: AgencyConfig {
            agencies: vec![agency("Sở Tài chính"), agency("Sở Y tế"), agency("Sở Nội vụ")],
            ..AgencyConfig::default()
        },
        ..Settings::default()
    }
}

/// Serves the web router over `app` on a loopback port; its base URL.
async fn serve(app: &Arc<App>, config: dondoc_web::WebConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = dondoc_web::router(app.clone(), config).unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    base
}

impl Api {
    /// The API with the default `[web]` settings.
    pub async fn start() -> Api {
        Api::start_with(dondoc_web::WebConfig::default()).await
    }

    pub async fn start_with(config: dondoc_web::WebConfig) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let app =
            App::open(&dir.path().join("dondoc.sqlite"), settings(), Delivery::none().unwrap(), clock::fixed(now()))
                .unwrap();
        let app = Arc::new(app);
        let follower = app.clone();
        tokio::spawn(async move { follower.follow(std::time::Duration::from_millis(200)).await });
        let admin = Actor::new("cli:test", Source::Cli);
        for (login, role, agency) in ROLES {
            let input = AccountInput {
                login: login.to_string(),
                role: *role,
                agency: agency.map(str::to_string),
                full_name: Some(format!("Người dùng {login}")),
                contact: None,
            };
            accounts::add(&app, input, PASSWORD, &admin).await.unwrap();
        }
        let base = serve(&app, config).await;
        Api { app, base, client: reqwest::Client::new(), _dir: dir }
    }

    /// Serves the same store again on another port (as after a restart); its base URL.
    #[allow(dead_code)]
    pub async fn serve_again(&self) -> String {
        serve(&self.app, dondoc_web::WebConfig::default()).await
    }

    /// The data directory (the store file and `evidence/`).
    pub fn dir(&self) -> std::path::PathBuf {
        self._dir.path().to_path_buf()
    }

    /// Defines task `code` of [`PLAN`] (deadline Quý I/2026) as the secretariat.
    pub async fn define(&self, code: &str, lead: &str, cooperating: &[&str]) {
        self.define_with(code, &format!("Nhiệm vụ {code}"), lead, cooperating, "Quý I/2026").await;
    }

    /// Defines task `code` due in January 2026: overdue at [`now`].
    pub async fn define_overdue(&self, code: &str, lead: &str, cooperating: &[&str]) {
        self.define_with(code, &format!("Nhiệm vụ {code}"), lead, cooperating, "Tháng 1/2026").await;
    }

    /// Defines task `code` with its title.
    pub async fn define_titled(&self, code: &str, title: &str, lead: &str) {
        self.define_with(code, title, lead, &[], "Quý I/2026").await;
    }

    async fn define_with(&self, code: &str, title: &str, lead: &str, cooperating: &[&str], finish: &str) {
        let command = TaskCommand::Define {
            plan: PLAN.into(),
            code: code.into(),
            title: title.into(),
            lead: lead.into(),
            cooperating: cooperating.iter().map(|c| c.to_string()).collect(),
            start: None,
            finish: Some(task::parse_expr(finish).unwrap()),
            product: None,
            tracked_from: None,
            tt: None,
            group: None,
        };
        let actor = Actor::new("cli:test", Source::Cli);
        task::execute(&self.app, &TaskKey::new(PLAN, code), None, &command, &actor, None).await.unwrap();
    }

    /// `POST /api/v1/auth/token`: (status, body).
    pub async fn token(&self, name: &str, password: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}/api/v1/auth/token", self.base))
            .json(&serde_json::json!({"name": name, "password": password}))
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    /// A token for `login` (password [`PASSWORD`]).
    pub async fn sign_in(&self, login: &str) -> String {
        let (status, body) = self.token(login, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{login}: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// `POST /api/v1/tasks/KH-1/{code}/{action}` with `body` (and `If-Match`).
    pub async fn post(
        &self,
        token: &str,
        code: &str,
        action: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.post(format!("{}/api/v1/tasks/{PLAN}/{code}/{action}", self.base)).json(body);
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        if let Some(r) = if_match {
            request = request.header("If-Match", r);
        }
        let r = request.send().await.unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    /// `GET path`: (status, body).
    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    /// The events of task `code`'s timeline.
    pub async fn timeline(&self, token: &str, code: &str) -> Vec<Value> {
        let (status, body) = self.get(token, &format!("/api/v1/tasks/{PLAN}/{code}/timeline")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["events"].as_array().unwrap().clone()
    }
}
