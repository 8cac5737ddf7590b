#!/usr/bin/env python3
"""Wall-time benchmark: hubsign pull / push / verify of oci:// vs. skopeo, oras-py and model_signing.

Starts Debian's `docker-registry` (the CNCF distribution registry) on 127.0.0.1 over plain HTTP
with its storage in a temporary folder under target/bench-oci/, publishes the benchmark model of
compare.py (plus a config.json, which an artifact's signature needs: see below) there with
`hubsign push` as a raw-layer ModelPack artifact with its signature attached, then measures, in
one run:

1. pulling that artifact, verified, with `hubsign pull oci://… --local-dir DIR --public-key …`
   against `skopeo copy --preserve-digests` to a local OCI layout (which verifies nothing) and
   against oras-py's `pull` followed by `model_signing verify key` of the pulled folder;
2. publishing the model with `hubsign push ./model oci://…` (signing included) against oras-py's
   `push` of the same files (one layer per file, titled by its relative path), each rep to a
   fresh repository;
3. `hubsign verify oci://…` of a 100-layer artifact (manifest only, no layer downloaded).

This is a measurement, not a test: it always exits 0 (unless a benchmarked command or a setup
step fails, then 2). See benches/README.md.

Usage: benches/oci.py [--reps N] [--rebuild] [--json] [--large-mib N] [--concurrency N]

All paths are derived from this script's location (<repo>/benches/); it reuses the model and
functions of benches/compare.py and benches/pull.py.
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no benches/__pycache__ from importing the other benches
import _common  # noqa: E402  (benches/_common.py: paths, measuring, report printers)
import compare  # noqa: E402  (benches/compare.py: the benchmark model and setup steps)
import pull  # noqa: E402  (benches/pull.py: launcher, command line)
import push  # noqa: E402  (benches/push.py: one command with its stdout)
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
from compare import BENCH_DIR, LARGE_COUNT, SMALL_COUNT, SMALL_SIZE  # noqa: E402
from pull import SIG_NAME, run_seq  # noqa: E402

OCI_DIR = REPO / "target" / "bench-oci"
OCI_PYTHON = REPO / ".venv-oci" / "bin" / "python"
DOCKER_REGISTRY = "docker-registry"
SKOPEO = "skopeo"

# The artifacts the setup publishes (and the pulls and the verify read).
REPO_MODEL = "bench/model"
REPO_LAYERS = "bench/layers100"
TAG = "v1"
# The verify artifact: config.json and 99 files of 4 KiB, one layer each.
VERIFY_LAYERS = 100

REGISTRY_START_TIMEOUT_S = 30

# Targets (ratio <= target, or absolute limits).
TARGET_VS_SKOPEO = 0.6
TARGET_VS_ORAS_VERIFY = 0.8
TARGET_VS_ORAS_PUSH = 1.0
TARGET_VERIFY_S = 0.2

# A Hugging Face model always has a config.json; the benchmark model gets a small one. An
# artifact's signature lists its config blob as config.json unless a layer already carries that
# name, so `hubsign push` refuses a model without one (its directory signature could not cover
# the artifact).
CONFIG_JSON = {"architectures": ["BenchModel"], "model_type": "bench", "torch_dtype": "float32"}

# oras-py, run by .venv-oci/bin/python: argv = target, JSON list of absolute file paths,
# annotation file (absolute path -> {org.opencontainers.image.title: relative path}). oras-py
# titles a layer by the file's basename; its annotation file overrides that, so each layer is
# titled by its path in the model, as hubsign titles it.
ORAS_PUSH = (
    "import json, sys, oras.client\n"
    "target, files, annotations = sys.argv[1:4]\n"
    "files = json.load(open(files))\n"
    "r = oras.client.OrasClient(insecure=True).push(target=target, files=files,\n"
    "    annotation_file=annotations, disable_path_validation=True, quiet=True)\n"
    "assert r.status_code == 201, r.status_code\n"
)
ORAS_PULL = (
    "import sys, oras.client\n"
    "oras.client.OrasClient(insecure=True).pull(target=sys.argv[1], outdir=sys.argv[2])\n"
)


# --------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """`docker-registry serve` on 127.0.0.1 (plain HTTP, no auth, no access log), its config,
    log and storage in a fresh folder under `workdir`, until stop() (which deletes them)."""

    def __init__(self, workdir):
        self.dir = Path(tempfile.mkdtemp(prefix="registry-", dir=workdir))
        self.storage = self.dir / "storage"
        self.storage.mkdir()
        self.log_path = self.dir / "registry.log"
        self.proc = None

    def start(self):
        # A port found free may be taken before the registry binds it: try again with another.
        for _ in range(5):
            self.port = free_port()
            config = self.dir / "config.yml"
            config.write_text(
                "version: 0.1\n"
                "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
                f"storage:\n  filesystem:\n    rootdirectory: {self.storage}\n"
                "  delete:\n    enabled: true\n"
                f"http:\n  addr: 127.0.0.1:{self.port}\n"
            )
            with open(self.log_path, "wb") as out:
                self.proc = subprocess.Popen([DOCKER_REGISTRY, "serve", str(config)],
                                             stdin=subprocess.DEVNULL, stdout=out, stderr=out)
            if self.wait_ready():
                return self.host()
            log(f"docker-registry did not start on port {self.port}, trying another:\n"
                f"{self.log()}")
            self.kill()
        raise CommandFailed("docker-registry did not start on five free ports")

    def wait_ready(self):
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < REGISTRY_START_TIMEOUT_S:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"http://{self.host()}/v2/", timeout=2) as r:
                    if r.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False

    def host(self):
        return f"127.0.0.1:{self.port}"

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def cpu_s(self):
        """The registry's user + system CPU seconds so far (0 if unreadable)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError, AttributeError):
            return 0.0

    def manifest(self, repository, reference):
        req = urllib.request.Request(
            f"http://{self.host()}/v2/{repository}/manifests/{reference}",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------
# Setup
# --------------------------------------------------------------------------


def link_model(source, dest):
    """`dest`: hard links to every file of compare.py's model `source` (no copy: the same
    bytes, the same page cache) but its model.sig (pull.py's), plus a config.json."""
    if dest.exists():
        shutil.rmtree(dest)
    for p, _size in compare.model_files(source):
        r = p.relative_to(source)
        if str(r) == SIG_NAME:
            continue
        (dest / r).parent.mkdir(parents=True, exist_ok=True)
        os.link(p, dest / r)
    (dest / "config.json").write_text(json.dumps(CONFIG_JSON, indent=2) + "\n")
    return dest


def small_model(dest):
    """config.json and VERIFY_LAYERS - 1 random files of 4 KiB: a VERIFY_LAYERS-layer artifact."""
    if dest.exists():
        shutil.rmtree(dest)
    for i in range(VERIFY_LAYERS - 1):
        compare.write_random_file(dest / "small" / f"f{i:03d}.bin", SMALL_SIZE)
    (dest / "config.json").write_text(json.dumps(CONFIG_JSON, indent=2) + "\n")
    return dest


def bench_env(home):
    """The environment of every measured command: an empty HOME (no ~/.docker/config.json,
    no cache of ours), no credentials file, no proxy for 127.0.0.1."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGINGFACE_", "REGISTRY_AUTH", "DOCKER_", "XDG_",
                                "HUBSIGN_"))
           and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    env.update({"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
                "XDG_CONFIG_HOME": str(home / ".config"), "PYTHONWARNINGS": "ignore"})
    return env


def count_files(root):
    n = 0
    for _dirpath, _dirs, names in os.walk(root):
        n += len(names)
    return n


def drop(path):
    """Delete a run's output folder and sync; return the seconds it took."""
    t0 = time.perf_counter()
    shutil.rmtree(path, ignore_errors=True)
    # Start the next command with no dirty pages of this one left to write back.
    os.sync()
    return time.perf_counter() - t0


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main():
    return pull.bench_main(__doc__.splitlines()[0], "pull and push", run, print_report)


def run(args):
    started = time.perf_counter()
    cpus = os.cpu_count() or 1

    # 1. The model (compare.py's full model, linked, plus config.json) and the verify artifact.
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    OCI_DIR.mkdir(parents=True, exist_ok=True)
    for stale in list(OCI_DIR.glob("registry-*")) + list(OCI_DIR.glob("run-*")):
        shutil.rmtree(stale, ignore_errors=True)
    full_bytes = LARGE_COUNT * args.large_mib * MIB + SMALL_COUNT * SMALL_SIZE
    # The registry's blobs (each stored once, whatever the pushes) and one pulled copy.
    needed = 2 * full_bytes + 512 * MIB
    if not (BENCH_DIR / "full.complete").is_file():
        needed += full_bytes
    free = shutil.disk_usage(OCI_DIR).free
    if free < needed:
        raise CommandFailed(f"not enough free disk space: {free / MIB:.0f} MiB free, "
                            f"{needed / MIB:.0f} MiB needed (try --large-mib 128)")
    full = compare.build_model("full", args.large_mib, args.rebuild)
    model = link_model(full, OCI_DIR / "model")
    layers = small_model(OCI_DIR / "layers100")
    model_files = compare.model_files(model)

    # 2. Tools.
    compare.setup_step(["cargo", "build", "--release", "--quiet"], "building hubsign")
    compare.setup_step([str(REPO / "scripts" / "python-env")], "ensuring the Python venv")
    for tool in (HUBSIGN, MODEL_SIGNING, OCI_PYTHON):
        if not os.access(tool, os.X_OK):
            raise CommandFailed(f"{rel(tool)} is missing after setup")
    for tool in (DOCKER_REGISTRY, SKOPEO):
        if shutil.which(tool) is None:
            raise CommandFailed(f"`{tool}` is not on the PATH (Debian packages docker-registry "
                                "and skopeo)")

    registry = Registry(OCI_DIR)
    try:
        host = registry.start()
        log(f"docker-registry serving on {host}")
        results = measure(args, registry, host, full, model, model_files, layers, cpus)
    except CommandFailed as e:
        raise CommandFailed(f"{e}\n--- docker-registry log (tail) ---\n{registry.log()}") from None
    finally:
        registry.stop()
    results["setup_s"] = results.pop("_setup_s") - started
    return results


def measure(args, registry, host, full, model, model_files, layers, cpus):
    work = Path(tempfile.mkdtemp(prefix="run-", dir=OCI_DIR))
    try:
        return measure_in(args, registry, host, full, model, model_files, layers, cpus, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_in(args, registry, host, full, model, model_files, layers, cpus, work):
    extra = [] if args.concurrency is None else ["--concurrency", str(args.concurrency)]
    sigs = work / "sigs"
    sigs.mkdir()
    model_sig = sigs / "model" / SIG_NAME  # the published model's signature
    push_sig = sigs / "push" / SIG_NAME  # each measured push signs afresh into this one
    layers_sig = sigs / "layers" / SIG_NAME
    home = work / "home"
    home.mkdir()
    env = bench_env(home)
    model_ref = f"oci://{host}/{REPO_MODEL}:{TAG}"
    layers_ref = f"oci://{host}/{REPO_LAYERS}:{TAG}"

    def setup_run(argv, what):
        log(f"{what}: {pull.show_argv(argv)}")
        return run_seq([argv], what, env)[0]

    # 3. Publish the model and the 100-layer artifact with hubsign (signed, signature attached),
    # with the page cache warm first.
    t0 = time.perf_counter()
    warmed = compare.warm_cache(model_files)
    log(f"warmed page cache: {warmed / MIB:.0f} MiB in {time.perf_counter() - t0:.1f} s")
    for m, ref, sig in ((model, model_ref, model_sig), (layers, layers_ref, layers_sig)):
        sig.parent.mkdir()
        wall = setup_run([HUBSIGN, "push", m, ref, "--private-key", PRIV, "--signature", sig,
                          "-q", *extra], f"publishing {rel(m)}")
        log(f"  {wall:.1f} s")
    manifest = registry.manifest(REPO_MODEL, TAG)
    if len(manifest.get("layers", [])) != len(model_files):
        raise CommandFailed(f"{REPO_MODEL}:{TAG} has {len(manifest.get('layers', []))} layers, "
                            f"expected {len(model_files)} (one per file)")
    manifest_layers = registry.manifest(REPO_LAYERS, TAG)
    if len(manifest_layers.get("layers", [])) != VERIFY_LAYERS:
        raise CommandFailed(f"{REPO_LAYERS}:{TAG} has {len(manifest_layers.get('layers', []))} "
                            f"layers, expected {VERIFY_LAYERS}")
    media_types = sorted({lay["mediaType"] for lay in manifest["layers"]})

    # oras push's inputs: the file list and the titles (relative paths), outside the timing.
    oras_files = work / "oras-files.json"
    oras_files.write_text(json.dumps([str(p) for p, _ in model_files]))
    oras_annotations = work / "oras-annotations.json"
    oras_annotations.write_text(json.dumps(
        {str(p): {"org.opencontainers.image.title": str(p.relative_to(model))}
         for p, _ in model_files}))

    # 4. The measured commands; each gets a fresh output folder `out` (removed after the run).
    def hs_pull(out, _r):
        return [[HUBSIGN, "pull", model_ref, "--local-dir", out, "--public-key", PUB, "-q",
                 *extra]]

    def skopeo_copy(out, _r):
        return [[SKOPEO, "copy", "--quiet", "--src-tls-verify=false", "--preserve-digests",
                 f"docker://{host}/{REPO_MODEL}:{TAG}", f"oci:{out}:{TAG}"]]

    def oras_pull_verify(out, _r):
        return [[OCI_PYTHON, "-c", ORAS_PULL, f"{host}/{REPO_MODEL}:{TAG}", out],
                [MODEL_SIGNING, "verify", "key", out, "--signature", model_sig,
                 "--public_key", PUB]]

    def hs_push(_out, r):
        return [[HUBSIGN, "push", model, f"oci://{host}/bench/push-hubsign-{r}:{TAG}",
                 "--private-key", PRIV, "--signature", push_sig, "--json", *extra]]

    def oras_push(_out, r):
        return [[OCI_PYTHON, "-c", ORAS_PUSH, f"{host}/bench/push-oras-{r}:{TAG}", oras_files,
                 oras_annotations]]

    def hs_verify(_out, _r):
        return [[HUBSIGN, "verify", layers_ref, "--public-key", PUB, "-q"]]

    n = len(model_files)

    def pulled_files(out):
        # hubsign places the verified files, the signature it verified them with (model.sig) and
        # its record of what it placed (.cache/hubsign/).
        got = count_files(out) - count_files(out / ".cache")
        if got != n + 1 or not (out / SIG_NAME).is_file():
            raise CommandFailed(f"hubsign pull: {got} files in the output folder, expected "
                                f"{n} and {SIG_NAME}")

    def oras_pulled(out):
        got = count_files(out)
        if got != n:
            raise CommandFailed(f"oras pull: {got} files in the output folder, expected {n}")

    def skopeo_layout(out):
        if not (out / "index.json").is_file():
            raise CommandFailed("skopeo copy: no index.json in the OCI layout")
        blobs = count_files(out / "blobs")
        if blobs < n + 2:  # every layer, the config and the manifest
            raise CommandFailed(f"skopeo copy: {blobs} blobs in the layout, expected {n + 2}")

    hs_pull_label = "hubsign pull --local-dir (verified)"
    hs_push_label = "hubsign push (sign + upload)"
    if extra:
        hs_pull_label = f"hubsign pull --local-dir --concurrency {args.concurrency} (verified)"
        hs_push_label = f"hubsign push --concurrency {args.concurrency} (sign + upload)"
    plan = [
        # key, label, argvs(out, rep), check(out) or None, needs an output folder
        ("hubsign_pull", hs_pull_label, hs_pull, pulled_files, True),
        ("skopeo_copy", "skopeo copy --preserve-digests (no verification)", skopeo_copy,
         skopeo_layout, True),
        ("oras_pull_verify", "oras pull + model_signing verify key", oras_pull_verify,
         oras_pulled, True),
        ("hubsign_push", hs_push_label, hs_push, None, False),
        ("oras_push", "oras push (one layer per file)", oras_push, None, False),
        ("hubsign_verify", f"hubsign verify oci:// ({VERIFY_LAYERS} layers)", hs_verify, None,
         False),
    ]

    reps = args.reps
    setup_done = time.perf_counter()
    floor = min(run_seq([["true"]], "true", env)[1][0]["rss_kib"] for _ in range(3)) / 1024
    log(f"measuring ({reps} reps each, round-robin, fresh output folder / repository per run) ...")
    runs = {key: [] for key, *_ in plan}
    load_before = os.getloadavg()
    for r in range(1, reps + 1):
        for key, label, make, check, needs_out in plan:
            out = work / f"out-{key}-{r}"
            if not needs_out:
                out = None
            push_sig.unlink(missing_ok=True)
            cleanup = 0.0
            cpu0 = registry.cpu_s()
            rec = {}
            try:
                argvs = make(out, r)
                if key == "hubsign_push":
                    # One command; its --json summary says what it uploaded.
                    proc, stdout = push.run_one(argvs[0], label, env)
                    wall, procs = proc["wall_s"], [proc]
                    try:
                        rec["hubsign"] = json.loads(stdout.strip().splitlines()[-1])
                    except (ValueError, IndexError):
                        raise CommandFailed(f"{label}: no JSON on stdout:\n{stdout}") from None
                else:
                    wall, procs = run_seq(argvs, label, env)
                reg_cpu = registry.cpu_s() - cpu0
                if check is not None:
                    check(out)
            finally:
                if out is not None:
                    cleanup = drop(out)
            rec.update({"wall_s": wall, "procs": procs, "registry_cpu_s": reg_cpu})
            runs[key].append(rec)
            rss = max(p["rss_kib"] for p in procs) / 1024
            parts = " + ".join(f"{p['wall_s']:.2f}" for p in procs) if len(procs) > 1 else ""
            log(f"  rep {r}/{reps}  {label:<50} {wall:8.3f} s  {rss:7.1f} MiB"
                + (f"  ({parts} s)" if parts else "")
                + (f"  [cleanup {cleanup:.1f} s]" if out is not None else ""))
    load_after = os.getloadavg()

    def med(xs):
        return statistics.median(xs)

    cmds = {}
    for key, label, *_ in plan:
        rs = runs[key]
        times = [x["wall_s"] for x in rs]
        nproc = len(rs[0]["procs"])
        cmds[key] = c = {
            "label": label,
            "median_s": med(times),
            "min_s": min(times),
            "runs_s": times,
            "peak_rss_mib": max(p["rss_kib"] for x in rs for p in x["procs"]) / 1024,
            "user_s": med([sum(p["user_s"] for p in x["procs"]) for x in rs]),
            "sys_s": med([sum(p["sys_s"] for p in x["procs"]) for x in rs]),
            # The registry is the "hub" of the other benches' tables.
            "hub_cpu_s": med([x["registry_cpu_s"] for x in rs]),
            "processes": [
                {"median_s": med([x["procs"][i]["wall_s"] for x in rs]),
                 "peak_rss_mib": max(x["procs"][i]["rss_kib"] for x in rs) / 1024}
                for i in range(nproc)
            ],
        }
        if "hubsign" in rs[0]:
            c["uploaded_bytes"] = [x["hubsign"]["uploaded_bytes"] for x in rs]
            c["deduplicated"] = [x["hubsign"]["deduplicated"] for x in rs]
            c["signed"] = [x["hubsign"]["signed"] for x in rs]

    def ratio(name, num, den, target):
        return _common.ratio_check(cmds, name, num, den, target)

    checks = [
        ratio("hubsign pull / skopeo copy", "hubsign_pull", "skopeo_copy", TARGET_VS_SKOPEO),
        ratio("hubsign pull / (oras pull + verify)", "hubsign_pull", "oras_pull_verify",
              TARGET_VS_ORAS_VERIFY),
        ratio("hubsign push / oras push", "hubsign_push", "oras_push", TARGET_VS_ORAS_PUSH),
        _common.limit_check(f"hubsign verify, {VERIFY_LAYERS} layers (s)",
                            cmds["hubsign_verify"]["median_s"], TARGET_VERIFY_S),
    ]

    versions = compare.tool_versions()
    versions.pop("openssl", None)

    def first_line(argv):
        try:
            r = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
            return (r.stdout or r.stderr).strip().splitlines()[0] if r.returncode == 0 else None
        except (OSError, IndexError):
            return None

    versions["skopeo"] = first_line([SKOPEO, "--version"])
    versions["oras"] = first_line([str(OCI_PYTHON), "-c",
                                   "import importlib.metadata as m; print(m.version('oras'))"])
    versions["docker_registry"] = first_line([DOCKER_REGISTRY, "--version"])

    return {
        **_common.run_facts(cpus),
        "versions": versions,
        "reps": reps,
        "hubsign_concurrency": args.concurrency,
        "rss_floor_mib": floor,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "model": {"path": rel(model), "source": rel(full), "files": len(model_files),
                  "bytes": sum(s for _, s in model_files), "large_file_mib": args.large_mib,
                  "layer_media_types": media_types},
        "verify_artifact": {"path": rel(layers), "layers": VERIFY_LAYERS},
        "commands": cmds,
        "checks": checks,
        "_setup_s": setup_done,
    }


def print_report(res):
    m = res["model"]
    v = res["versions"]
    _common.print_title("hubsign OCI benchmark", res, [
        f"{v['docker_registry']}", f"{v['skopeo']}", f"oras-py {v['oras']}",
        f"model-signing {v['model_signing']}", f"Python {v['python']}"])
    print(f"model: {m['path']} = {m['source']} + config.json: {m['files']} files, "
          f"{m['bytes'] / MIB:.0f} MiB ({LARGE_COUNT} x {m['large_file_mib']} MiB + "
          f"{SMALL_COUNT} x {SMALL_SIZE // 1024} KiB + config.json)")
    print(f"published by hubsign push as {REPO_MODEL}:{TAG}, one raw layer per file "
          f"({', '.join(m['layer_media_types'])}), signature attached; verify: "
          f"{res['verify_artifact']['path']} as {REPO_LAYERS}:{TAG} "
          f"({res['verify_artifact']['layers']} layers)")
    print("registry: docker-registry on 127.0.0.1, plain HTTP, storage under target/bench-oci/; "
          "fresh output folder per pull (removed after it), fresh repository per push")
    _common.print_load(res, "this benchmark itself, client + registry,")
    print(f"median of {res['reps']} reps (round-robin); user/sys = CPU s of the command, hub = CPU s "
          f"of the registry meanwhile (medians); peak RSS = max ru_maxrss over the command's "
          f"processes (floor: {res['rss_floor_mib']:.1f} MiB for `true`)")
    print()

    def processes(c, w):
        if len(c["processes"]) > 1:
            for name, p in zip(("oras pull", "model_signing verify key"), c["processes"]):
                print(f"{'  of which ' + name:<{w}}  {p['median_s']:9.3f}  "
                      f"{p['peak_rss_mib']:12.1f}")

    _common.print_commands(res, cpu=True, detail=processes)
    print()
    c = res["commands"]["hubsign_push"]
    print(f"{c['label']}: uploaded MiB: "
          + " ".join(f"{b / MIB:.1f}" for b in c["uploaded_bytes"])
          + "; layers deduplicated: " + " ".join(map(str, c["deduplicated"]))
          + "; signed: " + " ".join("yes" if s else "no" for s in c["signed"]))
    print()
    _common.print_checks(res)
    print()
    print(f"setup (model, build, publishing): {res['setup_s']:.1f} s")
    _common.print_total(res)


if __name__ == "__main__":
    sys.exit(main())
