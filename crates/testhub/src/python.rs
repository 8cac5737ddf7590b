//! The reference Python stack (the venv made by `scripts/python-env`, beside `HUBSIGN_MODEL_SIGNING`):
//! finding its interpreter and the one prelude every test script starts with.

use std::path::PathBuf;

/// Functions every test script may use: `attempt(f)` returns `{"ok": f()}` or what went wrong
/// (`err`: the exception's class, `mro`: its classes, `status`: the HTTP status of its response if
/// any, `msg`: its text, cut at 4,000 characters); `out(v)` prints the one `RESULT:` line
/// [`result`] reads; `read(p)` is a file's bytes; `files(p)` the sorted relative paths of the files
/// under `p`.
pub const PRELUDE: &str = r#"
import json, os, sys, time
def attempt(f):
    try:
        return {"ok": f()}
    except BaseException as e:
        resp = getattr(e, "response", None)
        return {"err": type(e).__name__, "mro": [c.__name__ for c in type(e).__mro__],
                "status": getattr(resp, "status_code", None), "msg": str(e)[:4000]}
def out(v):
    print("RESULT:" + json.dumps(v))
def read(p):
    with open(p, "rb") as f:
        return f.read()
def files(p):
    return sorted(os.path.relpath(os.path.join(d, f), p) for d, _, fs in os.walk(p) for f in fs)
"#;

/// What the Hugging Face tests import after [`PRELUDE`].
pub const HF_IMPORTS: &str =
    "from huggingface_hub import HfApi, CommitOperationAdd, snapshot_download, hf_hub_download, errors\n";

/// `PRELUDE`, then `imports`, then `code`: the text for `python -c`.
pub fn script(imports: &str, code: &str) -> String {
    format!("{PRELUDE}\n{imports}\n{code}")
}

/// The JSON value of the last `RESULT:` line of `stdout` (what the script's `out(...)` printed); without
/// one the test fails showing `stdout` and `context` (the script's stderr, and whatever else helps).
pub fn result(stdout: &str, context: &str) -> serde_json::Value {
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT:"))
        .unwrap_or_else(|| panic!("no RESULT line:\n{stdout}\n{context}"));
    serde_json::from_str(line).unwrap()
}

/// The Python next to `HUBSIGN_MODEL_SIGNING` (the venv made by `scripts/python-env`), if that is set.
/// Silent: tests call [`venv_python`] for the loud skip.
pub fn python() -> Option<PathBuf> {
    let ms = PathBuf::from(std::env::var_os("HUBSIGN_MODEL_SIGNING")?);
    let py = ms.parent()?.join("python");
    py.exists().then_some(py)
}

/// The venv's Python, or a loud skip (a failure under `HUBSIGN_REQUIRE_ALL=1`).
pub fn venv_python() -> Option<PathBuf> {
    crate::inputs::model_signing()?;
    Some(python().expect("HUBSIGN_MODEL_SIGNING is set but no python next to it (run scripts/python-env)"))
}

#[cfg(test)]
mod tests {
    use super::result;

    #[test]
    fn the_last_result_line_is_the_answer() {
        let out = "noise\nRESULT:{\"a\": 1}\nmore noise\nRESULT:[1, 2]\ntrailing\n";
        assert_eq!(result(out, ""), serde_json::json!([1, 2]));
        assert!(std::panic::catch_unwind(|| result("no answer\n", "stderr")).is_err());
    }
}
