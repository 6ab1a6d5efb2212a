# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stubdom role after the fleet run (XG-DM-01), from the outside: the images libxl boots a Linux device-model
stub domain from were built on the host from Debian's packages; hvm-stub (prepare) is configured for a stub domain,
and `xl create -p` of it brings up `hvm-stub-dm` with QEMU running in it; hvm-vnc (graphics output) is
restricted, and its QEMU in dom0 runs as its own unprivileged user.

A full boot of an HVM guest behind the stub domain is slow under software emulation: it is the opt-in
test tests/lab/stubdom_boot.sh, not part of this scenario."""

import gzip
import json
import os
import sys
import time

import pytest

import testinfra.utils.ansible_runner

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
from labhost import xl_config_keys, xl_info  # noqa: E402

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")
# Debian 13 (Xen 4.20.4, QEMU 10.0): QEMU under dm_restrict is killed at start (SIGXFSZ), measured in the lab;
# the stubdom role's probe then leaves the guests it would restrict as they are
RESTRICT_BROKEN = os.environ.get("XENLAB_DIST", "bookworm") == "trixie"
# Debian 13: a stub domain does not get QEMU running within libxl's 30 s (LIBXL_STUBDOM_START_TIMEOUT), measured
# in the lab; the role's probe then leaves hvm-stub as it is
STUB_BROKEN = os.environ.get("XENLAB_DIST", "bookworm") == "trixie"


def firmware_dir(host):
    info = xl_info(host)
    return "/usr/lib/xen-%s.%s/boot" % (info["xen_major"], info["xen_minor"])


def domains(host):
    """{name: domid} from `xl list`."""
    found = {}
    for line in host.check_output("xl list").splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


def test_images_built_from_the_distribution(host):
    boot = firmware_dir(host)
    kernel = host.file(boot + "/qemu-stubdom-linux-kernel")
    rootfs = host.file(boot + "/qemu-stubdom-linux-rootfs")
    assert kernel.is_file and rootfs.is_file
    state = json.loads(host.file("/var/lib/xenguard/stubdom-image.json").content_string)
    packages = state["key"]["packages"]
    for package in ("qemu-system-xen", "xenstore-utils", "libc6"):
        assert package in packages, packages
    assert any(name.startswith("linux-image-") for name in packages)
    assert state["sha256"]["rootfs"] == rootfs.sha256sum
    # what xen_facts judges the images by on a re-run (boot.stubdom_image): directory, kernel, size and time
    assert state["dest"] == boot and state["kernel"].startswith("/boot/vmlinuz-")
    assert [state["stat"]["kernel"][0], state["stat"]["rootfs"][0]] == [kernel.size, rootfs.size]
    # the rootfs is a gzip'd cpio ("newc") with the collection's init and Debian's Xen QEMU at its own path
    files = cpio_files(gzip.decompress(rootfs.content))
    assert "usr/libexec/xen-qemu-system-i386" in files
    init = files["init"].decode()
    assert "xenstore-list \"$vm/image/dm-argv\"" in init
    assert "unrestricted=1" in init or "insmod" not in init


def cpio_files(data):
    """{name: content} of a newc archive."""
    files, pos = {}, 0
    while data[pos:pos + 6] == b"070701":
        size, name_len = int(data[pos + 54:pos + 62], 16), int(data[pos + 94:pos + 102], 16)
        name = data[pos + 110:pos + 110 + name_len - 1].decode()
        pos += 110 + name_len
        pos += (4 - pos % 4) % 4
        files[name] = data[pos:pos + size]
        pos += size + (4 - size % 4) % 4
        if name == "TRAILER!!!":
            break
    return files


def test_guest_configs_converted(host):
    stub = xl_config_keys(host.file("/etc/xen/hvm-stub.cfg").content_string)
    if STUB_BROKEN:
        # the role's probe found that a stub domain does not start here: hvm-stub is left as it was
        assert "device_model_stubdomain_override" not in stub and "stubdomain_memory" not in stub, stub
    else:
        assert stub["device_model_stubdomain_override"] == 1 and stub["device_model_version"] == "qemu-xen"
        assert stub["stubdomain_memory"] == 256
    assert "dm_restrict" not in stub
    vnc = xl_config_keys(host.file("/etc/xen/hvm-vnc.cfg").content_string)
    if RESTRICT_BROKEN:
        # the role's probe found that a restricted QEMU does not start here: hvm-vnc is left as it was
        assert "dm_restrict" not in vnc and "device_model_user" not in vnc, vnc
    else:
        assert vnc["dm_restrict"] == 1 and vnc["device_model_user"] == "xen-qemuuser-hvm-vnc"
    assert "device_model_stubdomain_override" not in vnc
    assert host.user("xen-qemuuser-hvm-vnc").exists and host.user("xen-qemuuser-reaper").exists
    assert host.user("xen-qemuuser-hvm-vnc").uid != 0


@pytest.mark.skipif(not STUB_BROKEN, reason="a stub domain starts on Debian 12")
def test_stub_domain_does_not_start_on_this_release(host, evidence):
    """Why hvm-stub was left alone on Debian 13: with the stub domain settings the role would write, xl create
    fails with libxl's "startup timed out" (QEMU in the stub domain not running within 30 s). When this starts
    to pass, the role's probe lets it move hvm-stub, and this test and STUB_BROKEN go."""
    host.run("grep -v -e '^device_model' -e '^stubdomain' /etc/xen/hvm-stub.cfg > /run/xg-stub.cfg && "
             "printf 'device_model_stubdomain_override = 1\\ndevice_model_version = \"qemu-xen\"\\n"
             "stubdomain_memory = 256\\n' >> /run/xg-stub.cfg")
    try:
        started = time.time()
        result = host.run("xl create -p /run/xg-stub.cfg")
        elapsed = time.time() - started
        assert result.rc != 0 and "startup timed out" in result.stderr, result.stderr
        console = host.run("tail -n 3 /var/log/xen/qemu-dm-hvm-stub-dm.log").stdout
        evidence("stubdom-does-not-start", "$ xl create -p /run/xg-stub.cfg   (%.1f s, rc %d)\n%s\n"
                 "$ tail -n 3 /var/log/xen/qemu-dm-hvm-stub-dm.log\n%s" % (elapsed, result.rc, result.stderr.strip(),
                                                                           console))
    finally:
        host.run("xl destroy hvm-stub; rm -f /run/xg-stub.cfg")


@pytest.mark.skipif(STUB_BROKEN, reason="Debian 13: a stub domain does not start (the role leaves hvm-stub)")
def test_stub_domain_runs_qemu(host, evidence):
    """xl create -p: the guest stays paused, its device model starts in hvm-stub-dm (QEMU writes "running").

    libxl gives a stub domain 30 s from its start to QEMU's "running"; under software emulation with a second lab
    VM on the cores it took 28-65 s by hand, so one "startup timed out" is retried once (and printed)."""
    # xl getenforce exits 255 without FLASK, which testinfra takes for a failed ssh: ask through a shell
    flask = host.run("xl getenforce 2>/dev/null || true").stdout.strip() in ("Permissive", "Enforcing")
    before = host.check_output("xl dmesg").splitlines() if flask else []
    try:
        for attempt in (1, 2):
            started = time.time()
            result = host.run("xl create -p /etc/xen/hvm-stub.cfg")
            elapsed = time.time() - started
            if result.rc == 0 or attempt == 2 or "startup timed out" not in result.stderr:
                break
            print("attempt 1 of xl create -p timed out after %.1f s: %s" % (elapsed, result.stderr.strip()))
            host.run("xl destroy hvm-stub")
        assert result.rc == 0, result.stderr
        doms = domains(host)
        assert "hvm-stub" in doms and "hvm-stub-dm" in doms, doms
        state = host.check_output("xenstore-read /local/domain/%d/device-model/%d/state"
                                  % (doms["hvm-stub-dm"], doms["hvm-stub"]))
        assert state == "running"
        target = host.check_output("xenstore-read /local/domain/%d/target" % doms["hvm-stub-dm"])
        assert int(target) == doms["hvm-stub"]
        # no QEMU of hvm-stub in dom0 serves the guest (only the stub domain's own console QEMU)
        ps = host.check_output("ps -eo args")
        assert "-xen-domid %d " % doms["hvm-stub"] not in ps
        listing = host.check_output("xl list -Z" if flask else "xl list")
        evidence("stubdom-xl-list", "$ xl create -p /etc/xen/hvm-stub.cfg   (%.1f s, attempt %d)\n$ %s\n%s"
                 % (elapsed, attempt, "xl list -Z" if flask else "xl list", listing))
        if flask:
            flask_labels_serve_stub_domain(host, doms, before)
    finally:
        host.run("xl destroy hvm-stub")


def flask_labels_serve_stub_domain(host, doms, before):
    """Under FLASK (permissive in the lab, so a refusal is only logged): the guest runs as a type Xen's
    policy lets the stub domain's dm_dom_t serve (domU.te: make_device_model(dom0_t, dm_dom_t, domU_t)), and
    creating the pair logged no denial for either: under enforcing the same create would have failed."""
    labels = {}
    for line in host.check_output("xl list -Z").splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 7:
            labels[parts[0]] = parts[-1]
    assert labels.get("hvm-stub-dm", "").endswith(":dm_dom_t"), labels
    assert labels.get("hvm-stub", "").endswith(":domU_t"), labels
    after = host.check_output("xl dmesg").splitlines()
    new = after[len(before):] if after[:len(before)] == before else after
    # Xen's avc_audit names domains "source=d<id> ", "target=d<id> ", "current=d<id> " (xsm/flask/avc.c)
    ids = ["%s=d%d " % (role, doms[name]) for role in ("source", "target", "current")
           for name in ("hvm-stub", "hvm-stub-dm")]
    denied = [line for line in new if "avc:" in line and "denied" in line
              and ("dm_dom_t" in line or any(i in line + " " for i in ids))]
    assert not denied, "\n".join(denied)


@pytest.mark.skipif(not RESTRICT_BROKEN, reason="a restricted QEMU starts on Debian 12")
def test_restricted_qemu_does_not_start_on_this_release(host):
    """Why hvm-vnc was left alone on Debian 13: libxl runs a restricted QEMU under its resource limits
    (libxl_linux.c: RLIMIT_FSIZE 256 KiB) and Debian 13's QEMU 10 is killed by SIGXFSZ at start. When this
    starts to pass (a fixed QEMU or libxl), the role's probe lets it restrict hvm-vnc, and this test and
    RESTRICT_BROKEN go."""
    host.run("sed -e '/^dm_restrict/d' -e '/^device_model_user/d' /etc/xen/hvm-vnc.cfg > /run/xg-restrict.cfg && "
             "printf 'dm_restrict = 1\\ndevice_model_user = \"xen-qemuuser-hvm-vnc\"\\n' >> /run/xg-restrict.cfg")
    try:
        result = host.run("xl create -p /run/xg-restrict.cfg")
        assert result.rc != 0 and "QEMU did not start properly" in result.stderr, result.stderr
        log = host.run("cat /var/log/xen/qemu-dm-hvm-vnc.log").stdout
        print(result.stderr[-800:], log[-400:])
    finally:
        host.run("xl destroy hvm-vnc; rm -f /run/xg-restrict.cfg")


@pytest.mark.skipif(RESTRICT_BROKEN, reason="Debian 13: a restricted QEMU does not start (the role leaves hvm-vnc)")
def test_restricted_qemu_runs_as_its_user(host):
    try:
        result = host.run("xl create -p /etc/xen/hvm-vnc.cfg")
        assert result.rc == 0, result.stderr
        domid = domains(host)["hvm-vnc"]
        lines = [l for l in host.check_output("ps -eo user:32,args").splitlines()
                 if "-xen-domid %d " % domid in l + " "]
        assert lines, "no QEMU for domain %d in dom0" % domid
        assert all(l.split()[0] == "xen-qemuuser-hvm-vnc" for l in lines), lines
        assert any("-xen-domid-restrict" in l for l in lines)
    finally:
        host.run("xl destroy hvm-vnc")
