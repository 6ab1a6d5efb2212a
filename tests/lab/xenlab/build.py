# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`build`: debootstrap, configure, write the disk, boot it once to install GRUB for real, publish the
image in the cache (atomically)."""

import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

from . import accel as accelerator
from . import settings
from .errors import LabError
from .image import (BUILD_SCRIPT_VERSION, PACKAGES, PART_OFFSET, configure_rootfs, image_path, make_disk,
                    safe_rmtree, seed_grub, xen_cmdline)
from .instance import Instance
from .util import (BUILD_TOOLS, REQUIRED_TOOLS, cache_dir, lab_key, log, need_free_disk, need_free_memory,
                   need_root, need_tools, pick_port, run, warn_vm_count)


def lab_option_in_grub(accel):
    """An option of the lab's Xen command line that tells the lab's entry in a generated grub.cfg or in
    `xl info` (smap=0 under TCG, as before KVM support)."""
    return "smap=0" if accel == "tcg" else "dom0_mem=1024M,max:1024M"


def cmd_build(args):
    need_root()
    need_tools(dict(REQUIRED_TOOLS, **BUILD_TOOLS))
    dist = args.dist
    accel, accel_reason = accelerator.choose(args.accel)
    path, key, mirror = image_path(dist, accel)
    if os.path.exists(path) and not args.force:
        log("cache hit: %s (dist %s, mirror %s)" % (path, dist, mirror))
        print(path)
        return 0
    log("accel: %s (%s)" % (accel, accel_reason))
    need_free_disk(cache_dir(), 6, "building an image")
    need_free_memory(3500)
    warn_vm_count()
    start = time.monotonic()
    log("building %s image, key %s, mirror %s" % (dist, key, mirror), start)
    work = tempfile.mkdtemp(prefix=".build-%s-" % dist, dir=cache_dir())
    # held while the build runs: `clean` leaves locked build directories alone
    lock = open(os.path.join(work, "lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    inst = None
    try:
        root = os.path.join(work, "rootfs")
        log("step 1/6 debootstrap (minbase + %d packages)" % len(PACKAGES), start)
        cmd = ["debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES), dist, root, mirror]
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        with open(os.path.join(work, "debootstrap.log"), "w") as f:
            f.write(res.stdout)
        if res.returncode != 0:
            raise LabError("debootstrap failed (rc=%d); last lines:\n%s"
                           % (res.returncode, "\n".join(res.stdout.splitlines()[-25:])))
        log("step 2/6 configure the root filesystem", start)
        fs_uuid = str(uuid.uuid4())
        with open(lab_key() + ".pub") as f:
            pubkey = f.read()
        configure_rootfs(root, dist, mirror, fs_uuid, pubkey, accel)
        seed_grub(root, fs_uuid, accel)
        shutil.rmtree(root + "/var/cache/apt/archives", ignore_errors=True)
        os.makedirs(root + "/var/cache/apt/archives/partial", exist_ok=True)
        log("step 3/6 partitioned disk, mkfs.ext4 -d at offset %d, GRUB boot.img/core.img" % PART_OFFSET,
            start)
        raw = os.path.join(work, "disk.img")
        make_disk(root, raw, fs_uuid)
        safe_rmtree(root)
        log("step 4/6 first boot: grub-install /dev/vda && update-grub", start)
        inst = Instance(os.path.join(work, "firstboot"), "build-%s" % dist)
        inst.boot(raw, "raw", dist, "noiommu", port=pick_port(), tpm=False, guest_net="none",
                  build=True, accel=accel)
        inst.wait_ssh(settings.boot_timeout(), start)
        inst.ssh(["set -e; grub-install /dev/vda; update-grub; apt-get clean"], check=True)
        # the generated grub.cfg must boot Xen with the lab's options by default
        cfg = inst.ssh(["cat /boot/grub/grub.cfg"], check=True, capture=True).stdout
        if not re.search(r"multiboot2\s+\S*xen\S*\s+placeholder\s.*" + re.escape(lab_option_in_grub(accel)), cfg):
            raise LabError("update-grub wrote no Xen entry with the lab's options:\n%s" % cfg[-3000:])
        if args.verify:
            log("step 5/6 reboot into the final GRUB configuration and check it", start)
            inst.reboot(settings.boot_timeout(), start)
            out = inst.ssh(["xl info | grep -E '^(xen_version|xen_commandline)'; cat /proc/cmdline"],
                           check=True, capture=True).stdout
            print(out, end="")
            if lab_option_in_grub(accel) not in out:
                raise LabError("the rebooted image does not run the lab's Xen command line")
        else:
            log("step 5/6 (skipped: --verify reboots once more into the final GRUB configuration)", start)
        inst.ssh(["fstrim -a >/dev/null 2>&1; sync"], check=False)
        inst.ssh(["systemctl poweroff"], check=False, capture=True)
        if not inst.wait_exit(300):
            raise LabError("the image did not power off within 300 s; not caching an unclean image")
        inst.stop()
        slot_wait = inst.state.get("slot_wait_seconds") or 0
        inst = None
        log("step 6/6 convert to qcow2 and publish in the cache", start)
        tmp_q = os.path.join(work, "base.qcow2")
        run(["qemu-img", "convert", "-O", "qcow2", raw, tmp_q])
        os.unlink(raw)
        os.chmod(tmp_q, 0o444)
        with open(path + ".json.tmp", "w") as f:
            json.dump({"dist": dist, "key": key, "mirror": mirror, "packages": PACKAGES,
                       "script_version": BUILD_SCRIPT_VERSION, "xen_cmdline": xen_cmdline(accel),
                       "fs_uuid": fs_uuid, "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "slot_wait_seconds": slot_wait,
                       "build_seconds": round(time.monotonic() - start - slot_wait, 1)}, f, indent=2)
        os.rename(tmp_q, path)
        os.rename(path + ".json.tmp", path + ".json")
        waited = " (+ %.0f s waiting for a VM slot)" % slot_wait if slot_wait else ""
        log("built %s in %.0f s%s" % (path, time.monotonic() - start - slot_wait, waited), start)
        print(path)
        return 0
    except BaseException:
        if inst is not None:
            inst.print_console_tail()
            inst.stop()
        for src in ("debootstrap.log", "firstboot/console.log"):
            if os.path.exists(os.path.join(work, src)):
                dst = os.path.join(cache_dir(), "last-failed-build-%s-%s" % (dist, src.replace("/", "-")))
                shutil.copy(os.path.join(work, src), dst)
                log("kept %s" % dst)
        raise
    finally:
        if os.path.exists(path + ".json.tmp"):
            os.unlink(path + ".json.tmp")
        safe_rmtree(work)
        lock.close()
