//! One file per command: load, call the library, print.

mod account;
mod analyze;
mod cluster;
mod enumerate;
mod exercise;
mod exposure;
mod features;
mod generate;
mod goaml;
mod ingest;
mod investigate;
mod paths;
mod score;
mod sources;
mod summary;
mod trace;
mod train;

use crate::args::Command;

/// Run a command.
pub(crate) fn run(command: &Command) -> anyhow::Result<()> {
    match command {
        Command::Summary(args) => summary::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Score(args) => score::run(args),
        Command::Trace(args) if args.backward => sources::run(args),
        Command::Trace(args) => trace::run(args),
        Command::Paths(args) => paths::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Goaml(args) => goaml::run(args),
        Command::Cluster(args) => cluster::run(args),
        Command::Investigate(args) => investigate::run(args),
        Command::Exposure(args) => exposure::run(args),
        Command::Enumerate(args) => enumerate::run(args),
        Command::Account(args) => account::run(args),
        Command::Exercise(args) => exercise::run(args),
        Command::Features(args) => features::run(args),
        Command::Train(args) => train::run(args),
        Command::Ingest(args) => ingest::run(args),
    }
}
