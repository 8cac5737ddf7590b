//! What the local server examples (`local-hub`, `local-kaggle`) share once their server is running:
//! announce the endpoint (stdout and `--port-file`), then serve until SIGTERM or SIGINT.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// Writes `endpoint` to `port_file` (if given), prints `VAR=endpoint` on stdout and `detail` on
/// stderr, and blocks until SIGTERM / SIGINT. The caller drops its server afterwards.
pub fn announce_and_wait(
    name: &str,
    var: &str,
    endpoint: &str,
    port_file: Option<&Path>,
    detail: &str,
) -> ExitCode {
    if let Some(f) = port_file {
        if let Err(e) = std::fs::write(f, format!("{endpoint}\n")) {
            eprintln!("{name}: cannot write {}: {e}", f.display());
            return ExitCode::FAILURE;
        }
    }
    println!("{var}={endpoint}");
    let _ = std::io::stdout().flush();
    eprintln!("{name}: serving on {endpoint} ({detail}); stop with Ctrl-C or SIGTERM");
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return ExitCode::FAILURE;
    };
    rt.block_on(async {
        let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    });
    ExitCode::SUCCESS
}
