# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timings of the xenguard.hardening lab: image build (cold and cached), boot-to-ssh per variant and
reboot-to-ssh. Boots one lab VM at a time and stops it again (also when interrupted).

  bench.py [--dist bookworm] [--variants vtd-intremap,nohvm,...] [--cold] [--json FILE]

Without --cold the cold build time is the one recorded when the cached image was built; with --cold the
image is built again from scratch in a temporary cache (takes minutes).
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
ALL_VARIANTS = ["vtd-intremap", "vtd-nointremap", "amd-vi", "noiommu", "nohvm"]


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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    p.add_argument("--dist", default=os.environ.get("XENLAB_DIST", "bookworm"))
    p.add_argument("--variants", default=",".join(ALL_VARIANTS))
    p.add_argument("--cold", action="store_true", help="measure a cold build in a temporary cache")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    results = {"dist": args.dist, "boot_to_ssh": {}}
    state = tempfile.mkdtemp(prefix="xenlab-bench-")

    print("== image build (%s)" % args.dist, flush=True)
    if args.cold:
        cache = tempfile.mkdtemp(prefix="xenlab-cold-")
        env = dict(os.environ, XENGUARD_LAB_CACHE=cache)
        try:
            results["build_cold_seconds"] = round(xenlab(["build", "--dist", args.dist], env=env)[0], 1)
        finally:
            subprocess.run(["rm", "-rf", "--one-file-system", cache], check=False)
    else:
        xenlab(["build", "--dist", args.dist])  # make sure it is there
        results["build_cold_seconds"] = image_meta(args.dist).get("build_seconds")
    results["build_cached_seconds"] = round(xenlab(["build", "--dist", args.dist])[0], 2)
    print("   cold %s s, cached %s s" % (results["build_cold_seconds"], results["build_cached_seconds"]),
          flush=True)

    name = "bench"
    try:
        for variant in args.variants.split(","):
            print("== boot %s" % variant, flush=True)
            total = xenlab(["up", "--dist", args.dist, "--variant", variant, "--name", name,
                            "--state-dir", state, "--no-build"])[0]
            with open(os.path.join(state, name, "state.json")) as f:
                boot = json.load(f)["last_boot_to_ssh_seconds"]
            results["boot_to_ssh"][variant] = boot
            print("   boot to ssh %.1f s (up incl. overlay and QEMU start %.1f s)" % (boot, total),
                  flush=True)
            if variant == "vtd-intremap" or "reboot_to_ssh_seconds" not in results:
                out = xenlab(["reboot", name, "--state-dir", state])[1]
                results["reboot_to_ssh_seconds"] = json.loads(out.strip().splitlines()[-1])[
                    "reboot_to_ssh_seconds"]
                results["reboot_variant"] = variant
                print("   reboot to ssh %.1f s" % results["reboot_to_ssh_seconds"], flush=True)
            xenlab(["down", "--name", name, "--state-dir", state])
    finally:
        xenlab(["down", "--all", "--state-dir", state], check=False)
        subprocess.run(["rm", "-rf", "--one-file-system", state], check=False)

    print("\nlab timings (%s, %d cores, TCG)" % (args.dist, os.cpu_count()))
    print("  %-28s %8s" % ("image build, cold", "%s s" % results["build_cold_seconds"]))
    print("  %-28s %8s" % ("image build, cached", "%s s" % results["build_cached_seconds"]))
    for variant, secs in results["boot_to_ssh"].items():
        print("  %-28s %8s" % ("boot to ssh, " + variant, "%.0f s" % secs))
    if "reboot_to_ssh_seconds" in results:
        print("  %-28s %8s" % ("reboot to ssh (%s)" % results["reboot_variant"],
                               "%.0f s" % results["reboot_to_ssh_seconds"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
