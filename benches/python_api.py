#!/usr/bin/env python3
"""Python API benchmark: the hubsign wheel against model_signing and huggingface_hub, each call
timed in-process (the library imported first, untimed, in a fresh interpreter per run), ratios
in one run. A measurement, not a test: exits 0 unless a step fails (then 2). See benches/README.md.

1. `import hubsign` vs `import model_signing`, each in a fresh interpreter, median of
   --import-reps. Target: hubsign <= 25 ms.
2. `hubsign.verify` vs `model_signing.verifying.Config().use_elliptic_key_verifier(...).verify()`
   on 1 GiB in 100 files (target <= 1.05) and on 50,000 small files (target <= 0.15), the same
   signature, page cache warm.
3. Four `hubsign.verify` calls in four threads vs the same four one after another, in one
   process (target <= 0.6). The workload is four single-file models of 256 MiB: one file is one
   SHA-256 stream, so one verify keeps one core busy and only calls running side by side can use
   the second core of a 2-core machine. The ratio shows the GIL is released (held, it would be
   ~1.0); with many-file models each verify already spreads over every core and the ratio says
   nothing on 2 cores.
4. `hubsign.snapshot_download` vs `huggingface_hub.snapshot_download` of the 5,000-file dataset
   from the local hub (benches/dataset.py's dataset and hub) into a fresh HF_HOME. Target <= 0.3.

How to run: the numbers mean something only for a release build of the wheel, installed in a
Python beside model-signing 1.1.1 (with pyopenssl, which it needs and does not declare) and
huggingface_hub. From the repository root:

    .venv/bin/maturin build --release -o target/wheels
    python3 -m venv target/bench-venv
    target/bench-venv/bin/pip install target/wheels/hubsign-*.whl "model-signing==1.1.1" pyopenssl \\
        "huggingface_hub>=1.0,<3"
    target/bench-venv/bin/python benches/python_api.py [--quick] [--reps N] [--json]

(or `maturin develop --release` with that venv active). The script refuses to run when
`hubsign` is not importable or its native module is a debug build. It also builds the release
`hubsign` command and the local hub example (cargo), which make and serve the dataset.
`--quick` shrinks every model (a smoke run: the ratios are not the targets' workloads).
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

sys.dont_write_bytecode = True  # no benches/__pycache__ from importing _common.py and dataset.py
import _common  # noqa: E402  (benches/_common.py: paths, run facts, report printers)
import dataset  # noqa: E402  (benches/dataset.py: the 5,000-file dataset, the small-file model, the local hub)
from _common import MIB, PRIV, PUB, REPO, log  # noqa: E402

WORK = REPO / "target" / "bench-python"

TARGET_IMPORT_S = 0.025
TARGET_LARGE = 1.05
TARGET_SMALL = 0.15
TARGET_THREADS = 0.6
TARGET_SNAPSHOT = 0.3

FULL = {"large_files": 100, "large_bytes": 1 << 30, "small_files": 50_000, "thread_model_bytes": 256 * MIB,
        "dataset_files": 5000}
QUICK = {"large_files": 100, "large_bytes": 64 * MIB, "small_files": 2000, "thread_model_bytes": 32 * MIB,
         "dataset_files": 500}


# --------------------------------------------------------------------------
# Worker: one timed call in this (fresh) interpreter; prints {"s": seconds, "rss_mib": peak}
# --------------------------------------------------------------------------


def worker(kind, args):
    import resource

    if kind == "check":
        try:
            import hubsign
            import hubsign._native as native
            import hubsign.verifying  # noqa: F401  (the model_signing drop-in is in this build)
        except ImportError as e:
            print(json.dumps({"error": f"hubsign is not importable here ({e}): install the release wheel"}))
            return
        debug = getattr(native, "debug_build", None)  # None: a build older than the flag
        missing = []
        for mod in ("model_signing.verifying", "huggingface_hub"):
            try:
                __import__(mod)
            except ImportError as e:
                missing.append(f"{mod} ({e})")
        print(json.dumps({"version": hubsign.__version__, "debug": debug, "missing": missing}))
        return
    if kind in ("import-hubsign", "import-model_signing"):
        t = time.perf_counter()
        __import__(kind.split("-", 1)[1])
        print(json.dumps({"s": time.perf_counter() - t, "rss_mib": 0.0}))
        return
    import hubsign

    if kind == "sign":
        hubsign.sign(args[0], args[1], private_key=PRIV)
        print(json.dumps({"s": 0.0, "rss_mib": 0.0}))
        return
    if kind == "verify-hubsign":
        call = lambda: hubsign.verify(args[0], args[1], public_key=PUB)  # noqa: E731
    elif kind == "verify-model_signing":
        from model_signing import verifying

        config = verifying.Config().use_elliptic_key_verifier(public_key=PUB)
        call = lambda: config.verify(Path(args[0]), Path(args[1]))  # noqa: E731
    elif kind in ("threads", "sequential"):
        pairs = list(zip(args[0::2], args[1::2]))
        # One untimed call first: both modes then start from a process past its first call.
        hubsign.verify(pairs[0][0], pairs[0][1], public_key=PUB)

        def call():
            if kind == "sequential":
                for m, s in pairs:
                    hubsign.verify(m, s, public_key=PUB)
                return
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(len(pairs)) as pool:
                list(pool.map(lambda p: hubsign.verify(p[0], p[1], public_key=PUB), pairs))
    elif kind == "snapshot-hubsign":
        call = lambda: hubsign.snapshot_download(args[0], repo_type="dataset", public_key=PUB)  # noqa: E731
    elif kind == "snapshot-huggingface_hub":
        from huggingface_hub import snapshot_download

        call = lambda: snapshot_download(args[0], repo_type="dataset")  # noqa: E731
    else:
        raise SystemExit(f"unknown worker {kind}")
    t = time.perf_counter()
    call()
    wall = time.perf_counter() - t
    print(json.dumps({"s": wall, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------


def run_worker(kind, *args, env=None):
    r = subprocess.run([sys.executable, __file__, "--worker", kind, *map(str, args)], capture_output=True, text=True,
                       env=env)
    if r.returncode != 0:
        log(f"worker {kind} failed ({r.returncode}):\n{r.stderr[-3000:]}")
        sys.exit(2)
    return json.loads(r.stdout.strip().splitlines()[-1])


def check_install():
    doc = run_worker("check")
    if "error" in doc:
        log(f"refusing to run: {doc['error']} (see the top of benches/python_api.py)")
        sys.exit(2)
    if doc["debug"] is None:
        log("refusing to run: hubsign's native module does not say whether it is a release build (built before "
            "`hubsign._native.debug_build`): rebuild the wheel")
        sys.exit(2)
    if doc["debug"]:
        log("refusing to run: hubsign's native module is a debug build; build the wheel with "
            "`maturin build --release` (or `maturin develop --release`), see the top of benches/python_api.py")
        sys.exit(2)
    if doc["missing"]:
        log("refusing to run: not importable beside hubsign: " + ", ".join(doc["missing"]))
        sys.exit(2)
    return doc["version"]


def build_tools():
    log("building the hubsign command and the local hub (release), which make and serve the dataset")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "hubsign", "--example", "local-hub"],
                   cwd=REPO, check=True)


def random_files(root, count, total):
    """`count` files of random bytes, `total` bytes in all, made once (a marker says complete)."""
    marker = root.parent / f"{root.name}.complete"
    if marker.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    each = total // count
    for i in range(count):
        with open(root / f"part-{i:04d}.bin", "wb") as f:
            left = each
            while left:
                n = min(left, 8 * MIB)
                f.write(os.urandom(n))
                left -= n
    marker.write_text("")
    return root


def warm(root):
    for p in root.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                while f.read(8 * MIB):
                    pass


def signed(model):
    sig = model.parent / f"{model.name}.sig"
    if not sig.exists():
        run_worker("sign", model, sig)
    return sig


def command(label, runs, rss):
    return {"label": label, "runs_s": runs, "median_s": statistics.median(runs), "min_s": min(runs),
            "peak_rss_mib": max(rss) if rss else 0.0}


def alternate(cmds, names_args, reps, env_for=None):
    """Runs every (name, worker, args) once per rep, round-robin; records into `cmds`."""
    runs = {name: ([], []) for name, _, _ in names_args}
    for rep in range(reps):
        for name, kind, args in names_args:
            env = env_for(name) if env_for else None
            doc = run_worker(kind, *args, env=env)
            runs[name][0].append(doc["s"])
            runs[name][1].append(doc["rss_mib"])
            log(f"  rep {rep + 1}: {name}: {doc['s']:.3f} s")
    for name, (walls, rss) in runs.items():
        cmds[name] = command(name, walls, rss)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--import-reps", type=int, default=9)
    p.add_argument("--quick", action="store_true", help="small models: a smoke run, not the targets' workloads")
    p.add_argument("--json", action="store_true")
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1:])
        return
    size = QUICK if args.quick else FULL
    started = time.perf_counter()
    version = check_install()
    WORK.mkdir(parents=True, exist_ok=True)
    build_tools()
    load_before = os.getloadavg()
    cmds, checks = {}, []

    log("import time (fresh interpreter each)")
    alternate(cmds, [("import hubsign", "import-hubsign", []), ("import model_signing", "import-model_signing", [])],
              args.import_reps)
    checks.append(_common.limit_check("import hubsign s", cmds["import hubsign"]["median_s"], TARGET_IMPORT_S))
    checks.append(_common.ratio_check(cmds, "import hubsign / import model_signing", "import hubsign",
                                      "import model_signing", 1.0))

    gib = size["large_bytes"] / (1 << 30)
    large = random_files(WORK / f"large-{size['large_files']}-{size['large_bytes']}", size["large_files"],
                         size["large_bytes"])
    small = dataset.WORK / f"verify-{size['small_files']}"
    dataset.make_files(small, size["small_files"], 1)  # signed by the hubsign command: small/model.sig
    for name, model, sig, target in (
        (f"{gib:g} GiB in {size['large_files']} files", large, signed(large), TARGET_LARGE),
        (f"{size['small_files']} small files", small, small / "model.sig", TARGET_SMALL),
    ):
        log(f"verify: {name}")
        warm(model)
        h, m = f"hubsign.verify, {name}", f"model_signing verify, {name}"
        alternate(cmds, [(h, "verify-hubsign", [model, sig]), (m, "verify-model_signing", [model, sig])], args.reps)
        checks.append(_common.ratio_check(cmds, f"verify {name}: hubsign / model_signing", h, m, target))

    log("four verify calls: four threads vs one after another")
    models = []
    for i in range(4):
        one = random_files(WORK / f"single-{i}-{size['thread_model_bytes']}", 1, size["thread_model_bytes"])
        models += [one, signed(one)]
        warm(one)
    t, s = "4 x hubsign.verify in 4 threads", "4 x hubsign.verify one after another"
    alternate(cmds, [(t, "threads", models), (s, "sequential", models)], args.reps)
    checks.append(_common.ratio_check(cmds, "4 threads / sequential", t, s, TARGET_THREADS))

    log(f"snapshot_download: {size['dataset_files']}-file dataset from the local hub")
    data = dataset.WORK / f"dataset-{size['dataset_files']}"
    dataset.make_files(data, size["dataset_files"], 8)
    hub, endpoint = dataset.start_hub(f"datasets/bench/files={data}")
    homes = []

    def env_for(_name):
        home = Path(tempfile.mkdtemp(prefix="hf-home-", dir=WORK))
        homes.append(home)
        env = dict(os.environ, HF_ENDPOINT=endpoint, HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1",
                   HF_HUB_DISABLE_PROGRESS_BARS="1")
        env.pop("HF_HUB_OFFLINE", None)
        env.pop("HF_TOKEN", None)
        return env

    h, m = "hubsign.snapshot_download", "huggingface_hub.snapshot_download"
    try:
        # One unmeasured round first (benches/dataset.py says why: ext4 after mass deletion).
        alternate({}, [(h, "snapshot-hubsign", ["bench/files"]), (m, "snapshot-huggingface_hub", ["bench/files"])],
                  1, env_for)
        alternate(cmds, [(h, "snapshot-hubsign", ["bench/files"]), (m, "snapshot-huggingface_hub", ["bench/files"])],
                  args.reps, env_for)
    finally:
        hub.terminate()
        hub.wait()
        for home in homes:  # removed only at the end, as benches/dataset.py does
            shutil.rmtree(home, ignore_errors=True)
    checks.append(_common.ratio_check(cmds, f"snapshot_download {size['dataset_files']} files: hubsign / hf", h, m,
                                      TARGET_SNAPSHOT))

    res = {
        **_common.run_facts(os.cpu_count()),
        "versions": {"hubsign": f"hubsign {version} (wheel)",
                     "hubsign_commit": subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                                                      capture_output=True, text=True).stdout.strip()},
        "quick": args.quick,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "commands": cmds,
        "checks": checks,
        "total_run_s": time.perf_counter() - started,
    }
    if args.json:
        print(json.dumps(res, indent=2))
        return
    tools = [f"Python {sys.version.split()[0]}"]
    for mod in ("model_signing", "huggingface_hub"):
        from importlib.metadata import version as dist_version

        tools.append(f"{mod} {dist_version(mod.replace('_', '-'))}")
    _common.print_title("Python API benchmark" + (" (--quick: smoke run, not the targets' sizes)" if args.quick else ""),
                        res, tools)
    _common.print_load(res, "the benchmark")
    print("times are in-process (import excluded); peak RSS is the worker interpreter's\n")
    _common.print_commands(res)
    print()
    _common.print_checks(res)
    _common.print_total(res)


if __name__ == "__main__":
    main()
