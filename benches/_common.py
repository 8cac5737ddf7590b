"""What every benchmark in benches/ shares: the repository's paths, logging, one measured run,
the facts about the run (date, machine, load), the checks and the report printers.

Imported as `import _common` (a bench run as `benches/<name>.py` has benches/ on sys.path), so
every bench prints its table, checks and totals the same way.
"""

import datetime
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HUBSIGN = REPO / "target" / "release" / "hubsign"
LOCAL_HUB = REPO / "target" / "release" / "examples" / "local-hub"
LOCAL_KAGGLE = REPO / "target" / "release" / "examples" / "local-kaggle"
PYTHON = REPO / ".venv" / "bin" / "python"
MODEL_SIGNING = REPO / ".venv" / "bin" / "model_signing"
PRIV = REPO / "fixtures" / "keys" / "p256.pem"
PUB = REPO / "fixtures" / "keys" / "p256.pub.pem"
MIB = 1 << 20


class CommandFailed(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def rel(p):
    """Path relative to the repo, for printing (never print machine paths)."""
    try:
        return str(Path(p).resolve().relative_to(REPO))
    except ValueError:
        return str(p)


# A fresh, minimal Python forks the command: its RUSAGE_CHILDREN then holds exactly that
# command's peak RSS (KiB), whatever this script allocated.
LAUNCHER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "w = time.perf_counter() - t\n"
    "sys.stderr.write(r.stderr.decode(errors='replace')[-2000:])\n"
    "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, w)\n"
)


def measure(argv, env=None):
    """(wall seconds, peak RSS MiB) of one run; exits 2 if the command fails."""
    r = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *map(str, argv)],
        capture_output=True,
        text=True,
        env=env,
    )
    code, rss_kib, wall = r.stdout.split()
    if code != "0":
        log(f"command failed ({code}): {' '.join(map(str, argv))}\n{r.stderr}")
        sys.exit(2)
    return float(wall), int(rss_kib) / 1024


def run_facts(cpus):
    """The date and machine every report starts with."""
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": cpus, "system": f"{platform.system()} {platform.release()}",
                    "machine": platform.machine()},
    }


def ratio_check(cmds, name, num, den, target):
    """A check of the ratio of two commands' median times (the ratio of minimums beside it)."""
    v = cmds[num]["median_s"] / cmds[den]["median_s"]
    return {"name": name, "value": v, "target": f"<= {target}", "pass": v <= target,
            "value_of_mins": cmds[num]["min_s"] / cmds[den]["min_s"]}


def limit_check(name, value, limit):
    """A check that `value` is at most `limit`."""
    return {"name": name, "value": value, "target": f"<= {limit:g}", "pass": value <= limit}


def verdict(ok):
    return "PASS" if ok else "FAIL"


# --------------------------------------------------------------------------
# Report printers
# --------------------------------------------------------------------------


def print_title(title, res, tools):
    """The title line (date, CPUs, system) and the versions line (`tools`: "name version")."""
    m, v = res["machine"], res["versions"]
    print(f"{title}  {res['date']}  ({m['cpus']} CPUs, {m['system']} {m['machine']})")
    print(f"{v['hubsign']} @ {v['hubsign_commit']}; " + "; ".join(tools))


def print_load(res, who):
    """The load average before and after; `who` says how much the benchmark itself adds."""
    print("load average (1/5/15 min) before: "
          + "/".join(f"{x:.2f}" for x in res["loadavg_before"])
          + ", after: " + "/".join(f"{x:.2f}" for x in res["loadavg_after"])
          + f" ({who} adds up to ~2)")


def print_commands(res, cpu=False, detail=None):
    """The table of commands: median, peak RSS, (with `cpu`: user, sys and hub CPU seconds),
    minimum and every run; `detail(command, width)` may print lines under a command's row."""
    cols = [("median s", 9, "median_s", ".3f"), ("peak RSS MiB", 12, "peak_rss_mib", ".1f")]
    if cpu:
        cols += [("user s", 6, "user_s", ".1f"), ("sys s", 6, "sys_s", ".1f"),
                 ("hub s", 6, "hub_cpu_s", ".1f")]
    cols.append(("min s", 7, "min_s", ".3f"))
    w = max(len(c["label"]) for c in res["commands"].values())
    head = f"{'command':<{w}}" + "".join(f"  {h:>{n}}" for h, n, _, _ in cols) + "  runs s (in order)"
    print(head)
    print("-" * (len(head) + 8))
    for c in res["commands"].values():
        runs = " ".join(f"{t:.3f}" for t in c["runs_s"])
        print(f"{c['label']:<{w}}" + "".join(f"  {c[k]:{n}{f}}" for _, n, k, f in cols) + f"  {runs}")
        if detail is not None:
            detail(c, w)


def print_checks(res):
    """The checks on medians: value, target, PASS/FAIL and the ratio of minimums where there is one."""
    w = max(len(c["name"]) for c in res["checks"])
    print(f"{'check (on medians)':<{w}}  {'value':>8}  {'target':>8}  result  (ratio of mins)")
    print("-" * (w + 2 + 8 + 2 + 8 + 2 + 6 + 2 + 15))
    for c in res["checks"]:
        mins = f"  ({c['value_of_mins']:.3f})" if "value_of_mins" in c else ""
        val = f"{c['value']:8.3f}" if isinstance(c["value"], float) else f"{c['value']:8d}"
        print(f"{c['name']:<{w}}  {val}  {c['target']:>8}  {verdict(c['pass'])}{mins}")


def print_total(res):
    print(f"total benchmark run: {res['total_run_s']:.1f} s")
