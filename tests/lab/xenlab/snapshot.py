# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Booted-host snapshots: which hosts QEMU can save (and may), the snapshot's cache key and directory, and
saving a running host (QEMU's migration stream to a file plus its disk at that moment)."""

import fcntl
import hashlib
import json
import os
import shlex
import shutil
import tempfile
import time

from .errors import LabError
from .qemu import MEMORY, SMP, VARIANTS, Qmp, cpu_model, machine_option, qemu_version
from .util import cache_dir, log, write_json

SNAPSHOT_VERSION = "1"


def guest_net_kind(guest_net):
    """isolated | none | netns: the wire the saved host had (the namespace's name is not part of the state)."""
    return guest_net.split(":", 1)[0]


def snapshot_blocker(variant, tpm):
    """Why a host of this kind is not saved and restored (None: it can be). Checked on QEMU 7.2."""
    if "amd-iommu" in " ".join(VARIANTS[variant][2]):
        return "QEMU cannot save a VM with an AMD IOMMU (\"State blocked by non-migratable device 'amd-iommu'\")"
    if tpm:
        return ("QEMU can save the TPM emulator's state, but every host restored from it would have the same "
                "TPM (its seeds and endorsement key), which no two servers have")
    return None


def snapshot_key(image_id, variant, tpm, guest_net, qemu_ver, default_loglvl=False, accel="tcg", host_cpu=None,
                 smp=None):
    """Key of a booted-host snapshot: the image (its key and its build), the QEMU device set and QEMU.
    Under TCG the key is the one it had before KVM support (no accel fields), so saved snapshots are found.
    Under KVM the CPU is this machine's (-cpu host): its model is part of the key, as a KVM VM state only
    restores on the same kind of CPU."""
    fields = {"image": image_id, "variant": variant, "machine": list(VARIANTS[variant][:3]),
              "tpm": bool(tpm), "guest_net": guest_net_kind(guest_net), "memory": MEMORY,
              "smp": str(smp or SMP), "qemu": qemu_ver, "version": SNAPSHOT_VERSION,
              "default_loglvl": bool(default_loglvl)}
    if accel != "tcg":
        fields.update({"accel": accel, "machine": [machine_option(variant, accel), cpu_model(variant, accel),
                                                   VARIANTS[variant][2]],
                       "host_cpu": host_cpu})
    h = hashlib.sha256()
    h.update(json.dumps(fields, sort_keys=True).encode())
    return h.hexdigest()[:16]


def host_cpu_model(cpuinfo="/proc/cpuinfo"):
    """This machine's CPU: vendor, family, model and stepping of its first processor."""
    found = {}
    try:
        with open(cpuinfo) as f:
            for line in f:
                if not line.strip():
                    break
                key, _sep, value = line.partition(":")
                found[key.strip()] = value.strip()
    except OSError:
        return "unknown"
    return " ".join(found.get(k, "?") for k in ("vendor_id", "cpu family", "model", "stepping", "model name"))


def snapshot_path(dist, image, variant, tpm, guest_net, default_loglvl=False, accel="tcg", smp=None):
    """Directory of the snapshot of a booted host: vmstate (QEMU's migration stream), disk.qcow2 (the
    overlay at that moment, backed by the image), console.log, meta.json (written last)."""
    try:
        with open(image + ".json") as f:
            build_id = json.load(f).get("fs_uuid", "")
    except (OSError, ValueError):
        build_id = ""
    key = snapshot_key(os.path.basename(image) + ":" + build_id, variant, tpm, guest_net, qemu_version(),
                       default_loglvl, accel, host_cpu_model() if accel != "tcg" else None, smp)
    return os.path.join(cache_dir(), "snapshots", "xenlab-%s-%s-%s-%s%s%s%s"
                        % (dist, variant, guest_net_kind(guest_net), "tpm-" if tpm else "",
                           "default-loglvl-" if default_loglvl else "", "" if accel == "tcg" else accel + "-",
                           key))


def save(inst, snap):
    """Save the booted host of instance inst: QEMU's migration stream to a file, and a copy of the disk overlay taken
    while the VM is stopped (the state refers to exactly that disk), then let the host run on."""
    parent = os.path.dirname(snap)
    os.makedirs(parent, exist_ok=True)
    lock = open(snap + ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        log("%s: another lab host is saving %s; not saving this one" % (inst.name, snap))
        lock.close()
        return
    begin = time.monotonic()
    tmp = None
    qmp = None
    try:
        if os.path.exists(os.path.join(snap, "meta.json")):
            return
        tmp = tempfile.mkdtemp(prefix=".tmp-", dir=parent)
        qmp = Qmp(inst.qmp_sock)
        qmp.execute("migrate", uri="exec:cat > %s" % shlex.quote(os.path.join(tmp, "vmstate")))
        deadline = time.monotonic() + 300
        while True:
            info = qmp.execute("query-migrate")
            if info.get("status") == "completed":
                break
            if info.get("status") in ("failed", "cancelled") or time.monotonic() > deadline:
                raise LabError("saving the VM state failed: %s" % info)
            time.sleep(0.2)
        saved = time.monotonic() - begin
        # stopped (post-migrate) and its disk flushed: this copy is the disk the state refers to
        shutil.copyfile(inst.state["disk"], os.path.join(tmp, "disk.qcow2"))
        qmp.execute("cont")
        paused = time.monotonic() - begin
        shutil.copyfile(inst.console, os.path.join(tmp, "console.log"))
        size = os.path.getsize(os.path.join(tmp, "vmstate"))
        for f in ("vmstate", "disk.qcow2", "console.log"):
            os.chmod(os.path.join(tmp, f), 0o444)
        write_json(os.path.join(tmp, "meta.json"), {
            "dist": inst.state["dist"], "variant": inst.state["variant"], "tpm": inst.state["tpm"],
            "guest_net": guest_net_kind(inst.state["guest_net"]),
            "base_image": inst.state.get("base_image"), "qemu": qemu_version(),
            "vmstate_bytes": size, "save_seconds": round(saved, 1), "paused_seconds": round(paused, 1),
            "boot_to_ssh_seconds": inst.state.get("last_boot_to_ssh_seconds"),
            "saved": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "from_instance": inst.name})
        os.rename(tmp, snap)
        tmp = None
        inst.set_clock()
        log("%s: saved the booted host as %s (%.0f MB, %.1f s, host paused %.1f s)"
            % (inst.name, snap, size / 1e6, saved, paused))
    except (LabError, OSError) as e:
        log("%s: WARNING: not saved as a snapshot (%s); the host runs on" % (inst.name, e))
        if qmp is not None:
            try:
                if qmp.execute("query-status").get("status") != "running":
                    qmp.execute("cont")
            except LabError:
                pass
    finally:
        if qmp is not None:
            qmp.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        lock.close()
