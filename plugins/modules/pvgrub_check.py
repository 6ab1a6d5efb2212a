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
    partition) whose default entry boots a kernel on the same filesystem that PV-GRUB2 can load.
  - The default entry is the one GRUB boots unattended - C(set default) in the file (a number, a title
    or an id; C(>) into a submenu), else the first; GRUB's saved entry (C(GRUB_DEFAULT=saved)) is taken
    as the first. Where the file names no entry GRUB would boot (a default that names no entry or a
    submenu, or no menu entries at all), any kernel of the file that PV-GRUB2 can load will do.
  - PV-GRUB2 (GRUB's Xen loader) loads an ELF kernel, a gzip, xz or lzop compressed file, or a bzImage
    whose payload is gzip, xz or lzop compressed; it refuses a bzImage compressed otherwise ("not xen
    image"), such as the zstd-compressed kernels of Debian 13. The module reads the first 1 MiB of each
    kernel to tell (RV(kernel_formats)); a menu whose kernels are all missing, unreadable or of a format
    PV-GRUB2 cannot load makes the guest not bootable, with each kernel and why in RV(reason).
  - Nothing is ever written. The disks are opened read-only to read their partition table (MBR with
    logical partitions, or GPT) and superblocks; files on ext2/3/4 filesystems are read with
    C(debugfs -c -R) (e2fsprogs), which opens the filesystem read-only and replays no journal. No loop
    device and no mount are used, so a running guest's disk is not disturbed (what is read may be a
    moment old). A kernel is copied with debugfs C(dump) into a private temporary directory on this
    host to read its head, and deleted.
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
      - Also require a kernel the menu names (its C(linux) lines) to be on the filesystem that holds
        the menu, in a format PV-GRUB2 can load.
      - With C(false), the kernels are neither looked for nor read.
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
  description: C(pv), C(pvh) or C(hvm) as xl reads C(type=) and C(builder=) (xl's default is C(pv)); C(invalid)
    where xl refuses them (then nothing else is read).
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
  description: Whether PV-GRUB2 finds a menu (and a kernel it names that PV-GRUB2 can load) on a disk of the guest.
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
kernel_formats:
  description:
    - The format of each kernel of RV(kernels) that was read, from its first bytes - C(elf); C(gzip),
      C(xz), C(lzop) (a compressed file; PV-GRUB2 decompresses it and an ELF kernel is assumed inside);
      C(bzImage/<compression>) for a Linux bzImage by the compression of its payload (C(gzip), C(xz),
      C(lzop), C(zstd), C(lz4), C(bzip2), C(lzma), C(unknown); C(old) for a boot protocol before 2.08;
      C(beyond-head) when the payload starts after the first 1 MiB); another compression of the whole
      file; C(unknown); or C(unreadable) when debugfs could not read it.
    - PV-GRUB2 loads C(elf), C(gzip), C(xz), C(lzop), C(bzImage/gzip), C(bzImage/xz) and C(bzImage/lzop).
    - Kernels that are not on the filesystem are left out; empty with O(check_kernels=false).
  returned: always
  type: dict
  sample: {/boot/vmlinuz-6.12.48+deb13-amd64: bzImage/zstd, /boot/vmlinuz-6.1.0-27-amd64: bzImage/xz}
disks:
  description: Every disk of the guest with what was found on it.
  returned: always
  type: list
  elements: dict
  sample: [{vdev: xvda, target: /srv/xen/web1.img, format: raw, result: "grub.cfg on msdos1"}]
'''

import os
import posixpath
import re
import shutil
import tempfile

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
        result = self._run(offset, request)
        return guestdisk.debugfs_answer(result.stdout, result.stderr)

    def _run(self, offset, request):
        return self.debugfs.run(['-c', '-R', request, guestdisk.debugfs_device(self.target, offset)], check=False)

    def read_head(self, offset, path, size=guestdisk.KERNEL_HEAD_BYTES):
        """('ok', the first size bytes of the file path) or ('unreadable', why). debugfs `dump` copies the
        file out of the filesystem (read-only, like every request here) into a private temporary directory
        of this host, which is removed afterwards; nothing is written to the guest's disk."""
        workdir = tempfile.mkdtemp(prefix='pvgrub-check-', dir=self.module.tmpdir)
        try:
            copy = os.path.join(workdir, 'kernel')
            if not _SAFE_PATH.match(copy):
                return 'unreadable', 'the temporary directory %s has characters not passed to debugfs' % workdir
            # no -p: the copy keeps this process's owner and a private mode, not the guest's
            result = self._run(offset, 'dump %s %s' % (path, copy))
            state, said = guestdisk.debugfs_answer(result.stdout, result.stderr)
            if state != 'ok':
                return 'unreadable', said
            # debugfs reports a failed dump (a short read, an output it cannot write) on stderr, exit 0
            errors = [line.strip() for line in (result.stderr or '').splitlines() if line.startswith('dump')]
            if errors:
                return 'unreadable', errors[0]
            if not os.path.exists(copy):
                return 'unreadable', 'debugfs wrote no copy of it'
            with open(copy, 'rb') as handle:
                return 'ok', handle.read(size)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def resolve_kernel(reader, offset, kernel):
    """(path of the file the kernel path names, following symbolic links as GRUB does, None) or
    (None, why): why is 'absent' when there is no such file."""
    path = kernel
    for _hop in range(8):
        state, said = reader.request(offset, 'stat %s' % path)
        if state != 'ok':
            return None, 'absent' if state == 'absent' else 'cannot read it: %s' % said
        dest = guestdisk.debugfs_symlink(said)
        if dest == '':
            return path, None
        if dest is None:
            return None, 'a symbolic link whose target debugfs does not print (a long link); name its target'
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), dest))
        if not _SAFE_PATH.match(path):
            return None, 'a symbolic link to %r, a name with characters not passed to debugfs' % dest
    return None, 'more than 8 symbolic links in a row'


def check_kernel(reader, offset, kernel, formats):
    """(kind, why) for one kernel path of a menu: kind is 'usable', 'missing', 'unreadable' or 'refused'.
    formats[kernel] gets the kernel's format (guestdisk.kernel_format) or 'unreadable'."""
    if not _SAFE_PATH.match(kernel):
        return 'missing', 'not checked: unusual characters'
    path, why = resolve_kernel(reader, offset, kernel)
    if path is None:
        if why == 'absent':
            return 'missing', None
        formats[kernel] = 'unreadable'
        return 'unreadable', why
    state, head = reader.read_head(offset, path)
    if state != 'ok':
        formats[kernel] = 'unreadable'
        return 'unreadable', head
    fmt = guestdisk.kernel_format(head)
    formats[kernel] = fmt
    refusal = guestdisk.pvgrub_refusal(fmt)
    return ('refused', refusal) if refusal else ('usable', None)


def inspect_filesystem(reader, offset, grub_paths, check_kernels, formats):
    """(menu path, kernels, None) when a menu is there whose default entry boots a kernel PV-GRUB2 can load,
    else (None, kernels, why). formats is filled with each kernel's format."""
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
        status = {}
        for kernel in kernels:  # every one, so that kernel_formats tells about each
            status[kernel] = check_kernel(reader, offset, kernel, formats)
        usable = [k for k in kernels if status[k][0] == 'usable']
        entry, how = guestdisk.default_entry(text)
        if entry is not None and entry['kernel'] is None:
            return None, kernels, '%s: %s, "%s", boots no kernel' % (path, how, entry['title'])
        if entry is not None and usable and entry['kernel'] not in usable:
            # GRUB boots its default entry unattended: that entry's kernel must load, not just any
            kind, why = status.get(entry['kernel'], ('missing', None))
            said = {'missing': 'is not on this filesystem', 'unreadable': 'cannot be read',
                    'refused': 'PV-GRUB2 cannot load'}[kind]
            return None, kernels, (
                '%s: %s, "%s", boots %s, which %s%s; %s could boot: make its entry the default (GRUB_DEFAULT '
                'in the guest\'s /etc/default/grub, then update-grub in the guest)'
                % (path, how, entry['title'], entry['kernel'], said, ' (%s)' % why if why else '', ', '.join(usable)))
        if usable:
            return path, kernels, None
        bad = {'missing': [], 'unreadable': [], 'refused': []}
        for kernel in kernels:
            kind, why = status[kernel]
            bad[kind].append('%s (%s)' % (kernel, why) if why else kernel)
        clauses = [label + ', '.join(bad[kind]) for kind, label in (
            ('missing', 'that are not on this filesystem: '), ('unreadable', 'that cannot be read: '),
            ('refused', 'PV-GRUB2 cannot load: ')) if bad[kind]]
        return None, kernels, '%s names kernels %s' % (path, '; and kernels '.join(clauses))
    return None, [], 'no %s' % ' or '.join(grub_paths)


def inspect_disk(reader, grub_paths, check_kernels, formats):
    """(found dict or None, kernels, result text); formats gets the format of each kernel checked."""
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
        formats.clear()  # only the kernels of the filesystem last read
        path, kernels, reason = inspect_filesystem(reader, offset, grub_paths, check_kernels, formats)
        if path:
            return {'partition': name, 'path': path}, kernels, '%s on %s' % (path, name)
        why.append('%s (ext): %s' % (name, reason))
    return None, kernels, '; '.join(why) or 'no partition table and no filesystem'


def run(module):
    params = module.params
    config = read_config(params['path'])
    result = {'changed': False, 'name': str(config.get('name') or ''), 'guest_type': guestdisk.config_guest_type(config),
              'boot': guestdisk.config_boot(config), 'bootable': False, 'reason': '', 'kernels': [], 'disks': [],
              'kernel_formats': {}}
    if result['guest_type'] == 'hvm':
        result['reason'] = 'an HVM guest boots from its firmware; PV-GRUB2 is for PV and PVH guests'
        return result
    if result['guest_type'] == 'invalid':
        result['reason'] = guestdisk.INVALID_TYPE % (config.get('type'), config.get('builder'))
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
        formats = {}
        found, kernels, said = inspect_disk(DiskReader(module, debugfs, disk['target']), params['grub_paths'],
                                            params['check_kernels'], formats)
        entry['result'] = said
        if found:
            found.update({'vdev': disk['vdev'], 'target': disk['target']})
            result.update(bootable=True, grub_config=found, kernels=kernels,
                          kernel_formats=dict((k, formats[k]) for k in kernels if k in formats))
            return result
        if not result['kernels']:
            result.update(kernels=kernels, kernel_formats=dict((k, formats[k]) for k in kernels if k in formats))
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
