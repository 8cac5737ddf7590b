//! `hubsign completions SHELL`: the shell completion script clap generates from [`Cli`].

use crate::ExitStatus;
use crate::cli::args::Cli;
use crate::cli::stdout::Stdout;
use clap::CommandFactory as _;

pub fn run(shell: clap_complete::Shell) -> ExitStatus {
    clap_complete::generate(shell, &mut Cli::command(), "hubsign", &mut Stdout);
    ExitStatus::Success
}
