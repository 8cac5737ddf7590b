#!/usr/bin/env python3
"""Far-hub benchmarks: pulls from a local hub that answers every request --latency-ms late (a hub
that far away), each a ratio measured in one run (a measurement, not a test: exits 0 unless a
command fails, then 2). See benches/README.md.

1. 1,000 small files (a signed dataset of JSON shards, ~1.4 KiB each): `hubsign pull` against
   `snapshot_download(repo_type="dataset")`, alternating, median of --reps. Target <= 0.35:
   small files are latency-bound, so hubsign keeps more of them in flight than large ones.
2. A few large files (4 x --large-mib MiB, LFS, through the CDN redirect): the same ratio, to
   show the large-file limit did not regress.

Usage: benches/far_hub.py [--reps N] [--files N] [--latency-ms MS] [--large-mib N] [--json]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import dataset
from dataset import HUBSIGN, PRIV, PUB, PYTHON, REPO, log, make_files, measure

WORK = REPO / "target" / "bench-far-hub"
MIB = 1 << 20
TARGET_SMALL_RATIO = 0.35


def make_large(root, files, mib):
    """`files` random files of `mib` MiB (LFS on the hub), signed."""
    marker = root.parent / f"{root.name}.complete"
    if marker.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for i in range(files):
        with open(root / f"model-{i:05d}.safetensors", "wb") as f:
            for _ in range(mib):
                f.write(os.urandom(MIB))
    (root / "config.json").write_text('{"model_type": "bench"}\n')
    subprocess.run([HUBSIGN, "sign", root, "--private-key", PRIV, "-q"], check=True)
    marker.write_text("")


def compare(label, repo, root, repo_type, args):
    """Median wall time of `hubsign pull` and `snapshot_download` of `repo` from a far hub."""
    hub, endpoint = dataset.start_hub(f"{repo}={root}", ["--latency-ms", str(args.latency_ms)])
    name = repo.removeprefix("datasets/")
    runs = {"hubsign pull": [], "snapshot_download": []}
    homes = []
    try:
        # One unmeasured round first (see benches/dataset.py: ext4 after mass deletions).
        for rep in range(-1, args.reps):
            for tool in runs:
                home = Path(tempfile.mkdtemp(prefix="hf-home-", dir=WORK))
                homes.append(home)
                env = dict(os.environ, HF_ENDPOINT=endpoint, HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1")
                env.pop("HF_HUB_OFFLINE", None)
                if tool == "hubsign pull":
                    argv = [HUBSIGN, "pull", repo, "--public-key", PUB, "-q"]
                else:
                    argv = [PYTHON, "-c", f"from huggingface_hub import snapshot_download; snapshot_download({name!r}, repo_type={repo_type!r})"]
                wall, _ = measure(argv, env)
                log(f"  {label}: {'warm-up' if rep < 0 else f'rep {rep + 1}'}: {tool}: {wall:.2f} s")
                if rep >= 0:
                    runs[tool].append(wall)
    finally:
        hub.terminate()
        hub.wait()
        for h in homes:
            shutil.rmtree(h, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {"runs": runs, "median": med, "ratio": med["hubsign pull"] / med["snapshot_download"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--files", type=int, default=1000)
    p.add_argument("--latency-ms", type=int, default=40)
    p.add_argument("--large-mib", type=int, default=64)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    dataset.build()
    small = WORK / f"dataset-{args.files}"
    large = WORK / f"large-{args.large_mib}"
    log(f"{args.files} small files, 4 x {args.large_mib} MiB, hub {args.latency_ms} ms away")
    make_files(small, args.files, 8)
    make_large(large, 4, args.large_mib)
    res = {
        "latency_ms": args.latency_ms,
        "small": dict(files=args.files, **compare("small", "datasets/bench/files", small, "dataset", args)),
        "large": dict(mib=args.large_mib, **compare("large", "bench/large", large, "model", args)),
    }
    if args.json:
        print(json.dumps(res, indent=2))
        return
    s, big = res["small"], res["large"]
    ok = "PASS" if s["ratio"] <= TARGET_SMALL_RATIO else "FAIL"
    print(f"hub {args.latency_ms} ms away, median of {args.reps}:")
    print(f"  {s['files']} small files: hubsign {s['median']['hubsign pull']:.2f} s, snapshot_download "
          f"{s['median']['snapshot_download']:.2f} s, ratio {s['ratio']:.2f} (target <= {TARGET_SMALL_RATIO}) {ok}")
    print(f"  4 x {big['mib']} MiB: hubsign {big['median']['hubsign pull']:.2f} s, snapshot_download "
          f"{big['median']['snapshot_download']:.2f} s, ratio {big['ratio']:.2f}")


if __name__ == "__main__":
    main()
