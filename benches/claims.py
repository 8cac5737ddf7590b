#!/usr/bin/env python3
"""Claims benchmark: `hubsign verify` of a model with 100 claims vs. the same model without.

A measurement, not a test: it always exits 0 (unless a setup step or a benchmarked command
fails, then 2). Target: the claims add at most 20 ms (median against median). See
benches/README.md.

Usage: benches/claims.py [--reps N] [--claims N] [--json]

The claims are made here as `attest` makes them: each an in-toto statement about the model's
root digest (an eval-result predicate), DSSE-signed with the benchmark key by `openssl`, in a
bundle shaped like the model's own signature, one bundle a line in claims.jsonl.
"""

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no benches/__pycache__ from importing _common.py
import _common  # noqa: E402
from _common import HUBSIGN, PRIV, PUB, REPO, log  # noqa: E402

WORK = REPO / "target" / "bench-claims"
TARGET_ADDED_MS = 20.0
PAYLOAD_TYPE = "application/vnd.in-toto+json"
EVAL_RESULT = "https://in-toto.io/attestation/eval-result/v0.1"


def run(argv, **kw):
    r = subprocess.run([str(a) for a in argv], capture_output=True, **kw)
    if r.returncode != 0:
        log(f"failed ({r.returncode}): {' '.join(map(str, argv))}\n{r.stderr.decode(errors='replace')}")
        sys.exit(2)
    return r.stdout


def build_model(root):
    """20 files x 256 KiB and a 16 MiB file (deterministic), signed with the benchmark key."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for i in range(20):
        (root / f"shard-{i:02}.bin").write_bytes(bytes([i]) * (256 << 10))
    (root / "weights.bin").write_bytes(os.urandom(16 << 20))
    run([HUBSIGN, "sign", root, "--private-key", PRIV])


def pae(payload):
    t = PAYLOAD_TYPE.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def make_claims(model, n):
    """`n` signed eval-result claims about the model, as claims.jsonl lines."""
    root = run([HUBSIGN, "digest", model]).decode().strip().removeprefix("sha256:")
    template = json.loads((model / "model.sig").read_text())
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        pae_file = os.path.join(tmp, "pae")
        for i in range(n):
            statement = {
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{"name": "bench", "digest": {"sha256": root}}],
                "predicateType": EVAL_RESULT,
                "predicate": {
                    "verifier": {"id": "https://example.com/bench"},
                    "evaluatedAt": "2026-12-01T00:00:00Z",
                    "suite": {"name": "bench", "version": str(i)},
                    "claims": [{"metric": f"m{i}", "comparator": ">=", "threshold": "0.5", "passed": True}],
                    "sampleSize": 100,
                },
            }
            payload = json.dumps(statement, separators=(",", ":")).encode()
            with open(pae_file, "wb") as f:
                f.write(pae(payload))
            sig = run(["openssl", "dgst", "-sha256", "-sign", PRIV, pae_file])
            bundle = json.loads(json.dumps(template))
            env = bundle["dsseEnvelope"]
            env["payload"] = base64.b64encode(payload).decode()
            env["payloadType"] = PAYLOAD_TYPE
            env["signatures"] = [{"sig": base64.b64encode(sig).decode(), "keyid": ""}]
            lines.append(json.dumps(bundle, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def measure(model, reps):
    argv = [HUBSIGN, "verify", model, "--public-key", PUB]
    _common.measure(argv)  # warm the page cache
    return [_common.measure(argv)[0] for _ in range(reps)]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=21)
    p.add_argument("--claims", type=int, default=100)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    started = time.perf_counter()
    log("building hubsign (release)")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "hubsign"], cwd=REPO, check=True)
    plain, claimed = WORK / "plain", WORK / "claimed"
    build_model(plain)
    shutil.rmtree(claimed, ignore_errors=True)
    shutil.copytree(plain, claimed)
    log(f"signing {args.claims} claims")
    (claimed / "claims.jsonl").write_text(make_claims(claimed, args.claims))
    out = run([HUBSIGN, "verify", claimed, "--public-key", PUB, "--json"])
    checked = json.loads(out).get("claims", [])
    if len(checked) != args.claims or not all(c["trusted"] for c in checked):
        log(f"expected {args.claims} trusted claims, verify reported {len(checked)}")
        sys.exit(2)
    load_before = os.getloadavg()
    # Interleaved, so load changes hit both alike.
    runs = {"without": [], "with": []}
    for _ in range(args.reps):
        runs["without"] += measure(plain, 1)
        runs["with"] += measure(claimed, 1)
    load_after = os.getloadavg()
    med = {k: statistics.median(v) for k, v in runs.items()}
    added_ms = (med["with"] - med["without"]) * 1000
    res = {
        **_common.run_facts(os.cpu_count()),
        "claims": args.claims,
        "claims_bytes": (claimed / "claims.jsonl").stat().st_size,
        "runs_s": runs,
        "median_s": med,
        "min_s": {k: min(v) for k, v in runs.items()},
        "added_ms": added_ms,
        "target_ms": TARGET_ADDED_MS,
        "pass": added_ms <= TARGET_ADDED_MS,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "total_run_s": time.perf_counter() - started,
    }
    if args.json:
        print(json.dumps(res, indent=2))
        return
    print(f"hubsign verify, {args.claims} claims ({res['claims_bytes'] / 1024:.0f} KiB) vs none, "
          f"median of {args.reps}  {res['date']}  ({os.cpu_count()} CPUs)")
    print(f"  without claims: {med['without'] * 1000:7.1f} ms (min {res['min_s']['without'] * 1000:.1f})")
    print(f"  with claims:    {med['with'] * 1000:7.1f} ms (min {res['min_s']['with'] * 1000:.1f})")
    print(f"  added:          {added_ms:7.1f} ms (target <= {TARGET_ADDED_MS:g} ms) {_common.verdict(res['pass'])}")
    print("load average (1/5/15 min) before: " + "/".join(f"{x:.2f}" for x in load_before)
          + ", after: " + "/".join(f"{x:.2f}" for x in load_after))
    _common.print_total(res)


if __name__ == "__main__":
    main()
