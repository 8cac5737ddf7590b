//! Byte-compatibility with the real Python `model-signing` 1.1.1, both directions:
//! hubsign signs → model_signing verifies; model_signing signs → hubsign verifies; and
//! tampering is rejected by both.

use crate::support::{
    Run, copy_tree, flip_byte, hs, key, many_files_model, model_signing_cmd, run, single_file_model,
    symlink_model, tempdir, tiny_model, write,
};
use std::path::{Path, PathBuf};

/// How a model is signed and verified, for both tools.
#[derive(Clone, Copy)]
struct Case {
    symlinks: bool,
    /// Signature inside the model plus an extra ignored path.
    inside: bool,
    /// The file the tamper steps modify or remove (`.` for a single-file model).
    victim: &'static str,
}

fn sig_path(model: &Path, tag: &str, case: Case) -> PathBuf {
    if case.inside {
        model.join("model.sig")
    } else {
        model.parent().unwrap().join(format!("{tag}.sig"))
    }
}

fn ms_flags(model: &Path, case: Case) -> Vec<std::ffi::OsString> {
    let mut f = Vec::new();
    if case.symlinks {
        f.push("--allow_symlinks".into());
    }
    if case.inside {
        f.push("--ignore-paths".into());
        f.push(model.join("ignore-me.txt").into());
    }
    f
}

fn hs_flags(model: &Path, case: Case) -> Vec<std::ffi::OsString> {
    let mut f = Vec::new();
    if case.symlinks {
        f.push("--allow-symlinks".into());
    }
    if case.inside {
        f.push("--ignore-paths".into());
        f.push(model.join("ignore-me.txt").into());
    }
    f
}

fn hs_sign(model: &Path, sig: &Path, method: &str, case: Case) {
    let mut c = crate::support::hubsign();
    c.arg("sign")
        .arg(model)
        .arg("--signature")
        .arg(sig)
        .arg("--private-key")
        .arg(key("p256.pem"))
        .args(hs_flags(model, case));
    if method == "certificate" {
        c.arg("--signing-certificate")
            .arg(key("leaf.crt.pem"))
            .arg("--certificate-chain")
            .arg(key("chain.pem"));
    }
    run(c).ok();
}

fn hs_verify(model: &Path, sig: &Path, method: &str) -> Run {
    let mut c = crate::support::hubsign();
    c.arg("verify").arg(model).arg("--signature").arg(sig);
    if method == "certificate" {
        c.arg("--certificate-chain").arg(key("root-ca.crt.pem"));
    } else {
        c.arg("--public-key").arg(key("p256.pub.pem"));
    }
    run(c)
}

fn ms_sign(exe: &Path, model: &Path, sig: &Path, method: &str, case: Case) {
    let mut c = model_signing_cmd(exe);
    c.arg("sign")
        .arg(method)
        .arg(model)
        .arg("--signature")
        .arg(sig)
        .arg("--private_key")
        .arg(key("p256.pem"));
    c.args(ms_flags(model, case));
    if method == "certificate" {
        c.arg("--signing_certificate")
            .arg(key("leaf.crt.pem"))
            .arg("--certificate_chain")
            .arg(key("chain.pem"));
    }
    run(c).ok().stdout_has("Signing succeeded");
}

fn ms_verify(exe: &Path, model: &Path, sig: &Path, method: &str, case: Case) -> Run {
    let mut c = model_signing_cmd(exe);
    c.arg("verify").arg(method).arg(model).arg("--signature").arg(sig);
    if case.symlinks {
        c.arg("--allow_symlinks");
    }
    if method == "certificate" {
        c.arg("--certificate_chain").arg(key("root-ca.crt.pem"));
    } else {
        c.arg("--public_key").arg(key("p256.pub.pem"));
    }
    run(c)
}

/// The full two-way exchange on one model, then the three tamperings.
fn exchange(exe: &Path, model: &Path, case: Case) {
    for method in ["key", "certificate"] {
        // hubsign signs → model_signing verifies.
        let ours = sig_path(model, &format!("hubsign-{method}"), case);
        hs_sign(model, &ours, method, case);
        ms_verify(exe, model, &ours, method, case)
            .ok()
            .stdout_has("Verification succeeded");
        // model_signing signs → hubsign verifies (its signature settings are read from the bundle).
        let theirs = sig_path(model, &format!("ms-{method}"), case);
        if case.inside {
            // One signature at a time inside the model: keep ours aside.
            std::fs::rename(
                &ours,
                model.parent().unwrap().join(format!("hubsign-{method}.kept")),
            )
            .unwrap();
        }
        ms_sign(exe, model, &theirs, method, case);
        hs_verify(model, &theirs, method)
            .ok()
            .stdout_has("Verification succeeded");
        if case.inside {
            std::fs::rename(&theirs, model.parent().unwrap().join(format!("ms-{method}.kept"))).unwrap();
        }
    }
    let single = model.is_file();
    let tamperings: &[&str] = if single {
        &["flip"]
    } else {
        &["flip", "remove", "add"]
    };
    for tamper in tamperings {
        let work = tempdir();
        let copy = work.path().join(model.file_name().unwrap());
        copy_tree(model, &copy);
        for (tag, method) in [
            ("hubsign-key", "key"),
            ("ms-key", "key"),
            ("ms-certificate", "certificate"),
        ] {
            let kept = if case.inside {
                model.parent().unwrap().join(format!("{tag}.kept"))
            } else {
                model.parent().unwrap().join(format!("{tag}.sig"))
            };
            let sig = work.path().join(format!("{tag}.sig"));
            std::fs::copy(&kept, &sig).unwrap();
            let fresh = work.path().join(format!("{tag}-{tamper}"));
            copy_tree(&copy, &fresh);
            let victim = if single {
                fresh.clone()
            } else {
                fresh.join(case.victim)
            };
            let name = case.victim;
            match *tamper {
                "flip" => flip_byte(&victim, 0),
                "remove" => std::fs::remove_file(&victim).unwrap(),
                _ => write(&fresh.join("zz-added.bin"), b"planted"),
            }
            let expect = match *tamper {
                "flip" => format!("modified: {name}"),
                "remove" => format!("missing: {name}"),
                _ => "unexpected: zz-added.bin".to_owned(),
            };
            hs_verify(&fresh, &sig, method).expect_code(1).stderr_has(&expect);
            let r = ms_verify(exe, &fresh, &sig, method, case);
            r.expect_code(1).stderr_has("Verification failed");
        }
    }
}

#[test]
fn interop_tiny_model() {
    let Some(exe) = crate::support::model_signing() else {
        return;
    };
    let dir = tempdir();
    exchange(
        &exe,
        &tiny_model(dir.path()),
        Case {
            symlinks: false,
            inside: false,
            victim: "config.json",
        },
    );
}

#[test]
fn interop_single_file_model() {
    let Some(exe) = crate::support::model_signing() else {
        return;
    };
    let dir = tempdir();
    exchange(
        &exe,
        &single_file_model(dir.path()),
        Case {
            symlinks: false,
            inside: false,
            victim: ".",
        },
    );
}

#[test]
fn interop_symlink_model() {
    let Some(exe) = crate::support::model_signing() else {
        return;
    };
    let dir = tempdir();
    exchange(
        &exe,
        &symlink_model(dir.path()),
        Case {
            symlinks: true,
            inside: false,
            victim: "sub/data.bin",
        },
    );
}

#[test]
fn interop_signature_inside_model_with_ignore_paths() {
    let Some(exe) = crate::support::model_signing() else {
        return;
    };
    let dir = tempdir();
    exchange(
        &exe,
        &tiny_model(dir.path()),
        Case {
            symlinks: false,
            inside: true,
            victim: "model.safetensors",
        },
    );
}

#[test]
fn interop_thousand_files_in_nested_folders() {
    let Some(exe) = crate::support::model_signing() else {
        return;
    };
    let dir = tempdir();
    let m = many_files_model(dir.path(), 1000);
    exchange(
        &exe,
        &m,
        Case {
            symlinks: false,
            inside: false,
            victim: "d3/e4/f43.bin",
        },
    );
    // And the digest command agrees with the subject model_signing signed.
    let sig = dir.path().join("ms-key.sig");
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(sig).unwrap()).unwrap();
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let st: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let digest = hs([Path::new("digest"), &m]).ok().stdout();
    assert_eq!(
        digest.trim(),
        format!(
            "sha256:{}",
            st["subject"][0]["digest"]["sha256"].as_str().unwrap()
        )
    );
}

/// hubsign's own `.cache/hubsign/` folder (what a `--local-dir` pull leaves: `placed.json`) is
/// not part of the model: hubsign signs without it and records it in `ignore_paths`, so
/// model_signing verifies that signature with the folder there; a model_signing signature that
/// covers the folder is still checked file by file by hubsign, and one that does not is verified
/// by hubsign without it.
#[test]
fn interop_hubsign_folder_in_the_model() {
    let Some(exe) = crate::support::model_signing() else {
        return;
    };
    let dir = tempdir();
    let model = tiny_model(dir.path());
    let case = Case {
        symlinks: false,
        inside: false,
        victim: "config.json",
    };
    // A signature made before the pull left its record: hubsign verifies it afterwards.
    let before = dir.path().join("before.sig");
    hs_sign(&model, &before, "key", case);
    write(&model.join(".cache/hubsign/placed.json"), b"{\"files\":{}}");
    hs_verify(&model, &before, "key")
        .ok()
        .stdout_has("Verification succeeded");
    // hubsign signs → model_signing verifies, the folder in place.
    let ours = dir.path().join("hubsign.sig");
    hs_sign(&model, &ours, "key", case);
    ms_verify(&exe, &model, &ours, "key", case)
        .ok()
        .stdout_has("Verification succeeded");
    hs_verify(&model, &ours, "key")
        .ok()
        .stdout_has("Verification succeeded");
    // model_signing signs it (its files included) → hubsign checks them too.
    let theirs = dir.path().join("ms.sig");
    ms_sign(&exe, &model, &theirs, "key", case);
    hs_verify(&model, &theirs, "key")
        .ok()
        .stdout_has("Verification succeeded");
    write(
        &model.join(".cache/hubsign/placed.json"),
        b"{\"files\":{\"x\":1}}",
    );
    hs_verify(&model, &theirs, "key")
        .expect_code(1)
        .stderr_has("modified: .cache/hubsign/placed.json");
    // Still not part of hubsign's model, for either tool.
    hs_verify(&model, &ours, "key")
        .ok()
        .stdout_has("Verification succeeded");
    ms_verify(&exe, &model, &ours, "key", case)
        .ok()
        .stdout_has("Verification succeeded");
    // A file beside it is a file of the model as ever.
    write(&model.join(".cache/other.txt"), b"planted");
    hs_verify(&model, &ours, "key")
        .expect_code(1)
        .stderr_has("unexpected: .cache/other.txt");
    ms_verify(&exe, &model, &ours, "key", case).expect_code(1);
}
