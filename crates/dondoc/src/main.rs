//! The `dondoc` command: parse the command line, read the configuration, call the use
//! case in `dondoc-app`, print the outcome.
//!
//! Exit status: 0 success; 1 failure; 2 input that cannot be read or a refused command;
//! 3 a conflict (the task changed since the revision given); 4 a failed integrity check.

/// mimalloc: a rebuild decodes every event's JSON, and glibc's allocator spent a third
/// of it consolidating and freeing (ARCHITECTURE.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod channels;
mod cli;
mod clock;
mod cmd;
mod config;
mod datadir;
mod help;
mod lock;
mod logging;
mod metrics;
mod output;
mod sealkey;
mod serve;

use std::process::ExitCode;

use dondoc_app::AppError;

use cli::{Cli, Command};

fn main() -> ExitCode {
    private_files();
    let cli = help::parse();
    let result = match &cli.command {
        Command::When(args) => cmd::when::run(&cli.global, args),
        Command::Holidays(args) => cmd::holidays::run(&cli.global, args),
        _ => run_async(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if e.is::<ReviewPending>() => ExitCode::from(1),
        Err(e) => {
            eprintln!("lỗi: {e:#}");
            ExitCode::from(exit_status(&e))
        }
    }
}

/// Commands that use the store run on a tokio runtime (`serve` on a multi-threaded one).
/// Everything this process creates (the data directory, the store and its WAL, the lock,
/// outbox files, exports, the Zalo token file) is readable by its owner only: the data holds
/// officers' emails and phone numbers.
fn private_files() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file mode creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

fn run_async(cli: &Cli) -> anyhow::Result<()> {
    let runtime = match cli.command {
        Command::Serve(_) => tokio::runtime::Builder::new_multi_thread().enable_all().build()?,
        _ => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
    };
    runtime.block_on(async {
        match &cli.command {
            Command::Init => cmd::init::run(&cli.global).await,
            Command::Task(args) => cmd::task::run(&cli.global, args).await,
            Command::Show(args) => cmd::show::run(&cli.global, args).await,
            Command::Audit(args) => cmd::audit::run(&cli.global, args).await,
            Command::List(args) => cmd::list::run(&cli.global, args).await,
            Command::Export(args) => cmd::export::run(&cli.global, args).await,
            Command::Projections(args) => cmd::projections::run(&cli.global, args).await,
            Command::Import(args) => cmd::import::run(&cli.global, args).await,
            Command::Plan(args) => cmd::plan::run(&cli.global, args).await,
            Command::Agency(args) => cmd::agency::run(&cli.global, args).await,
            Command::Contact(args) => cmd::contact::run(&cli.global, args).await,
            Command::Silence(args) => cmd::silence::run(&cli.global, args).await,
            Command::Reminders(args) => cmd::reminders::run(&cli.global, args).await,
            Command::Summary(args) => cmd::summary::run(&cli.global, args).await,
            Command::Zalo(args) => cmd::zalo::run(&cli.global, args).await,
            Command::Calendar(args) => cmd::calendar::run(&cli.global, args).await,
            Command::Serve(args) => serve::run(&cli.global, args).await,
            Command::User(args) => cmd::user::run(&cli.global, args).await,
            Command::Simulate(args) => cmd::simulate::run(&cli.global, args).await,
            Command::Migrate(args) => cmd::migrate::run(&cli.global, args).await,
            Command::Backup(args) => cmd::backup::run(&cli.global, args).await,
            Command::When(_) | Command::Holidays(_) => unreachable!("synchronous commands are dispatched in main"),
        }
    })
}

/// An import that wrote what it could read and left rows for review (its report is
/// printed): exit status 1 without an error message.
#[derive(Debug)]
pub struct ReviewPending;

impl std::fmt::Display for ReviewPending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("có dòng cần xem xét")
    }
}

impl std::error::Error for ReviewPending {}

fn exit_status(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<AppError>() {
        Some(
            AppError::Input(_)
            | AppError::NotFound(_)
            | AppError::Refused(_)
            | AppError::Unauthenticated(_)
            | AppError::Forbidden(_),
        ) => 2,
        Some(AppError::Conflict { .. }) => 3,
        Some(AppError::Integrity(_)) => 4,
        _ => 1,
    }
}

/// Output closed by the reader (`dondoc ... | head`): not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
