//! A local Hugging Face Hub–compatible server for demos and manual tests (the one the integration tests use).
//!
//! ```text
//! cargo run --example local-hub -- --repo ORG/NAME=DIR [--repo …] [--branch ORG/NAME@BRANCH=DIR]
//!     [--corrupt ORG/NAME:PATH] [--private ORG/NAME=TOKEN] [--latency-ms MS] [--port PORT] [--port-file FILE]
//! ```
//! Prints `HF_ENDPOINT=<endpoint>` as its first line on stdout (and writes the endpoint to `--port-file`),
//! then serves until SIGTERM / SIGINT. Each `--repo` adds one commit on `main` with the files under DIR
//! (served from there: leave them alone meanwhile). `--corrupt` serves other bytes (same length) for PATH;
//! the hub's faults match file paths, so PATH is corrupted in every repo that has it. `--latency-ms`
//! answers every request that much later (a far hub, for the benchmarks).
#![allow(clippy::print_stdout, clippy::print_stderr, reason = "a command-line example")]

use std::path::PathBuf;
use std::process::ExitCode;

use testhub::{announce, hub};

const USAGE: &str = "usage: local-hub --repo ORG/NAME=DIR [--repo ...] [--branch ORG/NAME@BRANCH=DIR] \
[--corrupt ORG/NAME:PATH] [--private ORG/NAME=TOKEN] [--latency-ms MS] [--port PORT] [--port-file FILE]";

enum Step {
    Commit {
        repo: String,
        branch: String,
        dir: PathBuf,
    },
    Corrupt {
        path: String,
    },
    Private {
        repo: String,
        token: String,
    },
    Latency(std::time::Duration),
}

fn parse() -> Result<(Vec<Step>, u16, Option<PathBuf>), String> {
    let mut steps = Vec::new();
    let mut port = 0;
    let mut port_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        if ![
            "--repo",
            "--branch",
            "--corrupt",
            "--private",
            "--latency-ms",
            "--port",
            "--port-file",
        ]
        .contains(&flag.as_str())
        {
            return Err(format!("unknown argument {flag}"));
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--repo" | "--branch" => {
                let (target, dir) = value
                    .split_once('=')
                    .ok_or_else(|| format!("{flag} {value}: no '='"))?;
                let (repo, branch) = if flag == "--branch" {
                    target
                        .split_once('@')
                        .ok_or_else(|| format!("--branch {value}: no '@'"))?
                } else {
                    (target, "main")
                };
                let dir = PathBuf::from(dir);
                if !dir.is_dir() {
                    return Err(format!("{flag} {value}: {} is not a directory", dir.display()));
                }
                steps.push(Step::Commit {
                    repo: repo.to_string(),
                    branch: branch.to_string(),
                    dir,
                });
            }
            "--corrupt" => {
                let (_, path) = value
                    .split_once(':')
                    .ok_or_else(|| format!("--corrupt {value}: no ':'"))?;
                steps.push(Step::Corrupt {
                    path: path.to_string(),
                });
            }
            "--private" => {
                let (repo, token) = value
                    .split_once('=')
                    .ok_or_else(|| format!("--private {value}: no '='"))?;
                steps.push(Step::Private {
                    repo: repo.to_string(),
                    token: token.to_string(),
                });
            }
            "--latency-ms" => {
                let ms = value.parse().map_err(|e| format!("--latency-ms {value}: {e}"))?;
                steps.push(Step::Latency(std::time::Duration::from_millis(ms)));
            }
            "--port" => port = value.parse().map_err(|e| format!("--port {value}: {e}"))?,
            "--port-file" => port_file = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if !steps.iter().any(|s| matches!(s, Step::Commit { .. })) {
        return Err("at least one --repo is needed".into());
    }
    Ok((steps, port, port_file))
}

fn main() -> ExitCode {
    let (steps, port, port_file) = match parse() {
        Ok(x) => x,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("local-hub: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let hub = hub::LocalHub::start_on(port);
    for step in steps {
        match step {
            Step::Commit { repo, branch, dir } => {
                let sha = hub.add_commit_on(&repo, &branch, &dir);
                eprintln!("local-hub: {repo}@{branch} = {sha} ({})", dir.display());
            }
            // The fault matches the file path in any repo.
            Step::Corrupt { path } => hub.inject(hub::Fault::CorruptBody { path }),
            Step::Private { repo, token } => hub.set_private(&repo, &token),
            Step::Latency(latency) => hub.set_latency(latency),
        }
    }
    let endpoint = hub.endpoint();
    let status = announce::announce_and_wait(
        "local-hub",
        "HF_ENDPOINT",
        &endpoint,
        port_file.as_deref(),
        &format!("CDN {}", hub.cdn_origin()),
    );
    drop(hub);
    status
}
