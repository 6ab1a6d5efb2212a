#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: vtpm_disk
short_description: Create a vTPM or vTPM manager disk once, and never overwrite it
version_added: 0.2.0
description:
  - Creates the disk image of a vTPM stub domain or of the vTPM manager (see C(xen-vtpm(7))) exactly once,
    owned by root, mode C(0600), filled with zeros (a sparse file), and records it in a registry on the host.
  - The disk holds key material (the manager's sealed keys, a vTPM's keys and NVRAM). The module never
    opens an existing disk, never reads or returns its content, never truncates, resizes or recreates it.
  - A path that exists but is not in the registry for this domain is refused, because the module cannot
    tell a vTPM's own disk from another file there; O(adopt=true) takes over a disk made by an earlier
    set-up (its content is not touched).
  - A registered disk that has gone missing is refused too (a new empty disk would be a new vTPM with new
    keys); forget it with O(state=absent) first when that is what is wanted.
  - An existing registered disk gets owner root and mode C(0600) back when they differ; nothing else is
    changed.
  - O(state=absent) forgets the disk (the file is kept); it deletes the file only with O(delete=true),
    and only a file the registry records for this domain.
author: xenguard maintainers (@xenguard)
options:
  path:
    description:
      - The disk image file. Its directory must exist.
    type: path
    required: true
  domain:
    description:
      - The name of the stub domain (vTPM or manager) the disk belongs to.
    type: str
    required: true
  size_mib:
    description:
      - The size of a new disk in MiB. An existing disk is never resized.
      - Xen's docs - a vTPM needs about 2 MiB, the manager uses the first 2 MiB of its disk.
    type: int
    default: 2
  state:
    description:
      - V(present) creates the disk when it is not there; V(absent) forgets it (see O(delete)).
    type: str
    choices: [present, absent]
    default: present
  delete:
    description:
      - With O(state=absent), also delete the file. Its keys are gone for good.
    type: bool
    default: false
  adopt:
    description:
      - With O(state=present), take over a disk file at O(path) that the registry does not know (a disk
        from an earlier set-up of this domain). Its content is not read or changed.
    type: bool
    default: false
  uuid:
    description:
      - The UUID of the vTPM the disk belongs to (the C(uuid=) of the vTPM domain's C(vtpm=) line), kept in the
        registry with the disk. Xen's docs - a vTPM's data is lost when its disk is recreated or its UUID
        changes.
      - V(auto) keeps the UUID the registry has for the disk, or makes a new one (random) for a new disk.
      - A UUID given for a disk the registry already records with another UUID is refused.
      - Leave it out for the manager's disk (the manager has no UUID).
    type: str
  registry:
    description:
      - The registry of the disks this module created or adopted (JSON, mode C(0600)); its directory must exist.
    type: path
    default: /var/lib/xenguard/vtpm/disks.json
attributes:
  check_mode:
    support: full
    description: Says what would be done; writes nothing.
  diff_mode:
    support: full
    description: The disk's path, owner, mode and size before and after; never its content.
notes:
  - The owner is root when the module runs as root (as it does on a Xen host); otherwise the user it runs as.
seealso:
  - name: xen-vtpm(7)
    description: The Xen vTPM subsystem.
    link: https://xenbits.xen.org/docs/unstable/man/xen-vtpm.7.html
'''

EXAMPLES = r'''
- name: The vTPM manager's disk
  xenguard.hardening.vtpm_disk:
    path: /var/lib/xenguard/vtpm/vtpmmgr.img
    domain: vtpmmgr
    size_mib: 16

- name: Forget a guest's vTPM disk but keep the file
  xenguard.hardening.vtpm_disk:
    path: /var/lib/xenguard/vtpm/vtpm-web1.img
    domain: vtpm-web1
    state: absent
'''

RETURN = r'''
path:
  description: The disk.
  returned: always
  type: str
  sample: /var/lib/xenguard/vtpm/vtpm-web1.img
uuid:
  description: The vTPM's UUID kept with the disk (a new one in check mode is not kept).
  returned: when O(uuid) is given and O(state=present)
  type: str
  sample: 6c3ff5f1-8d58-4fed-b00d-a5ea9a817f7f
action:
  description: >-
    What was done - V(created), V(adopted), V(kept) (there and registered: nothing to do), V(fixed) (owner or
    mode put back), V(forgotten), V(deleted), V(none) (absent and not registered).
  returned: always
  type: str
  sample: created
'''

import json
import os
import stat
import tempfile
import uuid as uuidlib

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.xenguard.hardening.plugins.module_utils.vtpm import UUID_RE

MODE = 0o600


class DiskError(Exception):
    pass


def load_registry(path):
    """{disk path: {domain}} from the registry file ({} when it does not exist)."""
    if not os.path.lexists(path):
        return {}
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (IOError, OSError, ValueError) as exc:
        raise DiskError('the registry %s cannot be read (%s): the module will not guess which disks are vTPM disks; '
                        'restore it from a backup or move it away after checking every disk it listed'
                        % (path, to_native(exc)))
    disks = data.get('disks') if isinstance(data, dict) else None
    if not isinstance(disks, dict):
        raise DiskError('the registry %s has no "disks" mapping: restore it from a backup' % path)
    return disks


def save_registry(path, disks):
    directory = os.path.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.disks.', suffix='.tmp')
    try:
        os.fchmod(fd, MODE)
        with os.fdopen(fd, 'w') as handle:
            json.dump({'disks': disks}, handle, indent=1, sort_keys=True)
            handle.write('\n')
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def describe(st):
    if st is None:
        return 'absent\n'
    return 'owner uid %d gid %d, mode %04o, %d bytes\n' % (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), st.st_size)


def kind_of(st):
    for test, name in ((stat.S_ISLNK, 'a symbolic link'), (stat.S_ISDIR, 'a directory'),
                       (stat.S_ISBLK, 'a block device'), (stat.S_ISCHR, 'a character device'),
                       (stat.S_ISFIFO, 'a FIFO'), (stat.S_ISSOCK, 'a socket')):
        if test(st.st_mode):
            return name
    return 'a file'


def owner_uid():
    return 0 if os.geteuid() == 0 else os.geteuid()


def plan(params, disks, st, check_mode=False):
    """(action, problem) for the disk at params['path'] with lstat result st (None: absent). In check mode a
    missing directory is no problem (the role creates it before the disk)."""
    path, domain = params['path'], params['domain']
    entry = disks.get(path)
    owner = entry.get('domain') if isinstance(entry, dict) else None
    if owner is not None and owner != domain:
        return None, ('%s is the disk of %s in the registry %s, not of %s: give %s a disk path of its own'
                      % (path, owner, params['registry'], domain, domain))
    wanted = params.get('uuid')
    if params['state'] == 'present' and wanted not in (None, 'auto') and isinstance(entry, dict) \
            and entry.get('uuid') and entry['uuid'].lower() != wanted.lower():
        return None, ('the registry %s records the vTPM of %s with the UUID %s, not %s: a vTPM whose UUID changes '
                      'loses its keys (xen-vtpm(7)). Give uuid %s, or leave uuid out'
                      % (params['registry'], domain, entry['uuid'], wanted, entry['uuid']))
    if params['state'] == 'absent':
        if st is not None and not stat.S_ISREG(st.st_mode) and params['delete']:
            return None, '%s is %s, not a disk file: it is not deleted' % (path, kind_of(st))
        if owner is None:
            if st is not None and params['delete']:
                return None, ('%s is not a disk the registry %s records for %s: it is not deleted (the collection '
                              'only deletes disks it created or adopted)' % (path, params['registry'], domain))
            return 'none', None
        if params['delete'] and st is not None:
            return 'deleted', None
        return 'forgotten', None
    if st is None:
        if owner is not None:
            return None, ('the disk %s of %s is in the registry %s but the file is gone: its vTPM keys are lost. '
                          'Restore it from a backup; or, to start %s with a new empty vTPM, remove its entry first '
                          '(state absent, which keeps files) and run again' % (path, domain, params['registry'], domain))
        if not check_mode and not os.path.isdir(os.path.dirname(path) or '.'):
            return None, 'the directory of %s does not exist: create it (mode 0700, root) first' % path
        return 'created', None
    if not stat.S_ISREG(st.st_mode):
        return None, ('%s exists and is %s, not a disk image file: choose another path for the disk of %s'
                      % (path, kind_of(st), domain))
    if owner is None:
        if not params['adopt']:
            return None, ('%s exists and the registry %s does not record it as the disk of %s: nothing was changed '
                          'and the file was not read. Give %s another disk path; or, if this file is the disk of %s '
                          'from an earlier set-up, set adopt (xenguard_vtpm guest entry: adopt_disk: true) to take '
                          'it over unchanged' % (path, params['registry'], domain, domain, domain))
        return 'adopted', None
    if st.st_uid != owner_uid() or st.st_gid != (0 if owner_uid() == 0 else st.st_gid) \
            or stat.S_IMODE(st.st_mode) != MODE:
        return 'fixed', None
    return 'kept', None


def apply(params, disks, action):
    path = params['path']
    if action == 'created':
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), MODE)
        try:
            os.fchmod(fd, MODE)
            if os.geteuid() == 0:
                os.fchown(fd, 0, 0)
            os.ftruncate(fd, params['size_mib'] * 1024 * 1024)
            os.fsync(fd)
        finally:
            os.close(fd)
    if action in ('created', 'adopted', 'fixed'):
        if action != 'created':
            fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))  # never read: for fchmod/fchown
            try:
                os.fchmod(fd, MODE)
                if os.geteuid() == 0:
                    os.fchown(fd, 0, 0)
            finally:
                os.close(fd)
        entry = {'domain': params['domain']}
        kept = params.get('kept_uuid') or (disks.get(path) or {}).get('uuid')
        if kept:
            entry['uuid'] = kept
        if disks.get(path) != entry:
            disks[path] = entry
            save_registry(params['registry'], disks)
    elif action in ('forgotten', 'deleted'):
        if action == 'deleted':
            os.unlink(path)
        disks.pop(path, None)
        save_registry(params['registry'], disks)


def run(module):
    params = module.params
    if params['size_mib'] < 1 or params['size_mib'] > 1024:
        raise DiskError('size_mib is %d: give a size from 1 to 1024 MiB (Xen\'s docs: about 2 MiB)' % params['size_mib'])
    if params['delete'] and params['state'] != 'absent':
        raise DiskError('delete is only read with state absent; nothing was changed')
    path = params['path']
    if not os.path.isabs(path):
        raise DiskError('path %r is not absolute' % path)
    disks = load_registry(params['registry'])
    try:
        st = os.lstat(path)
    except OSError:
        st = None
    wanted = params.get('uuid')
    if wanted not in (None, 'auto') and not UUID_RE.match(wanted):
        raise DiskError('uuid %r is not a UUID: give one as uuidgen prints it (8-4-4-4-12 hexadecimal digits), or '
                        'auto. Nothing was changed.' % wanted)
    action, problem = plan(params, disks, st, module.check_mode)
    if problem:
        raise DiskError(problem + '. Nothing was changed.')
    params['kept_uuid'] = None
    if wanted is not None and params['state'] == 'present':
        recorded = (disks.get(path) or {}).get('uuid')
        params['kept_uuid'] = recorded or (str(uuidlib.uuid4()) if wanted == 'auto' else wanted.lower())
        if action == 'kept' and recorded != params['kept_uuid']:
            action = 'fixed'  # a registered disk without its UUID yet: record it
    changed = action not in ('kept', 'none')
    after = st
    if changed and not module.check_mode:
        apply(params, disks, action)
        try:
            after = os.lstat(path)
        except OSError:
            after = None
    result = {'changed': changed, 'path': path, 'action': action}
    if params['kept_uuid']:
        result['uuid'] = params['kept_uuid']
    if module._diff:
        predicted = None if action == 'deleted' else after
        result['diff'] = {'before_header': path, 'after_header': path, 'before': describe(st),
                          'after': describe(predicted) if not module.check_mode or action in ('kept', 'none', 'forgotten')
                          else '%s (planned)\n' % action}
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            domain=dict(type='str', required=True),
            size_mib=dict(type='int', default=2),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            delete=dict(type='bool', default=False),
            adopt=dict(type='bool', default=False),
            uuid=dict(type='str'),
            registry=dict(type='path', default='/var/lib/xenguard/vtpm/disks.json'),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except DiskError as exc:
        module.fail_json(msg=str(exc), path=module.params['path'])
    except (IOError, OSError) as exc:
        module.fail_json(msg='%s: %s' % (module.params['path'], to_native(exc)), path=module.params['path'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
