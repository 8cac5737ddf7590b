#!/usr/bin/env python3
"""Incremental re-signing: `hubsign sign --incremental` after one 4 KiB file changed vs a full `hubsign sign`.

This is a measurement, not a test: it always exits 0 (unless a benchmarked command or a setup
step fails, then 2). See benches/README.md.

Usage: benches/incremental.py [--reps N] [--rebuild] [--json] [--small]

The model is compare.py's 2 GiB benchmark model (4 x 512 MiB + 2,000 x 4 KiB) under
target/bench-model/full; `--small` uses 4 x 32 MiB + the same 2,000 small files instead (a
quick run). Signatures and hash records go to a temporary directory outside the model; the one
small file changed is given its original bytes back at the end.
"""

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no benches/__pycache__ from importing compare.py and _common.py
import _common  # noqa: E402  (benches/_common.py: paths, measuring, report printers)
import compare  # noqa: E402  (benches/compare.py: the benchmark models, the launcher, setup steps)
from _common import HUBSIGN, MIB, PRIV, CommandFailed, log, rel  # noqa: E402
from compare import LARGE_COUNT, SMALL_COUNT, SMALL_SIZE  # noqa: E402

TARGET_RATIO = 0.05
SMALL_LARGE_MIB = 32
# The file the "model card edit" changes: one of the 2,000 small files.
VICTIM = Path("small") / "d7" / "f7.bin"


def payload(sig):
    """The signed statement (DSSE payload) of a signature file."""
    bundle = json.loads(Path(sig).read_bytes())
    return base64.b64decode(bundle["dsseEnvelope"]["payload"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5, help="repetitions per command (median taken)")
    ap.add_argument("--rebuild", action="store_true", help="regenerate the benchmark model")
    ap.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    ap.add_argument("--small", action="store_true",
                    help=f"4 x {SMALL_LARGE_MIB} MiB large files instead of 4 x 512 MiB (a quick run)")
    args = ap.parse_args()
    if args.reps < 1:
        ap.error("--reps must be >= 1")
    started = time.perf_counter()
    try:
        results = run(args)
    except CommandFailed as e:
        log(f"error: {e}")
        return 2
    results["total_run_s"] = time.perf_counter() - started
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_report(results)
    return 0


def run(args):
    cpus = os.cpu_count() or 1
    large_mib = SMALL_LARGE_MIB if args.small else 512

    # 1. The model (compare.py's, or its small variant) and the release build.
    compare.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    model = compare.build_model("incremental-small" if args.small else "full", large_mib, args.rebuild)
    compare.setup_step(["cargo", "build", "--release", "--quiet"], "building hubsign")
    files = compare.model_files(model)
    t0 = time.perf_counter()
    warmed = compare.warm_cache(files)
    log(f"warmed page cache: {warmed / MIB:.0f} MiB in {time.perf_counter() - t0:.1f} s")

    victim = model / VICTIM
    original = victim.read_bytes()
    with tempfile.TemporaryDirectory(prefix="hubsign-bench-inc-") as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, HUBSIGN_RECORD_DIR=str(tmp / "records"))
        full_sig, inc_sig = tmp / "full.sig", tmp / "incremental.sig"

        def sign(sig, *extra):
            return [str(HUBSIGN), "--json", "sign", str(model), "--private-key", str(PRIV),
                    "--signature", str(sig), *extra]

        # compare.py's launcher inherits this process's environment.
        os.environ["HUBSIGN_RECORD_DIR"] = env["HUBSIGN_RECORD_DIR"]

        def timed(argv, label):
            return compare.run_once([argv], label)

        try:
            # 2. The signature incremental signing starts from, and the hash record. The model's
            # files were written long before (the record skips files changed in the last second).
            log("first signing (writes the hash record) ...")
            r = subprocess.run(sign(inc_sig), env=env, capture_output=True, text=True)
            if r.returncode != 0:
                raise CommandFailed(f"first signing failed:\n{r.stderr}")

            # 3. Round-robin: change the small file, re-sign incrementally, then sign in full.
            log(f"measuring ({args.reps} reps each) ...")
            times = {"incremental": [], "full": []}
            peaks = {"incremental": 0, "full": 0}
            load_before = os.getloadavg()
            for rep in range(args.reps):
                victim.write_bytes(os.urandom(SMALL_SIZE))
                wall, rss = timed(sign(inc_sig, "--incremental"), "hubsign sign --incremental")
                times["incremental"].append(wall)
                peaks["incremental"] = max(peaks["incremental"], rss)
                log(f"  rep {rep + 1}/{args.reps}  incremental {wall:8.3f} s")
                wall, rss = timed(sign(full_sig), "hubsign sign")
                times["full"].append(wall)
                peaks["full"] = max(peaks["full"], rss)
                log(f"  rep {rep + 1}/{args.reps}  full        {wall:8.3f} s")
            load_after = os.getloadavg()

            # 4. What the last incremental run did, and that its statement is the full one's.
            victim.write_bytes(os.urandom(SMALL_SIZE))
            r = subprocess.run(sign(inc_sig, "--incremental"), env=env, capture_output=True, text=True)
            if r.returncode != 0:
                raise CommandFailed(f"incremental signing failed:\n{r.stderr}")
            last = json.loads(r.stdout)["incremental"]
            r = subprocess.run(sign(full_sig), env=env, capture_output=True, text=True)
            if r.returncode != 0:
                raise CommandFailed(f"full signing failed:\n{r.stderr}")
            identical = payload(inc_sig) == payload(full_sig)
        finally:
            victim.write_bytes(original)

    cmds = {
        key: {
            "label": label,
            "median_s": statistics.median(times[key]),
            "min_s": min(times[key]),
            "runs_s": times[key],
            "peak_rss_mib": peaks[key] / 1024,
        }
        for key, label in (("incremental", "hubsign sign --incremental (one 4 KiB file changed)"),
                           ("full", "hubsign sign (full)"))
    }
    checks = [
        _common.ratio_check(cmds, "incremental / full sign", "incremental", "full", TARGET_RATIO),
        {"name": "files hashed by the incremental run", "value": last["hashed"], "target": "== 1",
         "pass": last["hashed"] == 1},
        {"name": "statement identical to the full sign's (1 = yes)", "value": int(identical),
         "target": "== 1", "pass": identical},
    ]
    return {
        **_common.run_facts(cpus),
        "versions": compare.tool_versions(),
        "reps": args.reps,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "model": {"path": rel(model), "files": len(files), "bytes": sum(s for _, s in files),
                  "large_file_mib": large_mib},
        "last_incremental": last,
        "commands": cmds,
        "checks": checks,
    }


def print_report(res):
    m = res["model"]
    _common.print_title("hubsign incremental re-signing benchmark", res, [])
    print(f"model: {m['path']}: {m['files']} files, {m['bytes'] / MIB:.0f} MiB "
          f"({LARGE_COUNT} x {m['large_file_mib']} MiB + {SMALL_COUNT} x {SMALL_SIZE // 1024} KiB); "
          f"one {SMALL_SIZE // 1024} KiB file rewritten before each incremental run")
    last = res["last_incremental"]
    print(f"last incremental run: re-used {last['reused']} digests, hashed {last['hashed']} file(s) "
          f"({last['hashed_bytes']} bytes)")
    _common.print_load(res, "this benchmark itself")
    print(f"page cache warm; median of {res['reps']} reps (round-robin)")
    print()
    _common.print_commands(res)
    print()
    _common.print_checks(res)
    print()
    _common.print_total(res)


if __name__ == "__main__":
    sys.exit(main())
