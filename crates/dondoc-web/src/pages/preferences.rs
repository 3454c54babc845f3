//! Each reminder recipient's own page: the channels to be reached on, in order, and those
//! opted out of (a `ChannelsChosen` contact event), and quiet hours (`QuietHoursChosen`);
//! both recorded with the account as actor.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use dondoc_app::{access, contacts};
use dondoc_core::contact::{ContactCard, DEFAULT_CHANNEL_ORDER, QuietHours};
use dondoc_core::event::{Channel, Source};
use std::collections::HashMap;

use super::session::flash;
use super::{Auth, Frame, PageError, checked_form, frame, render, signed};
use crate::Web;

pub(crate) fn routes() -> Router<Arc<Web>> {
    Router::new().route("/preferences", get(show).post(save))
}

/// The value of "not on this channel" in the form.
const OFF: &str = "off";

struct ChannelRow {
    key: &'static str,
    label: &'static str,
    address: String,
    rank: String,
}

#[derive(Template)]
#[template(path = "preferences.html")]
struct PreferencesPage {
    page: Frame,
    name: String,
    agency: String,
    channels: Vec<ChannelRow>,
    ranks: Vec<(String, String)>,
    /// The quiet hours' "HH:MM" bounds, empty when none are chosen.
    quiet_from: String,
    quiet_until: String,
}

fn label(ch: Channel) -> &'static str {
    match ch {
        Channel::Email => "Thư điện tử",
        Channel::Telegram => "Telegram",
        Channel::Zalo => "Zalo",
    }
}

/// The contact the signed-in account is.
async fn card(web: &Web, auth: &Auth) -> Result<ContactCard, PageError> {
    let account = signed(auth, "/preferences")?;
    let Some(id) = account.contact else {
        return Err(PageError::Message(
            StatusCode::NOT_FOUND,
            "tài khoản chưa gắn với người nhận nhắc việc; đề nghị liên hệ Tổ giúp việc".into(),
        ));
    };
    let book = web.app.query(|p| Ok(p.contacts()?)).await?;
    book.get(&id)
        .cloned()
        .ok_or_else(|| PageError::Message(StatusCode::NOT_FOUND, format!("không có người nhận mã \"{id}\"")))
}

async fn show(State(web): State<Arc<Web>>, auth: Auth) -> Result<Html<String>, PageError> {
    let card = card(&web, &auth).await?;
    let order = card.channels.clone().unwrap_or_else(|| web.app.settings.channel_order.clone());
    let channels = DEFAULT_CHANNEL_ORDER
        .iter()
        .map(|&ch| ChannelRow {
            key: ch.as_str(),
            label: label(ch),
            address: card.address(ch).unwrap_or_else(|| "chưa có địa chỉ".into()),
            rank: order.iter().position(|c| *c == ch).map_or_else(|| OFF.to_string(), |i| (i + 1).to_string()),
        })
        .collect();
    let ranks = (1..=DEFAULT_CHANNEL_ORDER.len())
        .map(|i| (i.to_string(), format!("Thứ {i}")))
        .chain([(OFF.to_string(), "Không nhận".to_string())])
        .collect();
    let page = PreferencesPage {
        page: frame(&auth, "Nhận nhắc việc").await,
        name: card.name,
        agency: card.agency,
        channels,
        ranks,
        quiet_from: card.quiet.map(|q| q.from.format("%H:%M").to_string()).unwrap_or_default(),
        quiet_until: card.quiet.map(|q| q.until.format("%H:%M").to_string()).unwrap_or_default(),
    };
    Ok(render(&page))
}

async fn save(
    State(web): State<Arc<Web>>,
    auth: Auth,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let card = card(&web, &auth).await?;
    let account = signed(&auth, "/preferences")?;
    checked_form(&auth, form.get("csrf").map_or("", String::as_str)).await?;
    let mut ranked: Vec<(u32, Channel)> = DEFAULT_CHANNEL_ORDER
        .iter()
        .filter_map(|&ch| {
            let rank = form.get(&format!("rank_{}", ch.as_str()))?;
            rank.parse::<u32>().ok().map(|r| (r, ch))
        })
        .collect();
    ranked.sort();
    let chosen = ranked.into_iter().map(|(_, ch)| ch).collect();
    let actor = access::actor(&account, Source::Web);
    let field = |name: &str| form.get(name).map_or("", |v| v.trim());
    let quiet = match (field("quiet_from"), field("quiet_until")) {
        ("", "") => Ok(None),
        (from, until) => QuietHours::parse(from, until).map(Some),
    };
    let saved = match quiet {
        Err(reason) => Err(dondoc_app::AppError::Input(reason)),
        Ok(quiet) => match contacts::choose_channels(&web.app, &card.id, chosen, &actor).await {
            Ok(_) => contacts::choose_quiet_hours(&web.app, &card.id, quiet, &actor).await,
            Err(e) => Err(e),
        },
    };
    let message = match saved {
        Ok(_) => "Đã lưu cách nhận nhắc việc.".to_string(),
        Err(e @ dondoc_app::AppError::Input(_)) => format!("Chưa lưu: {e}"),
        Err(e) => return Err(e.into()),
    };
    flash(&auth.session, &message).await;
    Ok(Redirect::to("/preferences").into_response())
}
