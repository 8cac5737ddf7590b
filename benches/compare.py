#!/usr/bin/env python3
"""Wall-time benchmark: hubsign vs. model_signing 1.1.1 vs. the hardware limit.

This is a measurement, not a test: it always exits 0 (unless a benchmarked
command or a setup step fails, then 2). See benches/README.md.

Usage: benches/compare.py [--reps N] [--rebuild] [--json] [--large-mib N]

All paths are derived from this script's location (<repo>/benches/).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no benches/__pycache__ from importing _common.py
import _common  # noqa: E402  (benches/_common.py: paths, measuring, report printers)
from _common import (  # noqa: E402
    HUBSIGN,
    MIB,
    MODEL_SIGNING,
    PRIV,
    PUB,
    REPO,
    CommandFailed,
    log,
    rel,
)

BENCH_DIR = REPO / "target" / "bench-model"
SMALL_COUNT = 2000
SMALL_SIZE = 4 * 1024
SMALL_DIRS = 20
LARGE_COUNT = 4
CHUNK = 16 * MIB

# Targets (ratio <= target, or absolute limits).
TARGET_VS_PYTHON = 0.6
TARGET_VS_HW = 1.15
TARGET_RSS_MIB = 100.0
TARGET_SMALL_S = 0.1


# --------------------------------------------------------------------------
# Model generation
# --------------------------------------------------------------------------


def write_random_file(path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(CHUNK, left)
            f.write(os.urandom(n))
            left -= n


def write_small_files(root):
    for i in range(SMALL_COUNT):
        write_random_file(root / "small" / f"d{i % SMALL_DIRS}" / f"f{i}.bin", SMALL_SIZE)


def build_model(name, large_mib, rebuild):
    """Build (or reuse) target/bench-model/<name>/; a marker beside it (not
    inside it, so it is not part of the model) records the completed spec."""
    root = BENCH_DIR / name
    marker = BENCH_DIR / f"{name}.complete"
    spec = {
        "large_count": LARGE_COUNT if large_mib else 0,
        "large_mib": large_mib,
        "small_count": SMALL_COUNT,
        "small_size": SMALL_SIZE,
    }
    if not rebuild and root.is_dir() and marker.is_file():
        try:
            if json.loads(marker.read_text()) == spec:
                return root
        except ValueError:
            pass
    log(f"building {rel(root)} ({spec}) ...")
    t0 = time.perf_counter()
    marker.unlink(missing_ok=True)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for i in range(spec["large_count"]):
        write_random_file(root / f"model-{i:05d}-of-{LARGE_COUNT:05d}.bin", large_mib * MIB)
    write_small_files(root)
    marker.write_text(json.dumps(spec))
    log(f"  built in {time.perf_counter() - t0:.1f} s")
    return root


def model_files(root):
    files = []
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            p = Path(dirpath) / n
            files.append((p, p.stat().st_size))
    files.sort()
    return files


def warm_cache(files):
    total = 0
    buf = bytearray(CHUNK)
    for p, _ in files:
        with open(p, "rb", buffering=0) as f:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                total += n
    return total


# --------------------------------------------------------------------------
# Running and measuring
# --------------------------------------------------------------------------


# The commands are started by a minimal, freshly exec'ed Python ("launcher"),
# not by this process. Linux's ru_maxrss of an exec'ed program is at least the
# high-water RSS of the address space it was exec'ed from: with vfork /
# posix_spawn (what subprocess uses) that is this whole harness, after a plain
# fork it is the parent's copied anonymous memory -- both tens of MiB here after
# generating and reading the models. The launcher (python -I -S, no imports but
# the built-in os/time) forks each command from a few MiB, starts the clock
# right before the first fork and stops it when the last command has been
# reaped, and prints: wall seconds, then per command its exit code and
# ru_maxrss (KiB). `rss_floor` reports the resulting floor (for `true`).
SEP = "--hubsign-bench-next--"
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
pids = []
t0 = time.perf_counter()
for out, err, *argv in cmds:
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
    pids.append(pid)
res = []
for pid in pids:
    _, status, ru = os.wait4(pid, 0)
    res.append((os.waitstatus_to_exitcode(status), ru.ru_maxrss))
wall = time.perf_counter() - t0
print(repr(wall))
for code, rss in res:
    print(code, rss)
""".replace("SEP", repr(SEP))


def run_once(argvs, label):
    """Start every argv in `argvs` at once (through the launcher); return
    (wall seconds, peak RSS KiB over the processes). Raises CommandFailed on a
    non-zero exit."""
    with tempfile.TemporaryDirectory(prefix="hubsign-bench-out-") as tmp:
        launcher_args = []
        outs = []
        for i, argv in enumerate(argvs):
            out, err = Path(tmp) / f"{i}.out", Path(tmp) / f"{i}.err"
            out.touch()
            err.touch()
            outs.append((out, err))
            if i:
                launcher_args.append(SEP)
            launcher_args += [str(out), str(err), *map(str, argv)]
        r = subprocess.run([sys.executable, "-I", "-S", "-c", LAUNCHER, *launcher_args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise CommandFailed(f"{label}: launcher failed ({r.returncode})\n{r.stderr}")
        lines = r.stdout.split("\n")
        wall = float(lines[0])
        peak = 0
        for i, line in enumerate(lines[1:1 + len(argvs)]):
            code, rss = map(int, line.split())
            peak = max(peak, rss)
            if code != 0:
                out, err = outs[i]
                raise CommandFailed(
                    f"{label}: command exited with {code}: "
                    f"{' '.join(rel(a) if a.startswith('/') else a for a in map(str, argvs[i]))}\n"
                    f"--- stdout ---\n{out.read_text(errors='replace')}"
                    f"--- stderr ---\n{err.read_text(errors='replace')}"
                )
    return wall, peak


def rss_floor():
    """ru_maxrss reported for `true` started the same way: the smallest peak
    RSS this harness can report (a command at the floor used at most that)."""
    return min(run_once([["true"]], "true")[1] for _ in range(3)) / 1024


def measure_all(plan, reps):
    """Round-robin: rep 1 of every command, then rep 2, ... so that a burst of
    background load hits all commands alike rather than one of them."""
    times = {key: [] for key, _, _ in plan}
    peaks = {key: 0 for key, _, _ in plan}
    for r in range(reps):
        for key, label, argvs in plan:
            wall, rss = run_once(argvs, label)
            times[key].append(wall)
            peaks[key] = max(peaks[key], rss)
            log(f"  rep {r + 1}/{reps}  {label:<34} {wall:8.3f} s  {rss / 1024:7.1f} MiB")
    return {
        key: {
            "label": label,
            "median_s": statistics.median(times[key]),
            "min_s": min(times[key]),
            "runs_s": times[key],
            "peak_rss_mib": peaks[key] / 1024,
            "processes": len(argvs),
        }
        for key, label, argvs in plan
    }


def balanced_bins(files, nbins):
    """Greedy largest-first: each file goes to the currently lightest bin."""
    bins = [[0, []] for _ in range(nbins)]
    for p, size in sorted(files, key=lambda f: (-f[1], str(f[0]))):
        b = min(bins, key=lambda b: b[0])
        b[0] += size
        b[1].append(str(p))
    return [b for b in bins if b[1]]


# --------------------------------------------------------------------------
# Setup
# --------------------------------------------------------------------------


def setup_step(argv, what):
    log(f"{what}: {' '.join(rel(a) if a.startswith('/') else a for a in argv)}")
    r = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise CommandFailed(
            f"{what} failed ({r.returncode})\n--- stdout ---\n{r.stdout.decode(errors='replace')}"
            f"--- stderr ---\n{r.stderr.decode(errors='replace')}"
        )
    return r.stdout.decode(errors="replace").strip()


def tool_versions():
    def out(argv):
        try:
            r = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
            return (r.stdout or r.stderr).strip().splitlines()[0] if r.returncode == 0 else None
        except (OSError, IndexError):
            return None

    return {
        "hubsign": out([str(HUBSIGN), "--version"]),
        "hubsign_commit": out(["git", "describe", "--always", "--dirty"]),
        "model_signing": out([str(REPO / ".venv" / "bin" / "python"), "-c",
                              "import importlib.metadata as m; print(m.version('model-signing'))"]),
        "openssl": out(["openssl", "version"]),
        "python": platform.python_version(),
    }


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3, help="repetitions per command (median taken)")
    ap.add_argument("--rebuild", action="store_true", help="regenerate the benchmark models")
    ap.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    ap.add_argument("--large-mib", type=int, default=512,
                    help="size of each of the 4 large files in MiB (default 512: a 2 GiB model)")
    args = ap.parse_args()
    if args.reps < 1:
        ap.error("--reps must be >= 1")
    if args.large_mib < 1:
        ap.error("--large-mib must be >= 1")

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

    # 1. Models.
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(BENCH_DIR).free
    needed = LARGE_COUNT * args.large_mib * MIB + 2 * SMALL_COUNT * SMALL_SIZE
    if free < needed + 512 * MIB and not (BENCH_DIR / "full.complete").is_file():
        raise CommandFailed(f"not enough free disk space: {free / MIB:.0f} MiB free, "
                            f"{needed / MIB:.0f} MiB needed (try --large-mib 256)")
    full = build_model("full", args.large_mib, args.rebuild)
    small = build_model("small", 0, args.rebuild)

    # 2. Tools.
    setup_step(["cargo", "build", "--release", "--quiet"], "building hubsign")
    setup_step([str(REPO / "scripts" / "python-env")], "ensuring the Python venv")
    for tool in (HUBSIGN, MODEL_SIGNING):
        if not os.access(tool, os.X_OK):
            raise CommandFailed(f"{rel(tool)} is missing after setup")

    # 3. Warm the page cache.
    full_files = model_files(full)
    small_files = model_files(small)
    t0 = time.perf_counter()
    warmed = warm_cache(full_files) + warm_cache(small_files)
    log(f"warmed page cache: {warmed / MIB:.0f} MiB in {time.perf_counter() - t0:.1f} s")

    reps = args.reps
    floor = rss_floor()
    with tempfile.TemporaryDirectory(prefix="hubsign-bench-") as tmp:
        tmp = Path(tmp)
        hs_sig = tmp / "hubsign.sig"
        ms_sig = tmp / "model_signing.sig"
        hs_small_sig = tmp / "hubsign-small.sig"
        ms_small_sig = tmp / "model_signing-small.sig"

        def hs_sign(model, sig):
            return [str(HUBSIGN), "sign", str(model), "--private-key", str(PRIV),
                    "--signature", str(sig)]

        def hs_verify(model, sig):
            return [str(HUBSIGN), "verify", str(model), "--public-key", str(PUB),
                    "--signature", str(sig)]

        def ms_sign(model, sig):
            return [str(MODEL_SIGNING), "sign", "key", str(model), "--private_key", str(PRIV),
                    "--signature", str(sig)]

        def ms_verify(model, sig):
            return [str(MODEL_SIGNING), "verify", "key", str(model), "--public_key", str(PUB),
                    "--signature", str(sig)]

        bins = balanced_bins(full_files, cpus)
        openssl = [["openssl", "dgst", "-sha256", *b[1]] for b in bins]

        log(f"measuring ({reps} reps each, median wall time) ...")
        plan = [
            ("hw_limit", f"openssl dgst -sha256 x{len(openssl)} (full)", openssl),
            ("hubsign_sign", "hubsign sign (full)", [hs_sign(full, hs_sig)]),
            ("hubsign_verify", "hubsign verify (full)", [hs_verify(full, hs_sig)]),
            ("ms_sign", "model_signing sign key (full)", [ms_sign(full, ms_sig)]),
            ("ms_verify", "model_signing verify key (full)", [ms_verify(full, ms_sig)]),
            ("hubsign_sign_small", "hubsign sign (small)", [hs_sign(small, hs_small_sig)]),
            ("hubsign_verify_small", "hubsign verify (small)",
             [hs_verify(small, hs_small_sig)]),
            ("ms_sign_small", "model_signing sign key (small)", [ms_sign(small, ms_small_sig)]),
            ("ms_verify_small", "model_signing verify key (small)",
             [ms_verify(small, ms_small_sig)]),
        ]
        load_before = os.getloadavg()
        cmds = measure_all(plan, reps)
        load_after = os.getloadavg()

    def ratio(name, num, den, target):
        return _common.ratio_check(cmds, name, num, den, target)

    hs_rss = max(cmds[k]["peak_rss_mib"] for k in cmds if k.startswith("hubsign"))
    checks = [
        ratio("hubsign sign / model_signing sign", "hubsign_sign", "ms_sign", TARGET_VS_PYTHON),
        ratio("hubsign verify / model_signing verify", "hubsign_verify", "ms_verify",
              TARGET_VS_PYTHON),
        ratio("hubsign sign / hardware limit", "hubsign_sign", "hw_limit", TARGET_VS_HW),
        ratio("hubsign verify / hardware limit", "hubsign_verify", "hw_limit", TARGET_VS_HW),
        _common.limit_check("hubsign peak RSS (MiB)", hs_rss, TARGET_RSS_MIB),
        {"name": f"hubsign sign, {SMALL_COUNT} small files (s)",
         "value": cmds["hubsign_sign_small"]["median_s"], "target": f"< {TARGET_SMALL_S:g}",
         "pass": cmds["hubsign_sign_small"]["median_s"] < TARGET_SMALL_S},
    ]

    full_bytes = sum(s for _, s in full_files)
    return {
        **_common.run_facts(cpus),
        "versions": tool_versions(),
        "reps": reps,
        "rss_floor_mib": floor,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "models": {
            "full": {"path": rel(full), "files": len(full_files), "bytes": full_bytes,
                     "large_file_mib": args.large_mib},
            "small": {"path": rel(small), "files": len(small_files),
                      "bytes": sum(s for _, s in small_files)},
        },
        "openssl_bins": [{"files": len(b[1]), "bytes": b[0]} for b in bins],
        "commands": cmds,
        "checks": checks,
    }


def print_report(res):
    m = res["models"]
    v = res["versions"]
    _common.print_title("hubsign benchmark", res, [f"model-signing {v['model_signing']}", f"{v['openssl']}",
                                                   f"Python {v['python']}"])
    print(f"full model : {m['full']['path']}: {m['full']['files']} files, "
          f"{m['full']['bytes'] / MIB:.0f} MiB "
          f"({LARGE_COUNT} x {m['full']['large_file_mib']} MiB + {SMALL_COUNT} x "
          f"{SMALL_SIZE // 1024} KiB)")
    print(f"small model: {m['small']['path']}: {m['small']['files']} files, "
          f"{m['small']['bytes'] / MIB:.1f} MiB")
    print(f"hardware limit: {len(res['openssl_bins'])} parallel openssl processes, bins: "
          + ", ".join(f"{b['files']} files/{b['bytes'] / MIB:.0f} MiB" for b in res["openssl_bins"]))
    _common.print_load(res, "this benchmark itself")
    print(f"page cache warm; median of {res['reps']} reps (round-robin); peak RSS = max ru_maxrss over the "
          f"command's processes (floor: {res['rss_floor_mib']:.1f} MiB for `true`)")
    print()
    _common.print_commands(res)
    print()
    _common.print_checks(res)
    print()
    _common.print_total(res)


if __name__ == "__main__":
    sys.exit(main())
