//! `hubsign`: parse, run, map the outcome to an exit code (0 ok, 1 verification failed, 2 error).

fn main() -> std::process::ExitCode {
    let status = hubsign::cli::main(std::env::args_os().collect());
    std::process::ExitCode::from(status as u8)
}
