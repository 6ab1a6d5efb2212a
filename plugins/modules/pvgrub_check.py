#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: pvgrub_check
short_description: Tell whether a PV or PVH guest can boot through PV-GRUB2, reading its disks read-only
version_added: 0.1.0
description:
  - Reads one xl guest configuration and the guest's disks, and says whether PV-GRUB2 (GRUB running
    inside the guest) can boot the guest - that is, whether a disk of the guest holds a GRUB
    configuration PV-GRUB2 reads (C(/boot/grub/grub.cfg), or C(/grub/grub.cfg) on a separate boot
    partition) whose kernels are on the same filesystem.
  - Nothing is ever written. The disks are opened read-only to read their partition table (MBR with
    logical partitions, or GPT) and superblocks; files on ext2/3/4 filesystems are read with
    C(debugfs -c -R) (e2fsprogs), which opens the filesystem read-only and replays no journal. No loop
    device and no mount are used, so a running guest's disk is not disturbed (what is read may be a
    moment old).
  - Raw image files and block devices (logical volumes, partitions, whole disks) are read. Disks in
    another format (qcow2, vhd, qed), disks a block script resolves, disks served by a driver domain,
    CD-ROMs, and filesystems other than ext2/3/4 are not read; such a guest is reported as not
    bootable through PV-GRUB2 with the reason, never guessed.
  - The module fails only when the configuration itself cannot be read or parsed; a guest whose disks
    cannot be read is a result (RV(bootable=false) and RV(reason)), so that a role can report it and
    leave it untouched.
author: xenguard maintainers (@xenguard)
options:
  path:
    description:
      - The guest's xl configuration file.
    type: path
    required: true
  grub_paths:
    description:
      - The files PV-GRUB2 reads its menu from, in the order it looks for them on each disk and partition.
    type: list
    elements: str
    default: [/boot/grub/grub.cfg, /grub/grub.cfg]
  check_kernels:
    description:
      - Also require the kernels the menu names (its C(linux) lines) to be on the filesystem that holds
        the menu.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode changes nothing about what it does.
  diff_mode:
    support: none
    description: Nothing changes.
notes:
  - Needs C(debugfs) from e2fsprogs (Debian priority required) and read access to the disks (root).
seealso:
  - module: xenguard.hardening.xl_domain_config
  - name: xl-disk-configuration(5)
    description: The disk specification syntax read here.
    link: https://xenbits.xen.org/docs/unstable/man/xl-disk-configuration.5.html
'''

EXAMPLES = r'''
- name: Can web1 boot through PV-GRUB2?
  xenguard.hardening.pvgrub_check:
    path: /etc/xen/web1.cfg
  register: web1_boot

- name: Say why not
  ansible.builtin.debug:
    msg: "{{ web1_boot.reason }}"
  when: not web1_boot.bootable
'''

RETURN = r'''
name:
  description: The guest's C(name=).
  returned: always
  type: str
  sample: web1
guest_type:
  description: C(pv), C(pvh) or C(hvm) (xl's default is C(pv)).
  returned: always
  type: str
  sample: pv
boot:
  description: How the guest boots now - C(pygrub), C(bootloader) (another dom0 bootloader), C(pvgrub)
    (a grub-xen image as C(kernel)), C(kernel) (a kernel from dom0) or C(none).
  returned: always
  type: str
  sample: pygrub
bootable:
  description: Whether PV-GRUB2 finds a menu (and its kernels) on a disk of the guest.
  returned: always
  type: bool
  sample: true
reason:
  description: Why not (empty when RV(bootable)).
  returned: always
  type: str
  sample: "xvda (/srv/xen/web1.img): no /boot/grub/grub.cfg or /grub/grub.cfg on msdos1 (ext)"
grub_config:
  description: Where the menu was found.
  returned: when RV(bootable)
  type: dict
  sample: {vdev: xvda, target: /srv/xen/web1.img, partition: msdos1, path: /boot/grub/grub.cfg}
kernels:
  description: The kernels the menu names.
  returned: always
  type: list
  elements: str
  sample: [/boot/vmlinuz-6.1.0-27-amd64]
disks:
  description: Every disk of the guest with what was found on it.
  returned: always
  type: list
  elements: dict
  sample: [{vdev: xvda, target: /srv/xen/web1.img, format: raw, result: "grub.cfg on msdos1"}]
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xenguard.hardening.plugins.module_utils import guestdisk, safefile
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import CommandRunner, XenGuardError
from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import XlConfig, XlConfigSyntaxError

# Characters a file name passed to debugfs may hold: the menu is written by the guest, so anything else
# in a kernel path is not handed to debugfs at all.
_SAFE_PATH = re.compile(r'^/[A-Za-z0-9._+@/-]{0,255}$')


def read_config(path):
    try:
        state = safefile.read(path)
    except XenGuardError:
        raise
    except (IOError, OSError) as exc:
        raise XenGuardError('cannot read the guest configuration %s: %s; check the path' % (path, exc), path=path)
    odd = safefile.describe_non_utf8(path, state.data)
    if odd:
        raise XenGuardError('%s; fix or remove that byte (nothing was read from the guest disks)' % odd, path=path)
    try:
        return XlConfig.parse(state.data.decode('utf-8'), source=path)
    except XlConfigSyntaxError as exc:
        raise XenGuardError('the guest configuration %s does not parse: %s; fix it (xl create -n %s shows what '
                            'xl says) or leave the guest out' % (path, exc, path), path=path)


class DiskReader(object):
    """Read-only access to one disk target."""

    def __init__(self, module, debugfs, target):
        self.module = module
        self.debugfs = debugfs
        self.target = target

    def read_at(self, offset, size):
        with open(self.target, 'rb') as handle:
            handle.seek(offset)
            return handle.read(size)

    def request(self, offset, request):
        result = self.debugfs.run(['-c', '-R', request, guestdisk.debugfs_device(self.target, offset)], check=False)
        return guestdisk.debugfs_answer(result.stdout, result.stderr)


def inspect_filesystem(reader, offset, grub_paths, check_kernels):
    """(menu path, kernels, None) when a menu is there, else (None, kernels, why)."""
    for path in grub_paths:
        state, text = reader.request(offset, 'cat %s' % path)
        if state == 'unreadable':
            return None, [], 'debugfs cannot read it: %s' % text
        if state == 'absent':
            continue
        kernels = guestdisk.menu_kernels(text)
        if not check_kernels:
            return path, kernels, None
        if not kernels:
            return None, [], '%s has no linux line' % path
        missing = []
        for kernel in kernels:
            if not _SAFE_PATH.match(kernel):
                missing.append('%s (not checked: unusual characters)' % kernel)
                continue
            found, _said = reader.request(offset, 'stat %s' % kernel)
            if found != 'ok':
                missing.append(kernel)
        if len(missing) == len(kernels):
            return None, kernels, '%s names kernels that are not on this filesystem: %s' % (path, ', '.join(missing))
        return path, kernels, None
    return None, [], 'no %s' % ' or '.join(grub_paths)


def inspect_disk(reader, grub_paths, check_kernels):
    """(found dict or None, kernels, result text)."""
    try:
        if not os.path.exists(reader.target):
            return None, [], 'cannot read %s: it does not exist' % reader.target
        if '?' in reader.target:
            return None, [], 'cannot read %s: a "?" in the path is not passed to debugfs' % reader.target
        places = [('whole disk', 0)] + [(name, offset) for name, offset, _size in guestdisk.partitions(reader.read_at)]
    except (IOError, OSError) as exc:
        return None, [], 'cannot read %s: %s' % (reader.target, exc)
    why = []
    kernels = []
    for name, offset in places:
        try:
            kind = guestdisk.filesystem_kind(reader.read_at, offset)
        except (IOError, OSError) as exc:
            why.append('%s: %s' % (name, exc))
            continue
        if kind is None:
            if name != 'whole disk':
                why.append('%s: no filesystem the collection knows' % name)
            continue
        if kind != 'ext':
            why.append('%s: %s (only ext2/3/4 is read)' % (name, kind))
            continue
        path, kernels, reason = inspect_filesystem(reader, offset, grub_paths, check_kernels)
        if path:
            return {'partition': name, 'path': path}, kernels, '%s on %s' % (path, name)
        why.append('%s (ext): %s' % (name, reason))
    return None, kernels, '; '.join(why) or 'no partition table and no filesystem'


def run(module):
    params = module.params
    config = read_config(params['path'])
    result = {'changed': False, 'name': str(config.get('name') or ''), 'guest_type': guestdisk.config_guest_type(config),
              'boot': guestdisk.config_boot(config), 'bootable': False, 'reason': '', 'kernels': [], 'disks': []}
    if result['guest_type'] == 'hvm':
        result['reason'] = 'an HVM guest boots from its firmware; PV-GRUB2 is for PV and PVH guests'
        return result
    specs = config.get('disk') or []
    if not isinstance(specs, list):
        specs = [specs]
    if not specs:
        result['reason'] = 'the configuration has no disk'
        return result
    debugfs = CommandRunner(module, 'debugfs', required=False)
    reasons = []
    for spec in specs:
        try:
            disk = guestdisk.parse_disk_spec(spec)
        except guestdisk.DiskSpecError as exc:
            reasons.append(str(exc))
            continue
        entry = {'vdev': disk['vdev'], 'target': disk['target'], 'format': disk['format'], 'result': ''}
        result['disks'].append(entry)
        label = '%s (%s)' % (disk['vdev'] or '?', disk['target'] or spec)
        skip = guestdisk.unreadable_reason(disk)
        if skip:
            entry['result'] = 'not read: %s' % skip
            reasons.append('%s: not read, %s' % (label, skip))
            continue
        if not debugfs.available:
            raise XenGuardError('Cannot find the debugfs command on this host; install the package e2fsprogs')
        found, kernels, said = inspect_disk(DiskReader(module, debugfs, disk['target']), params['grub_paths'],
                                            params['check_kernels'])
        entry['result'] = said
        if found:
            found.update({'vdev': disk['vdev'], 'target': disk['target']})
            result.update(bootable=True, grub_config=found, kernels=kernels)
            return result
        result['kernels'] = result['kernels'] or kernels
        reasons.append('%s: %s' % (label, said))
    result['reason'] = '; '.join(reasons)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            grub_paths=dict(type='list', elements='str', default=list(guestdisk.GRUB_CONFIG_PATHS)),
            check_kernels=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    bad = [p for p in module.params['grub_paths'] if not _SAFE_PATH.match(p)]
    if bad:
        module.fail_json(msg='grub_paths must be absolute paths of letters, digits and ._+@/- only: %s'
                         % ', '.join(bad))
    try:
        module.exit_json(**run(module))
    except XenGuardError as exc:
        module.fail_json(**exc.to_fail_kwargs())


if __name__ == '__main__':
    main()
