# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: what the collection costs on a fleet, measured in one run on one lab host.

  a. playbooks/audit.yml on the lab host: module calls per host (counted twice: by the callback
     tests/lab/callback_plugins/xg_bench.py, one per result that carries a module's invocation, and from
     ssh's own log at -vvv, one per remote python start) and its wall time against `ansible -m ping` on the
     same host (median of N each, run in turns);
  b. the same with an inventory of ALIASES names that all point at that host (same address, port and key),
     measured last (the longest part: every alias runs xen_facts on the one emulated host; --alias-runs);
  c. playbooks/site.yml once with xenguard_reboot_ok=true (hardens the host, one reboot), then N pairs of
     audit.yml and a re-run of site.yml on the hardened host: the ratio re-run / audit and the re-run's
     per-task profile (median seconds per task over the N re-runs);
  d. report generation for 1,000 synthetic hosts (tests/tools/bench_report.py, as `make bench-report`).

Prints figures (seconds and ratios) and asserts nothing about time. Boots one lab VM (a snapshot restore
when the lab has one for the variant) in its own state directory and stops it at the end, also when
interrupted. Logs of every run: build/bench/.

  bench_fleet.py [--dist bookworm] [--variant vtd-intremap] [--runs 3] [--aliases 50] [--alias-runs N]
                 [--forks 10] [--state-dir lab-state/bench] [--name bench] [--skip-site] [--json FILE]
                 [--site-var NAME=VALUE ...]   (extra variables of every site.yml run in c; on Debian 13
                 the lab's mirror has no Xen source: --site-var xenguard_flask_missing_source=skip)
                 (--aliases 0 leaves out b)
                 [--reuse]   (measure the running host --name of --state-dir and leave it running)

Run it with the venv's python (make bench does): ansible and ansible-playbook are taken from its bin/.
The collection must be on ANSIBLE_COLLECTIONS_PATH (make bench puts its copy in .cache/collections there).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (tests/lab/bench.py: the same xenlab command runner as make bench-lab)
BIN = os.path.dirname(os.path.abspath(sys.executable))
T0 = time.monotonic()


def say(msg):
    print("[%6.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


def xenlab(args):
    """The output of `xenlab.py ARGS`; a failure ends the run with xenlab's last lines."""
    return bench.xenlab(args)[1]


def write_inventory(path, names, port, key):
    common = ("ansible_host=127.0.0.1 ansible_port=%d ansible_user=root ansible_ssh_private_key_file=%s "
              "ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-o StrictHostKeyChecking=no "
              "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'" % (port, key))
    with open(path, "w") as handle:
        handle.write("[xen_hosts]\n")
        for name in names:
            handle.write("%s %s\n" % (name, common))


class Runner:
    """Runs ansible / ansible-playbook with the bench callback; keeps every run's output in LOGDIR."""

    def __init__(self, logdir, forks):
        self.logdir = logdir
        self.forks = forks
        self.count = 0
        self.env = dict(os.environ)
        self.env.update({
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_PIPELINING": "True",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "xg_bench",
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            # the callback counts results carrying a module's invocation; from ansible-core 2.21 modules
            # return it only when asked (INJECT_INVOCATION); older releases always do
            "ANSIBLE_INJECT_INVOCATION": "True",
            "ANSIBLE_STDOUT_CALLBACK": "default",
            "ANSIBLE_NOCOLOR": "1",
        })
        self.env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".cache", "collections"))

    def run(self, label, argv, check=True):
        """Returns (wall seconds, the callback's data, the output's path)."""
        self.count += 1
        stem = os.path.join(self.logdir, "%02d-%s" % (self.count, re.sub(r"[^A-Za-z0-9.-]+", "-", label).strip("-")))
        env = dict(self.env, XG_BENCH_JSON=stem + ".json")
        if os.path.exists(stem + ".json"):
            os.unlink(stem + ".json")
        start = time.monotonic()
        with open(stem + ".log", "w") as out:
            res = subprocess.run(argv + ["--forks", str(self.forks)], cwd=ROOT, env=env, stdout=out,
                                 stderr=subprocess.STDOUT, check=False)
        secs = time.monotonic() - start
        if check and res.returncode != 0:
            with open(stem + ".log") as out:
                print(out.read()[-6000:])
            raise SystemExit("%s failed (rc=%d); its output: %s.log" % (label, res.returncode, stem))
        try:
            with open(stem + ".json") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            data = {}
        return secs, data, stem + ".log"

    def ping(self, inventory, label="ping", check=True):
        return self.run(label, [os.path.join(BIN, "ansible"), "-i", inventory, "xen_hosts", "-m", "ansible.builtin.ping"],
                        check=check)

    def playbook(self, label, inventory, playbook, *extra, **kwargs):
        return self.run(label, [os.path.join(BIN, "ansible-playbook"), "-i", inventory,
                                os.path.join(ROOT, "playbooks", playbook)] + list(extra), check=kwargs.get("check", True))


def module_calls(data, hosts):
    """The callback's module calls per host, as {count: number of hosts}."""
    calls = data.get("module_calls", {})
    hist = {}
    for host in hosts:
        hist[calls.get(host, 0)] = hist.get(calls.get(host, 0), 0) + 1
    return hist


def ssh_module_starts(log):
    """Remote python starts in a -vvv log: with pipelining each module call is one ssh exec of the
    interpreter (ssh's log names the address, not the inventory name: this is the total over all hosts)."""
    count = 0
    with open(log, errors="replace") as handle:
        for line in handle:
            if "SSH: EXEC" in line and re.search(r"/usr/bin/python3", line):
                count += 1
    return count


def fmt_hist(hist):
    return ", ".join("%d host%s with %d" % (n, "" if n == 1 else "s", calls) for calls, n in sorted(hist.items()))


def failures(data):
    """{message: number of hosts} of the first failure of each host that failed (the audit's own xen_facts
    task is the first a failing host meets)."""
    seen = {}
    for msgs in data.get("failures", {}).values():
        seen[msgs[0]] = seen.get(msgs[0], 0) + 1
    return seen


def audit_vs_ping(run, inventory, hosts, runs, tag, report_dir, vvv=True):
    """Module calls of the audit and its wall time against ping (median of `runs` each, in turns). With
    several hosts a failed host does not stop the measurement: the figures say how many failed and why.
    vvv: one more (untimed) audit at -vvv, to count ssh's python starts as well."""
    check = len(hosts) == 1
    say("%s: warm-up ping of %s (opens ssh's shared connection; not counted)" % (tag, hosts[0]))
    run.run("%s-warmup-ping" % tag, [os.path.join(BIN, "ansible"), "-i", inventory, hosts[0], "-m", "ansible.builtin.ping"])
    starts, hist_vvv, failed = None, None, []
    if vvv:
        say("%s: audit.yml once at -vvv to count the remote python starts" % tag)
        secs, data, log = run.playbook("%s-audit-vvv" % tag, inventory, "audit.yml", "-vvv",
                                       "-e", "xenguard_report_dir=%s" % report_dir, check=check)
        starts = ssh_module_starts(log)
        hist_vvv = module_calls(data, hosts)
        failed.append(failures(data))
    pings, audits, hists = [], [], []
    for i in range(runs):
        secs, data, log = run.ping(inventory, "%s-ping" % tag, check=check)
        pings.append(secs)
        say("%s: ping %d/%d: %.1f s%s" % (tag, i + 1, runs, secs, "; failed: %s" % failures(data) if failures(data) else ""))
        secs, data, log = run.playbook("%s-audit" % tag, inventory, "audit.yml",
                                       "-e", "xenguard_report_dir=%s" % report_dir, check=check)
        audits.append(secs)
        hists.append(module_calls(data, hosts))
        failed.append(failures(data))
        say("%s: audit %d/%d: %.1f s, module calls per host: %s%s" % (
            tag, i + 1, runs, secs, fmt_hist(hists[-1]),
            "; failed hosts: %s" % failed[-1] if failed[-1] else ""))
    return {"hosts": len(hosts), "ping_seconds": pings, "audit_seconds": audits,
            "ping_median": statistics.median(pings), "audit_median": statistics.median(audits),
            "ratio": statistics.median(audits) / statistics.median(pings),
            "module_calls_per_host": hists, "module_calls_per_host_vvv": hist_vvv,
            "remote_python_starts_vvv": starts, "failed_hosts": failed}


def profile(runs_data):
    """Per task (in playbook order): median seconds over the re-runs, and what the host did."""
    rows = []
    first = runs_data[0]["tasks"]
    for index, task in enumerate(first):
        secs = [d["tasks"][index]["seconds"] for d in runs_data
                if index < len(d["tasks"]) and d["tasks"][index]["name"] == task["name"]]
        outcomes = sorted(set(task["hosts"].values())) or ["-"]
        role = task["role"].replace("xenguard.hardening.", "")
        name = task["name"].split(" : ", 1)[-1] if task["role"] else task["name"]
        rows.append({"role": role, "name": name, "action": task["action"].replace("ansible.builtin.", "").replace("xenguard.hardening.", ""),
                     "seconds": statistics.median(secs), "outcome": "/".join(outcomes)})
    return rows


def print_profile(rows, top):
    by_role = {}
    for row in rows:
        by_role.setdefault(row["role"] or "(play)", [0.0, 0, 0])
        by_role[row["role"] or "(play)"][0] += row["seconds"]
        by_role[row["role"] or "(play)"][1] += 1
        by_role[row["role"] or "(play)"][2] += row["outcome"] != "skipped"
    print("  per role (median seconds summed over its tasks; its tasks / those not skipped):")
    for role, (secs, n, ran) in sorted(by_role.items(), key=lambda kv: -kv[1][0]):
        print("    %-12s %6.1f s  %3d tasks, %3d not skipped" % (role, secs, n, ran))
    print("  slowest %d tasks of the re-run (median seconds over the re-runs):" % top)
    for row in sorted(rows, key=lambda r: -r["seconds"])[:top]:
        print("    %6.2f s  %-7s %-10s %-18s %s" % (row["seconds"], row["outcome"], row["role"], row["action"][:18], row["name"][:100]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dist", default="bookworm")
    parser.add_argument("--variant", default="vtd-intremap")
    parser.add_argument("--name", default="bench")
    parser.add_argument("--state-dir", default=os.path.join(ROOT, "lab-state", "bench"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--aliases", type=int, default=50, help="names of the one host in b (0: leave out b)")
    parser.add_argument("--alias-runs", type=int, help="runs of b (default: --runs; each takes minutes under emulation)")
    parser.add_argument("--forks", type=int, default=10,
                        help="ansible forks (default 10: sshd's MaxSessions on one shared connection)")
    parser.add_argument("--top", type=int, default=20, help="tasks shown in the re-run's profile")
    parser.add_argument("--skip-site", action="store_true", help="leave out c (hardening and re-runs)")
    parser.add_argument("--json", help="write every figure to this file as well")
    parser.add_argument("--site-var", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra variable of every site.yml run in c (repeatable)")
    parser.add_argument("--reuse", action="store_true",
                        help="use the running lab host NAME of --state-dir instead of booting one (and leave it running)")
    args = parser.parse_args()

    logdir = os.path.join(ROOT, "build", "bench")
    os.makedirs(logdir, exist_ok=True)
    for old in os.listdir(logdir):
        if old.endswith((".log", ".json")):
            os.unlink(os.path.join(logdir, old))
    run = Runner(logdir, args.forks)
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "dist": args.dist,
              "variant": args.variant, "runs": args.runs, "forks": args.forks}
    state = os.path.abspath(args.state_dir)
    result["loadavg_start"] = os.getloadavg()[0]
    if args.reuse:
        with open(os.path.join(state, args.name, "state.json")) as handle:
            info = json.load(handle)
        say("using the running lab host %s (ssh port %d)" % (args.name, info["ssh_port"]))
    else:
        say("booting the lab host %s (%s, %s; a snapshot restore when the lab has one)" % (args.name, args.dist, args.variant))
        start = time.monotonic()
        info = json.loads(xenlab(["up", "--dist", args.dist, "--variant", args.variant, "--name", args.name,
                                  "--state-dir", state, "--no-build"]).strip().splitlines()[-1])
        result["up_seconds"] = time.monotonic() - start
        say("lab host up in %.1f s (ssh port %d)" % (result["up_seconds"], info["ssh_port"]))
    try:
        one = os.path.join(logdir, "inventory-1.ini")
        many = os.path.join(logdir, "inventory-%d.ini" % args.aliases)
        aliases = ["fleet%02d" % i for i in range(1, args.aliases + 1)]
        write_inventory(one, [args.name], info["ssh_port"], info["ssh_key"])
        write_inventory(many, aliases, info["ssh_port"], info["ssh_key"])
        result["a"] = audit_vs_ping(run, one, [args.name], args.runs, "a (1 host)", os.path.join(logdir, "report-1"))
        if not args.skip_site:
            say("c: hardening the host: site.yml -e xenguard_reboot_ok=true (one reboot; minutes under emulation)")
            site_vars = ["-e", "xenguard_reboot_ok=true"] + [arg for var in args.site_var for arg in ("-e", var)]
            result["c_site_vars"] = site_vars[1::2]
            secs, data, log = run.playbook("c-site-harden", one, "site.yml", *site_vars)
            changed = sum(1 for t in data.get("tasks", []) if "changed" in t["hosts"].values())
            result["c_harden_seconds"] = secs
            result["c_harden_tasks_changed"] = changed
            say("c: hardened in %.1f s (%d tasks changed something)" % (secs, changed))
            audits, reruns, rerun_data = [], [], []
            for i in range(args.runs):
                secs, data, log = run.playbook("c-audit", one, "audit.yml", "-e", "xenguard_report_dir=%s" % os.path.join(logdir, "report-c"))
                audits.append(secs)
                say("c: audit %d/%d: %.1f s" % (i + 1, args.runs, secs))
                secs, data, log = run.playbook("c-site-rerun", one, "site.yml", *site_vars)
                reruns.append(secs)
                rerun_data.append(data)
                tasks = data.get("tasks", [])
                say("c: site.yml re-run %d/%d: %.1f s (%d tasks, %d not skipped, %d changed)" % (
                    i + 1, args.runs, secs, len(tasks), sum(1 for t in tasks if set(t["hosts"].values()) - {"skipped"}),
                    sum(1 for t in tasks if "changed" in t["hosts"].values())))
            rows = profile(rerun_data)
            result["c"] = {"audit_seconds": audits, "rerun_seconds": reruns, "audit_median": statistics.median(audits),
                           "rerun_median": statistics.median(reruns),
                           "ratio": statistics.median(reruns) / statistics.median(audits),
                           "rerun_tasks": len(rerun_data[0].get("tasks", [])),
                           "rerun_tasks_ran": sum(1 for t in rerun_data[0].get("tasks", []) if set(t["hosts"].values()) - {"skipped"}),
                           "rerun_tasks_changed": [sum(1 for t in d.get("tasks", []) if "changed" in t["hosts"].values()) for d in rerun_data],
                           "rerun_module_calls": [d.get("module_calls", {}).get(args.name, 0) for d in rerun_data],
                           "profile": rows}
        # b last: the longest part (every alias runs xen_facts on the one emulated host)
        if args.aliases > 0:
            result["b"] = audit_vs_ping(run, many, aliases, args.alias_runs or args.runs, "b (%d aliases)" % args.aliases,
                                        os.path.join(logdir, "report-%d" % args.aliases), vvv=False)
    finally:
        result["loadavg_end"] = os.getloadavg()[0]
        if not args.reuse:
            say("stopping the lab host")
            xenlab(["down", "--name", args.name, "--state-dir", state])

    say("d: report generation for 1,000 synthetic hosts (tests/tools/bench_report.py)")
    coll = os.path.join(ROOT, ".cache", "collections")
    res = subprocess.run([sys.executable, "tests/tools/bench_report.py", "--hosts", "1000"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, check=False,
                         cwd=os.path.join(coll, "ansible_collections", "xenguard", "hardening"),
                         env=dict(os.environ, PYTHONPATH=coll))
    result["d"] = res.stdout.strip().splitlines()
    if res.returncode != 0:
        result["d"].append("(bench_report.py failed, rc=%d)" % res.returncode)

    a = result["a"]
    print("\nfleet benchmark (%s, %s, %s; %d cores, TCG; load average %.1f at the start, %.1f at the end;"
          " median of %d, b of %d; forks %d; logs in build/bench/)" % (
              result["date"], args.dist, args.variant, os.cpu_count(), result["loadavg_start"], result["loadavg_end"],
              args.runs, args.alias_runs or args.runs, args.forks))
    for key, res_ in [(k, result[k]) for k in ("a", "b") if k in result]:
        many_hosts = res_["hosts"] != 1
        print("  %s. audit.yml on %d host%s%s" % (
            key, res_["hosts"], "s" if many_hosts else "", " (aliases of the one lab host)" if many_hosts else ""))
        print("     module calls per host (callback, each timed run)  %s" % "; ".join(fmt_hist(h) for h in res_["module_calls_per_host"]))
        if res_["remote_python_starts_vvv"] is not None:
            print("     remote python starts at -vvv (all hosts)          %d (%.2f per host)" % (
                res_["remote_python_starts_vvv"], res_["remote_python_starts_vvv"] / float(res_["hosts"])))
        if any(res_["failed_hosts"]):
            print("     hosts that failed, per audit run                  %s" % "; ".join(
                ", ".join("%d: %s" % (n, m) for m, n in sorted(f.items())) or "none" for f in res_["failed_hosts"]))
        print("     ansible -m ping                  %6.1f s   (%s)" % (res_["ping_median"], ", ".join("%.1f" % s for s in res_["ping_seconds"])))
        print("     audit.yml                        %6.1f s   (%s)" % (res_["audit_median"], ", ".join("%.1f" % s for s in res_["audit_seconds"])))
        print("     ratio audit / ping               %6.2f    (goal <= 1.5)" % res_["ratio"])
    if "c" in result:
        c = result["c"]
        print("  c. site.yml on the hardened host")
        print("     hardening run (one reboot)       %6.1f s   (%d tasks changed)" % (result["c_harden_seconds"], result["c_harden_tasks_changed"]))
        print("     audit.yml                        %6.1f s   (%s)" % (c["audit_median"], ", ".join("%.1f" % s for s in c["audit_seconds"])))
        print("     site.yml re-run                  %6.1f s   (%s)" % (c["rerun_median"], ", ".join("%.1f" % s for s in c["rerun_seconds"])))
        print("     ratio re-run / audit             %6.2f    (goal <= 3; 6.8 when issue 14 was filed)" % c["ratio"])
        print("     re-run: %d tasks, %d not skipped, changed per re-run %s, module calls per re-run %s" % (
            c["rerun_tasks"], c["rerun_tasks_ran"], c["rerun_tasks_changed"], c["rerun_module_calls"]))
        print_profile(c["profile"], args.top)
    print("  d. " + "\n     ".join(result["d"]))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
