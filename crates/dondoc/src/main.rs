//! The `dondoc` command: configuration, the CLI, and the daemon's wiring.
//!
//! Exit status: 0 success; 1 failure; 2 input that cannot be read or a refused command;
//! 3 a conflict (the task changed since the revision given); 4 a failed integrity check.

mod app;
mod cli;
mod cmd;
mod config;
mod daemon;
mod logging;
mod output;
mod suggest;

use std::fmt;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

macro_rules! exit_error {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug)]
        pub struct $name(pub String);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::error::Error for $name {}
    };
}

exit_error!(InputError, "Input that cannot be read, or a command the domain refuses: exit status 2.");
exit_error!(ConflictError, "The task changed since the revision the caller gave: exit status 3.");
exit_error!(IntegrityError, "A failed integrity check: exit status 4.");

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::When(args) => cmd::when::run(&cli.global, args),
        Command::Holidays(args) => cmd::holidays::run(&cli.global, args),
        _ => run_async(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lỗi: {e:#}");
            ExitCode::from(exit_status(&e))
        }
    }
}

/// Commands that use the store run on a single-threaded tokio runtime.
fn run_async(cli: &Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
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
            Command::Agency(args) => cmd::agency::run(&cli.global, args).await,
            Command::Contact(args) => cmd::contact::run(&cli.global, args).await,
            Command::Silence(args) => cmd::silence::run(&cli.global, args).await,
            Command::Reminders(args) => cmd::reminders::run(&cli.global, args).await,
            Command::Summary(args) => cmd::summary::run(&cli.global, args).await,
            Command::Serve => daemon::serve::run(&cli.global).await,
            Command::Simulate(args) => daemon::simulate::run(&cli.global, args).await,
            Command::When(_) | Command::Holidays(_) => unreachable!("synchronous commands are dispatched in main"),
        }
    })
}

fn exit_status(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<InputError>().is_some() {
        2
    } else if e.downcast_ref::<ConflictError>().is_some() {
        3
    } else if e.downcast_ref::<IntegrityError>().is_some() {
        4
    } else {
        1
    }
}

/// Output closed by the reader (`dondoc ... | head`): not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
