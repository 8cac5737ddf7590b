#!/usr/bin/env python3
"""Wall-time benchmark: hubsign pull vs. huggingface_hub snapshot_download (+ model_signing verify).

Pulls a signed ~2 GiB model from the local Hugging Face Hub–compatible server
(`local-hub` example) into a fresh HF cache, with hubsign (which verifies while
downloading) and with the plain Python tools. This is a measurement, not a
test: it always exits 0 (unless a benchmarked command or a setup step fails,
then 2). See benches/README.md.

Usage: benches/pull.py [--reps N] [--rebuild] [--json] [--large-mib N] [--concurrency N]

All paths are derived from this script's location (<repo>/benches/); it reuses
the models and helpers of benches/compare.py.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no benches/__pycache__ from importing compare.py and _common.py
import _common  # noqa: E402  (benches/_common.py: paths, measuring, report printers)
import compare  # noqa: E402  (benches/compare.py: the benchmark models and setup steps)
from _common import (  # noqa: E402
    HUBSIGN,
    LOCAL_HUB,
    MIB,
    MODEL_SIGNING,
    PRIV,
    PUB,
    PYTHON,
    REPO,
    CommandFailed,
    log,
    rel,
)
from compare import BENCH_DIR, LARGE_COUNT, SMALL_COUNT, SMALL_SIZE  # noqa: E402

PULL_DIR = REPO / "target" / "bench-pull"
SIG_NAME = "model.sig"

REPO_FULL = "bench/model"
REPO_SMALL = "bench/model-small"
# The second model: same file count and layout as the full one, 1/8 of the bytes.
SMALL_MODEL_NAME = "pull-small"
SMALL_MODEL_DIVISOR = 8

HUB_START_TIMEOUT_S = 600

# Targets (ratio <= target, or absolute limits).
TARGET_VS_DOWNLOAD = 1.1
TARGET_VS_DOWNLOAD_VERIFY = 0.6
TARGET_RSS_MIB = 100.0

SNAPSHOT_DOWNLOAD = "from huggingface_hub import snapshot_download; snapshot_download({!r})"


# --------------------------------------------------------------------------
# Running and measuring
# --------------------------------------------------------------------------


# Like compare.py's launcher (see there for why a fresh, minimal Python forks the
# commands: ru_maxrss), but the commands of one measurement run one after the
# other (download, then verify), each with its own exit code, ru_maxrss (KiB),
# user and system CPU seconds and wall seconds; it stops at the first failure.
# The last line is the wall time from the first fork to the last reap.
SEP = compare.SEP
LAUNCHER = r"""
import os, sys, time
args = sys.argv[1:]
cmds, cur = [], []
for a in args:
    if a == SEP:
        cmds.append(cur); cur = []
    else:
        cur.append(a)
cmds.append(cur)
t0 = time.perf_counter()
for out, err, *argv in cmds:
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_RDONLY); os.dup2(fd, 0)
            fd = os.open(out, os.O_WRONLY | os.O_TRUNC); os.dup2(fd, 1)
            fd = os.open(err, os.O_WRONLY | os.O_TRUNC); os.dup2(fd, 2)
            os.execvp(argv[0], argv)
        except BaseException as e:
            try:
                os.write(2, ("exec %s failed: %s\n" % (argv[0], e)).encode())
            finally:
                os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(code, ru.ru_maxrss, repr(ru.ru_utime), repr(ru.ru_stime), repr(time.perf_counter() - t))
    if code != 0:
        break
print(repr(time.perf_counter() - t0))
""".replace("SEP", repr(SEP))


def show_argv(argv):
    return " ".join(rel(a) if a.startswith("/") else a for a in map(str, argv))


def run_seq(argvs, label, env):
    """Run the argvs one after the other (through the launcher) with `env`; return
    (total wall s, [per command {wall_s, rss_kib, user_s, sys_s}]). Raises
    CommandFailed on a non-zero exit."""
    with tempfile.TemporaryDirectory(prefix="hubsign-bench-out-") as tmp:
        launcher_args, outs = [], []
        for i, argv in enumerate(argvs):
            out, err = Path(tmp) / f"{i}.out", Path(tmp) / f"{i}.err"
            out.touch()
            err.touch()
            outs.append((out, err))
            if i:
                launcher_args.append(SEP)
            launcher_args += [str(out), str(err), *map(str, argv)]
        # In its own process group, so that an interrupted run kills the command too.
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCHER, *launcher_args],
                                cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = proc.communicate()
        except BaseException:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            raise
        if proc.returncode != 0:
            raise CommandFailed(f"{label}: launcher failed ({proc.returncode})\n{stderr}")
        lines = stdout.strip().split("\n")
        procs = []
        for i, line in enumerate(lines[:-1]):
            code, rss, user, sys_s, wall = line.split()
            if int(code) != 0:
                out, err = outs[i]
                raise CommandFailed(
                    f"{label}: command exited with {code}: {show_argv(argvs[i])}\n"
                    f"--- stdout ---\n{out.read_text(errors='replace')}"
                    f"--- stderr ---\n{err.read_text(errors='replace')}"
                )
            procs.append({"wall_s": float(wall), "rss_kib": int(rss),
                          "user_s": float(user), "sys_s": float(sys_s)})
        return float(lines[-1]), procs


def bench_env(hf_home, endpoint):
    """The environment of every benchmarked command: no HF_* / HUGGINGFACE_* variable
    of ours (no token, no other cache), a fresh HF_HOME, the local hub."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGINGFACE_"))}
    env.update({
        "HF_HOME": str(hf_home),
        "HF_ENDPOINT": endpoint,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    })
    return env


def rss_floor(endpoint):
    with tempfile.TemporaryDirectory(prefix="floor-", dir=PULL_DIR) as tmp:
        env = bench_env(tmp, endpoint)
        return min(run_seq([["true"]], "true", env)[1][0]["rss_kib"] for _ in range(3)) / 1024


class Hub:
    """target/release/examples/local-hub, serving the models until stop()."""

    def __init__(self, repos, workdir):
        self.port_file = workdir / "hub.endpoint"
        self.out = workdir / "hub.stdout"
        self.err = workdir / "hub.stderr"
        self.port_file.unlink(missing_ok=True)
        argv = [str(LOCAL_HUB)]
        for repo_id, model in repos:
            argv += ["--repo", f"{repo_id}={rel(model)}"]
        argv += ["--port-file", str(self.port_file)]
        log(f"starting the hub: {show_argv(argv)}")
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen(argv, cwd=REPO, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err)
        self.pid = self.proc.pid

    def wait_ready(self):
        """The hub hashes every file before it listens: wait for the port file."""
        t0 = time.perf_counter()
        while True:
            if self.port_file.is_file():
                text = self.port_file.read_text()
                if text.endswith("\n"):
                    endpoint = text.strip()
                    log(f"  hub ready after {time.perf_counter() - t0:.1f} s")
                    return endpoint
            code = self.proc.poll()
            if code is not None:
                raise CommandFailed(f"local-hub exited with {code} before serving\n"
                                    f"--- stderr ---\n{self.err.read_text(errors='replace')}")
            if time.perf_counter() - t0 > HUB_START_TIMEOUT_S:
                raise CommandFailed(f"local-hub not ready after {HUB_START_TIMEOUT_S} s\n"
                                    f"--- stderr ---\n{self.err.read_text(errors='replace')}")
            time.sleep(0.05)

    def cpu_s(self):
        """The hub's user + system CPU seconds so far (0 if unreadable)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def api_get(endpoint, path):
    with urllib.request.urlopen(f"{endpoint}{path}", timeout=30) as r:
        return json.load(r)


# --------------------------------------------------------------------------
# Setup
# --------------------------------------------------------------------------


def newest_mtime(model):
    newest = 0.0
    for dirpath, _dirs, names in os.walk(model):
        for n in names:
            p = Path(dirpath) / n
            if p == model / SIG_NAME:
                continue
            newest = max(newest, p.stat().st_mtime)
    return newest


def ensure_signed(model):
    """Sign `model` in place (model.sig inside it, hubsign's default) unless its
    signature is newer than every file and verifies with the fixture key."""
    sig = model / SIG_NAME
    if sig.is_file() and sig.stat().st_mtime >= newest_mtime(model):
        r = subprocess.run([str(HUBSIGN), "verify", str(model), "--public-key", str(PUB)],
                           cwd=REPO, capture_output=True)
        if r.returncode == 0:
            log(f"{rel(sig)}: up to date")
            return
        log(f"{rel(sig)}: does not verify, signing again")
    compare.setup_step([str(HUBSIGN), "sign", str(model), "--private-key", str(PRIV)],
                       f"signing {rel(model)}")


def snapshot_files(snapshot):
    n = 0
    for _dirpath, _dirs, names in os.walk(snapshot):
        n += len(names)
    return n


def fresh_hf_home():
    return Path(tempfile.mkdtemp(prefix="hf-home-", dir=PULL_DIR))


def drop_hf_home(hf_home):
    """Delete a run's HF_HOME; return the seconds it took."""
    t0 = time.perf_counter()
    shutil.rmtree(hf_home, ignore_errors=True)
    # Start the next command with no dirty pages of this one left to write back.
    os.sync()
    return time.perf_counter() - t0


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def bench_main(description, verb, run_fn, report_fn):
    """The command line shared by pull.py and push.py: parse, run, report, exit code."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--reps", type=int, default=3, help="repetitions per command (median taken)")
    ap.add_argument("--rebuild", action="store_true", help="regenerate the benchmark models")
    ap.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    ap.add_argument("--large-mib", type=int, default=512,
                    help="size of each of the 4 large files in MiB (default 512: a 2 GiB model)")
    ap.add_argument("--concurrency", type=int,
                    help=f"pass --concurrency N to hubsign {verb} (default: hubsign's own default)")
    args = ap.parse_args()
    if args.reps < 1:
        ap.error("--reps must be >= 1")
    if args.large_mib < 1:
        ap.error("--large-mib must be >= 1")
    if args.concurrency is not None and args.concurrency < 1:
        ap.error("--concurrency must be >= 1")

    # SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so that the hub is stopped.
    def on_sigterm(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)

    started = time.perf_counter()
    try:
        results = run_fn(args)
    except CommandFailed as e:
        log(f"error: {e}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    results["total_run_s"] = time.perf_counter() - started

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        report_fn(results)
    return 0


def main():
    return bench_main(__doc__.splitlines()[0], "pull", run, print_report)


def run(args):
    started = time.perf_counter()
    cpus = os.cpu_count() or 1
    small_mib = max(1, args.large_mib // SMALL_MODEL_DIVISOR)

    # 1. Models (compare.py's full model, and the same with 1/8 of the bytes).
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    PULL_DIR.mkdir(parents=True, exist_ok=True)
    full_bytes = LARGE_COUNT * args.large_mib * MIB + SMALL_COUNT * SMALL_SIZE
    needed = full_bytes + 512 * MIB  # one HF cache at a time, plus slack
    if not (BENCH_DIR / "full.complete").is_file():
        needed += full_bytes
    free = shutil.disk_usage(PULL_DIR).free
    if free < needed:
        raise CommandFailed(f"not enough free disk space: {free / MIB:.0f} MiB free, "
                            f"{needed / MIB:.0f} MiB needed (try --large-mib 256)")
    full = compare.build_model("full", args.large_mib, args.rebuild)
    small = compare.build_model(SMALL_MODEL_NAME, small_mib, args.rebuild)

    # 2. Tools, and the signatures.
    compare.setup_step(["cargo", "build", "--release", "--quiet"], "building hubsign")
    compare.setup_step(["cargo", "build", "--release", "--quiet", "--example", "local-hub"],
                       "building the local hub")
    compare.setup_step([str(REPO / "scripts" / "python-env")], "ensuring the Python venv")
    for tool in (HUBSIGN, LOCAL_HUB, MODEL_SIGNING, PYTHON):
        if not os.access(tool, os.X_OK):
            raise CommandFailed(f"{rel(tool)} is missing after setup")
    ensure_signed(full)
    ensure_signed(small)
    full_files = compare.model_files(full)
    small_files = compare.model_files(small)

    # Leftovers of an interrupted run.
    for stale in PULL_DIR.glob("hf-home-*"):
        shutil.rmtree(stale, ignore_errors=True)
    log(f"setup done after {time.perf_counter() - started:.1f} s")

    # 3. The hub (hashing every file on start also warms the page cache).
    hub = Hub([(REPO_FULL, full), (REPO_SMALL, small)], PULL_DIR)
    try:
        endpoint = hub.wait_ready()
        results = measure(args, hub, endpoint, full, small, full_files, small_files, cpus)
    finally:
        hub.stop()
    return results


def measure(args, hub, endpoint, full, small, full_files, small_files, cpus):
    sha_full = api_get(endpoint, f"/api/models/{REPO_FULL}/revision/main")["sha"]
    sha_small = api_get(endpoint, f"/api/models/{REPO_SMALL}/revision/main")["sha"]

    def snapshot(hf_home, repo_id, sha):
        return hf_home / "hub" / f"models--{repo_id.replace('/', '--')}" / "snapshots" / sha

    pull_extra = [] if args.concurrency is None else ["--concurrency", str(args.concurrency)]

    def hs_pull(repo_id, _sha, _hf_home):
        return [[str(HUBSIGN), "pull", repo_id, "--public-key", str(PUB), "-q", *pull_extra]]

    def download(repo_id, _sha, _hf_home):
        return [[str(PYTHON), "-c", SNAPSHOT_DOWNLOAD.format(repo_id)]]

    def download_verify(repo_id, sha, hf_home):
        snap = snapshot(hf_home, repo_id, sha)
        return download(repo_id, sha, hf_home) + [[
            str(MODEL_SIGNING), "verify", "key", str(snap), "--signature", str(snap / SIG_NAME),
            "--public_key", str(PUB), "--allow_symlinks"]]

    hs_label = "hubsign pull" + (f" --concurrency {args.concurrency}" if pull_extra else "")
    plan = [
        # key, label, repo, commit, expected files, argvs(repo, commit, hf_home)
        ("hubsign_pull", f"{hs_label} (full)", REPO_FULL, sha_full, len(full_files), hs_pull),
        ("snapshot_download", "snapshot_download (full)", REPO_FULL, sha_full, len(full_files),
         download),
        ("download_verify", "snapshot_download + model_signing verify (full)", REPO_FULL, sha_full,
         len(full_files), download_verify),
        ("hubsign_pull_small", f"{hs_label} (small)", REPO_SMALL, sha_small, len(small_files),
         hs_pull),
    ]

    reps = args.reps
    floor = rss_floor(endpoint)
    log(f"measuring ({reps} reps each, round-robin, fresh HF_HOME per run) ...")
    runs = {key: [] for key, *_ in plan}
    load_before = os.getloadavg()
    for r in range(reps):
        for key, label, repo_id, sha, nfiles, make in plan:
            hf_home = fresh_hf_home()
            cleanup = 0.0
            try:
                env = bench_env(hf_home, endpoint)
                hub_cpu0 = hub.cpu_s()
                wall, procs = run_seq(make(repo_id, sha, hf_home), label, env)
                hub_cpu = hub.cpu_s() - hub_cpu0
                got = snapshot_files(snapshot(hf_home, repo_id, sha))
                if got != nfiles:
                    raise CommandFailed(f"{label}: the snapshot has {got} files, expected {nfiles}")
            finally:
                cleanup = drop_hf_home(hf_home)
            runs[key].append({"wall_s": wall, "procs": procs, "hub_cpu_s": hub_cpu})
            rss = max(p["rss_kib"] for p in procs) / 1024
            parts = " + ".join(f"{p['wall_s']:.2f}" for p in procs) if len(procs) > 1 else ""
            log(f"  rep {r + 1}/{reps}  {label:<50} {wall:8.3f} s  {rss:7.1f} MiB"
                + (f"  ({parts} s)" if parts else "") + f"  [cleanup {cleanup:.1f} s]")
    load_after = os.getloadavg()

    def med(xs):
        return statistics.median(xs)

    cmds = {}
    for key, label, repo_id, *_ in plan:
        rs = runs[key]
        times = [x["wall_s"] for x in rs]
        nproc = len(rs[0]["procs"])
        cmds[key] = {
            "label": label,
            "repo": repo_id,
            "median_s": med(times),
            "min_s": min(times),
            "runs_s": times,
            "peak_rss_mib": max(p["rss_kib"] for x in rs for p in x["procs"]) / 1024,
            "user_s": med([sum(p["user_s"] for p in x["procs"]) for x in rs]),
            "sys_s": med([sum(p["sys_s"] for p in x["procs"]) for x in rs]),
            "hub_cpu_s": med([x["hub_cpu_s"] for x in rs]),
            "processes": [
                {"median_s": med([x["procs"][i]["wall_s"] for x in rs]),
                 "peak_rss_mib": max(x["procs"][i]["rss_kib"] for x in rs) / 1024}
                for i in range(nproc)
            ],
        }

    def ratio(name, num, den, target):
        return _common.ratio_check(cmds, name, num, den, target)

    def rss_check(name, key):
        return _common.limit_check(name, cmds[key]["peak_rss_mib"], TARGET_RSS_MIB)

    checks = [
        ratio("hubsign pull / snapshot_download", "hubsign_pull", "snapshot_download",
              TARGET_VS_DOWNLOAD),
        ratio("hubsign pull / (snapshot_download + verify)", "hubsign_pull", "download_verify",
              TARGET_VS_DOWNLOAD_VERIFY),
        rss_check("hubsign peak RSS, full model (MiB)", "hubsign_pull"),
        rss_check("hubsign peak RSS, small model (MiB)", "hubsign_pull_small"),
    ]

    versions = compare.tool_versions()
    try:
        r = subprocess.run([str(PYTHON), "-c", "import huggingface_hub as h; print(h.__version__)"],
                           cwd=REPO, capture_output=True, text=True)
        versions["huggingface_hub"] = r.stdout.strip() or None
    except OSError:
        versions["huggingface_hub"] = None

    small_bytes = sum(s for _, s in small_files)
    return {
        **_common.run_facts(cpus),
        "versions": versions,
        "reps": reps,
        "hubsign_concurrency": args.concurrency,
        "rss_floor_mib": floor,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "models": {
            "full": {"path": rel(full), "repo": REPO_FULL, "files": len(full_files),
                     "bytes": sum(s for _, s in full_files), "large_file_mib": args.large_mib},
            "small": {"path": rel(small), "repo": REPO_SMALL, "files": len(small_files),
                      "bytes": small_bytes,
                      "large_file_mib": max(1, args.large_mib // SMALL_MODEL_DIVISOR)},
        },
        "commands": cmds,
        "checks": checks,
    }


def print_report(res):
    m = res["models"]
    v = res["versions"]
    _common.print_title("hubsign pull benchmark", res, [
        f"huggingface_hub {v['huggingface_hub']}", f"model-signing {v['model_signing']}",
        f"Python {v['python']}"])
    for name in ("full", "small"):
        mm = m[name]
        print(f"{name + ' model':<11}: {mm['repo']} = {mm['path']}: {mm['files']} files, "
              f"{mm['bytes'] / MIB:.0f} MiB ({LARGE_COUNT} x {mm['large_file_mib']} MiB + "
              f"{SMALL_COUNT} x {SMALL_SIZE // 1024} KiB + {SIG_NAME})")
    print("served by target/release/examples/local-hub on 127.0.0.1 (LFS files via a 302 to its "
          "CDN port); fresh HF_HOME under target/bench-pull/ per run")
    _common.print_load(res, "this benchmark itself, client + hub,")
    print(f"median of {res['reps']} reps (round-robin); user/sys = CPU s of the command, hub = CPU s "
          f"of the hub meanwhile (medians); peak RSS = max ru_maxrss over the command's processes "
          f"(floor: {res['rss_floor_mib']:.1f} MiB for `true`)")
    print()

    def processes(c, w):
        if len(c["processes"]) > 1:
            names = ("snapshot_download", "model_signing verify key")
            for name, p in zip(names, c["processes"]):
                print(f"{'  of which ' + name:<{w}}  {p['median_s']:9.3f}  "
                      f"{p['peak_rss_mib']:12.1f}")

    _common.print_commands(res, cpu=True, detail=processes)
    print()
    _common.print_checks(res)
    print()
    _common.print_total(res)


if __name__ == "__main__":
    sys.exit(main())
