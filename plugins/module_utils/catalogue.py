# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The control catalogue: data only. controls.py evaluates it; docs/controls.md is generated from it.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

CONTROLS = [
    # ------------------------------------------------------------------ Platform
    {
        'id': 'XG-IOMMU-01',
        'title': 'An IOMMU is present and enabled',
        'section': 'Platform',
        'severity': 'high',
        'role': 'iommu',
        'reboot': True,
        'check': 'iommu_enabled',
        'remediation': 'Enable VT-d (Intel) or AMD-Vi / IOMMU (AMD) in the firmware setup and boot Xen with '
                       'iommu=1; without an IOMMU a guest with a passed-through device (a driver domain) can '
                       'reach all host memory by DMA. Judged from "I/O virtualisation enabled|disabled" in xl '
                       'dmesg; when the log has wrapped, from hvm_directio/pv_directio in xl info virt_caps '
                       '(both are Xen\'s iommu_enabled). Only messages after which Xen runs without the IOMMU '
                       '(AMD-Vi: Error initialization, SP5100 erratum 28, the Intel 5500/5520/X58 chipset '
                       'errata, a DMAR table Xen cannot parse) count as its reason; an applied erratum '
                       'workaround or a rejected table entry on a host whose IOMMU comes up does not. '
                       'Reference: xen-command-line.pandoc "iommu".',
    },
    {
        'id': 'XG-IOMMU-02',
        'title': 'Interrupt remapping is enabled',
        'section': 'Platform',
        'severity': 'high',
        'role': 'iommu',
        'reboot': True,
        'check': 'interrupt_remapping',
        'remediation': 'Enable interrupt remapping in the firmware (on Intel it is part of VT-d; some '
                       'firmware lists it separately, or as x2APIC); a platform without it cannot safely '
                       'pass devices to guests. Remapping Xen itself calls insecure fails too: AMD\'s global '
                       'remap table (iommu=no-amd-iommu-perdev-intremap, "not security supported", XSA-36; '
                       'remove the option, and update the firmware for SP5100 erratum 28) and VT-d with '
                       'Compatibility Format Interrupts permitted by the firmware ("Device pass-through will be '
                       'insecure"; boot with x2APIC or update the firmware). Reference: xen-command-line.pandoc '
                       '"iommu" (intremap, amd-iommu-perdev-intremap).',
    },
    {
        'id': 'XG-IOMMU-03',
        'title': 'Intel VT-d has queued invalidation (VT-d v2)',
        'section': 'Platform',
        'severity': 'medium',
        'role': 'iommu',
        'reboot': True,
        'check': 'queued_invalidation',
        'remediation': 'Use a platform with VT-d version 2 or later (queued invalidation and interrupt '
                       'remapping) and do not boot with iommu=no-qinval: without queued invalidation Xen '
                       'turns interrupt remapping off ("Intel VT-d Queued Invalidation not enabled."). '
                       'Reference: xen-command-line.pandoc "iommu" (qinval).',
    },
    {
        'id': 'XG-IOMMU-04',
        'title': 'Xen refuses to boot without the IOMMU (iommu=required)',
        'section': 'Platform',
        'severity': 'medium',
        'role': 'iommu',
        'reboot': True,
        'check': 'iommu_required',
        'remediation': 'Once the IOMMU is proven to work on this host, add iommu=required to the Xen command '
                       'line (the iommu role does this only after XG-IOMMU-01 passes).',
    },
    # ------------------------------------------------------------------ Networks
    {
        'id': 'XG-NET-01',
        'title': 'dom0 has no address on the guest network',
        'section': 'Networks',
        'severity': 'high',
        'role': 'network_split',
        'reboot': False,
        'check': 'dom0_off_guest_network',
        'params': {'guest_interfaces': []},
        'remediation': 'Split the control network from the guest network: dom0 keeps its addresses on the '
                       'control NIC only; the guest NIC becomes a port of a bridge that has no dom0 address, '
                       'IPv4 or IPv6, link-local included (sysctl net.ipv6.conf.<bridge and NIC>.disable_ipv6=1, '
                       'which also stops router advertisements and autoconfiguration there), and nftables '
                       'drops traffic to dom0 from the guest side. The guest network is the bridges named in '
                       'the guest_interfaces parameter, else every bridge with a guest vif (vif<domid>.<devid>, '
                       '-emu, tap<domid>.<devid>) or named by a guest configuration (vif bridge=, default '
                       'xenbr0), with their ports. Read from ip -j -d addr show and '
                       '/proc/sys/net/ipv6/conf/<interface>/ (accept_ra counts when 2, or 1 with forwarding '
                       'off). Xen\'s vif-bridge script flushes a vif\'s addresses and the kernel then gives '
                       'it an IPv6 link-local one scoped to that port: that one alone is not counted. '
                       'Reference: xl-network-configuration(5) "bridge"; Xen tools/hotplug/Linux/'
                       'xen-network-common.sh; Linux Documentation/networking/ip-sysctl.rst.',
    },
    # ------------------------------------------------------------------ Driver domain
    {
        'id': 'XG-DD-01',
        'title': 'No guest network backend runs in dom0',
        'section': 'Driver domain',
        'severity': 'medium',
        'role': 'driver_domain',
        'reboot': False,
        'check': 'vif_backends_not_dom0',
        'remediation': "Move the guest network's NIC into a driver domain and point every guest vif at it "
                       "with backend=<driver domain> in the guest configuration.",
    },
    # ------------------------------------------------------------------ PV boot
    {
        'id': 'XG-PVBOOT-01',
        'title': 'No guest runs pygrub unrestricted in dom0',
        'section': 'PV boot',
        'severity': 'high',
        'role': 'pvgrub',
        'reboot': False,
        'check': 'no_pygrub',
        'remediation': 'Boot PV guests with PV-GRUB2 (kernel="/usr/lib/grub-xen/grub-x86_64-xen.bin"; PVH: '
                       'grub-i386-xen_pvh.bin) or a fixed kernel. Where pygrub must stay, restrict it (XSA-443): '
                       'from Xen 4.17.3, export LIBXL_BOOTLOADER_RESTRICT=1 (any value counts) in the '
                       'environment xl runs in - for guests started at boot, /etc/default/xendomains, which '
                       'the xendomains script sources; from 4.18 also bootloader_restrict=1 (or '
                       'bootloader_user=) in the guest configuration, or bootloader_restrict=1 in xl.conf as '
                       'the host-wide default a guest\'s own setting overrides. Reference: xl(1) ENVIRONMENT '
                       'VARIABLES, xl.cfg(5) bootloader_restrict, xl.conf(5) bootloader_restrict.',
    },
    # ------------------------------------------------------------------ Device model
    {
        'id': 'XG-DM-01',
        'title': 'HVM guests run their device model in a stub domain or restricted',
        'section': 'Device model',
        'severity': 'high',
        'role': 'stubdom',
        'reboot': False,
        'check': 'hvm_device_model_confined',
        'remediation': 'Set device_model_stubdomain_override=1 on HVM guests (QEMU then runs in its own '
                       'stub domain); where a stub domain is not possible, set dm_restrict=1.',
    },
    # ------------------------------------------------------------------ Hypervisor (XSM/FLASK)
    {
        'id': 'XG-FLASK-01',
        'title': 'XSM/FLASK is active (or the XSM SILO module)',
        'section': 'Hypervisor (XSM/FLASK)',
        'severity': 'high',
        'role': 'flask',
        'reboot': True,
        'check': 'flask_active',
        'remediation': 'Boot a Xen built with CONFIG_XSM_FLASK with xsm=flask and its policy as a boot module '
                       "(the distribution's Xen may have no XSM: the flask role builds one), or a Xen with "
                       'CONFIG_XSM_SILO with xsm=silo (guests reach dom0 but not each other; a hardened state '
                       'too). SUPPORT.md lists FLASK as Experimental (4.17 and 4.20); 4.20\'s lists the SILO '
                       'module as Supported (4.17\'s does not name it). Judged from xl getenforce, which '
                       'answers at any log level, and xl dmesg (at the default loglvl a FLASK Xen logs only '
                       '"XSM Framework v1.0.1 initialized"). Reference: xen-command-line.pandoc "xsm", "flask".',
    },
    {
        'id': 'XG-FLASK-02',
        'title': 'FLASK is enforcing (SILO always enforces)',
        'section': 'Hypervisor (XSM/FLASK)',
        'severity': 'high',
        'role': 'flask',
        'reboot': True,
        'check': 'flask_enforcing',
        'remediation': 'After a permissive soak without denials, boot with flask=enforcing. Reference: '
                       'xen-command-line.pandoc "flask".',
    },
    {
        'id': 'XG-FLASK-03',
        'title': 'Guests that must not reach each other have distinct security label types',
        'section': 'Hypervisor (XSM/FLASK)',
        'severity': 'medium',
        'role': 'flask',
        'reboot': False,
        'check': 'guests_isolated',
        'params': {'isolate_guests': True, 'isolating_types': ['isolated_domU_t']},
        'remediation': 'A label alone proves nothing: libxl gives a guest without seclabel the policy\'s domU '
                       'SID (domU_t in Xen\'s policy), and domU_t guests may reach each other. Fails when FLASK '
                       'is active and two or more guests all run as one type (isolate_guests, default true; '
                       'a type of isolating_types such as isolated_domU_t, which only reaches dom0, is '
                       'accepted); passes when guests run as more than one type (the detail lists each type '
                       'and its guests) or SILO is active; not applicable with fewer than two guests or '
                       'without XSM. Give guests that must not reach each other their own types '
                       '(seclabel="system_u:system_r:<type>" of the policy). Reference: xl.cfg(5) seclabel, '
                       'docs/misc/xsm-flask.txt.',
    },
    # ------------------------------------------------------------------ Keys (vTPM)
    {
        'id': 'XG-VTPM-01',
        'title': 'The host has a TPM',
        'section': 'Keys (vTPM)',
        'severity': 'low',
        'role': 'vtpm',
        'reboot': False,
        'check': 'tpm_present',
        'remediation': 'Enable the TPM in the firmware; the vTPM manager seals its keys to it.',
    },
    {
        'id': 'XG-VTPM-02',
        'title': 'Every guest has a vTPM',
        'section': 'Keys (vTPM)',
        'severity': 'low',
        'role': 'vtpm',
        'reboot': False,
        'check': 'guests_have_vtpm',
        'remediation': 'Run the vTPM manager stub domain and one vTPM stub domain per guest, and attach it '
                       "with vtpm=['backend=<vtpm domain>'] in the guest configuration.",
    },
    # ------------------------------------------------------------------ Beyond the guide
    {
        'id': 'XG-XEN-01',
        'title': 'SMT (hyper-threading) is off (smt=0)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'check': 'smt_disabled',
        'remediation': 'Add smt=0 to the Xen command line: sibling threads share caches and buffers that '
                       'leak between guests (L1TF, MDS and later).',
    },
    {
        'id': 'XG-XEN-02',
        'title': "Xen's speculative-execution mitigations are not turned off",
        'section': 'Beyond the guide',
        'severity': 'high',
        'role': 'hypervisor',
        'reboot': True,
        'check': 'spec_ctrl_not_disabled',
        'remediation': 'Remove spec-ctrl=no (and =0, =no-xen) from the Xen command line.',
    },
    {
        'id': 'XG-XEN-03',
        'title': 'PV linear page tables are off (pv-linear-pt=0)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'check': 'pv_linear_pt_off',
        'remediation': 'Add pv-linear-pt=0 to the Xen command line (the source of several XSAs; modern '
                       'Linux and BSD PV guests do not need it).',
    },
    {
        'id': 'XG-XEN-04',
        'title': 'No 32-bit PV guests (pv=no-32)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'check': 'no_pv32',
        'remediation': 'Add pv=no-32 to the Xen command line (Xen 4.15 and later, so 4.17 and 4.20): the '
                       '32-bit PV ABI is an old and large attack surface; such guests can run in a PV shim.',
    },
    {
        'id': 'XG-XEN-05',
        'title': 'dom0 memory is fixed (dom0_mem=X,max:X)',
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': True,
        'check': 'dom0_mem_fixed',
        'remediation': 'Boot with dom0_mem=<size>,max:<size> so dom0 never balloons and its memory is '
                       'known.',
    },
    {
        'id': 'XG-XEN-06',
        'title': 'The hypervisor console ring keeps the boot log (conring_size)',
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': True,
        'check': 'conring_size',
        'params': {'min_kib': 1024},
        'remediation': 'Add conring_size=1M (or larger) to the Xen command line so that xl dmesg still '
                       'holds the IOMMU, XSM and mitigation lines audits read.',
    },
    {
        'id': 'XG-XEN-07',
        'title': 'Early CPU microcode loading is on (ucode=)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'check': 'ucode_loading',
        'remediation': "Install the CPU vendor's microcode package in dom0 and add ucode=scan to the Xen "
                       'command line, so Xen loads the newest microcode before it starts guests.',
    },
    {
        'id': 'XG-XEN-08',
        'title': 'The Xen release is within upstream security support',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'check': 'security_support',
        'params': {
            'security_support_until': {
                '4.17': '2025-12-12',
                '4.18': '2026-11-16',
                '4.19': '2027-07-29',
                '4.20': '2028-03-05',
            },
        },
        'remediation': 'Move to a Xen release that upstream still supports with security fixes, or make '
                       'sure the distribution backports the XSAs for this one.',
    },
    {
        'id': 'XG-XL-01',
        'title': 'xl does not balloon dom0 (autoballoon="off")',
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': False,
        'check': 'autoballoon_off',
        'remediation': 'Set autoballoon="off" in /etc/xen/xl.conf (with a fixed dom0_mem).',
    },
    {
        'id': 'XG-XS-01',
        'title': 'xenstore limits each guest (quotas)',
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': False,
        'check': 'xenstored_quotas',
        'remediation': "Run xenstored with its per-domain quotas in force and without -K. Judged from the "
                       "running daemon: /proc/<pid>/cmdline and, for oxenstored, the file it reads "
                       "(--config-file, else /etc/xen/oxenstored.conf; Debian 12 runs oxenstored). C xenstored "
                       "limits every guest by default (nodes 1000, watches 128, transactions 10, outstanding "
                       "requests 20, memory 2.5 MiB, node size 2048; -E/-W/-t/-S/-A/-M and -Q name=N change "
                       "them, from 4.18 -Q takes every quota name); it fails with -Q memory=0 (0 switches the "
                       "memory quota off) or with -K/--keep-orphans, which keeps a destroyed guest's nodes, "
                       "re-owned by the privileged domain that no quota counts, instead of deleting them (Xen's "
                       "own help: 'this is a security risk!'). oxenstored fails with quota-activate = false "
                       "(no node, size and watch quotas), quota-maxwatch or quota-transaction <= 0, "
                       "quota-maxrequests < 0, perms-activate = false or perms-watch-activate = false; a "
                       "value oxenstored cannot read leaves the default (no comment after a value). Set "
                       "XENSTORED_ARGS in /etc/default/xencommons (C xenstored) or edit oxenstored.conf, then "
                       "restart the daemon (only with no guest running) or reboot. Unknown when no daemon runs "
                       "in dom0 (xenstore in a stub domain). Reference: Xen tools/xenstore/xenstored_core.c "
                       "(4.17), tools/xenstored/core.c and domain.c (4.20), tools/ocaml/xenstored/xenstored.ml, "
                       "define.ml, quota.ml, oxenstored.conf.in; tools/hotplug/Linux/launch-xenstore.in.",
    },
]
