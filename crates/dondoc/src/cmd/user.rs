//! `dondoc user add|list|passwd|disable|enable`: the accounts of the web pages and the API.
//! Passwords are read from the first line of standard input, never from an argument (so
//! they stay out of shell histories and process lists).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result};
use dondoc_app::accounts::{self, AccountInput};
use dondoc_core::account::{Account, AccountRole};
use dondoc_core::event::Source;
use serde_json::json;

use crate::cli::{Global, UserAction, UserArgs};
use crate::{datadir, outln, output};

fn read_password() -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Mật khẩu: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("không đọc được mật khẩu từ đầu vào chuẩn")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn account_json(a: &Account) -> serde_json::Value {
    json!({
        "login": a.login,
        "role": a.role.as_str(),
        "agency": a.agency,
        "full_name": a.full_name,
        "contact": a.contact,
        "disabled": a.disabled,
    })
}

pub async fn run(global: &Global, args: &UserArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    let actor = super::actor(&global.actor, Source::Cli);
    match &args.action {
        UserAction::Add { name, role, agency, full_name, contact, json } => {
            let role: AccountRole = role.parse().map_err(dondoc_app::AppError::Input)?;
            let password = read_password()?;
            let input = AccountInput {
                login: name.clone(),
                role,
                agency: agency.clone(),
                full_name: full_name.clone(),
                contact: contact.clone(),
            };
            let account = accounts::add(&app, input, &password, &actor).await?;
            if *json {
                return output::json(&account_json(&account));
            }
            outln!("Đã thêm {}.", dondoc_app::access::describe(&account));
        }
        UserAction::List { json } => {
            let list = accounts::list(&app).await?;
            if *json {
                return output::json(&list.iter().map(account_json).collect::<Vec<_>>());
            }
            outln!("{} tài khoản:", list.len());
            for a in &list {
                outln!(
                    "{:<20} {:<18} {:<32} {}{}",
                    a.login,
                    a.role.label_vi(),
                    a.agency.as_deref().unwrap_or("—"),
                    a.full_name.as_deref().unwrap_or(""),
                    if a.disabled { " (đã khóa)" } else { "" }
                );
            }
        }
        UserAction::Passwd { name } => {
            let password = read_password()?;
            accounts::set_password(&app, name, &password, &actor).await?;
            outln!("Đã đặt mật khẩu mới cho tài khoản {name}; các phiên đăng nhập cũ hết hiệu lực.");
        }
        UserAction::Disable { name, reason } => {
            accounts::set_disabled(&app, name, Some(reason), &actor).await?;
            outln!("Đã khóa tài khoản {name}.");
        }
        UserAction::Enable { name } => {
            accounts::set_disabled(&app, name, None, &actor).await?;
            outln!("Đã mở khóa tài khoản {name}.");
        }
    }
    Ok(())
}
