//! A local Kaggle Models API–compatible server for demos and manual tests (the one the integration tests use).
//!
//! ```text
//! cargo run --example local-kaggle -- --model OWNER/MODEL/FRAMEWORK/VARIATION=DIR [--model …]
//!     [--corrupt OWNER/MODEL/FRAMEWORK/VARIATION:PATH] [--user USERNAME:KEY:TOKEN]
//!     [--private OWNER/MODEL=USERNAME] [--port PORT] [--port-file FILE]
//! ```
//! Prints `KAGGLE_ENDPOINT=<endpoint>` as its first line on stdout (and writes the endpoint to `--port-file`),
//! then serves until SIGTERM / SIGINT. Clients POST to `<endpoint>/v1/<service>/<Method>`. Each `--model`
//! adds one version with the files under DIR (served from there: leave them alone meanwhile); FRAMEWORK is
//! kagglehub's spelling (`pyTorch`, `keras`, …). `--corrupt` serves other bytes (same length) for PATH; the
//! server's faults match model-relative paths, so PATH is corrupted in every version that has it. `--user`
//! adds accepted credentials (Basic USERNAME:KEY, Bearer TOKEN); `--private` hides a model from everyone but
//! USERNAME. With `--port 80` kagglehub and the kaggle CLI reach it with `KAGGLE_API_ENVIRONMENT=LOCALHOST`.
#![allow(clippy::print_stdout, clippy::print_stderr, reason = "a command-line example")]

use std::path::PathBuf;
use std::process::ExitCode;

use testhub::{announce, kaggle};

const USAGE: &str = "usage: local-kaggle --model OWNER/MODEL/FRAMEWORK/VARIATION=DIR [--model ...] \
[--corrupt OWNER/MODEL/FRAMEWORK/VARIATION:PATH] [--user USERNAME:KEY:TOKEN] [--private OWNER/MODEL=USERNAME] \
[--port PORT] [--port-file FILE]";

enum Step {
    Version {
        owner: String,
        model: String,
        framework: String,
        variation: String,
        dir: PathBuf,
    },
    Corrupt {
        path: String,
    },
    User {
        username: String,
        key: String,
        token: String,
    },
    Private {
        owner: String,
        model: String,
        username: String,
    },
}

/// `OWNER/MODEL/FRAMEWORK/VARIATION` → its four parts.
fn instance(flag: &str, handle: &str) -> Result<[String; 4], String> {
    let parts: Vec<&str> = handle.split('/').collect();
    match parts.as_slice() {
        [owner, model, fw, var] if parts.iter().all(|p| !p.is_empty()) => {
            Ok([owner, model, fw, var].map(|x| (*x).to_string()))
        }
        _ => Err(format!(
            "{flag} {handle}: expected OWNER/MODEL/FRAMEWORK/VARIATION"
        )),
    }
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
            "--model",
            "--corrupt",
            "--user",
            "--private",
            "--port",
            "--port-file",
        ]
        .contains(&flag.as_str())
        {
            return Err(format!("unknown argument {flag}"));
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--model" => {
                let (target, dir) = value
                    .split_once('=')
                    .ok_or_else(|| format!("--model {value}: no '='"))?;
                let [owner, model, framework, variation] = instance(&flag, target)?;
                let dir = PathBuf::from(dir);
                if !dir.is_dir() {
                    return Err(format!("--model {value}: {} is not a directory", dir.display()));
                }
                steps.push(Step::Version {
                    owner,
                    model,
                    framework,
                    variation,
                    dir,
                });
            }
            "--corrupt" => {
                let (target, path) = value
                    .split_once(':')
                    .ok_or_else(|| format!("--corrupt {value}: no ':'"))?;
                instance(&flag, target)?;
                steps.push(Step::Corrupt {
                    path: path.to_string(),
                });
            }
            "--user" => {
                let mut it = value.splitn(3, ':');
                let (Some(username), Some(key), Some(token)) = (it.next(), it.next(), it.next()) else {
                    return Err(format!("--user {value}: expected USERNAME:KEY:TOKEN"));
                };
                steps.push(Step::User {
                    username: username.to_string(),
                    key: key.to_string(),
                    token: token.to_string(),
                });
            }
            "--private" => {
                let (target, username) = value
                    .split_once('=')
                    .ok_or_else(|| format!("--private {value}: no '='"))?;
                let (owner, model) = target
                    .split_once('/')
                    .ok_or_else(|| format!("--private {value}: expected OWNER/MODEL=USERNAME"))?;
                steps.push(Step::Private {
                    owner: owner.to_string(),
                    model: model.to_string(),
                    username: username.to_string(),
                });
            }
            "--port" => port = value.parse().map_err(|e| format!("--port {value}: {e}"))?,
            "--port-file" => port_file = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if !steps.iter().any(|s| matches!(s, Step::Version { .. })) {
        return Err("at least one --model is needed".into());
    }
    Ok((steps, port, port_file))
}

fn main() -> ExitCode {
    let (steps, port, port_file) = match parse() {
        Ok(x) => x,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("local-kaggle: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let kg = kaggle::LocalKaggle::start_on(port);
    for step in steps {
        match step {
            Step::Version {
                owner,
                model,
                framework,
                variation,
                dir,
            } => {
                let v = kg.add_version(&owner, &model, &framework, &variation, &dir);
                eprintln!(
                    "local-kaggle: {owner}/{model}/{framework}/{variation}/{v} = {}",
                    dir.display()
                );
            }
            // The fault matches the model-relative path in any version.
            Step::Corrupt { path } => kg.inject(kaggle::Fault::CorruptBody { path }),
            Step::User { username, key, token } => kg.add_user(&username, &key, &token),
            Step::Private {
                owner,
                model,
                username,
            } => kg.set_private(&owner, &model, &username),
        }
    }
    let endpoint = kg.endpoint();
    let status = announce::announce_and_wait(
        "local-kaggle",
        "KAGGLE_ENDPOINT",
        &endpoint,
        port_file.as_deref(),
        &format!("files {}", kg.file_origin()),
    );
    drop(kg);
    status
}
