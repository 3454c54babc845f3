//! The `dondoc` command: configuration, the CLI, and (later) the daemon's wiring.

mod cli;
mod cmd;
mod config;
mod output;

use std::fmt;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// Input a person typed or a file held that cannot be read: exit status 2.
#[derive(Debug)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::When(args) => cmd::when::run(&cli.global, args),
        Command::Holidays(args) => cmd::holidays::run(&cli.global, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lỗi: {e:#}");
            if e.downcast_ref::<InputError>().is_some() { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}

/// Output closed by the reader (`dondoc ... | head`): not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
