//! The scenario the application's tests share: an App over a real SQLite file with the
//! shipped calendar and agency directory, the Quảng Nam plan imported from its seed
//! document and the five contacts of the CLI tests, messages going to an outbox.

#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dondoc_app::clock::Clock;
use dondoc_app::contacts::{self, ContactInput};
use dondoc_app::import::{self, Format, ImportRequest, Mode};
use dondoc_app::{Actor, App, Delivery, Settings};
use dondoc_core::WorkCalendar;
use dondoc_core::agency::AgencyConfig;
use dondoc_core::calendar::CalendarConfig;
use dondoc_core::contact::Role;
use dondoc_core::event::{Channel, Source};
use dondoc_notify::channel::Sender;
use dondoc_notify::channel::outbox::Outbox;
use dondoc_notify::dispatch::DispatchConfig;
use dondoc_notify::templates::Templates;
use serde_json::Value;

#[path = "../../../../tests/support/quang_nam.rs"]
mod quang_nam;
pub use quang_nam::{CONTACTS, reminder_id, shared_dir};

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)).expect("a config file")
}

/// The settings `dondoc init` gives: the shipped calendar and agency directory, defaults.
pub fn settings() -> Settings {
    let calendar: CalendarConfig = toml::from_str(&repo_file("config/calendar.toml")).expect("calendar.toml");
    let agencies: AgencyConfig = toml::from_str(&repo_file("config/agencies.toml")).expect("agencies.toml");
    Settings {
        calendar: WorkCalendar::new(&calendar).expect("a valid calendar").into(),
        agencies,
        ..Settings::default()
    }
}

/// An outbox for every channel in `dir`.
pub fn outboxes(dir: &Path, clock: &Clock) -> Vec<Arc<dyn Sender>> {
    [Channel::Email, Channel::Telegram, Channel::Zalo]
        .into_iter()
        .map(|ch| Arc::new(Outbox::new(ch, dir, clock.clone())) as Arc<dyn Sender>)
        .collect()
}

/// An App over the store file `db`, sending on `senders` without rate limits.
pub fn open(db: &Path, senders: Vec<Arc<dyn Sender>>, clock: Clock) -> App {
    let delivery = Delivery {
        templates: Templates::builtin(Default::default()).expect("built-in templates"),
        senders,
        dispatch: DispatchConfig::default().unlimited(),
    };
    App::open(db, settings(), delivery, clock).expect("an app")
}

/// The Quảng Nam plan imported as QN-2022 and the five contacts (c001–c005).
pub async fn quang_nam(app: &App) {
    let seed = shared_dir().join("seeds/quang-nam-cltk-2022.txt");
    let bytes = std::fs::read(&seed).expect("the Quảng Nam seed document");
    let request = ImportRequest {
        file_name: "quang-nam-cltk-2022.txt",
        bytes: &bytes,
        format: Format::Auto,
        sheet: None,
        plan: "QN-2022".into(),
        actor: "Tổ giúp việc",
        tracked_from: None,
        mode: Mode::Atomic,
        strict: true,
        allow_withdraw: None,
        on_progress: &|_, _| {},
    };
    import::import(app, &request).await.expect("the seed imports");
    let actor = Actor::new("Tổ giúp việc", Source::Cli);
    for (name, agency, role, extra) in CONTACTS {
        let arg = |flag: &str| extra.iter().position(|a| *a == flag).map(|i| extra[i + 1].to_string());
        let input = ContactInput {
            name: name.to_string(),
            agency: agency.to_string(),
            role: match *role {
                "officer" => Role::Officer,
                "head" => Role::Head,
                "secretariat" => Role::Secretariat,
                _ => Role::Leadership,
            },
            position: arg("--position"),
            email: arg("--email"),
            telegram: arg("--telegram"),
            zalo: arg("--zalo"),
            phone: arg("--phone"),
        };
        contacts::save(app, input, &actor).await.expect("a contact");
    }
}

/// The messages written to an outbox directory, in file-name order.
pub fn outbox_files(dir: &Path) -> Vec<Value> {
    let mut names: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "json"));
    names.sort();
    names.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("a file")).expect("JSON")).collect()
}

/// The reminder keys of messages.
pub fn keys_of(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .flat_map(|m| m["keys"].as_array().into_iter().flatten().map(|k| k.as_str().unwrap_or_default().to_string()))
        .collect()
}
