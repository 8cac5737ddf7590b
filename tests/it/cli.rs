//! The command line itself: help, exit codes, completions, plugin invocation.

use crate::support::{REPO, hs, run, tempdir, tiny_model};
use std::path::Path;
use std::process::Command;

#[test]
fn help_documents_exit_codes_and_default_signature_path() {
    let r = hs(["--help"]);
    r.ok()
        .stdout_has("Exit codes:")
        .stdout_has("1  verification failed");
    let r = hs(["verify", "--help"]);
    r.ok()
        .stdout_has("model.sig inside the model")
        .stdout_has("2  usage");
    hs(["sign", "--help"])
        .ok()
        .stdout_has("model.sig beside the file");
}

#[test]
fn usage_errors_exit_2() {
    hs(["sign"]).expect_code(2);
    hs(["frobnicate"]).expect_code(2);
    let dir = tempdir();
    let m = tiny_model(dir.path());
    // Nobody to trust: a usage error, not a verification failure.
    hs([Path::new("verify"), &m])
        .expect_code(2)
        .stderr_has("--public-key");
}

#[test]
fn underscore_spellings_of_model_signing_are_accepted() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let sig = dir.path().join("m.sig");
    let key = crate::support::key("p256.pem");
    let pubkey = crate::support::key("p256.pub.pem");
    hs([
        Path::new("sign"),
        &m,
        Path::new("--private_key"),
        &key,
        Path::new("--signature"),
        &sig,
    ])
    .ok();
    hs([
        Path::new("verify"),
        &m,
        Path::new("--public_key"),
        &pubkey,
        Path::new("--signature"),
        &sig,
    ])
    .ok();
}

const SHELLS: [(&str, &str); 5] = [
    ("bash", "hubsign.bash"),
    ("zsh", "_hubsign"),
    ("fish", "hubsign.fish"),
    ("powershell", "_hubsign.ps1"),
    ("elvish", "hubsign.elv"),
];

/// Regenerate with: for each shell, `hubsign completions <shell> > completions/<file>`
/// (scripts/update-completions does it).
#[test]
fn committed_completions_are_current() {
    for (shell, file) in SHELLS {
        let r = hs(["completions", shell]);
        r.ok();
        let committed = std::fs::read_to_string(Path::new(REPO).join("completions").join(file))
            .unwrap_or_else(|e| panic!("completions/{file} missing ({e}); run scripts/update-completions"));
        assert!(
            r.stdout().contains("verify"),
            "{shell} completion lacks subcommands"
        );
        assert_eq!(
            committed,
            r.stdout(),
            "completions/{file} is stale; run scripts/update-completions"
        );
    }
}

/// Installed as `cargo-hubsign`, `git-hubsign` or `hf-hubsign`, the same binary works; cargo
/// passes the subcommand name as the first argument, git and hf do not.
#[test]
fn runs_as_cargo_git_and_hf_plugin() {
    let dir = tempdir();
    let exe = env!("CARGO_BIN_EXE_hubsign");
    let m = tiny_model(dir.path());
    for (name, extra) in [
        ("cargo-hubsign", Some("hubsign")),
        ("git-hubsign", None),
        ("hf-hubsign", None),
    ] {
        let link = dir.path().join(name);
        std::os::unix::fs::symlink(exe, &link).unwrap();
        let mut c = Command::new(&link);
        c.args(extra).arg("digest").arg(&m);
        let r = run(c);
        r.ok()
            .stdout_has("sha256:9aca0c511c5401a2bbbd1ea1fab1122007b38431a4002e20d89812564da95387");
        let mut c = Command::new(&link);
        c.args(extra).arg("--version");
        run(c).ok().stdout_has("hubsign");
    }
}

/// Regression: `hf hubsign` did not work with hf 2.x, which finds extensions only through a
/// manifest under `~/.local/share/hf/extensions`. `hubsign install-hf-extension` writes it; the
/// real `hf` CLI then lists hubsign and runs it.
#[test]
fn the_real_hf_cli_runs_hubsign_after_install_hf_extension() {
    if crate::support::model_signing().is_none() {
        return;
    }
    let py = crate::support::hub::python()
        .expect("HUBSIGN_MODEL_SIGNING is set but no python next to it (run scripts/python-env)");
    let hf = py.parent().unwrap().join("hf");
    let home = tempdir();
    let hf_cmd = |args: &[&str]| {
        let mut c = Command::new(&hf);
        c.args(args)
            .env("HOME", home.path())
            .env("HF_HOME", home.path().join("hf-home"))
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("NO_COLOR", "1")
            .env("PYTHONWARNINGS", "ignore");
        c
    };
    let mut c = crate::support::hubsign();
    c.arg("install-hf-extension").env("HOME", home.path());
    let r = run(c);
    let manifest = home
        .path()
        .join(".local/share/hf/extensions/hf-hubsign/manifest.json");
    r.ok()
        .stderr_has("Registered `hf hubsign`")
        .stdout_has(manifest.to_str().unwrap());
    let r = run(hf_cmd(&["hubsign", "--version"]));
    r.ok();
    assert_eq!(
        r.stdout().trim(),
        format!("hubsign {}", env!("CARGO_PKG_VERSION"))
    );
    // Arguments reach hubsign as given.
    let dir = tempdir();
    let m = tiny_model(dir.path());
    run(hf_cmd(&["hubsign", "digest", m.to_str().unwrap()]))
        .ok()
        .stdout_has("sha256:9aca0c511c5401a2bbbd1ea1fab1122007b38431a4002e20d89812564da95387");
    run(hf_cmd(&["--help"])).ok().stdout_has("hubsign");
    // Installing again replaces hubsign's own registration; `hf extensions remove` undoes it.
    let mut c = crate::support::hubsign();
    c.args(["install-hf-extension", "--json"])
        .env("HOME", home.path());
    let r = run(c);
    let doc: serde_json::Value = serde_json::from_str(&r.ok().stdout()).unwrap();
    assert_eq!(doc["replaced"], true);
    run(hf_cmd(&["extensions", "remove", "hubsign"])).ok();
    assert!(!manifest.exists());
}
