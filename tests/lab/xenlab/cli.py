# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The xenguard.hardening lab: a real Xen host (the distribution's own Xen) booted under QEMU.

Boot path: firmware -> GRUB on the disk -> Xen -> dom0, so that what roles change in /etc/default/grub.d/,
/boot and GRUB's environment takes effect on reboot. KVM where /dev/kvm is usable with nested
virtualisation, else software emulation (TCG); --accel or XENLAB_ACCEL decides otherwise.

Subcommands:
  build    --dist D                      build (or find in the cache) the base image of a distribution
  up       --dist D --variant V --name N boot an instance on a copy-on-write overlay of the base image
  wait-ssh N                             wait until `xl info` answers over ssh
  reboot   N                             reboot through ssh, wait until the new boot answers
  ssh      N [-- cmd ...]                ssh into an instance as root
  down     --name N                      stop an instance (its own processes only) and remove its overlay
  status                                 list instances
  console  N                             print the tail of the serial console (Xen and dom0 messages)

Only the Python standard library is used. Run as root (debootstrap, chroot, namespaces).
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

from . import accel as accelerator
from . import settings
from .build import cmd_build
from .errors import LabError
from .image import DISTS, cmd_clean, image_path
from .instance import Instance, instance, supervise
from .qemu import VARIANTS
from .snapshot import snapshot_blocker, snapshot_path
from .util import (PROG, REQUIRED_TOOLS, log, need_free_disk, need_free_memory, need_tools, pick_port, run,
                   state_root, warn_vm_count)


def cmd_supervise(args):
    return supervise(args.dir)


def cmd_up(args):
    need_tools(REQUIRED_TOOLS)
    t_up = time.monotonic()
    inst = instance(args)
    if inst.alive:
        raise LabError("instance %s already runs (PID %d)\n  fix: %s down --name %s"
                       % (inst.name, inst.alive, PROG, inst.name))
    accel, accel_reason = accelerator.choose(args.accel)
    log("accel: %s (%s)" % (accel, accel_reason))
    path = image_path(args.dist, accel)[0]
    if not os.path.exists(path):
        if args.no_build:
            raise LabError("no %s image in the cache\n  fix: %s build --dist %s%s"
                           % (args.dist, PROG, args.dist, "" if accel == "tcg" else " --accel " + accel))
        log("no cached %s image yet: building it" % args.dist)
        cmd_build(argparse.Namespace(dist=args.dist, force=False, verify=False, accel=accel))
    need_free_disk(state_root(args), 2, "an instance overlay")
    need_free_memory(3500)
    warn_vm_count()
    if os.path.isdir(inst.dir):
        inst.stop()     # leftovers of an earlier run (e.g. its swtpm)
        shutil.rmtree(inst.dir)
    os.makedirs(inst.dir)
    inst.state = {"boots": []}
    snap = snapshot_path(args.dist, path, args.variant, args.tpm, args.guest_net, args.default_loglvl, accel,
                         args.smp)
    blocker = "--no-snapshot" if args.no_snapshot else snapshot_blocker(args.variant, args.tpm)
    incoming = None
    backing = path
    if blocker:
        log("%s: cold boot (no snapshot for %s%s: %s)"
            % (inst.name, args.variant, " with TPM" if args.tpm else "", blocker))
    elif os.path.exists(os.path.join(snap, "meta.json")):
        incoming = snap
        backing = os.path.join(snap, "disk.qcow2")
        shutil.copyfile(os.path.join(snap, "console.log"), inst.console)
        inst.state.update({"restored_from": snap, "restore_pending": True})
        log("%s: restoring the booted host saved in %s" % (inst.name, snap))
    else:
        inst.state["snapshot_save"] = snap
        log("%s: cold boot; once it answers it is saved as %s (later `up`s restore it; --no-snapshot boots cold)"
            % (inst.name, snap))
    inst.state["default_loglvl"] = bool(args.default_loglvl)
    if args.default_loglvl and not incoming:
        inst.state["loglvl_pending"] = True     # wait_ssh reboots it into Xen's default log levels
    overlay = os.path.join(inst.dir, "disk.qcow2")
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", backing, overlay], quiet=True)
    port = args.ssh_port or pick_port()
    try:
        inst.boot(overlay, "qcow2", args.dist, args.variant, port, args.tpm, args.guest_net, incoming=incoming,
                  reset=args.reset, accel=accel, smp=args.smp)
        inst.state["base_image"] = path
        inst.state["up_started_monotonic"] = t_up
        inst.save()
        if not args.no_wait:
            inst.wait_ssh(args.timeout)
    except BaseException:
        inst.stop()
        raise
    keys = ("name", "dist", "variant", "ssh_port", "ssh_key", "console_log", "pid")
    print(json.dumps({k: inst.state[k] for k in keys}))
    return 0


def cmd_wait_ssh(args):
    inst = instance(args)
    if not inst.state:
        raise LabError("no instance %s in %s" % (inst.name, state_root(args)))
    inst.wait_ssh(args.timeout, reboot=args.reboot)
    return 0


def cmd_reboot(args):
    inst = instance(args)
    if not inst.alive:
        raise LabError("instance %s does not run" % inst.name)
    secs = inst.reboot(args.timeout)
    print(json.dumps({"name": inst.name, "reboot_to_ssh_seconds": secs}))
    return 0


def split_ssh_args(rest):
    """`ssh NAME [--state-dir DIR] [--] cmd ...`: xenlab's own options may follow NAME too; the remote
    command starts after `--` or at the first word that is not one of them. Returns (state_dir, cmd)."""
    state_dir = None
    rest = list(rest)
    while rest:
        if rest[0] == "--state-dir" and len(rest) > 1:
            state_dir = rest[1]
            rest = rest[2:]
        elif rest[0].startswith("--state-dir="):
            state_dir = rest[0].split("=", 1)[1]
            rest = rest[1:]
        else:
            break
    if rest and rest[0] == "--":
        rest = rest[1:]
    return state_dir, rest


def cmd_ssh(args):
    state_dir, cmd = split_ssh_args(args.cmd)
    if state_dir:
        args.state_dir = state_dir
    inst = instance(args)
    if not inst.state:
        raise LabError("no instance %s in %s" % (inst.name, state_root(args)))
    argv = inst.ssh_argv(["-t"] if not cmd and sys.stdin.isatty() else [])
    os.execvp("ssh", argv + cmd)


def cmd_down(args):
    if args.all:
        names = sorted(os.path.basename(os.path.dirname(p))
                       for p in glob.glob(os.path.join(state_root(args), "*", "state.json")))
        if not names:
            log("no instances in %s (nothing to do)" % state_root(args))
        for name in names:
            down_one(args, name)
        return 0
    if not args.name:
        raise LabError("down needs --name NAME or --all")
    return down_one(args, args.name)


def down_one(args, name):
    inst = instance(args, name)
    if not os.path.isdir(inst.dir):
        log("no instance %s (nothing to do)" % inst.name)
        return 0
    if inst.alive and args.graceful:
        try:
            inst.ssh(["systemctl poweroff"], check=False, timeout=30)
            inst.wait_exit(60)
        except subprocess.TimeoutExpired:
            pass
    if not inst.stop():
        log("QEMU of %s was not running" % inst.name)
    if args.keep_logs:
        for f in os.listdir(inst.dir):
            if f not in ("console.log", "qemu.log", "state.json", "swtpm.log"):
                p = os.path.join(inst.dir, f)
                shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
    else:
        shutil.rmtree(inst.dir, ignore_errors=True)
    log("instance %s is down" % inst.name)
    return 0


def cmd_status(args):
    root = state_root(args)
    rows = []
    for sdir in sorted(glob.glob(os.path.join(root, "*", "state.json"))):
        inst = Instance(os.path.dirname(sdir), os.path.basename(os.path.dirname(sdir)))
        pid = inst.qemu_pid
        rows.append((inst.name, inst.state.get("dist", "?"), inst.state.get("variant", "?"),
                     str(inst.state.get("ssh_port", "?")), "running (PID %d)" % pid if pid else "stopped",
                     inst.console))
    if args.json:
        print(json.dumps([dict(zip(("name", "dist", "variant", "ssh_port", "status", "console"), r))
                          for r in rows], indent=2))
        return 0
    print("state dir: %s" % root)
    try:
        accel = accelerator.choose(settings.env("ACCEL"))[0]
    except LabError as e:
        print("accel: %s" % e)
        accel = "tcg"
    for dist in DISTS:
        try:
            p = image_path(dist, accel)[0]
            print("image %-8s %s %s" % (dist, p, "(cached)" if os.path.exists(p) else "(not built)"))
        except LabError as e:
            print("image %-8s %s" % (dist, e))
    if not rows:
        print("no instances")
    for r in rows:
        print("%-20s %-8s %-15s port %-6s %-22s %s" % r)
    return 0


def cmd_console(args):
    inst = instance(args)
    if args.follow:
        os.execvp("tail", ["tail", "-n", str(args.lines), "-f", inst.console])
    inst.print_console_tail(args.lines)
    return 0


def build_parser():
    """The command line (settings from the environment are its defaults: a bad one is a LabError)."""
    p = argparse.ArgumentParser(prog="xenlab.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = p.add_subparsers(dest="command", required=True)

    def add_accel(sp):
        sp.add_argument("--accel", choices=accelerator.CHOICES, default=settings.env("ACCEL"),
                        help="KVM or software emulation (TCG): auto (default: KVM where /dev/kvm is usable with "
                             "nested virtualisation), kvm or tcg; XENLAB_ACCEL")

    def add_state(sp):
        sp.add_argument("--state-dir", help="directory of instance states (default $XENLAB_STATE "
                                            "or lab-state/ in the repository)")

    b = sub.add_parser("build", help="build or find the cached base image")
    b.add_argument("--dist", required=True, choices=sorted(DISTS))
    b.add_argument("--force", action="store_true", help="rebuild even when cached")
    add_accel(b)
    b.add_argument("--verify", action="store_true", default=settings.flag("VERIFY_BUILD"),
                   help="reboot the new image once more before caching it (about 2 minutes; "
                        "XENLAB_VERIFY_BUILD=1)")
    b.set_defaults(func=cmd_build)

    c = sub.add_parser("clean", help="remove stale cached images and leftover build directories")
    c.add_argument("--all", action="store_true", help="remove every cached image")
    c.set_defaults(func=cmd_clean)

    boot_timeout = settings.boot_timeout()
    u = sub.add_parser("up", help="boot an instance")
    u.add_argument("--dist", required=True, choices=sorted(DISTS))
    u.add_argument("--variant", required=True, choices=sorted(VARIANTS))
    u.add_argument("--name", required=True)
    u.add_argument("--ssh-port", type=int)
    u.add_argument("--tpm", action="store_true", help="a TPM 2.0 (swtpm, tpm-tis)")
    u.add_argument("--smp", type=int, choices=range(1, 9), metavar="N",
                   help="vCPUs of this host (1 to 8; default XENLAB_SMP, else 2)")
    u.add_argument("--guest-net", default="isolated",
                   help="second NIC (eth1): isolated (default, no peer), none, or netns:NS[:TAP] "
                        "(a tap device inside network namespace NS; made, and removed by down, when it does not exist)")
    u.add_argument("--timeout", type=float, default=boot_timeout)
    u.add_argument("--no-wait", action="store_true")
    u.add_argument("--no-build", action="store_true", help="fail instead of building a missing image")
    u.add_argument("--reset", choices=["power-cycle", "warm"],
                   default=settings.env("RESET"),
                   help="what a reboot of the host does: power-cycle (default: QEMU ends and starts again on "
                        "the same disk, TPM state and NICs, as a BMC does) or warm (QEMU resets the machine; "
                        "Xen then stalls about a minute under emulation); XENLAB_RESET")
    u.add_argument("--default-loglvl", action="store_true",
                   help="Xen with its default log levels (the lab's loglvl=all guest_loglvl=all removed): "
                        "the first up reboots once for it, its snapshot keeps it")
    u.add_argument("--no-snapshot", action="store_true",
                   default=settings.flag("NO_SNAPSHOT"),
                   help="boot cold instead of restoring a saved booted host, and save none (XENLAB_NO_SNAPSHOT=1)")
    add_accel(u)
    add_state(u)
    u.set_defaults(func=cmd_up)

    w = sub.add_parser("wait-ssh", help="wait until `xl info` answers over ssh")
    w.add_argument("name")
    w.add_argument("--timeout", type=float, default=boot_timeout)
    w.add_argument("--reboot", action="store_true", help=argparse.SUPPRESS)
    add_state(w)
    w.set_defaults(func=cmd_wait_ssh)

    r = sub.add_parser("reboot", help="reboot an instance through ssh and wait until it answers again")
    r.add_argument("name")
    r.add_argument("--timeout", type=float, default=boot_timeout)
    add_state(r)
    r.set_defaults(func=cmd_reboot)

    s = sub.add_parser("ssh", help="ssh into an instance: ssh NAME [-- cmd ...]")
    s.add_argument("name")
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    add_state(s)
    s.set_defaults(func=cmd_ssh)

    d = sub.add_parser("down", help="stop an instance and remove its overlay")
    d.add_argument("--name")
    d.add_argument("--all", action="store_true", help="every instance in the state dir")
    d.add_argument("--graceful", action="store_true", help="power off through ssh first")
    d.add_argument("--keep-logs", action="store_true", help="keep console.log and state.json")
    add_state(d)
    d.set_defaults(func=cmd_down)

    sv = sub.add_parser("_supervise", help=argparse.SUPPRESS)
    sv.add_argument("dir")
    sv.set_defaults(func=cmd_supervise)

    st = sub.add_parser("status", help="list images and instances")
    st.add_argument("--json", action="store_true")
    add_state(st)
    st.set_defaults(func=cmd_status)

    co = sub.add_parser("console", help="tail of the serial console")
    co.add_argument("name")
    co.add_argument("-n", "--lines", type=int, default=40)
    co.add_argument("-f", "--follow", action="store_true")
    add_state(co)
    co.set_defaults(func=cmd_console)

    return p


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except LabError as e:
        print("xenlab: error: %s" % e, file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print("xenlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
