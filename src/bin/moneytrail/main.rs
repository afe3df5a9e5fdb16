//! The `moneytrail` command line: parse the flags ([`args`]), build the
//! library's options from them ([`setup`]), run one command
//! ([`commands`]), and turn the outcome into an exit code. All analysis
//! lives in the library.

mod args;
mod commands;
mod output;
mod setup;

use clap::Parser;
use moneytrail::report::terminal::terminal_safe;
use std::process::ExitCode;

/// A write to a closed pipe (`moneytrail … | head`) is not a failure.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = setup::threads(cli.command.threads()).and_then(|()| commands::run(&cli.command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", terminal_safe(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}
