//! The pages in a real headless Chromium (Debian's chromium driven through chromedriver
//! with fantoccini): sign in, open the overview, answer a task with a form, see the
//! timeline change; a title carrying a script shows as text; a phone-sized window. The
//! screenshots are saved in the target directory (`screenshots/`) to be looked at.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use support::{Api, PASSWORD};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// chromedriver on a free port, and a headless Chromium session through it.
async fn browser() -> Option<(Driver, Client)> {
    let (chromium, chromedriver) = ("/usr/bin/chromium", "/usr/bin/chromedriver");
    if !std::path::Path::new(chromium).exists() || !std::path::Path::new(chromedriver).exists() {
        dondoc_testkit::skip::skip(
            "pages_in_chromium",
            "chromium and chromium-driver are not installed (scripts/test.sh installs them with apt)",
        );
        return None;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let profile = tempfile::tempdir().unwrap().keep();
    // Without the background-networking flags Chromium keeps trying to reach Google's
    // services, which a closed network refuses.
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        &format!("--user-data-dir={}", profile.display()),
    ];
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium, "args": args },
    });
    let caps = caps.as_object().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match ClientBuilder::rustls()
            .expect("a TLS client")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return Some((driver, client)),
            Err(e) if Instant::now() > deadline => panic!("chromedriver did not start a session: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn screenshots() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let path = screenshots().join(name);
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
}

async fn text(client: &Client, css: &str) -> String {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap()
}

/// Clicks `css` (a submit button or a link) and waits until the page it was on is gone
/// (the old document's element goes stale), so that what follows reads the new page.
async fn click_and_wait(client: &Client, css: &str) {
    let old = client.find(Locator::Css("html")).await.unwrap();
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "the page did not change after clicking {css}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sign_in(client: &Client, base: &str, login: &str) {
    client.goto(&format!("{base}/")).await.unwrap();
    assert!(client.current_url().await.unwrap().path().starts_with("/login"), "the overview asks to sign in first");
    client.find(Locator::Id("name")).await.unwrap().send_keys(login).await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    click_and_wait(client, "form button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_chromium() {
    let Some((_driver, client)) = browser().await else { return };
    let api = Api::start().await;
    api.define("01", "Sở Tài chính", &["Sở Y tế"]).await;
    api.define("02", "Sở Y tế", &[]).await;
    api.define_titled("03", "<script>alert(1)</script> Rà soát", "Sở Tài chính").await;
    let base = api.base.clone();

    // A wrong password: the form again, with the reason.
    client.goto(&format!("{base}/login")).await.unwrap();
    client.find(Locator::Id("name")).await.unwrap().send_keys("cv.stc").await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys("sai mật khẩu rồi").await.unwrap();
    click_and_wait(&client, "form button[type=submit]").await;
    assert_eq!(text(&client, ".error").await, "sai tên đăng nhập hoặc mật khẩu");

    sign_in(&client, &base, "cv.stc").await;
    let heading = text(&client, "h1").await;
    assert!(heading.starts_with("Tình hình thực hiện nhiệm vụ"), "{heading}");
    assert!(text(&client, "header .who").await.contains("Người dùng cv.stc (chuyên viên, Sở Tài chính)"));
    shot(&client, "overview.png").await;

    // Answer task 01 with the progress form; the timeline shows it, with who and from where.
    client.goto(&format!("{base}/tasks/KH-1/01")).await.unwrap();
    let rows = |c: Client| async move { c.find_all(Locator::Css("#timeline tr")).await.unwrap().len() };
    let before = rows(client.clone()).await;
    let form = client.find(Locator::Css("form[action$='/do/progress']")).await.unwrap();
    form.find(Locator::Css("input[name=percent]")).await.unwrap().send_keys("50").await.unwrap();
    form.find(Locator::Css("input[name=note]")).await.unwrap().send_keys("Đã thu thập số liệu quý I").await.unwrap();
    click_and_wait(&client, "form[action$='/do/progress'] button").await;
    let flash = text(&client, ".flash").await;
    assert!(flash.starts_with("Đã ghi nhận"), "{flash}");
    let timeline = text(&client, "#timeline").await;
    assert!(timeline.contains("Đã thu thập số liệu quý I"), "{timeline}");
    assert!(timeline.contains("user:cv.stc (Người dùng cv.stc)") && timeline.contains("trang web"), "{timeline}");
    assert!(rows(client.clone()).await > before, "the timeline grew");
    assert!(text(&client, "h2 .ok").await.contains("chuỗi băm đã kiểm tra"));
    // A report with its file, sent through the form's file input.
    let report = api.dir().join("bao-cao-quy-1.pdf");
    std::fs::write(&report, b"%PDF-1.4 bao cao quy I").unwrap();
    let form = client.find(Locator::Css("form[action$='/do/submit']")).await.unwrap();
    form.find(Locator::Css("input[name=document]")).await.unwrap().send_keys("25/BC-STC").await.unwrap();
    form.find(Locator::Css("input[name=file]")).await.unwrap().send_keys(report.to_str().unwrap()).await.unwrap();
    click_and_wait(&client, "form[action$='/do/submit'] button").await;
    let flash = text(&client, ".flash").await;
    assert!(flash.starts_with("Đã ghi nhận"), "{flash}");
    let timeline = text(&client, "#timeline").await;
    assert!(timeline.contains("văn bản 25/BC-STC; tệp bao-cao-quy-1.pdf (1 KB, SHA-256"), "{timeline}");
    // The file is kept by its hash (computed here by coreutils, not by the code under test).
    let sha = std::process::Command::new("sha256sum").arg(&report).output().unwrap();
    let sha = String::from_utf8(sha.stdout).unwrap().split_whitespace().next().unwrap().to_string();
    assert!(api.dir().join("evidence").join(&sha[..2]).join(&sha).exists(), "evidence/{}/{sha}", &sha[..2]);
    // An officer sees only its own moves: no extension approval, no cancelling.
    assert!(client.find(Locator::Css("form[action$='/do/extend']")).await.is_err());
    assert!(client.find(Locator::Css("form[action$='/do/cancel']")).await.is_err());
    shot(&client, "task.png").await;

    // Another agency's task: readable, no form.
    client.goto(&format!("{base}/tasks/KH-1/02")).await.unwrap();
    assert!(client.find(Locator::Css(".forms")).await.is_err(), "no form on another agency's task");

    // A title with a script tag is text, and no script runs.
    client.goto(&format!("{base}/tasks/KH-1/03")).await.unwrap();
    assert!(text(&client, "h1").await.contains("<script>alert(1)</script> Rà soát"));
    let scripts = client.execute("return document.scripts.length", vec![]).await.unwrap();
    assert_eq!(scripts, json!(0));

    // The overdue list and a phone-sized window.
    client.goto(&format!("{base}/overdue")).await.unwrap();
    assert!(text(&client, "h1").await.starts_with("Nhiệm vụ quá hạn"));
    client.set_window_size(390, 844).await.unwrap();
    client.goto(&format!("{base}/")).await.unwrap();
    shot(&client, "overview-phone.png").await;

    // A restarted server (a new router, its session store opened again from the file)
    // still knows the session: nobody is signed out by a restart.
    let restarted = api.serve_again().await;
    client.goto(&format!("{restarted}/tasks/KH-1/01")).await.unwrap();
    assert_eq!(client.current_url().await.unwrap().path(), "/tasks/KH-1/01", "still signed in after a restart");

    // Signing out ends the session.
    click_and_wait(&client, "header form button").await;
    client.goto(&format!("{restarted}/tasks/KH-1/01")).await.unwrap();
    assert!(client.current_url().await.unwrap().path().starts_with("/login"));
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_imports_a_plan_in_chromium() {
    let Some((_driver, client)) = browser().await else { return };
    let api = Api::start().await;
    let base = api.base.clone();
    let csv = api.dir().join("ke-hoach-moi.csv");
    std::fs::write(
        &csv,
        "code,title,lead,cooperating,start,finish,product\n\
         01,Rà soát danh mục chỉ tiêu,Sở Tài chính,Sở Y tế,Tháng 1/2026,Quý II/2026,Danh mục\n\
         02,Báo cáo định kỳ,Sở Nội vụ,,,\"Tháng, quý, năm\",Báo cáo\n",
    )
    .unwrap();
    sign_in(&client, &base, "tgv").await;
    click_and_wait(&client, "header a[href='/plans/import']").await;
    client.find(Locator::Id("plan")).await.unwrap().send_keys("KH-MOI").await.unwrap();
    client.find(Locator::Id("file")).await.unwrap().send_keys(csv.to_str().unwrap()).await.unwrap();
    click_and_wait(&client, "main form button[type=submit]").await;
    let changes = text(&client, "#changes").await;
    assert!(changes.contains("thêm 01 Rà soát danh mục chỉ tiêu (chủ trì: Sở Tài chính)"), "{changes}");
    shot(&client, "import-diff.png").await;
    let (status, _) = api.get(&api.sign_in("tgv").await, "/api/v1/tasks/KH-MOI/01").await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "nothing written before the confirmation");
    click_and_wait(&client, "form[action='/plans/import/confirm'] button").await;
    let flash = text(&client, ".flash").await;
    assert!(flash.starts_with("Đã nhập kế hoạch KH-MOI: thêm 2"), "{flash}");
    assert!(text(&client, "h1").await.starts_with("Nhiệm vụ của kế hoạch KH-MOI (2)"));
    // The deliveries page opens for the secretariat; an officer is refused it.
    client.goto(&format!("{base}/deliveries")).await.unwrap();
    assert_eq!(text(&client, "h1").await, "Tình hình gửi nhắc việc");
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_chooses_the_channels_in_chromium() {
    let Some((_driver, client)) = browser().await else { return };
    let api = Api::start().await;
    let base = api.base.clone();
    let actor = dondoc_app::Actor::new("cli:test", dondoc_core::event::Source::Cli);
    let input = dondoc_app::contacts::ContactInput {
        name: "Lê Văn Cường".into(),
        agency: "Sở Tài chính".into(),
        role: dondoc_core::contact::Role::Officer,
        position: None,
        email: Some("cuong@stc.example.vn".into()),
        telegram: Some("70123".into()),
        zalo: None,
        phone: None,
    };
    let (card, _) = dondoc_app::contacts::save(&api.app, input, &actor).await.unwrap();
    let account = dondoc_app::accounts::AccountInput {
        login: "cv.cuong".into(),
        role: dondoc_core::account::AccountRole::Officer,
        agency: Some("Sở Tài chính".into()),
        full_name: Some("Lê Văn Cường".into()),
        contact: Some(card.id.clone()),
    };
    dondoc_app::accounts::add(&api.app, account, PASSWORD, &actor).await.unwrap();
    sign_in(&client, &base, "cv.cuong").await;
    click_and_wait(&client, "header a[href='/preferences']").await;
    assert!(text(&client, "#channels").await.contains("cuong@stc.example.vn"));
    client.find(Locator::Css("select[name=rank_email]")).await.unwrap().select_by_value("off").await.unwrap();
    client.find(Locator::Css("select[name=rank_telegram]")).await.unwrap().select_by_value("1").await.unwrap();
    click_and_wait(&client, "main form button[type=submit]").await;
    assert_eq!(text(&client, ".flash").await, "Đã lưu cách nhận nhắc việc.");
    let book = api.app.read().await.unwrap().contacts().unwrap();
    let contact = book.get(&card.id).unwrap().to_contact(&[]);
    let channels: Vec<_> = contact.channels.iter().map(|(ch, _)| ch.as_str()).collect();
    assert_eq!(channels, ["telegram"], "email opted out; Zalo has no address");
    // Opting out of every channel that has an address is refused: no reminder is lost.
    client.find(Locator::Css("select[name=rank_telegram]")).await.unwrap().select_by_value("off").await.unwrap();
    click_and_wait(&client, "main form button[type=submit]").await;
    assert!(text(&client, ".flash").await.starts_with("Chưa lưu: cần giữ ít nhất một kênh"));
    // Quiet hours: the time inputs are filled as a person's picker would fill them.
    let set_quiet = |from: &'static str, until: &'static str| {
        let client = client.clone();
        async move {
            let script = format!(
                "document.querySelector('input[name=quiet_from]').value = '{from}';\
                 document.querySelector('input[name=quiet_until]').value = '{until}';"
            );
            client.execute(&script, vec![]).await.unwrap();
            click_and_wait(&client, "main form button[type=submit]").await;
        }
    };
    set_quiet("07:00", "17:00").await;
    let refused = text(&client, ".flash").await;
    assert!(
        refused.starts_with("Chưa lưu: khoảng 07:00–17:00 không nhận tin phải để trống ít nhất 2 giờ"),
        "{refused}"
    );
    set_quiet("18:00", "07:00").await;
    assert_eq!(text(&client, ".flash").await, "Đã lưu cách nhận nhắc việc.");
    let book = api.app.read().await.unwrap().contacts().unwrap();
    let quiet = book.get(&card.id).unwrap().quiet.expect("quiet hours recorded");
    assert_eq!(quiet.label(), "18:00–07:00");
    let shown = client.find(Locator::Css("input[name=quiet_from]")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(shown.as_deref(), Some("18:00"), "the page shows what was recorded");
    shot(&client, "preferences.png").await;
    client.close().await.unwrap();
}
