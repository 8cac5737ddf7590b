#!/usr/bin/env python3
"""Wall-time benchmark: snapshot_download through `hubsign serve` vs. directly from the hub.

The signed ~2 GiB model of benches/pull.py (4 x 512 MiB + 2,000 x 4 KiB, model.sig inside)
is served by the local Hugging Face Hub-compatible server (`local-hub` example); the mirror
(`hubsign serve`, release build) runs on 127.0.0.1 with that hub as upstream. Measured in one
run, alternating, median of --reps, each client into a fresh HF_HOME:

1. cold: a fresh mirror with an empty cache (it pins, verifies and pulls the model, then
   serves it) against `snapshot_download` directly from the hub. Target <= 1.15.
2. warm: the mirror already verified the commit. Target <= 1.0.
3. eight concurrent warm clients: their aggregate throughput through the mirror against eight
   concurrent clients of the hub itself (reported; bytes of all eight / wall time).

This is a measurement, not a test: it exits 0 unless a command or setup step fails (then 2).
Usage: benches/serve.py [--reps N] [--large-mib N] [--clients N] [--json]
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no benches/__pycache__ from importing the other benches
import compare  # noqa: E402  (benches/compare.py: the benchmark model and setup steps)
import pull  # noqa: E402  (benches/pull.py: the hub, the environment, the launcher)
from _common import HUBSIGN, MIB, PUB, REPO, CommandFailed, log  # noqa: E402

SERVE_DIR = REPO / "target" / "bench-serve"
REPO_ID = "bench/model"
TARGET_COLD = 1.15
TARGET_WARM = 1.0
SNAPSHOT_DOWNLOAD = pull.SNAPSHOT_DOWNLOAD.format(REPO_ID)
MIRROR_START_TIMEOUT_S = 60


class Mirror:
    """`hubsign serve` (release) on 127.0.0.1, its cache in SERVE_DIR, until stop()."""

    def __init__(self, upstream, policy, cache):
        self.port_file = SERVE_DIR / "mirror.port"
        self.port_file.unlink(missing_ok=True)
        self.err = SERVE_DIR / "mirror.stderr"
        argv = [str(HUBSIGN), "-q", "serve", "--upstream", upstream, "--policy", str(policy),
                "--cache-dir", str(cache), "--listen", "127.0.0.1:0",
                "--port-file", str(self.port_file), "--access-log", str(SERVE_DIR / "access.log")]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
        with open(self.err, "wb") as err:
            self.proc = subprocess.Popen(argv, cwd=REPO, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err, env=env)
        t0 = time.perf_counter()
        while not (self.port_file.is_file() and self.port_file.read_text().strip()):
            if self.proc.poll() is not None or time.perf_counter() - t0 > MIRROR_START_TIMEOUT_S:
                raise CommandFailed(f"hubsign serve did not start\n{self.err.read_text(errors='replace')}")
            time.sleep(0.02)
        self.endpoint = f"http://127.0.0.1:{self.port_file.read_text().strip()}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def one_download(endpoint):
    """Wall seconds of one snapshot_download into a fresh HF_HOME (removed afterwards)."""
    home = pull.fresh_hf_home()
    try:
        wall, _ = pull.run_seq([[str(pull.PYTHON), "-c", SNAPSHOT_DOWNLOAD]], "snapshot_download",
                               pull.bench_env(home, endpoint))
        return wall
    finally:
        pull.drop_hf_home(home)


def concurrent_downloads(endpoint, clients):
    """Wall seconds of `clients` snapshot_downloads started together, each into its own HF_HOME."""
    homes = [pull.fresh_hf_home() for _ in range(clients)]
    try:
        t0 = time.perf_counter()
        procs = [subprocess.Popen([str(pull.PYTHON), "-c", SNAPSHOT_DOWNLOAD], cwd=REPO,
                                  env=pull.bench_env(h, endpoint), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for h in homes]
        for p in procs:
            _, err = p.communicate()
            if p.returncode != 0:
                raise CommandFailed(f"concurrent snapshot_download failed:\n{err.decode(errors='replace')}")
        return time.perf_counter() - t0
    finally:
        for h in homes:
            pull.drop_hf_home(h)


def run(args):
    started = time.perf_counter()
    pull.PULL_DIR.mkdir(parents=True, exist_ok=True)
    SERVE_DIR.mkdir(parents=True, exist_ok=True)
    full = compare.build_model("full", args.large_mib, False)
    compare.setup_step(["cargo", "build", "--release", "--quiet"], "building hubsign")
    compare.setup_step(["cargo", "build", "--release", "--quiet", "--example", "local-hub"],
                       "building the local hub")
    pull.ensure_signed(full)
    model_bytes = sum(size for _, size in compare.model_files(full))
    policy = SERVE_DIR / "hubsign.toml"
    policy.write_text(f'[[trust]]\nrepos = ["bench/*"]\npublic-key = {json.dumps(str(PUB))}\n')
    for stale in pull.PULL_DIR.glob("hf-home-*"):
        shutil.rmtree(stale, ignore_errors=True)
    log(f"setup done after {time.perf_counter() - started:.1f} s")

    hub = pull.Hub([(REPO_ID, full)], SERVE_DIR)
    mirror = None
    res = {"direct_s": [], "cold_s": [], "warm_s": [], "model_bytes": model_bytes, "clients": args.clients}
    try:
        upstream = hub.wait_ready()
        one_download(upstream)  # unmeasured: warms the hub and the page cache
        for rep in range(args.reps):
            res["direct_s"].append(one_download(upstream))
            cache = SERVE_DIR / "mirror-cache"
            shutil.rmtree(cache, ignore_errors=True)
            os.sync()
            mirror = Mirror(upstream, policy, cache)
            res["cold_s"].append(one_download(mirror.endpoint))
            res["warm_s"].append(one_download(mirror.endpoint))
            log(f"  rep {rep + 1}: direct {res['direct_s'][-1]:.2f} s, cold {res['cold_s'][-1]:.2f} s, "
                f"warm {res['warm_s'][-1]:.2f} s")
            if rep + 1 < args.reps:
                mirror.stop()
                mirror = None
        res["concurrent_direct_s"] = concurrent_downloads(upstream, args.clients)
        res["concurrent_warm_s"] = concurrent_downloads(mirror.endpoint, args.clients)
    finally:
        if mirror is not None:
            mirror.stop()
        hub.stop()
    return res


def report(res):
    med = statistics.median
    direct, cold, warm = med(res["direct_s"]), med(res["cold_s"]), med(res["warm_s"])
    n, gib = res["clients"], res["model_bytes"] / (1 << 30)

    def line(name, value, target, ok):
        print(f"{name:<58} {value:<34} {target:<8} {'ok' if ok else 'MISSED'}")

    print(f"{'check':<58} {'value':<34} {'target':<8}")
    line("cold snapshot_download via mirror / direct", f"{cold / direct:.2f} ({cold:.1f} s vs {direct:.1f} s)",
         f"<= {TARGET_COLD}", cold / direct <= TARGET_COLD)
    line("warm snapshot_download via mirror / direct", f"{warm / direct:.2f} ({warm:.1f} s vs {direct:.1f} s)",
         f"<= {TARGET_WARM}", warm / direct <= TARGET_WARM)
    agg_m = n * res["model_bytes"] / res["concurrent_warm_s"] / MIB
    agg_d = n * res["model_bytes"] / res["concurrent_direct_s"] / MIB
    line(f"{n} concurrent warm clients: aggregate MiB/s, mirror / direct",
         f"{agg_m / agg_d:.2f} ({agg_m:.0f} vs {agg_d:.0f} MiB/s)", "report", True)
    print(f"(model {gib:.2f} GiB; {n} x {gib:.2f} GiB in {res['concurrent_warm_s']:.1f} s via the mirror, "
          f"{res['concurrent_direct_s']:.1f} s direct)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--large-mib", type=int, default=512)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    def on_sigterm(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        res = run(args)
    except CommandFailed as e:
        log(f"error: {e}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        report(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
