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

/// How the account's agency stands to the task `key` today (only officers and agency
/// heads belong to an agency); an unknown task is [`AppError::NotFound`] naming the
/// nearest codes.
async fn related(app: &App, account: &Account, key: &TaskKey) -> Result<Relation> {
    let (AccountRole::Officer | AccountRole::AgencyHead, Some(agency)) = (account.role, &account.agency) else {
        return Ok(Relation::Unrelated);
    };
    let task = app
        .query(|read| match read.task(&key.plan, &key.code)? {
            Some(t) => Ok(t),
            None => Err(AppError::NotFound(suggest::unknown_task(read, key)?)),
        })
        .await?;
    let directory = app.directory().await?;
    Ok(relation(&directory, agency, &task.state.lead, &task.state.cooperating, local_date(app.now())))
}

/// Whether `account` may give a command of `kind` on the task `key`; the refusal names
/// the account, the move, the task and the reason. An unknown task is [`AppError::NotFound`].
pub async fn authorize(app: &App, account: &Account, key: &TaskKey, kind: CommandKind) -> Result<()> {
    let related = related(app, account, key).await?;
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
/// the order of `kinds`; none on a task that is not there.
pub async fn allowed(app: &App, account: &Account, key: &TaskKey, kinds: &[CommandKind]) -> Result<Vec<CommandKind>> {
    let related = match related(app, account, key).await {
        Ok(r) => r,
        Err(AppError::NotFound(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e),
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
