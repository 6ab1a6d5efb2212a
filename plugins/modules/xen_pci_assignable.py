#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: xen_pci_assignable
short_description: Hide a PCI device from dom0 and make it assignable to Xen guests (pciback)
version_added: 0.1.0
description:
  - Makes one PCI device of a Xen dom0 assignable to guests with C(xl pci-assignable-add) (it is unbound
    from its dom0 driver and bound to C(pciback)), or gives it back to dom0 with
    C(xl pci-assignable-remove -r) (rebound to the driver it had).
  - With O(persistent=true) it also keeps the device hidden across reboots - the file
    C(/etc/modprobe.d/xenguard-pciback.conf) lists it in C(xen-pciback)'s C(hide=) option, with a
    C(softdep) that loads C(xen-pciback) before the device's own driver. That file is also copied into the
    initramfs by C(update-initramfs -u), which the caller runs when this module reports C(conf_changed).
  - Idempotent - a device already bound to C(pciback) is left as it is. Everything is checked (the address,
    that the device exists) before anything changes.
  - It does not check the IOMMU; without one a guest with a passed-through device can reach all host
    memory by DMA. The C(xenguard.hardening.driver_domain) role calls it only when the catalogue's IOMMU
    controls pass.
author: xenguard maintainers (@xenguard)
options:
  address:
    description:
      - The PCI address of the device, C(DOMAIN:BUS:DEVICE.FUNCTION) (C(0000:00:02.0)); C(BUS:DEVICE.FUNCTION)
        means domain C(0000). C(readlink /sys/class/net/<interface>/device) shows the address of a NIC.
    type: str
    required: true
  state:
    description:
      - V(assignable) hides the device from dom0 (bound to C(pciback)); V(dom0) gives it back to its dom0
        driver. A device assigned to a running domain cannot be given back; shut that domain down first.
    type: str
    choices: [assignable, dom0]
    default: assignable
  persistent:
    description:
      - Also keep (or drop) the device in the modprobe.d file that hides it at boot.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads sysfs and the boot file and says what would change; runs nothing that changes them.
  diff_mode:
    support: full
    description: The device's driver and the boot file before and after.
notes:
  - Needs root, C(xl) (xen-utils) and the C(xen-pciback) kernel module (loaded with C(modprobe) when
    C(pciback) is not there yet).
  - Xen logs "The kernel doesn't support reset from sysfs" for devices without a reset method (as emulated
    NICs); that message does not stop the assignment.
seealso:
  - name: xl(1)
    description: pci-assignable-add, pci-assignable-remove, pci-assignable-list.
    link: https://xenbits.xen.org/docs/unstable/man/xl.1.html
  - name: xl.cfg(5)
    description: The pci= setting that passes an assignable device to a guest.
    link: https://xenbits.xen.org/docs/unstable/man/xl.cfg.5.html
'''

EXAMPLES = r'''
- name: Hide the guest NIC from dom0 for the network driver domain
  xenguard.hardening.xen_pci_assignable:
    address: "0000:00:02.0"
  register: nic

- name: Put the hidden device into the initramfs too
  ansible.builtin.command: update-initramfs -u
  when: nic.conf_changed

- name: Give the device back to dom0 (its domain is shut down)
  xenguard.hardening.xen_pci_assignable:
    address: "0000:00:02.0"
    state: dom0
'''

RETURN = r'''
address:
  description: The device's address, normalised.
  returned: always
  type: str
  sample: "0000:00:02.0"
driver_before:
  description: The dom0 driver the device was bound to before (V(null) when none).
  returned: always
  type: str
  sample: e1000
driver:
  description: The driver it is bound to after the change (in check mode, as it would be).
  returned: always
  type: str
  sample: pciback
net_before:
  description: dom0's network interfaces of the device before (they disappear from dom0 when it is hidden).
  returned: always
  type: list
  elements: str
  sample: [eth1]
conf_changed:
  description: Whether the boot file changed (then run C(update-initramfs -u)).
  returned: always
  type: bool
commands:
  description: The commands run that change something.
  returned: always
  type: list
  elements: str
  sample: ["xl pci-assignable-add 0000:00:02.0"]
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xenguard.hardening.plugins.module_utils import pcidev
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import CommandRunner, XenGuardError
from ansible_collections.xenguard.hardening.plugins.module_utils.xl import XlRunner

# where the module looks (module-level so the tests can point them at a recorded tree)
SYS_PCI_DEVICES = pcidev.SYS_PCI_DEVICES
PCIBACK_CONF = pcidev.PCIBACK_CONF
PCIBACK_DRIVER_DIR = '/sys/bus/pci/drivers/pciback'


def _read_text(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return ''


def _write(module, path, text):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    handle, tmp = tempfile.mkstemp(prefix='.xenguard-', dir=directory)
    with os.fdopen(handle, 'w') as out:
        out.write(text)
    os.chmod(tmp, 0o644)
    module.atomic_move(tmp, path)


def plan(address, state, persistent, device, conf_text):
    """(bind, conf_after) - what to run and the boot file as it should be - from the state read."""
    driver = device['driver']
    if state == 'assignable':
        bind = driver != pcidev.PCIBACK
    else:
        bind = driver == pcidev.PCIBACK
    hidden, drivers = pcidev.parse_pciback_conf(conf_text)
    if persistent:
        if state == 'assignable':
            hidden = sorted(set(hidden) | {address})
            if driver and driver != pcidev.PCIBACK:
                drivers = sorted(set(drivers) | {driver})
        else:
            hidden = [a for a in hidden if a != address]
        conf_after = pcidev.render_pciback_conf(hidden, drivers)
    else:
        conf_after = conf_text
    return bind, conf_after


def run(module):
    sys_pci, conf_path = SYS_PCI_DEVICES, PCIBACK_CONF
    address = pcidev.normalise_bdf(module.params['address'])
    state = module.params['state']
    persistent = module.params['persistent']
    devices = pcidev.read_sysfs(sys_pci)
    if address not in devices:
        raise XenGuardError('There is no PCI device %s on this host (it has %s). Check the address with '
                            'readlink /sys/class/net/<interface>/device or lspci -D. Nothing was changed.'
                            % (address, ', '.join(sorted(devices)) or 'none'), address=address)
    device = devices[address]
    conf_text = _read_text(conf_path)
    bind, conf_after = plan(address, state, persistent, device, conf_text)
    conf_changed = conf_after != conf_text
    xl = XlRunner(module)
    commands = []
    result = {'changed': bind or conf_changed, 'address': address, 'driver_before': device['driver'],
              'net_before': device['net'], 'conf_changed': conf_changed, 'commands': commands}
    after_driver = device['driver']
    if bind:
        after_driver = pcidev.PCIBACK if state == 'assignable' else None
    if not module.check_mode:
        if bind and state == 'assignable':
            if not os.path.isdir(PCIBACK_DRIVER_DIR):
                modprobe = CommandRunner(module, 'modprobe')
                modprobe.run(['xen-pciback'], write=True)
                commands.extend(modprobe.record)
            xl.run(['pci-assignable-add', address], write=True)
        elif bind:
            answer = xl.run(['pci-assignable-remove', '-r', address], write=True, check=False)
            if answer.rc != 0:
                raise XenGuardError(
                    'xl pci-assignable-remove -r %s failed (rc=%s): %s. Is it still assigned to a domain '
                    '(xl pci-list <domain>)? Shut that domain down first.'
                    % (address, answer.rc, ' | '.join(answer.stderr.split('\n')).strip(' |')),
                    address=address, rc=answer.rc, stderr=answer.stderr)
        if conf_changed:
            if conf_after:
                _write(module, conf_path, conf_after)
            else:
                os.unlink(conf_path)
        after_driver = pcidev.read_sysfs(sys_pci).get(address, {}).get('driver')
        if state == 'assignable' and after_driver != pcidev.PCIBACK:
            raise XenGuardError('%s is bound to %s after xl pci-assignable-add, not to pciback; see xl dmesg and '
                                'dmesg' % (address, after_driver), address=address)
    result['driver'] = after_driver
    commands.extend(xl.record)
    if module._diff:
        result['diff'] = [
            {'before_header': '%s driver' % address, 'after_header': '%s driver' % address,
             'before': '%s\n' % device['driver'], 'after': '%s\n' % after_driver},
            {'before_header': conf_path, 'after_header': conf_path, 'before': conf_text, 'after': conf_after},
        ]
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type='str', required=True),
            state=dict(type='str', default='assignable', choices=['assignable', 'dom0']),
            persistent=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except XenGuardError as exc:
        module.fail_json(**exc.to_fail_kwargs())
    module.exit_json(**result)


if __name__ == '__main__':
    main()
