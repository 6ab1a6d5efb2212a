# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timings of the xenguard.hardening lab, measured in one run: image build (cold and cached), cold boot
to ssh, restore of a saved booted host to ssh, reboot to ssh with a warm reset and with a power cycle,
and the ratios restore/boot and power-cycle/warm. Boots one lab VM at a time and stops it again (also
when interrupted).

  bench.py [--dist bookworm] [--variant vtd-intremap] [--cold] [--json FILE]

Without --cold the cold build figure is the one recorded when the cached image was built (said so in the
output); with --cold the image is built again from scratch in a temporary cache (takes minutes).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
XENLAB = [sys.executable, os.path.join(HERE, "xenlab.py")]


def xenlab(args, env=None, check=True):
    start = time.monotonic()
    res = subprocess.run(XENLAB + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, check=False)
    secs = time.monotonic() - start
    if check and res.returncode != 0:
        print(res.stdout[-4000:])
        raise SystemExit("xenlab %s failed (rc=%d)" % (" ".join(args), res.returncode))
    return secs, res.stdout


def image_meta(dist):
    out = xenlab(["build", "--dist", dist])[1]
    path = out.strip().splitlines()[-1]
    try:
        with open(path + ".json") as f:
            return json.load(f)
    except OSError:
        return {}


def up(args, state, name, extra):
    """`up` of one host; returns (seconds from `up` to ssh answering, the instance's state)."""
    secs = xenlab(["up", "--dist", args.dist, "--variant", args.variant, "--name", name,
                   "--state-dir", state, "--no-build"] + extra)[0]
    with open(os.path.join(state, name, "state.json")) as f:
        return secs, json.load(f)


def reboot(state, name):
    out = xenlab(["reboot", name, "--state-dir", state])[1]
    return json.loads(out.strip().splitlines()[-1])["reboot_to_ssh_seconds"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    p.add_argument("--dist", default=os.environ.get("XENLAB_DIST", "bookworm"))
    p.add_argument("--variant", default="vtd-intremap")
    p.add_argument("--cold", action="store_true", help="measure a cold build in a temporary cache")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    r = {"dist": args.dist, "variant": args.variant}
    state = tempfile.mkdtemp(prefix="xenlab-bench-")

    print("== image build (%s)" % args.dist, flush=True)
    if args.cold:
        cache = tempfile.mkdtemp(prefix="xenlab-cold-")
        env = dict(os.environ, XENLAB_CACHE=cache)
        try:
            r["build_cold_seconds"] = round(xenlab(["build", "--dist", args.dist], env=env)[0], 1)
            r["build_cold_source"] = "measured now, in a temporary cache"
        finally:
            subprocess.run(["rm", "-rf", "--one-file-system", cache], check=False)
    else:
        meta = image_meta(args.dist)  # also makes sure the image is there
        r["build_cold_seconds"] = meta.get("build_seconds")
        r["build_cold_source"] = "recorded when the cached image was built on %s (--cold measures it)" \
            % meta.get("built", "?")
    r["build_cached_seconds"] = round(xenlab(["build", "--dist", args.dist])[0], 2)

    name = "bench"
    try:
        print("== cold boot with warm resets (--no-snapshot --reset warm), then a reboot", flush=True)
        r["boot_to_ssh_seconds"] = round(up(args, state, name, ["--no-snapshot", "--reset", "warm"])[0], 1)
        r["warm_reboot_seconds"] = reboot(state, name)
        xenlab(["down", "--name", name, "--state-dir", state])

        print("== up with power cycles (saves the snapshot when there is none yet), then a reboot", flush=True)
        secs, st = up(args, state, name, [])
        r["first_up_restored"] = bool(st.get("restored_from"))
        r["first_up_seconds"] = round(secs, 1)
        r["power_cycle_reboot_seconds"] = reboot(state, name)
        xenlab(["down", "--name", name, "--state-dir", state])

        print("== up from the snapshot", flush=True)
        secs, st = up(args, state, name, [])
        if not st.get("restored_from"):
            raise SystemExit("the second up did not restore a snapshot (see xenlab's output)")
        r["restore_to_ssh_seconds"] = round(secs, 1)
        r["restore_clock_skew_seconds"] = st.get("clock_skew_after_set")
        xenlab(["down", "--name", name, "--state-dir", state])
    finally:
        xenlab(["down", "--all", "--state-dir", state], check=False)
        subprocess.run(["rm", "-rf", "--one-file-system", state], check=False)

    r["ratio_restore_to_boot"] = round(r["restore_to_ssh_seconds"] / r["boot_to_ssh_seconds"], 3)
    r["ratio_power_cycle_to_warm"] = round(r["power_cycle_reboot_seconds"] / r["warm_reboot_seconds"], 3)
    print("\nlab timings (%s, %s, %d cores, TCG; `up` and `reboot` until ssh and `xl info` answer)"
          % (args.dist, args.variant, os.cpu_count()))
    rows = [
        ("image build, cold", "%s s" % r["build_cold_seconds"], r["build_cold_source"]),
        ("image build, cached", "%s s" % r["build_cached_seconds"], ""),
        ("boot to ssh (cold)", "%.1f s" % r["boot_to_ssh_seconds"], ""),
        ("restore to ssh (snapshot)", "%.1f s" % r["restore_to_ssh_seconds"],
         "dom0 clock %+.2f s after setting it" % (r["restore_clock_skew_seconds"] or 0)),
        ("reboot to ssh, warm reset", "%.1f s" % r["warm_reboot_seconds"], ""),
        ("reboot to ssh, power cycle", "%.1f s" % r["power_cycle_reboot_seconds"], ""),
        ("ratio restore / boot", "%.3f" % r["ratio_restore_to_boot"], ""),
        ("ratio power cycle / warm", "%.3f" % r["ratio_power_cycle_to_warm"], ""),
    ]
    for label, value, note in rows:
        print("  %-28s %10s   %s" % (label, value, note))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
