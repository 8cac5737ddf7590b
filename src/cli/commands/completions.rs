//! `hubsign completions SHELL`: the shell completion script clap generates from [`Cli`].

use crate::cli::args::Cli;
use crate::cli::stdout::Stdout;
use clap::CommandFactory as _;
use hubsign::ExitStatus;

pub fn run(shell: clap_complete::Shell) -> ExitStatus {
    clap_complete::generate(shell, &mut Cli::command(), "hubsign", &mut Stdout);
    ExitStatus::Success
}
