#!/usr/bin/env python3
"""Wall-time benchmark: hubsign push (sign + upload) vs. huggingface_hub upload_folder.

Publishes the ~2 GiB benchmark model to the local Hugging Face Hub–compatible
server (`local-hub` example), once with `hubsign push` (which hashes the model
once, signs it and uploads it) and once with `HfApi().upload_folder` of the same
files (no signing at all), each on a freshly started hub so that no LFS object
is already there. Then pushes the same model again to the same hub (LFS
deduplication). This is a measurement, not a test: it always exits 0 (unless a
benchmarked command or a setup step fails, then 2). See benches/README.md.

Usage: benches/push.py [--reps N] [--rebuild] [--json] [--large-mib N] [--concurrency N]

All paths are derived from this script's location (<repo>/benches/); it reuses
the models and helpers of benches/compare.py and benches/pull.py.
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
from pathlib import Path

sys.dont_write_bytecode = True  # no benches/__pycache__ from importing the other benches
import _common  # noqa: E402  (benches/_common.py: paths, measuring, report printers)
import compare  # noqa: E402  (benches/compare.py: the benchmark model and setup steps)
import pull  # noqa: E402  (benches/pull.py: launcher, hub, environment helpers)
from _common import (  # noqa: E402
    HUBSIGN,
    LOCAL_HUB,
    MIB,
    PRIV,
    PYTHON,
    REPO,
    CommandFailed,
    log,
    rel,
)
from compare import BENCH_DIR, LARGE_COUNT, SMALL_COUNT, SMALL_SIZE  # noqa: E402
from pull import SIG_NAME, show_argv  # noqa: E402

PUSH_DIR = REPO / "target" / "bench-push"
# The hub needs one repo to start with; the pushes create their own.
SEED_REPO = "bench/seed"

# Targets (ratio <= target, or absolute limits).
TARGET_VS_UPLOAD = 1.0
TARGET_RSS_MIB = 100.0

UPLOAD_FOLDER = (
    "from huggingface_hub import HfApi\n"
    "api = HfApi()\n"
    "api.create_repo({repo!r}, exist_ok=True)\n"
    "info = api.upload_folder(repo_id={repo!r}, folder_path={folder!r})\n"
    "print(info.oid)\n"
)


# --------------------------------------------------------------------------
# Running and measuring
# --------------------------------------------------------------------------


def run_one(argv, label, env):
    """Run one command through pull.py's launcher (fork from a minimal Python,
    ru_maxrss and CPU times from wait4) with `env`; return
    ({wall_s, rss_kib, user_s, sys_s}, stdout text). Raises CommandFailed on a
    non-zero exit, with the command's stdout and stderr."""
    with tempfile.TemporaryDirectory(prefix="hubsign-bench-out-") as tmp:
        out, err = Path(tmp) / "0.out", Path(tmp) / "0.err"
        out.touch()
        err.touch()
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", pull.LAUNCHER, str(out), str(err), *map(str, argv)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
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
        code, rss, user, sys_s, wall = lines[0].split()
        if int(code) != 0:
            raise CommandFailed(
                f"{label}: command exited with {code}: {show_argv(argv)}\n"
                f"--- stdout ---\n{out.read_text(errors='replace')}"
                f"--- stderr ---\n{err.read_text(errors='replace')}"
            )
        return ({"wall_s": float(wall), "rss_kib": int(rss), "user_s": float(user),
                 "sys_s": float(sys_s)}, out.read_text(errors="replace"))


class Hub(pull.Hub):
    """pull.py's hub, started empty (one tiny seed repo), with its store of pushed
    content (a temporary directory of its own) under target/bench-push/."""

    def __init__(self, seed, workdir):
        self.workdir = workdir
        self.port_file = workdir / "hub.endpoint"
        self.out = workdir / "hub.stdout"
        self.err = workdir / "hub.stderr"
        self.port_file.unlink(missing_ok=True)
        argv = [str(LOCAL_HUB), "--repo", f"{SEED_REPO}={rel(seed)}",
                "--port-file", str(self.port_file)]
        env = dict(os.environ, TMPDIR=str(workdir))
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err)
        self.pid = self.proc.pid

    def stored_bytes(self):
        """Bytes in the hub's store (what was pushed to it so far)."""
        total = 0
        for store in self.workdir.glob("local-hub-*"):
            for dirpath, _dirs, names in os.walk(store):
                for n in names:
                    try:
                        total += (Path(dirpath) / n).stat().st_size
                    except OSError:
                        pass
        return total


def drop_stores(workdir):
    """Delete what a hub left under `workdir` (it removes its store itself on
    SIGTERM; this is for a killed one) and sync; return the seconds it took."""
    t0 = time.perf_counter()
    for stale in list(workdir.glob("local-hub-*")) + list(workdir.glob("hf-home-*")):
        shutil.rmtree(stale, ignore_errors=True)
    # Start the next command with no dirty pages of this one left to write back.
    os.sync()
    return time.perf_counter() - t0


def check_repo(endpoint, repo_id, expected, label):
    """The hub's main branch of `repo_id` lists exactly the model's files (and the
    hub's .gitattributes), each of its size (the signature: present, any size)."""
    info = pull.api_get(endpoint, f"/api/models/{repo_id}/revision/main?blobs=true")
    # .gitattributes: made by the hub when the repo was created.
    got = {s["rfilename"]: s.get("size") for s in info.get("siblings", [])
           if s["rfilename"] != ".gitattributes"}
    if set(got) != set(expected):
        missing = sorted(set(expected) - set(got))[:5]
        extra = sorted(set(got) - set(expected))[:5]
        raise CommandFailed(f"{label}: {repo_id} has {len(got)} files, expected {len(expected)} "
                            f"(missing e.g. {missing}, unexpected e.g. {extra})")
    wrong = [p for p, s in expected.items() if p != SIG_NAME and got[p] != s]
    if wrong:
        raise CommandFailed(f"{label}: {repo_id}: wrong sizes for {wrong[:5]}")
    return info["sha"]


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main():
    return pull.bench_main(__doc__.splitlines()[0], "push", run, print_report)


def run(args):
    started = time.perf_counter()

    # 1. The model (compare.py's full model), with a model.sig inside it.
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    PUSH_DIR.mkdir(parents=True, exist_ok=True)
    full_bytes = LARGE_COUNT * args.large_mib * MIB + SMALL_COUNT * SMALL_SIZE
    needed = 2 * full_bytes + 512 * MIB  # the hub's store of one push, plus slack
    if not (BENCH_DIR / "full.complete").is_file():
        needed += full_bytes
    free = shutil.disk_usage(PUSH_DIR).free
    if free < needed:
        raise CommandFailed(f"not enough free disk space: {free / MIB:.0f} MiB free, "
                            f"{needed / MIB:.0f} MiB needed (try --large-mib 256)")
    full = compare.build_model("full", args.large_mib, args.rebuild)

    # 2. Tools.
    compare.setup_step(["cargo", "build", "--release", "--quiet"], "building hubsign")
    compare.setup_step(["cargo", "build", "--release", "--quiet", "--example", "local-hub"],
                       "building the local hub")
    compare.setup_step([str(REPO / "scripts" / "python-env")], "ensuring the Python venv")
    for tool in (HUBSIGN, LOCAL_HUB, PYTHON):
        if not os.access(tool, os.X_OK):
            raise CommandFailed(f"{rel(tool)} is missing after setup")
    # upload_folder uploads the folder as it is, so the model carries a model.sig
    # (pull.py's, signed in place the same way when missing or stale): both tools
    # then publish the same paths. hubsign ignores that file and signs afresh.
    pull.ensure_signed(full)
    full_files = compare.model_files(full)
    expected = {str(p.relative_to(full)): s for p, s in full_files}

    drop_stores(PUSH_DIR)
    seed = PUSH_DIR / "seed"
    seed.mkdir(exist_ok=True)
    (seed / "README.md").write_text("Seed repo: the local hub needs one to start.\n")
    t0 = time.perf_counter()
    warmed = compare.warm_cache(full_files)
    log(f"warmed page cache: {warmed / MIB:.0f} MiB in {time.perf_counter() - t0:.1f} s")
    log(f"setup done after {time.perf_counter() - started:.1f} s")

    with tempfile.TemporaryDirectory(prefix="sigs-", dir=PUSH_DIR) as sigs:
        return measure(args, full, full_files, expected, seed, Path(sigs))


def measure(args, full, full_files, expected, seed, sigs):
    cpus = os.cpu_count() or 1
    push_extra = [] if args.concurrency is None else ["--concurrency", str(args.concurrency)]
    sign_sig = sigs / "sign" / SIG_NAME
    push_sig = sigs / "push" / SIG_NAME
    sign_sig.parent.mkdir()
    push_sig.parent.mkdir()
    # The model's own model.sig is neither signed nor uploaded by hubsign (it is
    # pull.py's); hubsign's signature goes outside the model and is uploaded as
    # model.sig. So the model starts unsigned for hubsign on every first push.
    hs_common = ["--private-key", str(PRIV), "--ignore-paths", SIG_NAME]

    def hs_sign():
        return [str(HUBSIGN), "sign", str(full), "--signature", str(sign_sig), *hs_common]

    def hs_push(repo_id):
        return [str(HUBSIGN), "push", str(full), repo_id, "--signature", str(push_sig),
                *hs_common, "--json", *push_extra]

    def upload_folder(repo_id):
        return [str(PYTHON), "-c", UPLOAD_FOLDER.format(repo=repo_id, folder=str(full))]

    hs_label = "hubsign push" + (f" --concurrency {args.concurrency}" if push_extra else "")
    plan = [
        # key, label, fresh hub?, argv(repo_id) -- the push keys also get a "_again" run
        ("hubsign_sign", "hubsign sign (no upload)", False, lambda _r: hs_sign()),
        ("hubsign_push", f"{hs_label} (sign + upload)", True, hs_push),
        ("upload_folder", "create_repo + upload_folder", True, upload_folder),
    ]
    again_labels = {"hubsign_push": "  again, same hub (dedup; verify, no signing)",
                    "upload_folder": "  again, same hub (dedup)"}

    reps = args.reps
    no_hub_env = pull.bench_env(PUSH_DIR / "no-hf-home", "http://127.0.0.1:9")
    floor = min(run_one(["true"], "true", no_hub_env)[0]["rss_kib"] for _ in range(3)) / 1024
    log(f"measuring ({reps} reps each, round-robin, fresh hub per push) ...")
    runs = {key: [] for key, *_ in plan}
    runs.update({f"{key}_again": [] for key in again_labels})
    load_before = os.getloadavg()
    for r in range(reps):
        for key, label, fresh_hub, make in plan:
            sign_sig.unlink(missing_ok=True)
            push_sig.unlink(missing_ok=True)
            if not fresh_hub:
                proc, _ = run_one(make(None), label, no_hub_env)
                runs[key].append({"proc": proc, "hub_cpu_s": 0.0})
                log(f"  rep {r + 1}/{reps}  {label:<45} {proc['wall_s']:8.3f} s  "
                    f"{proc['rss_kib'] / 1024:7.1f} MiB")
                continue
            repo_id = f"bench/push-{key.replace('_', '-')}-{r + 1}"
            hf_home = Path(tempfile.mkdtemp(prefix="hf-home-", dir=PUSH_DIR))
            hub = Hub(seed, PUSH_DIR)
            try:
                endpoint = hub.wait_ready()
                env = pull.bench_env(hf_home, endpoint)
                for again in (False, True):
                    k = f"{key}_again" if again else key
                    lab = again_labels[key] if again else label
                    stored0 = hub.stored_bytes()
                    cpu0 = hub.cpu_s()
                    proc, out = run_one(make(repo_id), lab, env)
                    hub_cpu = hub.cpu_s() - cpu0
                    stored = hub.stored_bytes() - stored0
                    sha = check_repo(endpoint, repo_id, expected, lab)
                    rec = {"proc": proc, "hub_cpu_s": hub_cpu, "hub_stored_bytes": stored,
                           "commit": sha}
                    if key == "hubsign_push":
                        try:
                            rec["hubsign"] = json.loads(out.strip().splitlines()[-1])
                        except (ValueError, IndexError):
                            raise CommandFailed(f"{lab}: no JSON on stdout:\n{out}") from None
                    runs[k].append(rec)
                    extra = ""
                    if "hubsign" in rec:
                        h = rec["hubsign"]
                        extra = (f"  uploaded {h['uploaded_bytes'] / MIB:.1f} MiB, "
                                 + ("unchanged: the hub already holds it" if h.get("unchanged")
                                    else f"{h['deduplicated']} deduplicated"))
                    log(f"  rep {r + 1}/{reps}  {lab:<45} {proc['wall_s']:8.3f} s  "
                        f"{proc['rss_kib'] / 1024:7.1f} MiB  hub stored "
                        f"{stored / MIB:.1f} MiB{extra}")
            finally:
                hub.stop()
                shutil.rmtree(hf_home, ignore_errors=True)
                cleanup = drop_stores(PUSH_DIR)
                log(f"            [hub stopped, cleanup {cleanup:.1f} s]")
    load_after = os.getloadavg()

    def med(xs):
        return statistics.median(xs)

    cmds = {}
    order = ["hubsign_sign", "hubsign_push", "hubsign_push_again", "upload_folder",
             "upload_folder_again"]
    labels = {key: label for key, label, *_ in plan}
    labels.update({f"{k}_again": v for k, v in again_labels.items()})
    # Every model file is LFS here (*.bin), the signature is a regular file.
    lfs_files = sum(1 for name in expected if name != SIG_NAME)
    for key in order:
        rs = runs[key]
        times = [x["proc"]["wall_s"] for x in rs]
        c = {
            "label": labels[key],
            "median_s": med(times),
            "min_s": min(times),
            "runs_s": times,
            "peak_rss_mib": max(x["proc"]["rss_kib"] for x in rs) / 1024,
            "user_s": med([x["proc"]["user_s"] for x in rs]),
            "sys_s": med([x["proc"]["sys_s"] for x in rs]),
            "hub_cpu_s": med([x["hub_cpu_s"] for x in rs]),
        }
        if "hub_stored_bytes" in rs[0]:
            c["hub_stored_bytes"] = [x["hub_stored_bytes"] for x in rs]
        if "hubsign" in rs[0]:
            c["uploaded_bytes"] = [x["hubsign"]["uploaded_bytes"] for x in rs]
            # A push of what the branch already holds sends nothing and says "unchanged" (no
            # "deduplicated"): every LFS object was already on the hub.
            c["deduplicated"] = [lfs_files if x["hubsign"].get("unchanged") else x["hubsign"]["deduplicated"]
                                 for x in rs]
            c["files"] = [x["hubsign"]["files"] for x in rs]
            c["signed"] = [x["hubsign"]["signed"] for x in rs]
        cmds[key] = c

    def ratio(name, num, den, target):
        return _common.ratio_check(cmds, name, num, den, target)

    hs_rss = max(cmds[k]["peak_rss_mib"] for k in ("hubsign_push", "hubsign_push_again"))
    again_up = max(cmds["hubsign_push_again"]["uploaded_bytes"])
    again_dedup = min(cmds["hubsign_push_again"]["deduplicated"])
    first_up = min(cmds["hubsign_push"]["uploaded_bytes"])
    full_bytes = sum(s for _, s in full_files)
    checks = [
        ratio("hubsign push / upload_folder", "hubsign_push", "upload_folder", TARGET_VS_UPLOAD),
        _common.limit_check("hubsign peak RSS (MiB)", hs_rss, TARGET_RSS_MIB),
        {"name": "hubsign first push: uploaded MiB (all)", "value": first_up / MIB,
         "target": f"~{(full_bytes - expected[SIG_NAME]) / MIB:.0f}",
         "pass": first_up >= full_bytes - expected[SIG_NAME]},
        {"name": "hubsign push again: uploaded bytes", "value": again_up, "target": "== 0",
         "pass": again_up == 0},
        {"name": "hubsign push again: LFS objects deduplicated", "value": again_dedup,
         "target": f"== {lfs_files}", "pass": again_dedup == lfs_files},
    ]

    versions = compare.tool_versions()
    versions.pop("openssl", None)
    try:
        r = subprocess.run([str(PYTHON), "-c", "import huggingface_hub as h; print(h.__version__)"],
                           cwd=REPO, capture_output=True, text=True)
        versions["huggingface_hub"] = r.stdout.strip() or None
    except OSError:
        versions["huggingface_hub"] = None

    return {
        **_common.run_facts(cpus),
        "versions": versions,
        "reps": reps,
        "hubsign_concurrency": args.concurrency,
        "rss_floor_mib": floor,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "model": {"path": rel(full), "files": len(full_files), "bytes": full_bytes,
                  "large_file_mib": args.large_mib},
        "commands": cmds,
        "checks": checks,
    }


def print_report(res):
    m = res["model"]
    v = res["versions"]
    _common.print_title("hubsign push benchmark", res, [f"huggingface_hub {v['huggingface_hub']}",
                                                        f"Python {v['python']}"])
    print(f"model: {m['path']}: {m['files']} files, {m['bytes'] / MIB:.0f} MiB ({LARGE_COUNT} x "
          f"{m['large_file_mib']} MiB + {SMALL_COUNT} x {SMALL_SIZE // 1024} KiB + {SIG_NAME}), "
          f"all LFS but {SIG_NAME}")
    print("pushed to target/release/examples/local-hub on 127.0.0.1 (LFS via its CDN port, "
          "multipart above 8 MiB), a freshly started hub per push; 'again' = the same push "
          "once more to that hub")
    _common.print_load(res, "this benchmark itself, client + hub,")
    print(f"median of {res['reps']} reps (round-robin); user/sys = CPU s of the command, hub = CPU s "
          f"of the hub meanwhile (medians); peak RSS = max ru_maxrss over the reps "
          f"(floor: {res['rss_floor_mib']:.1f} MiB for `true`)")
    print()
    _common.print_commands(res, cpu=True)
    print()
    for key in ("hubsign_push", "hubsign_push_again"):
        c = res["commands"][key]
        print(f"{c['label'].strip():<45} uploaded MiB: "
              + " ".join(f"{b / MIB:.1f}" for b in c["uploaded_bytes"])
              + "; LFS objects deduplicated: " + " ".join(map(str, c["deduplicated"]))
              + "; signed: " + " ".join("yes" if s else "no" for s in c["signed"]))
    for key in ("hubsign_push", "hubsign_push_again", "upload_folder", "upload_folder_again"):
        c = res["commands"][key]
        print(f"{c['label'].strip():<45} hub stored MiB: "
              + " ".join(f"{b / MIB:.1f}" for b in c["hub_stored_bytes"]))
    print()
    _common.print_checks(res)
    print()
    _common.print_total(res)


if __name__ == "__main__":
    sys.exit(main())
