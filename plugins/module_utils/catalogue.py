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
        'reference': 'xen-command-line.pandoc: ### iommu; SUPPORT.md: ### IOMMU',
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
        'reference': 'xen-command-line.pandoc: ### iommu (intremap)',
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
        'reference': 'xen-command-line.pandoc: ### iommu (qinval)',
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
        'reference': 'xen-command-line.pandoc: ### iommu (force, required)',
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
        'reference': 'xl-network-configuration(5): bridge, backend; tools/hotplug/Linux/xen-network-common.sh',
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
    {
        'id': 'XG-NET-02',
        'title': 'No dom0 socket listens on a guest-side address',
        'section': 'Networks',
        'severity': 'high',
        'role': 'network_split',
        'reboot': False,
        'reference': 'xl-network-configuration(5): bridge; Linux proc(5) /proc/net/tcp, /proc/net/udp',
        'check': 'no_listener_on_guest_network',
        'params': {'guest_interfaces': []},
        'remediation': 'Bind dom0\'s services to the control address only (sshd: ListenAddress <control '
                       'address>, which the network_split role sets and checks with sshd -t before the reload) '
                       'and leave dom0 without an address on the guest network (XG-NET-01). A socket bound to '
                       'a dom0 address on the guest network fails, and so does a wildcard socket (0.0.0.0, ::) '
                       'while dom0 has an address of that family there. The guest network is found as for '
                       'XG-NET-01 (guest_interfaces, else the bridge the network_split role declared in '
                       '/etc/xenguard/network_split.json, else the bridges of guest vifs and guest '
                       'configurations); the sockets are the TCP sockets in LISTEN and the bound, unconnected '
                       'UDP sockets of /proc/net/{tcp,tcp6,udp,udp6}. Reference: xl-network-configuration(5) '
                       '"bridge"; Linux proc(5).',
    },
    {
        'id': 'XG-NET-03',
        'title': 'nftables drops traffic to dom0 from the guest network',
        'section': 'Networks',
        'severity': 'medium',
        'role': 'network_split',
        'reboot': False,
        'reference': 'nft(8): address families inet and arp, hook input; xl-network-configuration(5): bridge',
        'check': 'guest_network_filtered',
        'params': {'guest_interfaces': []},
        'remediation': 'Load an nftables policy that drops what arrives for dom0 from the guest network while '
                       'bridged guest traffic passes (the bridge forwards it without the input hook): for every '
                       'guest bridge (or guest interface) a rule iifname "<bridge>" drop in a base chain with '
                       'hook input of family inet (or of both ip and ip6), and one in a chain of family arp, '
                       'since Linux answers ARP for any of its addresses on any interface. The network_split '
                       'role loads such a table (xenguard_network_split) at boot with its own systemd unit. '
                       'Read from nft -j list ruleset; only rules that match iifname/iif alone (a counter '
                       'allowed) and drop are recognised. Reference: nft(8) "ADDRESS FAMILIES", "CHAINS".',
    },
    # ------------------------------------------------------------------ Driver domain
    {
        'id': 'XG-DD-01',
        'title': 'No guest network backend runs in dom0',
        'section': 'Driver domain',
        'severity': 'medium',
        'role': 'driver_domain',
        'reboot': False,
        'reference': 'xl.cfg(5): vif=, backend=domain-id; SUPPORT.md: ### Driver Domains',
        'check': 'vif_backends_not_dom0',
        'remediation': "Move the guest network's NIC into a driver domain and point every guest vif at it "
                       "with backend=<driver domain> in the guest configuration (the driver_domain role does "
                       "both; vif.default.backend in xl.conf covers guests without an own backend=). Judged "
                       "from xenstore: every /local/domain/<backend domid>/backend/vif/<frontend domid> node.",
    },
    {
        'id': 'XG-DD-02',
        'title': 'The guest network\'s NIC is not bound to a dom0 driver',
        'section': 'Driver domain',
        'severity': 'high',
        'role': 'driver_domain',
        'reboot': False,
        'reference': 'xl(1): pci-assignable-add; xl.cfg(5): pci=, driver_domain=; SUPPORT.md: ### x86/PCI Device '
                     'Passthrough',
        'check': 'guest_nic_not_in_dom0',
        'params': {'guest_nics': []},
        'remediation': "Hide the guest NIC from dom0 (xl pci-assignable-add <address>, kept across reboots by "
                       "xen-pciback's hide= option) so that no dom0 driver parses the guest network's traffic; "
                       "the driver domain gets it with pci=[...]. The NICs judged are the PCI devices in pci= of "
                       "every configuration or running domain with driver_domain=1, plus the guest_nics "
                       "parameter (addresses or dom0 interface names). Read from /sys/bus/pci/devices/<address>/"
                       "driver: pciback or no driver passes, any other driver fails.",
    },
    {
        'id': 'XG-DD-03',
        'title': 'The xenstore daemon is security supported with driver domains (not oxenstored)',
        'section': 'Driver domain',
        'severity': 'low',
        'role': 'driver_domain',
        'reboot': True,
        'reference': 'SUPPORT.md: ### OCaml xenstored daemon (Status, untrusted driver domains); ### Driver Domains',
        'check': 'xenstored_driver_domains',
        'remediation': 'Xen\'s SUPPORT.md (4.17 and 4.20) says of the OCaml xenstored: "untrusted driver domains: '
                       'Supported, not security supported". With a driver domain, run the C xenstored (Debian 12 '
                       'starts oxenstored by default: set XENSTORED=/usr/lib/xen-<version>/bin/xenstored in '
                       '/etc/default/xencommons, which launch-xenstore reads, and reboot). Not applicable without '
                       'a driver domain (driver_domain=1 in a configuration or a running domain).',
    },
    # ------------------------------------------------------------------ PV boot
    {
        'id': 'XG-PVBOOT-01',
        'title': 'No guest runs pygrub unrestricted in dom0',
        'section': 'PV boot',
        'severity': 'high',
        'role': 'pvgrub',
        'reboot': False,
        'reference': 'xl.cfg(5): bootloader=, bootloader_restrict=; xl.conf(5): bootloader_restrict',
        'check': 'no_pygrub',
        'remediation': 'Boot PV and PVH guests with PV-GRUB2 (kernel="/usr/lib/grub-xen/grub-x86_64-xen.bin"; PVH: '
                       'kernel="/usr/lib/grub-xen/grub-i386-xen_pvh.bin"; the pvgrub role converts the guests whose '
                       'disks hold a GRUB menu) or a fixed kernel. Where pygrub must stay, restrict it (XSA-443): '
                       'from Xen 4.17.3, export LIBXL_BOOTLOADER_RESTRICT=1 (any value counts, even 0) in the '
                       'environment xl runs in - for guests started at boot, /etc/default/xendomains, which '
                       'the xendomains script sources; a guest started by hand with xl create needs it in that '
                       'shell too. From 4.18 also bootloader_restrict=1 in the guest configuration, or '
                       'bootloader_restrict=1 in xl.conf as the host-wide default; xl takes the guest\'s own '
                       'bootloader_restrict first, then xl.conf\'s, and only when neither is set does '
                       'bootloader_user= imply the restriction (so bootloader_restrict=0 in xl.conf undoes it). '
                       'Reference: xl(1) ENVIRONMENT VARIABLES, xl.cfg(5) bootloader_restrict, bootloader_user, '
                       'xl.conf(5) bootloader_restrict.',
    },
    # ------------------------------------------------------------------ Device model
    {
        'id': 'XG-DM-01',
        'title': 'HVM guests run their device model in a stub domain or restricted',
        'section': 'Device model',
        'severity': 'high',
        'role': 'stubdom',
        'reboot': False,
        'reference': 'xl.cfg(5): device_model_stubdomain_override=, stubdomain_memory=, '
                     'device_model_stubdomain_seclabel=, dm_restrict=, device_model_user=; docs/misc/stubdom.txt '
                     '(Linux stub domain protocol); docs/features/qemu-deprivilege.pandoc; SUPPORT.md (Linux '
                     'device model stubdomains: Tech Preview; Device Model Deprivileging: Tech Preview)',
        'check': 'hvm_device_model_confined',
        'remediation': 'Set device_model_stubdomain_override=1 with device_model_version="qemu-xen" on HVM '
                       'guests (QEMU then runs in its own stub domain, booted from qemu-stubdom-linux-kernel and '
                       'qemu-stubdom-linux-rootfs in the Xen firmware directory; the stubdom role builds them '
                       'from the distribution\'s packages); under FLASK also device_model_stubdomain_seclabel. '
                       'Where a stub domain is not possible (no images, graphics output, no HVM), set '
                       'dm_restrict=1 with a device_model_user of its own per guest (or a '
                       'xen-qemuuser-range-base user range). Both are Tech Preview in Xen\'s SUPPORT.md.',
    },
    # ------------------------------------------------------------------ Hypervisor (XSM/FLASK)
    {
        'id': 'XG-FLASK-01',
        'title': 'XSM/FLASK is active (or the XSM SILO module)',
        'section': 'Hypervisor (XSM/FLASK)',
        'severity': 'high',
        'role': 'flask',
        'reboot': True,
        'reference': 'docs/misc/xsm-flask.txt; xen-command-line.pandoc: ### flask; SUPPORT.md: ### FLASK XSM Module',
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
        'reference': 'xen-command-line.pandoc: ### flask; docs/misc/xsm-flask.txt',
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
        'reference': 'xl.cfg(5): seclabel=; docs/misc/xsm-flask.txt',
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
    {
        'id': 'XG-FLASK-04',
        'title': 'FLASK logged no access denials (avc: denied) this boot',
        'section': 'Hypervisor (XSM/FLASK)',
        'severity': 'medium',
        'role': 'flask',
        'reboot': False,
        'reference': 'docs/misc/xsm-flask.txt; xen/xsm/flask/avc.c',
        'check': 'flask_no_denials',
        'remediation': 'FLASK writes every access its policy refuses (in permissive mode: would refuse) to the '
                       'hypervisor log as "avc:  denied { ... }" at the warning level, so xl dmesg shows it at any '
                       'loglvl. Before enforcing, run the host permissive under its normal load (the soak) and '
                       'either fix what is denied (labels, policy) or accept the denial by rule '
                       '(xenguard_flask_accepted_denials of the flask role); the role enforces only when none is '
                       'left. Denials while enforcing are refused accesses: read them, they name the source and '
                       'target types. Not applicable without FLASK. Reference: docs/misc/xsm-flask.txt.',
    },
    # ------------------------------------------------------------------ Keys (vTPM)
    {
        'id': 'XG-VTPM-01',
        'title': 'The host has a hardware TPM (1.2 or 2.0)',
        'section': 'Keys (vTPM)',
        'severity': 'low',
        'role': 'vtpm',
        'reboot': False,
        'reference': 'xen-vtpm(7): INSTALLATION; xen-vtpmmgr(7): Appendix B',
        'check': 'tpm_present',
        'remediation': 'Enable the TPM in the firmware setup (often "Security Device Support", "TPM Device" or '
                       '"PTT"/"fTPM"); the vTPM manager seals the vTPMs\' keys to it. Seen from sysfs '
                       '(/sys/class/tpm/tpmN: tpm_version_major, its driver; a vTPM attached to dom0 through '
                       'xen-tpmfront is no hardware TPM) and ACPI (TPM2 or TCPA table, MSFT0101 / PNP0C31 '
                       'device), so a TPM whose driver is kept off dom0 still counts. Limits (Xen\'s docs): '
                       'guests see a TPM 1.2 (the vTPM is an emulated TPM 1.2 whatever the host has); on a TPM '
                       '2.0 host the manager is incomplete - it cannot persist its key, so vTPM contents do not '
                       'survive a reboot of the host. Reference: xen-vtpm(7), xen-vtpmmgr(7) Appendix B.',
    },
    {
        'id': 'XG-VTPM-02',
        'title': 'Every guest has a vTPM',
        'section': 'Keys (vTPM)',
        'severity': 'low',
        'role': 'vtpm',
        'reboot': False,
        'reference': 'xen-vtpm(7); xl.cfg(5): vtpm=',
        'check': 'guests_have_vtpm',
        'remediation': 'Run the vTPM manager stub domain and one vTPM stub domain per guest, and attach it '
                       "with vtpm=['backend=<vtpm domain>'] in the guest configuration. A running guest counts "
                       'when a vtpm backend of a vTPM stub domain (kernel vtpm*) serves it; a configuration '
                       'counts when its vtpm= names a backend other than dom0. Driver domains and the vTPM and '
                       'manager stub domains are not judged. Reference: xen-vtpm(7), xl.cfg(5) vtpm=.',
    },
    {
        'id': 'XG-VTPM-03',
        'title': "dom0's TPM driver keeps off the vTPM manager's locality",
        'section': 'Keys (vTPM)',
        'severity': 'medium',
        'role': 'vtpm',
        'reboot': False,
        'reference': 'xen-vtpm(7): Compiling the LINUX dom0 kernel; xen-vtpmmgr(7): Platform Security Assumptions',
        'check': 'dom0_off_manager_locality',
        'remediation': 'The vTPM manager talks to the hardware TPM directly; Linux in dom0 uses locality 0, and '
                       'two users of one locality get busy errors (a vTPM that fails to load its key makes a '
                       'fresh one). Either keep dom0 off the TPM (blacklist tpm_tis and tpm_crb; takes effect '
                       'when dom0 next boots and does not work when the driver is built into the kernel), or run '
                       'the manager at locality 2 (extra="tpmlocality=2", iomem=["fed42,1"]) - the vtpm role '
                       'does one or the other (xenguard_vtpm_dom0_tpm). Passes when no hardware TPM driver is '
                       'bound in dom0, or when every manager configuration uses a locality other than 0 with '
                       'its page and without the locality 0 page; not applicable without a TPM or when dom0 '
                       'uses it and no manager is configured. Only XSM (FLASK) iomem labels stop dom0 from '
                       'mapping the manager\'s page. Reference: xen-vtpm(7), xen-vtpmmgr(7).',
    },
    # ------------------------------------------------------------------ Beyond the guide
    {
        'id': 'XG-XEN-01',
        'title': 'SMT (hyper-threading) is off (smt=0) or scheduling is per core (sched-gran=core)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### smt (x86), ### sched-gran (x86)',
        'check': 'smt_disabled',
        'remediation': 'Add smt=0 to the Xen command line (exactly that: Xen ignores smt=OFF and leaves SMT on): '
                       'sibling threads share caches and buffers that leak between guests (L1TF, MDS and later). '
                       'sched-gran=core is the alternative that keeps SMT but never runs two guests on one core.',
    },
    {
        'id': 'XG-XEN-02',
        'title': "Xen's speculative-execution mitigations are not turned off",
        'section': 'Beyond the guide',
        'severity': 'high',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### spec-ctrl (x86), ### xpti (x86), ### pv-l1tf (x86), ### tsx',
        'check': 'spec_ctrl_not_disabled',
        'remediation': 'Remove what turns mitigations off from the Xen command line: spec-ctrl=no / =0 / no-xen, '
                       'spec-ctrl sub-options set to 0 (pv=0, verw=0, rsb=0, ...), bti-thunk=jmp, bhb-seq=none, '
                       'xpti=0, pv-l1tf=0 and tsx=1. A later spec-ctrl item turns back on only what it names.',
    },
    {
        'id': 'XG-XEN-03',
        'title': 'PV linear page tables are off (pv-linear-pt=0)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### pv-linear-pt (x86)',
        'check': 'pv_linear_pt_off',
        'remediation': 'Add pv-linear-pt=0 to the Xen command line (the source of several XSAs). The option exists '
                       'only when Xen is built with CONFIG_PV_LINEAR_PT; Linux and MiniOS PV guests do not use '
                       'linear page tables, NetBSD and Novell Netware do.',
    },
    {
        'id': 'XG-XEN-04',
        'title': 'No 32-bit PV guests (pv=no-32)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### pv',
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
        'reference': 'xen-command-line.pandoc: ### dom0_mem (x86)',
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
        'reference': 'xen-command-line.pandoc: ### conring_size, ### loglvl',
        'check': 'conring_size',
        'params': {'min_kib': 1024},
        'remediation': 'Add conring_size=1M (or larger) to the Xen command line so that xl dmesg still holds the '
                       'IOMMU, XSM and mitigation lines audits read. Without it Xen sizes the ring from the number '
                       'of CPUs and loglvl (nr_cpus << (9 + level), at least 16 KiB), which is small on small hosts.',
    },
    {
        'id': 'XG-XEN-07',
        'title': 'Early CPU microcode loading is on (ucode=)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### ucode',
        'check': 'ucode_loading',
        'remediation': "Install the CPU vendor's microcode package in dom0 and add ucode=scan to the Xen "
                       'command line, so Xen loads the newest microcode before it starts guests (ucode=nmi=0 or '
                       'no-scan alone load nothing).',
    },
    {
        'id': 'XG-XEN-08',
        'title': 'The Xen release is within upstream security support',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'SUPPORT.md (release support dates); xenbits.xen.org/docs/unstable/support-matrix.html',
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
        'id': 'XG-XEN-09',
        'title': 'The virtual PMU is off (vpmu)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### vpmu (x86)',
        'check': 'vpmu_off',
        'remediation': 'Remove vpmu= (or set vpmu=0) from the Xen command line: the doc warns against the vPMU on '
                       'production systems (XSA-163).',
    },
    {
        'id': 'XG-XEN-10',
        'title': 'The HVM forced emulation prefix is off (hvm_fep)',
        'section': 'Beyond the guide',
        'severity': 'high',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### hvm_fep (x86)',
        'check': 'hvm_fep_off',
        'remediation': 'Remove hvm_fep from the Xen command line: it lets HVM guests make Xen emulate arbitrary '
                       'instructions and Xen gives no security support when it is set.',
    },
    {
        'id': 'XG-XEN-11',
        'title': 'Executable EPT superpages are not forced on (ept=exec-sp)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### ept',
        'check': 'ept_exec_sp_off',
        'remediation': 'Remove ept=exec-sp (or write ept=no-exec-sp): on CPUs vulnerable to CVE-2018-12207 HVM '
                       'guest kernels can use executable superpages to crash the host; Xen turns them off there '
                       'by default.',
    },
    {
        'id': 'XG-XEN-12',
        'title': 'MMIO stale-data mitigation is on when devices are passed through (spec-ctrl=unpriv-mmio)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### spec-ctrl (x86) (unpriv-mmio)',
        'check': 'unpriv_mmio',
        'remediation': 'Add spec-ctrl=unpriv-mmio to the Xen command line on hosts that pass PCI devices to '
                       'guests, so Xen mitigates MMIO Stale Data between domains.',
    },
    {
        'id': 'XG-XEN-13',
        'title': 'dom0 is protected on entry to Xen too (spec-ctrl=ibpb-entry,bhb-entry)',
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### spec-ctrl (x86) (ibpb-entry, bhb-entry)',
        'check': 'dom0_entry_barriers',
        'remediation': 'Add spec-ctrl=ibpb-entry,bhb-entry to the Xen command line (bhb-entry from Xen 4.17.4): '
                       'by default Xen leaves dom0 out of these barriers for performance.',
    },
    {
        'id': 'XG-XEN-14',
        'title': 'Lock critical regions are hardened (spec-ctrl=lock-harden)',
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### spec-ctrl (x86) (lock-harden)',
        'check': 'lock_harden',
        'remediation': 'Add spec-ctrl=lock-harden to the Xen command line (Xen 4.17.4 and later, built with '
                       'CONFIG_SPECULATIVE_HARDEN_LOCK): it is never on by default.',
    },
    {
        'id': 'XG-XEN-15',
        'title': 'Devices taken from guests are quarantined (iommu=quarantine not disabled)',
        'section': 'Beyond the guide',
        'severity': 'medium',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### iommu (quarantine)',
        'check': 'iommu_quarantine',
        'remediation': 'Remove iommu=quarantine=0 (or no-quarantine) from the Xen command line; '
                       'iommu=quarantine=scratch-page where IOMMU faults lock the host up.',
    },
    {
        'id': 'XG-XEN-16',
        'title': "dom0's IOMMU mappings cover only its own memory (dom0-iommu=strict)",
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### dom0-iommu',
        'check': 'dom0_iommu_strict',
        'remediation': 'Add dom0-iommu=strict to the Xen command line (a PV dom0 otherwise may have IOMMU mappings '
                       'of all RAM; PVH dom0 is always strict) and remove dom0-iommu=none and passthrough.',
    },
    {
        'id': 'XG-XEN-17',
        'title': 'Pages freed by domains are scrubbed (scrub-domheap)',
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### scrub-domheap',
        'check': 'scrub_domheap',
        'remediation': 'Add scrub-domheap to the Xen command line: a safety net against a domain leaking secrets '
                       'in the pages it frees.',
    },
    {
        'id': 'XG-XEN-18',
        'title': 'Grant-table limits are not raised (gnttab_max_frames, gnttab_max_maptrack_frames)',
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': True,
        'reference': 'xen-command-line.pandoc: ### gnttab_max_frames, ### gnttab_max_maptrack_frames',
        'check': 'grant_table_limits',
        'params': {'max_frames': 64, 'max_maptrack_frames': 1024},
        'remediation': 'Keep gnttab_max_frames at most 64 and gnttab_max_maptrack_frames at most 1024 (Xen\'s '
                       'defaults); raise them per guest with max_grant_frames= in its configuration where needed.',
    },
    {
        'id': 'XG-XL-01',
        'title': 'xl does not balloon dom0 (autoballoon="off", or "auto" with dom0_mem)',
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': False,
        'reference': 'xl.conf(5): autoballoon',
        'check': 'autoballoon_off',
        'remediation': 'Set autoballoon="off" in /etc/xen/xl.conf, or keep "auto" (the default) with a fixed '
                       'dom0_mem on the Xen command line, as xl.conf(5) recommends. xl accepts only off, 0, on, 1 '
                       'and auto: false or no are rejected as invalid.',
    },
    {
        'id': 'XG-XS-01',
        'title': 'xenstore limits each guest (quotas)',
        'section': 'Beyond the guide',
        'severity': 'low',
        'role': 'hypervisor',
        'reboot': False,
        'reference': 'tools/xenstore/xenstored_core.c (4.17), tools/xenstored/core.c and domain.c (4.20); '
                     'tools/ocaml/xenstored/ (oxenstored)',
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
