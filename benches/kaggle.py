#!/usr/bin/env python3
"""Kaggle pull benchmark: `hubsign pull kaggle:…` against `kagglehub.model_download` of the same
version, from the local Kaggle server, each into a fresh kagglehub cache, alternating, median of
--reps, ratio in one run (a measurement, not a test: exits 0 unless a command fails, then 2).
Target <= 0.6 (kagglehub checks nothing but an optional MD5; hubsign hashes while streaming).

The model is compare.py's benchmark model (4 large files + 2,000 small ones, ~2 GiB), served by
`local-kaggle` on 127.0.0.1:80 (kagglehub reaches it with KAGGLE_API_ENVIRONMENT=LOCALHOST;
binding port 80 needs root). With more than 25 files kagglehub downloads the version's archive
and extracts it; the server builds that archive on the first request, which an unmeasured
warm-up download pays for (Kaggle serves prebuilt archives). hubsign streams each file.

Usage: benches/kaggle.py [--reps N] [--large-mib N] [--json]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no benches/__pycache__ from importing the other benches
import _common  # noqa: E402  (benches/_common.py: paths, one measured run, verdicts)
import compare  # noqa: E402  (benches/compare.py: the benchmark model)
from _common import HUBSIGN, LOCAL_KAGGLE, PRIV, PUB, PYTHON, REPO, log, measure  # noqa: E402

WORK = REPO / "target" / "bench-kaggle"
HANDLE = "bench/model/pyTorch/full"
TARGET_RATIO = 0.6

def start_server(model):
    port_file = WORK / "kaggle.port"
    port_file.unlink(missing_ok=True)
    server = subprocess.Popen(
        [LOCAL_KAGGLE, "--model", f"{HANDLE}={model}", "--port", "80", "--port-file", port_file],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(6000):
        if port_file.exists() and port_file.read_text().strip():
            return server, port_file.read_text().strip()
        if server.poll() is not None:
            log("local-kaggle exited during start-up (port 80 needs root)")
            sys.exit(2)
        time.sleep(0.1)
    server.kill()
    log("local-kaggle did not start")
    sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--large-mib", type=int, default=512)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    log("building hubsign and local-kaggle (release)")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "hubsign", "--example", "local-kaggle"], cwd=REPO, check=True)
    subprocess.run([str(REPO / "scripts" / "python-env")], check=True, stdout=subprocess.DEVNULL)
    compare.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    model = compare.build_model("full", args.large_mib, False)
    if subprocess.run([HUBSIGN, "verify", model, "--public-key", PUB, "-qq"]).returncode != 0:
        subprocess.run([HUBSIGN, "sign", model, "--private-key", PRIV, "-q"], check=True)
    server, endpoint = start_server(model)
    homes = []
    runs = {"hubsign pull": [], "kagglehub.model_download": []}
    rss = []
    try:
        for rep in range(-1, args.reps):
            for name in runs:
                home = Path(tempfile.mkdtemp(prefix="cache-", dir=WORK))
                homes.append(home)
                env = dict(os.environ, KAGGLEHUB_CACHE=str(home), KAGGLE_API_ENVIRONMENT="LOCALHOST", HOME=str(home))
                for var in ("KAGGLE_API_TOKEN", "KAGGLE_USERNAME", "KAGGLE_KEY", "HUBSIGN_KAGGLE_ENDPOINT"):
                    env.pop(var, None)
                if name == "hubsign pull":
                    # compare.py's model carries its signature as model.sig.
                    argv = [HUBSIGN, "pull", f"kaggle:{HANDLE}/1", "--signature-path", "model.sig", "--public-key", PUB, "-q"]
                else:
                    argv = [PYTHON, "-c", f"import kagglehub; kagglehub.model_download('{HANDLE}/1')"]
                wall, peak = measure(argv, env)
                log(f"  {'warm-up' if rep < 0 else f'rep {rep + 1}'}: {name}: {wall:.2f} s, {peak:.0f} MiB")
                if rep >= 0:
                    runs[name].append(wall)
                    if name == "hubsign pull":
                        rss.append(peak)
                shutil.rmtree(home, ignore_errors=True)
                os.sync()
    finally:
        server.terminate()
        server.wait()
        for h in homes:
            shutil.rmtree(h, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    res = {
        "runs": runs,
        "median": med,
        "ratio": med["hubsign pull"] / med["kagglehub.model_download"],
        "hubsign_peak_rss_mib": max(rss),
    }
    if args.json:
        print(json.dumps(res, indent=2))
        return
    ok = _common.verdict(res["ratio"] <= TARGET_RATIO)
    print(f"pull kaggle:{HANDLE}/1: hubsign {med['hubsign pull']:.2f} s, kagglehub {med['kagglehub.model_download']:.2f} s (median of {args.reps})")
    print(f"  ratio {res['ratio']:.2f} (target <= {TARGET_RATIO}) {ok}; hubsign peak RSS {res['hubsign_peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
