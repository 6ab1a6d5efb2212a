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
author: xenguard maintainers (@xenguard)
options:
  gather:
    description:
      - Which parts to read. V(all) reads everything and evaluates the controls.
      - C(xl info) is always read (it gives C(version) and C(cmdline)); parts not asked for are
        returned as V(null). V(controls) needs every part, so it implies V(all).
    type: list
    elements: str
    choices: [all, dmesg, flask, domains, backends, tpm, guest_configs, xl_conf, controls]
    default: [all]
  config_paths:
    description:
      - Where the guest configuration files are. A directory means every C(*.cfg) file in it; a
        file is read as it is; a glob pattern is expanded.
    type: list
    elements: path
    default: [/etc/xen]
  xl_conf_path:
    description:
      - The global xl configuration file (C(xl.conf(5))), returned parsed as C(xl_conf).
      - A file that does not exist gives no settings (xl then uses its defaults).
    type: path
    default: /etc/xen/xl.conf
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
    (Debian packages C(xen-utils-*) and C(xenstore-utils)).
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
          description: Whether dom0 sees a TPM, and its device nodes.
          type: dict
          sample: {present: true, devices: [/dev/tpm0, /dev/tpmrm0]}
        guest_configs:
          description: For each guest configuration file, its settings (C(keys)) or the C(error) that stopped it.
          type: dict
        xl_conf:
          description: The global xl configuration - C(path), its settings (C(keys)) and the C(error) that stopped it.
          type: dict
          sample: {path: /etc/xen/xl.conf, keys: {autoballoon: "off"}, error: null}
        controls:
          description: The result of every control (id, title, status, detail, severity, role, reboot).
          type: list
          elements: dict
        controls_summary:
          description: How many controls pass, fail, are unknown or not applicable.
          type: dict
          sample: {pass: 10, fail: 4, unknown: 1, not_applicable: 3}
'''

import glob
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError
from ansible_collections.xenguard.hardening.plugins.module_utils.xl import (
    XlRunner,
    analyse_dmesg,
    xen_version,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.xencmdline import split as split_xen_cmdline
from ansible_collections.xenguard.hardening.plugins.module_utils.xenstore import (
    XenstoreClient,
    backends,
)

from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import (
    XlConfig,
    XlConfigSyntaxError,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.controls import evaluate, summarise

PROC_CAPABILITIES = '/proc/xen/capabilities'
SYS_HYPERVISOR_TYPE = '/sys/hypervisor/type'
TPM_DEV_GLOBS = ('/dev/tpm[0-9]*', '/dev/tpmrm[0-9]*')
TPM_SYSFS_GLOB = '/sys/class/tpm/tpm[0-9]*'
PARTS = ('dmesg', 'flask', 'domains', 'backends', 'tpm', 'guest_configs', 'xl_conf', 'controls')


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


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


def tpm_facts():
    devices = []
    for pattern in TPM_DEV_GLOBS:
        devices.extend(glob.glob(pattern))
    devices = sorted(set(devices))
    sysfs = glob.glob(TPM_SYSFS_GLOB)
    return {'present': bool(devices or sysfs), 'devices': devices}


def config_files(paths):
    """The guest configuration files named by config_paths, sorted, without duplicates."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            found.extend(glob.glob(os.path.join(path, '*.cfg')))
        elif os.path.isfile(path):
            found.append(path)
        else:
            found.extend(p for p in glob.glob(path) if os.path.isfile(p))
    return sorted(set(found))


def parse_config_file(path):
    """{keys, error} of one xl configuration file."""
    entry = {'keys': {}, 'error': None}
    text = _read(path)
    if text is None:
        entry['error'] = 'cannot read the file'
    else:
        try:
            entry['keys'] = XlConfig.parse(text, source=path).as_dict()
        except XlConfigSyntaxError as exc:
            entry['error'] = str(exc)
    return entry


def guest_config_facts(paths):
    return dict((path, parse_config_file(path)) for path in config_files(paths))


def xl_conf_facts(path):
    entry = {'path': path, 'keys': {}, 'error': None}
    if os.path.exists(path):
        entry.update(parse_config_file(path))
    return entry


def empty_facts(reason):
    return {
        'is_dom0': False, 'reason': reason, 'version': None, 'info': {}, 'cmdline': [],
        'dmesg': None, 'flask': None, 'domains': [], 'backends': {'vif': [], 'vbd': [], 'vtpm': []},
        'tpm': None, 'guest_configs': {}, 'xl_conf': None, 'controls': [],
        'controls_summary': summarise([]),
    }


def gather_facts(module, parts, config_paths, xl_conf_path):
    reason = not_dom0_reason()
    if reason:
        return empty_facts(reason)
    xl = XlRunner(module, required=False)
    if not xl.available:
        return empty_facts('the xl command is missing: install xen-utils (xen-utils-<version>, '
                           'installed with xen-system-amd64)')

    info = xl.info()
    facts = {
        'is_dom0': True,
        'reason': '',
        'version': xen_version(info),
        'info': info,
        'cmdline': split_xen_cmdline(info.get('xen_commandline', '')),
    }
    for part in PARTS:
        facts[part] = None
    facts['controls_summary'] = None

    if 'dmesg' in parts:
        facts['dmesg'] = analyse_dmesg(xl.dmesg(), cmdline=info.get('xen_commandline'))
    if 'flask' in parts:
        facts['flask'] = {'mode': xl.getenforce()}
    if 'domains' in parts:
        facts['domains'] = xl.list_long()
    if 'backends' in parts:
        facts['backends'] = backends(XenstoreClient(module).ls('/local/domain'))
    if 'tpm' in parts:
        facts['tpm'] = tpm_facts()
    if 'guest_configs' in parts:
        facts['guest_configs'] = guest_config_facts(config_paths)
    if 'xl_conf' in parts:
        facts['xl_conf'] = xl_conf_facts(xl_conf_path)
    if 'controls' in parts:
        facts['controls'] = list(evaluate(facts))
        facts['controls_summary'] = summarise(facts['controls'])
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
        ),
        supports_check_mode=True,
    )
    try:
        facts = gather_facts(module, wanted_parts(module.params['gather']),
                             module.params['config_paths'], module.params['xl_conf_path'])
    except XenGuardError as exc:
        module.fail_json(**exc.to_fail_kwargs())
    module.exit_json(changed=False, ansible_facts={'xen': facts})


if __name__ == '__main__':
    main()
