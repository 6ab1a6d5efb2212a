# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base image (tests/lab/xenlab/image.py): the Debian mirror read from apt sources, the cache key."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import checks, controls
from ansible_collections.xenguard.hardening.tests.lab.xenlab import image
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture


def _root(tmp_path, files):
    """A root directory whose etc/apt holds the given recorded files: {name under etc/apt: fixture}."""
    for name, recorded in files.items():
        path = tmp_path / "etc/apt" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fixture("apt", recorded))
    return str(tmp_path)


DEBOOTSTRAP_SUITES = {"bookworm", "bullseye", "trixie", "sid"}


def test_deb822_stanzas(tmp_path):
    root = _root(tmp_path, {"sources.list.d/debian.sources": "debian12-build-host.sources"})
    assert image.apt_entries(root) == [
        ("http://deb.mirror.example/debian", ["bookworm", "bookworm-updates"]),
        ("http://deb.mirror.example/debian-security", ["bookworm-security"]),
    ]


def test_deb822_disabled_source_only_and_continuation_lines(tmp_path):
    path = tmp_path / "etc/apt/sources.list.d/x.sources"
    path.parent.mkdir(parents=True)
    path.write_text("Types: deb-src\nURIs: http://a.example/debian\nSuites: trixie\n\n"
                    "Types: deb\nEnabled: no\nURIs: http://b.example/debian\nSuites: trixie\n\n"
                    "Types: deb deb-src\nURIs: http://c.example/debian\n http://d.example/debian\nSuites: trixie\n")
    assert image.apt_entries(str(tmp_path)) == [
        ("http://c.example/debian", ["trixie"]), ("http://d.example/debian", ["trixie"])]


def test_one_line_sources(tmp_path):
    root = _root(tmp_path, {"sources.list": "debian11-installer.list",
                            "sources.list.d/google-cloud-sdk.list": "google-cloud-sdk.list"})
    assert image.apt_entries(root) == [
        ("http://ftp.de.mirror.example/debian/", ["bullseye"]),
        ("http://security.mirror.example/debian-security", ["bullseye-security"]),
        ("http://ftp.de.mirror.example/debian/", ["bullseye-updates"]),
        ("https://packages.other.example/apt", ["cloud-sdk-bookworm"]),
    ]


@pytest.mark.parametrize("files,mirror", [
    # this machine: nodesource first (no debootstrap script for "nodistro"), then Debian
    ({"sources.list.d/debian.sources": "debian12-build-host.sources",
      "sources.list.d/a-nodesource.sources": "nodesource.sources"}, "http://deb.mirror.example/debian"),
    ({"sources.list": "google-cloud-sdk.list", "sources.list.d/debian.list": "debian11-installer.list"},
     "http://ftp.de.mirror.example/debian"),
])
def test_pick_mirror_from_recorded_sources(tmp_path, files, mirror):
    assert image.pick_mirror(image.apt_entries(_root(tmp_path, files)), DEBOOTSTRAP_SUITES.__contains__) == mirror


@pytest.mark.parametrize("entries,mirror", [
    # only updates and security suites: nothing debootstrap can start from
    ([("http://deb.mirror.example/debian", ["bookworm-updates", "bookworm-backports"]),
      ("http://deb.mirror.example/debian-security", ["bookworm-security"])], None),
    # a security archive with a base suite name is still not a mirror
    ([("http://security.example/debian", ["bookworm"]), ("file:/srv/mirror/", ["trixie"])], "file:/srv/mirror"),
    ([("cdrom:[Debian]/", ["bookworm"]), ("ftp://old.example/debian", ["bookworm"])], None),
])
def test_pick_mirror(entries, mirror):
    assert image.pick_mirror(entries, DEBOOTSTRAP_SUITES.__contains__) == mirror


def test_apt_mirror_setting_wins(monkeypatch):
    monkeypatch.setenv("XENLAB_MIRROR", "http://mirror.example/debian/")
    assert image.apt_mirror() == "http://mirror.example/debian"


PUBKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtest xenguard-lab\n"


def test_image_key_is_the_one_of_the_images_already_cached():
    # Values computed by the lab before it became a package: cached images must still be found. A change
    # here means every machine builds its images again (about 8 minutes each); change it only on purpose.
    # Last changed on purpose: xsave=0 and conring_size=512k joined the lab's Xen command line.
    assert image.image_key("bookworm", "http://deb.example/debian", "ssh-ed25519 AAAAkey c") == "9d1452cf233c53b0"
    assert image.image_key("trixie", "http://deb.example/debian", "ssh-ed25519 AAAAkey c") == "3b6a5140323c804b"


def test_image_key_follows_its_inputs():
    base = image.image_key("bookworm", "http://deb.example/debian", PUBKEY)
    others = [image.image_key("trixie", "http://deb.example/debian", PUBKEY),
              image.image_key("bookworm", "http://other.example/debian", PUBKEY),
              image.image_key("bookworm", "http://deb.example/debian", "ssh-ed25519 AAAAother x")]
    assert base not in others and len(set(others)) == 3
    # the key's comment is not part of it
    assert image.image_key("bookworm", "http://deb.example/debian", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtest c") \
        == base


def test_lab_xen_options():
    # the loglvl options --default-loglvl removes are on the lab's command line
    assert all(opt in image.XEN_CMDLINE.split() for opt in image.LAB_LOGLVL_OPTIONS)
    # a console ring that keeps the boot log under loglvl=all, yet below what XG-XEN-06 asks for: the stock
    # lab host still fails that control and the hypervisor role still raises it
    assert "conring_size=512k" in image.XEN_CMDLINE.split()
    params = controls.catalogue_by_id()["XG-XEN-06"]["params"]
    facts = {"info": {"nr_cpus": "1", "xen_commandline": image.XEN_CMDLINE}}
    status, detail = checks.check_conring_size(facts, params)
    assert (status, detail) == ("fail", "booted command line has conring_size=512k (512 KiB), less than 1024 KiB")


def test_image_for_kvm_has_no_emulation_quirk_and_a_key_of_its_own():
    assert {"smap=0", "xsave=0"} <= set(image.xen_cmdline("tcg").split())
    assert image.xen_cmdline("tcg") == image.XEN_CMDLINE
    kvm = image.xen_cmdline("kvm").split()
    assert "smap=0" not in kvm and "xsave=0" not in kvm
    # the rest of the lab's options stay, in order
    assert kvm == [opt for opt in image.XEN_CMDLINE.split() if opt not in ("smap=0", "xsave=0")]
    tcg_key = image.image_key("bookworm", "http://deb.example/debian", PUBKEY)
    kvm_key = image.image_key("bookworm", "http://deb.example/debian", PUBKEY, "kvm")
    assert tcg_key == image.image_key("bookworm", "http://deb.example/debian", PUBKEY, "tcg")
    assert kvm_key != tcg_key
    assert image.image_name("bookworm", tcg_key) == "xenlab-bookworm-%s.qcow2" % tcg_key
    assert image.image_name("bookworm", kvm_key, "kvm") == "xenlab-bookworm-kvm-%s.qcow2" % kvm_key


def test_xen_cfg_of_the_image_built_for_tcg_is_the_one_the_lab_hosts_have(tmp_path):
    # Debian 12's xen.cfg as the package ships it, configured for TCG, gives the file of a lab host (both real)
    (tmp_path / "etc/default/grub.d").mkdir(parents=True)
    (tmp_path / "etc/default/grub.d/xen.cfg").write_text(fixture("debian12-xen-4.17", "etc-default-grub.d-xen.cfg.debian.txt"))
    image.configure_xen_cfg(str(tmp_path), "tcg")
    assert (tmp_path / "etc/default/grub.d/xen.cfg").read_text() == \
        fixture("debian12-xen-4.17", "etc-default-grub.d-xen.cfg.lab.txt")


def test_xen_cfg_of_the_image_built_for_kvm(tmp_path):
    debian = fixture("debian12-xen-4.17", "etc-default-grub.d-xen.cfg.debian.txt")
    (tmp_path / "etc/default/grub.d").mkdir(parents=True)
    (tmp_path / "etc/default/grub.d/xen.cfg").write_text(debian)
    image.configure_xen_cfg(str(tmp_path), "kvm")
    text = (tmp_path / "etc/default/grub.d/xen.cfg").read_text()
    assert 'GRUB_CMDLINE_XEN_DEFAULT="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M conring_size=512k ' \
        'loglvl=all guest_loglvl=all"\n' in text
    assert "smap" not in text and "xsave" not in text and '\n#GRUB_CMDLINE_XEN_DEFAULT=""' not in text
    # apart from the two lines the lab sets (and a comment), Debian's file is unchanged
    changed = [ln for ln in text.splitlines() if ln not in debian.splitlines()]
    assert [ln.split("=")[0] for ln in changed if not ln.startswith("#")] == \
        ["GRUB_CMDLINE_XEN_DEFAULT", "XEN_OVERRIDE_GRUB_DEFAULT"]
