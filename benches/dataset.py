#!/usr/bin/env python3
"""Dataset benchmarks, each a ratio measured in one run (a measurement, not a test: exits 0
unless a command fails, then 2). See benches/README.md.

1. Pulling a signed 5,000-file dataset (small JSON shards in 50 folders, ~20 MiB) from the
   local hub into a fresh HF cache: `hubsign pull datasets/bench/files` against
   `snapshot_download(repo_type="dataset")`, alternating, median of --reps. Target <= 0.3.
2. Peak RSS of `hubsign verify` on a 50,000-file directory against the size of its signature
   (the manifest lists every file). Target <= 3 x signature + 30 MiB.

Usage: benches/dataset.py [--reps N] [--files N] [--verify-files N] [--json]
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no benches/__pycache__ from importing _common.py
import _common  # noqa: E402  (benches/_common.py: paths, one measured run, verdicts)
from _common import HUBSIGN, LOCAL_HUB, MIB, PRIV, PUB, PYTHON, REPO, log, measure  # noqa: E402

WORK = REPO / "target" / "bench-dataset"

TARGET_PULL_RATIO = 0.3
TARGET_RSS_SIG_FACTOR = 3.0
TARGET_RSS_SLACK_MIB = 30.0

def build():
    log("building hubsign and the local hub (release)")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "hubsign", "--example", "local-hub"], cwd=REPO, check=True)
    subprocess.run([str(REPO / "scripts" / "python-env")], check=True)


def make_files(root, n, rows_per_file):
    """`n` small JSON-lines files in 50 (or n/1000) folders, deterministic content."""
    marker = root.parent / f"{root.name}.complete"
    if marker.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    rnd = random.Random(7)
    folders = max(50, n // 1000)
    for i in range(n):
        d = root / "data" / f"shard-{i % folders:03d}"
        d.mkdir(parents=True, exist_ok=True)
        rows = [json.dumps({"id": i * rows_per_file + j, "text": "x" * rnd.randint(50, 300)}) for j in range(rows_per_file)]
        (d / f"part-{i:06d}.json").write_text("\n".join(rows))
    (root / "README.md").write_text("# benchmark dataset\n")
    subprocess.run([HUBSIGN, "sign", root, "--private-key", PRIV, "-q"], check=True)
    marker.write_text("")


def start_hub(repo_spec, extra=()):
    """The local hub serving `repo_spec` (`[datasets/]org/name=DIR`), with `extra` flags: (process, port)."""
    WORK.mkdir(parents=True, exist_ok=True)
    port_file = WORK / "hub.port"
    port_file.unlink(missing_ok=True)
    hub = subprocess.Popen(
        [LOCAL_HUB, "--repo", repo_spec, *extra, "--port-file", port_file],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(6000):
        if port_file.exists() and port_file.read_text().strip():
            return hub, port_file.read_text().strip()
        if hub.poll() is not None:
            log("the local hub exited during start-up")
            sys.exit(2)
        time.sleep(0.1)
    hub.kill()
    log("the local hub did not start")
    sys.exit(2)


def pull_bench(args):
    dataset = WORK / f"dataset-{args.files}"
    log(f"dataset: {args.files} files")
    make_files(dataset, args.files, 8)
    hub, endpoint = start_hub(f"datasets/bench/files={dataset}")
    homes = []
    try:
        runs = {"hubsign pull": [], "snapshot_download": []}
        rss = []
        # One unmeasured round first: the first pull after a burst of deletions on ext4 pays for
        # them (see below), whichever tool it is.
        for rep in range(-1, args.reps):
            for name in runs:
                home = Path(tempfile.mkdtemp(prefix="hf-home-", dir=WORK))
                env = dict(os.environ, HF_ENDPOINT=endpoint, HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1")
                env.pop("HF_HUB_OFFLINE", None)
                if name == "hubsign pull":
                    argv = [HUBSIGN, "pull", "datasets/bench/files", "--public-key", PUB, "-q"]
                else:
                    argv = [PYTHON, "-c", "from huggingface_hub import snapshot_download; snapshot_download('bench/files', repo_type='dataset')"]
                wall, peak = measure(argv, env)
                log(f"  {'warm-up' if rep < 0 else f'rep {rep + 1}'}: {name}: {wall:.2f} s")
                homes.append(home)
                if rep < 0:
                    continue
                runs[name].append(wall)
                if name == "hubsign pull":
                    rss.append(peak)
                # Homes are removed only at the end: on ext4, creating files right after
                # deleting thousands makes inode allocation scan the recently deleted ones
                # (seconds of kernel time for whichever command runs next).
    finally:
        hub.terminate()
        hub.wait()
        for h in homes:
            shutil.rmtree(h, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "files": args.files,
        "runs": runs,
        "median": med,
        "ratio": med["hubsign pull"] / med["snapshot_download"],
        "hubsign_peak_rss_mib": max(rss),
    }


def verify_bench(args):
    model = WORK / f"verify-{args.verify_files}"
    log(f"verify model: {args.verify_files} files")
    make_files(model, args.verify_files, 1)
    sig = model / "model.sig"
    sig_mib = sig.stat().st_size / MIB
    peaks, walls = [], []
    for _ in range(args.reps):
        wall, peak = measure([HUBSIGN, "verify", model, "--public-key", PUB, "-q"])
        peaks.append(peak)
        walls.append(wall)
    peak = max(peaks)
    limit = TARGET_RSS_SIG_FACTOR * sig_mib + TARGET_RSS_SLACK_MIB
    return {"files": args.verify_files, "signature_mib": sig_mib, "peak_rss_mib": peak, "limit_mib": limit, "median_s": statistics.median(walls)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--files", type=int, default=5000)
    p.add_argument("--verify-files", type=int, default=50000)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    build()
    res = {"pull": pull_bench(args), "verify": verify_bench(args)}
    if args.json:
        print(json.dumps(res, indent=2))
        return
    pull, ver = res["pull"], res["verify"]
    ok = _common.verdict
    print(f"pull {pull['files']} files: hubsign {pull['median']['hubsign pull']:.2f} s, snapshot_download {pull['median']['snapshot_download']:.2f} s (median of {args.reps})")
    print(f"  ratio {pull['ratio']:.2f} (target <= {TARGET_PULL_RATIO}) {ok(pull['ratio'] <= TARGET_PULL_RATIO)}; hubsign peak RSS {pull['hubsign_peak_rss_mib']:.0f} MiB")
    print(f"verify {ver['files']} files: peak RSS {ver['peak_rss_mib']:.1f} MiB, signature {ver['signature_mib']:.1f} MiB, "
          f"limit 3 x signature + 30 = {ver['limit_mib']:.1f} MiB {ok(ver['peak_rss_mib'] <= ver['limit_mib'])}; {ver['median_s']:.2f} s")


if __name__ == "__main__":
    main()
