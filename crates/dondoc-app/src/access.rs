//! Commands given by a signed-in account: the account's role and its agency's relation
//! to the task (core's `access`) decide first, then the command runs as
//! [`crate::task::execute`] runs it, with the account as the actor.

use dondoc_core::access::{Capability, Relation, allows, permit, relation};
use dondoc_core::account::{Account, AccountRole};
use dondoc_core::calendar::local_date;
use dondoc_core::event::{Source, TaskKey};
use dondoc_core::task::{CommandKind, TaskCommand};

use crate::App;
use crate::command::{Actor, Executed};
use crate::error::{AppError, Result};
use crate::requests::ActionRequest;
use crate::{suggest, task};

/// "tài khoản nva (chuyên viên, Sở Tài chính)".
pub fn describe(account: &Account) -> String {
    match &account.agency {
        Some(a) => format!("tài khoản {} ({}, {a})", account.login, account.role.label_vi()),
        None => format!("tài khoản {} ({})", account.login, account.role.label_vi()),
    }
}

/// The account as the actor of its commands from `source`.
pub fn actor(account: &Account, source: Source) -> Actor {
    Actor::new(account.actor(), source)
}

/// Refuses (403) what the account's role does not allow.
pub fn require(account: &Account, capability: Capability) -> Result<()> {
    if allows(account.role, capability) {
        return Ok(());
    }
    Err(AppError::Forbidden(format!("{} không được {}", describe(account), capability.label_vi())))
}

/// Whether `account` may give a command of `kind` on the task `key`; the refusal names
/// the account, the move, the task and the reason. An unknown task is an input error.
pub async fn authorize(app: &App, account: &Account, key: &TaskKey, kind: CommandKind) -> Result<()> {
    let related = match (account.role, &account.agency) {
        (AccountRole::Officer | AccountRole::AgencyHead, Some(agency)) => {
            let task = app
                .query(|read| match read.task(&key.plan, &key.code)? {
                    Some(t) => Ok(t),
                    None => Err(AppError::NotFound(suggest::unknown_task(read, key)?)),
                })
                .await?;
            let directory = app.directory().await?;
            let today = local_date(app.now());
            relation(&directory, agency, &task.state.lead, &task.state.cooperating, today)
        }
        _ => Relation::Unrelated,
    };
    permit(account.role, related, kind).map_err(|refusal| {
        AppError::Forbidden(format!(
            "{} không được {} nhiệm vụ {}: {refusal}",
            describe(account),
            kind.label_vi(),
            key.label_vi()
        ))
    })
}

/// The moves `account` may make on the task `key` (for the buttons a page shows), in
/// the order of `kinds`.
pub async fn allowed(app: &App, account: &Account, key: &TaskKey, kinds: &[CommandKind]) -> Result<Vec<CommandKind>> {
    let related = match (account.role, &account.agency) {
        (AccountRole::Officer | AccountRole::AgencyHead, Some(agency)) => {
            let task = app.query(|read| Ok(read.task(&key.plan, &key.code)?)).await?;
            let Some(task) = task else { return Ok(Vec::new()) };
            let directory = app.directory().await?;
            relation(&directory, agency, &task.state.lead, &task.state.cooperating, local_date(app.now()))
        }
        _ => Relation::Unrelated,
    };
    Ok(kinds.iter().copied().filter(|k| permit(account.role, related, *k).is_ok()).collect())
}

/// Runs `request` on the task `key` as `account` from `source`, if its role allows it
/// (see [`task::execute`] for `revision` and `command_id`).
pub async fn act(
    app: &App,
    account: &Account,
    source: Source,
    key: &TaskKey,
    revision: Option<u64>,
    request: ActionRequest,
    command_id: Option<uuid::Uuid>,
) -> Result<Executed> {
    authorize(app, account, key, request.kind()).await?;
    let mut command = request.into_command(&app.settings.policy)?;
    match &mut command {
        // The secretariat's own completion is confirmed as it is recorded.
        TaskCommand::Complete { confirmed, evidence, .. } => {
            *confirmed = account.role == AccountRole::Secretariat;
            *evidence = crate::evidence::describe_file(app, evidence.clone())?;
        }
        TaskCommand::SubmitReport { evidence, .. } => {
            *evidence = crate::evidence::describe_file(app, evidence.clone())?;
        }
        _ => {}
    }
    task::execute(app, key, revision, &command, &actor(account, source), command_id).await
}
