#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: xen_facts
short_description: Gather the security-relevant state of a Xen dom0 as facts
version_added: 0.1.0
description:
  - Reads, in one call, everything the collection's controls look at on a Xen host and returns it
    as the fact C(ansible_facts.xen).
  - Parsed C(xl info); IOMMU, interrupt remapping, XSM/FLASK, SMT and speculative-mitigation state
    from C(xl dmesg); the FLASK mode from C(xl getenforce); the domains from C(xl list -l); the
    vif/vbd/vtpm backends from xenstore; the Xen command line actually booted; whether a TPM is
    visible in dom0; the guest configuration files; and the result of every control of the
    collection's control catalogue over those facts.
  - Changes nothing, so it runs the same way in check mode.
  - On a host that is not a Xen dom0 it does not fail; it returns C(is_dom0=false) and a C(reason).
  - Only C(xl info) failing fails the call (without it nothing can be judged, for instance when not run as
    root). Any other part that fails (C(xl dmesg) exiting non-zero, C(xenstore-ls) missing...) is returned
    as V(null) with the reason in C(errors), a warning is given, and every control that reads that part says
    C(unknown) naming it; the other parts and controls are returned as usual.
  - Files are read as bytes. A guest configuration file (or C(xl.conf)) holding bytes that are not UTF-8
    is reported with an C(error) naming the first such byte (offset and line) instead of failing the host,
    and the controls over guest configurations say C(unknown) for it rather than judge it. Bytes that are
    not UTF-8 in command output are returned as C(\xNN) escapes.
author: xenguard maintainers (@xenguard)
options:
  gather:
    description:
      - Which parts to read. V(all) reads everything and evaluates the controls.
      - C(xl info) is always read (it gives C(version) and C(cmdline)); parts not asked for are
        returned as V(null). V(controls) needs every part, so it implies V(all).
    type: list
    elements: str
    choices: [all, dmesg, flask, domains, backends, tpm, guest_configs, xl_conf, xenstored, network, boot, pci, controls]
    default: [all]
  config_paths:
    description:
      - Where the guest configuration files are. A directory means every C(*.cfg) file in it; a
        file is read as it is; a glob pattern is expanded.
      - An entry that does not exist (or a link to nothing, or a pattern whose directory does not exist)
        is most likely a typo - it gives a warning and an entry with an C(error) in C(guest_configs), so
        the controls over guest configurations say C(unknown) instead of C(not_applicable). A pattern that
        matches nothing in an existing directory is not an error.
    type: list
    elements: path
    default: [/etc/xen]
  xl_conf_path:
    description:
      - The global xl configuration file (C(xl.conf(5))), returned parsed as C(xl_conf).
      - A file that does not exist gives no settings (xl then uses its defaults).
    type: path
    default: /etc/xen/xl.conf
  xen_cfg_path:
    description:
      - The file that keeps the Xen command line for GRUB (C(GRUB_CMDLINE_XEN_DEFAULT), as
        M(xenguard.hardening.xen_boot_options) manages it), returned as C(boot.xen_cfg) with its tokens, so
        roles can tell whether a boot change is needed without reading it again.
    type: path
    default: /etc/default/grub.d/xen.cfg
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode changes nothing about what it does.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  facts:
    support: full
    description: Returns C(ansible_facts.xen).
notes:
  - Needs root (C(xl) talks to the hypervisor) and the C(xl) and C(xenstore-ls) commands
    (Debian packages C(xen-utils-*) and C(xenstore-utils)); the C(network) part needs C(ip) from
    iproute2 4.13 or later (for C(-j)).
  - The C(xenstored) part reads C(/proc/<pid>/cmdline) of the running C(xenstored) or C(oxenstored) and,
    for C(oxenstored), its configuration file; quotas changed later with C(xenstore-control) are not seen.
  - C(xl list -l) leaves out settings at their default and prints some defaults as
    C(<default>); those are returned as V(null).
seealso:
  - name: xl(1)
    description: The Xen management tool.
    link: https://xenbits.xen.org/docs/unstable/man/xl.1.html
  - name: xenstore(1)
    description: The xenstore command-line tools.
    link: https://xenbits.xen.org/docs/unstable/man/xenstore.1.html
'''

EXAMPLES = r'''
- name: Read the Xen state of the host
  xenguard.hardening.xen_facts:

- name: Show whether the IOMMU and interrupt remapping are on
  ansible.builtin.debug:
    msg: "{{ ansible_facts.xen.dmesg.iommu }}"
  when: ansible_facts.xen.is_dom0

- name: Only the hypervisor log and the domains, guest configs from another directory
  xenguard.hardening.xen_facts:
    gather: [dmesg, domains, guest_configs]
    config_paths:
      - /srv/xen/guests
'''

RETURN = r'''
ansible_facts:
  description: The facts, under the key C(xen).
  returned: always
  type: dict
  contains:
    xen:
      description: The Xen state of the host.
      returned: always
      type: dict
      contains:
        is_dom0:
          description: Whether the host is a Xen dom0 with C(xl) (false means nothing else was read).
          type: bool
          sample: true
        reason:
          description: Why the host is not treated as a dom0; empty on a dom0.
          type: str
          sample: ""
        version:
          description: The hypervisor version (C(xen_major.xen_minor) plus C(xen_extra)).
          type: str
          sample: 4.17.5
        info:
          description: Every key of C(xl info); C(virt_caps) also as the list C(virt_caps_list).
          type: dict
        cmdline:
          description: The booted Xen command line as tokens (GRUB's C(placeholder) dropped).
          type: list
          elements: str
          sample: [console=com1, dom0_mem=1024M,max:1024M, iommu=1]
        dmesg:
          description: >-
            What the hypervisor log says - C(iommu) (vendor, enabled, interrupt_remapping,
            queued_invalidation, disabled_reason, lines), C(xsm) (framework, flask_param_unknown),
            C(smt) (enabled), C(spec_ctrl) (lines, disabled).
          type: dict
        flask:
          description: The FLASK mode from C(xl getenforce) - disabled, permissive or enforcing.
          type: dict
          sample: {mode: disabled}
        xsm:
          description: >-
            The XSM module this boot runs - C(framework) (flask, silo, dummy or unknown), the FLASK
            C(mode) and the C(evidence) used (C(xl getenforce), C(xl dmesg) lines, C(xsm=)/C(flask=) on
            the command line); holds at Xen's default log level. V(null) when neither C(dmesg) nor
            C(flask) is gathered.
          type: dict
          sample: {framework: flask, mode: enforcing, evidence: ["xl getenforce: enforcing"]}
        cpu:
          description: The CPU C(vendor) (intel, amd, hygon, ...) from C(/proc/cpuinfo), else from C(xl dmesg); V(null) when unknown.
          type: dict
          sample: {vendor: intel}
        toolstack_env:
          description: >-
            The C(LIBXL_BOOTLOADER_*) variables that C(/etc/default/xendomains) exports to the xl it
            starts guests with (C(exported)), read with the C(xl_conf) part.
          type: dict
          sample: {path: /etc/default/xendomains, exported: {LIBXL_BOOTLOADER_RESTRICT: "1"}}
        domains:
          description: The domains from C(xl list -l) - domid, name, type, uuid and config.
          type: list
          elements: dict
        backends:
          description: >-
            The vif, vbd and vtpm backends in xenstore - frontend_domid, devid, backend_domid,
            path, state (XenbusState number) and type.
          type: dict
        tpm:
          description: >-
            The host's TPM - C(present) (a hardware TPM: a chip in C(/sys/class/tpm) bound to a driver other
            than xen-tpmfront, or an ACPI C(TPM2)/C(TCPA) table or TPM device, so a TPM whose driver is kept
            off dom0 still counts), C(version) (V(2.0), V(1.2) or null), its C(devices), C(chips) (name,
            version, driver), C(firmware) (ACPI tables and devices) and C(dom0_driver) (chips C(bound) to a
            dom0 driver, TPM modules C(loaded), C(builtin) and C(blacklisted)).
          type: dict
          sample: {present: true, version: '2.0', devices: [/dev/tpm0, /dev/tpmrm0],
                   chips: [{name: tpm0, version: '2.0', driver: tpm_tis}],
                   firmware: {acpi_tables: [TPM2], acpi_devices: ['MSFT0101:00']},
                   dom0_driver: {bound: [tpm0], loaded: [tpm_tis, tpm_tis_core, tpm], builtin: [], blacklisted: []}}
        guest_configs:
          description: For each guest configuration file, its settings (C(keys)) or the C(error) that stopped it.
          type: dict
        xl_conf:
          description: The global xl configuration - C(path), its settings (C(keys)) and the C(error) that stopped it.
          type: dict
          sample: {path: /etc/xen/xl.conf, keys: {autoballoon: "off"}, error: null}
        xenstored:
          description: >-
            The running xenstore daemon - C(found) (false with a C(reason) when no C(xenstored) or
            C(oxenstored) process runs in dom0, for instance xenstore in a stub domain), C(pid),
            C(implementation) (xenstored or oxenstored), C(exe), C(argv), C(release) (whose source rules
            apply), C(config_path) and C(config_error) (oxenstored), and C(state) - the C(quotas) in force,
            Xen's C(defaults), C(keep_orphans), the limits switched C(off), the C(dangerous) options,
            C(unrecognised) arguments and C(notes).
          type: dict
          sample: {found: true, implementation: oxenstored, pid: 612, config_path: /etc/xen/oxenstored.conf}
        network:
          description: >-
            dom0's network interfaces from C(ip -j -d addr show) - C(interfaces), each with C(name), C(kind)
            (C(bridge) for a bridge), C(mac), C(master) (the bridge of a port), C(flags), C(addresses) (C(family),
            C(address), C(prefixlen), C(scope)) and C(ipv6) (C(accept_ra), C(autoconf), C(forwarding),
            C(disable_ipv6) from C(/proc/sys/net/ipv6/conf/<interface>/); V(null) without IPv6);
            C(sockets), the listening sockets of C(/proc/net/{tcp,tcp6,udp,udp6}) (C(proto), C(family),
            C(address), C(port)); C(nftables), the base chains of C(nft -j list ruleset) (C(family), C(table),
            C(name), C(hook), C(policy), C(drops_iifnames)) or V(null) with the reason in C(nft_error); and
            C(split), what the network_split role declared in C(/etc/xenguard/network_split.json)
            (C(control_nic), C(control_address), C(guest_nic), C(bridge), C(table)) or V(null).
          type: dict
          sample: {interfaces: [{name: xenbr0, kind: bridge, master: null, flags: [UP], addresses: [], ipv6: {disable_ipv6: 1}}]}
        boot:
          description: >-
            What the next boot of Xen is made of - C(xen_cfg) (C(path), C(exists), C(cmdline) - the tokens of
            C(GRUB_CMDLINE_XEN_DEFAULT) there, C(cmdline_xen) - those of C(GRUB_CMDLINE_XEN), and the C(error)
            when the file cannot be judged, then C(cmdline) is V(null)), C(grub_files) (whether each file the
            collection's GRUB handling needs exists), C(packages) (whether each CPU microcode package
            is installed, from dpkg's records), C(installed) (the packages the roles install or build from -
            the microcode packages, C(grub-xen-host), C(grub-xen-bin), C(qemu-system-xen), C(xenstore-utils),
            C(busybox), C(busybox-static) and every C(xen-hypervisor-*) - that dpkg's status file records as
            installed, each with C(version), C(source_version) and C(architecture); V(null) when the file
            cannot be read), C(os) (C(id), C(version_id), C(version_codename) of C(/etc/os-release), V(null)
            when it cannot be read), C(kernel_release) (the running dom0 kernel), C(boot_image) (the reboot
            role's record of the hypervisor image it committed, C(/var/lib/xenguard/boot-image.json), or
            V(null)) and C(stubdom_image) (whether the stub domain images M(xenguard.hardening.xen_stubdom_image)
            recorded in C(/var/lib/xenguard/stubdom-image.json) are still current - C(recorded), C(dest),
            C(kernel), C(current), C(why); V(null) when dpkg's status file cannot be read) and
            C(microcode_candidates) (for each microcode package dpkg has not installed, the version apt would
            install, from C(apt-cache policy), or V(null) when apt has none; V(null) when every microcode
            package is installed or C(apt-cache) is missing or fails). The roles read
            these instead of asking the host again, so a re-run on a host that is done calls no module.
          type: dict
          sample:
            xen_cfg: {path: /etc/default/grub.d/xen.cfg, exists: true, cmdline: [smt=0], cmdline_xen: [], error: null}
            grub_files: {/boot/grub/grub.cfg: true, /usr/sbin/update-grub: true, /etc/grub.d/20_linux_xen: true}
            packages: {intel-microcode: true, amd64-microcode: false}
            installed:
              qemu-system-xen: {version: "1:7.2+dfsg-7+deb12u18", source_version: "1:7.2+dfsg-7+deb12u18", architecture: amd64}
              xen-hypervisor-4.17-amd64: {version: "4.17.6+3-g7d0aa8a6e7-1", source_version: "4.17.6+3-g7d0aa8a6e7-1", architecture: amd64}
            os: {id: debian, version_id: "12", version_codename: bookworm}
            kernel_release: 6.1.0-50-amd64
            boot_image: null
            stubdom_image: {recorded: true, dest: /usr/lib/xen-4.17/boot, kernel: /boot/vmlinuz-6.1.0-50-amd64, current: true, why: ""}
            microcode_candidates: {intel-microcode: null, amd64-microcode: null}
        pci:
          description: >-
            dom0's PCI devices from C(/sys/bus/pci/devices) - C(devices), each with C(address), C(class),
            C(network) (a network controller), C(driver) (the dom0 driver bound, C(pciback) when hidden for
            passthrough, V(null) when none), C(net) (its dom0 interfaces) and C(assignable) (listed by
            C(xl pci-assignable-list)).
          type: dict
          sample: {devices: [{address: "0000:00:02.0", class: "0x020000", network: true, driver: pciback, net: [], assignable: true}]}
        controls:
          description: The result of every control (id, title, status, detail, problem, severity, role, reboot).
          type: list
          elements: dict
        controls_summary:
          description: How many controls pass, fail, are unknown or not applicable.
          type: dict
          sample: {pass: 10, fail: 4, unknown: 1, not_applicable: 3}
        errors:
          description: The parts that could not be read, each with the reason (those parts are V(null)).
          type: dict
          sample: {dmesg: "/usr/sbin/xl dmesg failed (rc=1): libxl: error: ..."}
'''

import glob
import json
import os
import threading

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xenguard.hardening.plugins.module_utils import facts as xen_facts_assembly
from ansible_collections.xenguard.hardening.plugins.module_utils import dom0net, netsplit, pcidev, safefile, tpm, xenstored
from ansible_collections.xenguard.hardening.plugins.module_utils.facts import (
    GRUB_FILES, MICROCODE_PACKAGES, PARTS, empty_facts, reason_of,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import CommandRunner, XenGuardError
from ansible_collections.xenguard.hardening.plugins.module_utils.stubdom import (
    KERNEL_NAME as STUBDOM_KERNEL, ROOTFS_NAME as STUBDOM_ROOTFS, STATE_FILE as STUBDOM_STATE_FILE,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.xl import XlRunner
from ansible_collections.xenguard.hardening.plugins.module_utils.xenstore import XenstoreClient

PROC_CAPABILITIES = '/proc/xen/capabilities'
SYS_HYPERVISOR_TYPE = '/sys/hypervisor/type'
TPM_DEV_GLOBS = ('/dev/tpm[0-9]*', '/dev/tpmrm[0-9]*')
TPM_SYSFS_GLOB = '/sys/class/tpm/tpm[0-9]*'
TPM_ROOT = '/'  # where read_tpm reads sysfs, /proc and modprobe.d (tests point it at a recorded tree)
PROC_CPUINFO = '/proc/cpuinfo'
XENDOMAINS_DEFAULTS = '/etc/default/xendomains'
PROC = '/proc'
PROC_IPV6_CONF = '/proc/sys/net/ipv6/conf'
DPKG_INFO = '/var/lib/dpkg/info'
DPKG_STATUS = '/var/lib/dpkg/status'
OS_RELEASE = '/etc/os-release'
# The reboot role's record of the hypervisor image it committed (the flask role reads it) and
# xen_stubdom_image's record of the images it built, both at their default places.
BOOT_IMAGE_RECORD = '/var/lib/xenguard/boot-image.json'
STUBDOM_IMAGE_RECORD = STUBDOM_STATE_FILE
NETWORK_SPLIT_DECLARATION = '/etc/xenguard/network_split.json'
SYS_PCI_DEVICES = pcidev.SYS_PCI_DEVICES
_GLOB_CHARS = '*?['

# What this module does is read: every command and file below. What the facts are made of what was read
# (parsing, the xen fact, the controls) is module_utils/facts.py, which the tests run on recorded output.


def _read_bytes(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _read(path):
    """A small system file as text (bytes that are not UTF-8 kept as escapes), or None."""
    data = _read_bytes(path)
    return None if data is None else data.decode('utf-8', 'surrogateescape')


def not_dom0_reason():
    """Why this host is not a Xen dom0, or '' when it is one."""
    caps = _read(PROC_CAPABILITIES)
    if caps is None:
        if (_read(SYS_HYPERVISOR_TYPE) or '').strip() == 'xen':
            return ('running on Xen but %s is missing: xenfs is not mounted '
                    '(mount -t xenfs xenfs /proc/xen) or this is a guest' % PROC_CAPABILITIES)
        return 'not running on the Xen hypervisor (%s does not exist)' % PROC_CAPABILITIES
    if 'control_d' not in caps:
        return 'this is a Xen guest, not dom0 (%s does not say control_d)' % PROC_CAPABILITIES
    return ''


def read_tpm():
    devices = []
    for pattern in TPM_DEV_GLOBS:
        devices.extend(glob.glob(pattern))
    raw = {'devices': devices, 'sysfs': glob.glob(TPM_SYSFS_GLOB)}
    raw.update(tpm.read_details(raw['sysfs'], TPM_ROOT))
    return raw


def _missing_reason(path):
    """Why a config_paths entry names nothing, or None when it does name something."""
    if any(c in path for c in _GLOB_CHARS):
        directory = os.path.dirname(path)
        if directory and not any(c in directory for c in _GLOB_CHARS) and not os.path.isdir(directory):
            return 'the directory %s of the pattern does not exist' % directory
        return None  # a pattern may match nothing: no guest configuration of that name
    if os.path.islink(path) and not os.path.exists(path):
        return 'it is a symbolic link to %s, which does not exist' % os.path.realpath(path)
    if not os.path.exists(path):
        return 'it does not exist'
    return None


def config_files(paths):
    """(files, missing): the guest configuration files named by config_paths, sorted, without duplicates,
    and {entry: reason} for the entries that name nothing."""
    found = []
    missing = {}
    for path in paths:
        reason = _missing_reason(path)
        if reason:
            missing[path] = reason
        elif os.path.isdir(path):
            found.extend(glob.glob(os.path.join(path, '*.cfg')))
        elif os.path.isfile(path):
            found.append(path)
        else:
            found.extend(p for p in glob.glob(path) if os.path.isfile(p))
    return sorted(set(found)), missing


def read_guest_configs(paths):
    files, missing = config_files(paths)
    return {'files': dict((path, _read_bytes(path)) for path in files), 'missing': missing}


def read_xl_conf(path):
    exists = os.path.exists(path)
    return {'path': path, 'exists': exists, 'data': _read_bytes(path) if exists else None}


def _read_conf(path):
    """(text, error) of a configuration file; (None, None) when it does not exist."""
    if not os.path.exists(path):
        return None, None
    data = _read_bytes(path)
    if data is None:
        return None, 'cannot read the file'
    return data.decode('utf-8', 'surrogateescape'), None


def _readlink(path):
    try:
        return os.readlink(path)
    except (IOError, OSError):
        return None


def read_xenstored():
    """The first xenstored or oxenstored process in /proc: its arguments and (oxenstored) configuration."""
    try:
        pids = sorted(int(name) for name in os.listdir(PROC) if name.isdigit())
    except (IOError, OSError) as exc:
        return {'not_found': 'cannot list the processes in %s: %s' % (PROC, exc)}
    for pid in pids:
        base = os.path.join(PROC, str(pid))
        exe = _readlink(os.path.join(base, 'exe'))
        comm = (_read(os.path.join(base, 'comm')) or '').strip()
        impl = xenstored.implementation(exe, comm)
        if impl is None:
            continue
        raw = _read_bytes(os.path.join(base, 'cmdline'))
        if raw is None:
            continue  # the process ended while we looked
        argv = [a.decode('utf-8', 'surrogateescape') for a in raw.split(b'\0')]
        if argv and argv[-1] == '':
            argv.pop()
        configs = {}
        if impl == xenstored.OXENSTORED:
            path = xenstored.oxenstored_config_path(argv[1:])
            configs[path] = _read_conf(path)
        return {'pid': pid, 'exe': exe, 'comm': comm, 'argv': argv, 'configs': configs}
    return {'not_found': 'no xenstored or oxenstored process runs in dom0; xenstore may run in a stub domain '
                         '(XENSTORETYPE=domain in /etc/default/xencommons), whose options dom0 cannot read'}


def read_network(module):
    """ip -j -d addr show, and the IPv6 settings of every interface the kernel lists."""
    ip_addr = CommandRunner(module, 'ip').run(['-j', '-d', 'addr', 'show']).stdout
    ipv6 = {}
    if os.path.isdir(PROC_IPV6_CONF):
        for name in os.listdir(PROC_IPV6_CONF):
            conf = os.path.join(PROC_IPV6_CONF, name)
            if os.path.isdir(conf):
                ipv6[name] = dict((key, _read(os.path.join(conf, key))) for key in dom0net.IPV6_KEYS)
    return dict({'ip_addr': ip_addr, 'ipv6_conf': ipv6}, **read_network_split(module))


def read_network_split(module):
    """What the split of the networks is judged on: /proc/net/{tcp,tcp6,udp,udp6}, nft -j list ruleset (None
    with the reason when nft is missing or fails) and the network_split role's declaration (None when absent)."""
    tables = dict((name, _read(os.path.join(PROC, 'net', name))) for name in netsplit.PROC_NET_FILES)
    nft, nft_error = None, None
    runner = CommandRunner(module, 'nft', required=False)
    if not runner.available:
        nft_error = 'nft is not installed (Debian package nftables)'
    else:
        # through CommandRunner: C locale, and a binary that cannot start is an error of this part (this
        # runs in xen_facts' second reading thread)
        result = runner.run(['-j', 'list', 'ruleset'], check=False)
        nft, nft_error = ((result.stdout, None) if result.rc == 0
                          else (None, 'nft -j list ruleset exited %d: %s' % (result.rc, result.stderr.strip())))
    return {'proc_net': tables, 'nft_ruleset': nft, 'nft_error': nft_error,
            'split_declaration': _read(NETWORK_SPLIT_DECLARATION)}


def _exists(path):
    return os.path.exists(path)


def _size_and_time(path):
    try:
        st = os.stat(path)
    except (IOError, OSError):
        return None
    return [st.st_size, st.st_mtime_ns]


def stubdom_image_stat(record_text):
    """[size, mtime_ns] of the stub domain images in the directory xen_stubdom_image's record names (None
    when the record names none)."""
    try:
        dest = json.loads(record_text).get('dest') if record_text else None
    except (ValueError, AttributeError):
        return None
    if not isinstance(dest, str) or not dest:
        return None
    return {'kernel': _size_and_time(os.path.join(dest, STUBDOM_KERNEL)),
            'rootfs': _size_and_time(os.path.join(dest, STUBDOM_ROOTFS))}


def microcode_installed():
    """{microcode package: whether dpkg has it installed}."""
    # dpkg keeps <package>.list (or <package>:<arch>.list) of every installed package
    return dict((name, any(_exists(os.path.join(DPKG_INFO, name + suffix + '.list'))
                           for suffix in ('', ':amd64', ':i386'))) for name in MICROCODE_PACKAGES)


def microcode_policy(module):
    """{packages, rc, stdout, stderr} of `apt-cache policy` over the microcode packages dpkg has not installed
    (None when all are installed or apt-cache is missing): whether apt could install them."""
    packages = microcode_installed()
    missing = [name for name in MICROCODE_PACKAGES if not packages.get(name)]
    runner = CommandRunner(module, 'apt-cache', required=False) if missing else None
    if runner is None or not runner.available:
        return None
    result = runner.run(['policy'] + missing, check=False)
    return {'packages': missing, 'rc': result.rc, 'stdout': result.stdout, 'stderr': result.stderr}


def read_boot(params):
    """xen.cfg's bytes, which of GRUB's files exist, which microcode packages dpkg has installed, dpkg's status
    file, the distribution, the running kernel and what the collection recorded (the committed hypervisor
    image, the stub domain images with their size and time)."""
    path = params['xen_cfg_path']
    exists = os.path.exists(path)
    packages = microcode_installed()
    stubdom_record = _read(STUBDOM_IMAGE_RECORD)
    return {'xen_cfg': {'path': path, 'exists': exists, 'data': _read_bytes(path) if exists else b''},
            'grub_files': dict((name, _exists(name)) for name in GRUB_FILES),
            'packages': packages,
            'dpkg_status': _read_bytes(DPKG_STATUS),
            'os_release': _read(OS_RELEASE),
            'kernel_release': os.uname()[2],
            'boot_image_record': _read(BOOT_IMAGE_RECORD),
            'stubdom_image_record': stubdom_record,
            'stubdom_image_stat': stubdom_image_stat(stubdom_record)}


def read_pci(xl):
    """The PCI devices in sysfs and `xl pci-assignable-list` (None when xl cannot list: no pciback)."""
    listed = xl.run(['pci-assignable-list'], check=False)
    return {'sysfs': pcidev.read_sysfs(SYS_PCI_DEVICES), 'assignable': listed.stdout if listed.rc == 0 else None}


def _getenforce(xl):
    result = xl.run(['getenforce'], check=False)
    return {'rc': result.rc, 'stdout': result.stdout, 'stderr': result.stderr, 'cmd': result.cmd}


# part -> (raw output, reader)
READERS = {
    'dmesg': ('dmesg', lambda module, xl, params: xl.run(['dmesg']).stdout),
    'flask': ('getenforce', lambda module, xl, params: _getenforce(xl)),
    'domains': ('xl_list_long', lambda module, xl, params: xl.run(['list', '-l']).stdout),
    'backends': ('xenstore_ls', lambda module, xl, params: XenstoreClient(module).ls_text('/local/domain')),
    'tpm': ('tpm', lambda module, xl, params: read_tpm()),
    'guest_configs': ('guest_configs', lambda module, xl, params: read_guest_configs(params['config_paths'])),
    'xl_conf': ('xl_conf', lambda module, xl, params: read_xl_conf(params['xl_conf_path'])),
    'xenstored': ('xenstored', lambda module, xl, params: read_xenstored()),
    'network': ('network', lambda module, xl, params: read_network(module)),
    'boot': ('boot', lambda module, xl, params: read_boot(params)),
    'pci': ('pci', lambda module, xl, params: read_pci(xl)),
}


# The parts read by xl, one command after another after `xl info`; the other parts (xenstore-ls, ip, the
# files) are read meanwhile in a second thread. Under emulation xenstore-ls and `xl list -l` take a second
# or more each, so the two lanes side by side roughly halve the module's time on the host. xl's commands
# stay in one lane: xl is not run concurrently with itself.
XL_LANE = ('dmesg', 'flask', 'domains', 'pci')


def read_parts(module, xl, parts, params, raw):
    """Read each part into raw; a part that fails is in raw['errors'] (one part failing must not lose the
    others: facts.assemble says why)."""
    for part in parts:
        key, reader = READERS[part]
        try:
            raw[key] = reader(module, xl, params)
        except Exception as exc:
            raw['errors'][part] = reason_of(exc)


def _read_microcode_policy(module, out):
    """microcode_policy into out['policy']; apt-cache failing only leaves the candidates unknown (None)."""
    try:
        out['policy'] = microcode_policy(module)
    except Exception:  # the role then asks apt-cache itself
        out['policy'] = None


def read_raw(module, xl, parts, params):
    """The raw outputs of the parts asked for (facts.assemble's input); a part that fails is in errors."""
    wanted = [part for part in PARTS if part != 'controls' and part in parts]
    side = {'errors': {}}
    worker = threading.Thread(target=read_parts, name='xen_facts-reads',
                              args=(module, xl, [p for p in wanted if p not in XL_LANE], params, side))
    worker.start()
    # apt-cache (about a second under emulation) in a third lane: it would otherwise lengthen the second one
    apt = {}
    apt_worker = threading.Thread(target=_read_microcode_policy, name='xen_facts-apt', args=(module, apt))
    if 'boot' in wanted:
        apt_worker.start()
    try:
        # xl info is the ground everything stands on (version, booted command line): its failure fails the call
        raw = {'xl_info': xl.info_text(), 'errors': {}}
        read_parts(module, xl, [p for p in wanted if p in XL_LANE], params, raw)
    finally:
        worker.join()
        if 'boot' in wanted:
            apt_worker.join()
    if side.get('boot') is not None:
        side['boot']['microcode_policy'] = apt.get('policy')
    errors = raw['errors']
    raw.update(side)
    errors.update(side['errors'])
    raw['errors'] = errors
    raw['cpuinfo'] = _read(PROC_CPUINFO)
    if 'xl_conf' in parts:
        raw['xendomains'] = {'path': XENDOMAINS_DEFAULTS, 'text': _read(XENDOMAINS_DEFAULTS)}
    return raw


def gather_facts(module, parts, config_paths, xl_conf_path, xen_cfg_path='/etc/default/grub.d/xen.cfg'):
    reason = not_dom0_reason()
    if reason:
        return empty_facts(reason)
    xl = XlRunner(module, required=False)
    if not xl.available:
        return empty_facts('the xl command is missing: install xen-utils (xen-utils-<version>, '
                           'installed with xen-system-amd64)')
    raw = read_raw(module, xl, parts, {'config_paths': config_paths, 'xl_conf_path': xl_conf_path,
                                       'xen_cfg_path': xen_cfg_path})
    facts, warnings = xen_facts_assembly.assemble(raw, parts)
    for warning in warnings:
        module.warn(warning)
    return facts


def wanted_parts(gather):
    if 'all' in gather or 'controls' in gather:
        return set(PARTS)
    return set(gather)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gather=dict(type='list', elements='str', default=['all'],
                        choices=['all'] + list(PARTS)),
            config_paths=dict(type='list', elements='path', default=['/etc/xen']),
            xl_conf_path=dict(type='path', default='/etc/xen/xl.conf'),
            xen_cfg_path=dict(type='path', default='/etc/default/grub.d/xen.cfg'),
        ),
        supports_check_mode=True,
    )
    try:
        facts = gather_facts(module, wanted_parts(module.params['gather']),
                             module.params['config_paths'], module.params['xl_conf_path'],
                             module.params['xen_cfg_path'])
    except XenGuardError as exc:
        module.fail_json(**safefile.clean(exc.to_fail_kwargs()))
    # command output and file contents may hold bytes that are not UTF-8: they are returned as \xNN escapes
    module.exit_json(changed=False, ansible_facts={'xen': safefile.clean(facts)})


if __name__ == '__main__':
    main()
