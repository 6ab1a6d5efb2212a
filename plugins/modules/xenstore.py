#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: xenstore
short_description: Read, write, remove and set permissions of a xenstore key
version_added: 0.1.0
description:
  - Manages one key of xenstore in a Xen dom0 through the C(xenstore-read), C(xenstore-write),
    C(xenstore-rm), C(xenstore-chmod) and C(xenstore-ls) commands.
  - V(state=read) only reads the key. V(state=present) writes O(value) and/or sets O(perms) when they
    differ from what is there. V(state=absent) removes the key and everything below it.
  - The path, value and permissions are checked before anything runs.
  - V(state=absent) refuses the structure xenstored and the toolstack keep, because removing it takes a
    whole subtree that domains, their drivers and the toolstack rely on - C(/), the top-level nodes
    C(/local), C(/vm), C(/tool), C(/libxl) and the nodes directly below them (C(/local/domain),
    C(/vm/<uuid>), C(/libxl/<domid>)...), and each domain's home C(/local/domain/<domid>) with the nodes
    directly in it (C(device), C(backend), C(control), C(data)...). Keys deeper than that may be removed.
  - Reading C(/) is refused - its permissions cannot be read (C(xenstore-ls) lists the nodes below a path).
author: xenguard maintainers (@xenguard)
options:
  path:
    description:
      - Absolute xenstore path of the key, for instance C(/local/domain/0/name).
      - Only letters, digits and C(-), C(/), C(_), C(@); no C(//) and no trailing C(/).
    type: str
    required: true
  state:
    description:
      - V(present) makes the key have O(value) and/or O(perms); V(absent) removes it (with its
        children); V(read) reads it and changes nothing.
    type: str
    choices: [present, absent, read]
    default: present
  value:
    description:
      - The value the key must have (V(state=present)). It must be a string; quote numbers and
        booleans in YAML, for example V("1"). Control characters and backslashes are passed
        through exactly (they are escaped for C(xenstore-write)).
      - Without O(value) an existing key keeps its value, and a missing key is an error.
    type: raw
  perms:
    description:
      - The permissions the key must have (V(state=present)), as for C(xenstore-chmod).
      - The first entry names the owner domain and what every other domain may do; each further
        entry grants one domain V(n) (none), V(r) (read), V(w) (write) or V(b) (both), for instance
        V([n0, r4]) - owned by dom0, readable by domain 4 only.
      - A domain may be named only once after the owner entry (V([n0, r4, w4]) is refused).
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    description: Reads the key and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The key's existence, value and permissions before and after.
notes:
  - Needs root in dom0 and the xenstore tools (Debian package C(xenstore-utils)).
  - A new key gets the permissions of its parent unless O(perms) is given.
  - The permissions of a key are read from the listing of its parent (C(xenstore-ls -fp)).
seealso:
  - name: xenstore(1)
    description: The xenstore command-line tools.
    link: https://xenbits.xen.org/docs/unstable/man/xenstore.1.html
  - name: xenstore-chmod(1)
    description: Permission strings of xenstore.
    link: https://xenbits.xen.org/docs/unstable/man/xenstore-chmod.1.html
'''

EXAMPLES = r'''
- name: Read a key
  xenguard.hardening.xenstore:
    path: /local/domain/0/name
    state: read
  register: dom0_name

- name: Write a key readable by domain 4 only
  xenguard.hardening.xenstore:
    path: /local/domain/0/data/guest-network
    value: "isolated"
    perms: [n0, r4]

- name: Tighten the permissions of an existing key, keeping its value
  xenguard.hardening.xenstore:
    path: /local/domain/0/data/guest-network
    perms: [n0]

- name: Remove a key and everything below it
  xenguard.hardening.xenstore:
    path: /local/domain/0/data/guest-network
    state: absent
'''

RETURN = r'''
path:
  description: The key.
  returned: always
  type: str
  sample: /local/domain/0/name
exists:
  description: Whether the key exists (after the change; in check mode, as it would be).
  returned: always
  type: bool
  sample: true
value:
  description: The key's value (after the change), or null when it does not exist or cannot be read.
  returned: always
  type: str
  sample: Domain-0
perms:
  description: The key's permissions (after the change), or null when it does not exist.
  returned: always
  type: list
  elements: str
  sample: [n0, r4]
commands:
  description: The commands that changed xenstore (empty when nothing changed or in check mode).
  returned: always
  type: list
  elements: str
  sample: ["xenstore-write /local/domain/0/data/x isolated"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError
from ansible_collections.xenguard.hardening.plugins.module_utils.xenstore import (
    XenstoreClient,
    removal_refused,
    validate_path,
    validate_perms,
    validate_value,
)


def check_input(params):
    """Validate everything before any command runs; return (path, value, perms)."""
    path = validate_path(params['path'])
    state = params['state']
    value = params['value']
    perms = params['perms']
    if state != 'present' and (value is not None or perms is not None):
        raise XenGuardError('value and perms are only used with state=present (state=%s)' % state)
    if state == 'present' and value is None and perms is None:
        raise XenGuardError('state=present needs value, perms or both')
    if path == '/':
        if state == 'read':
            raise XenGuardError('reading the xenstore root / is not supported: its permissions cannot be read '
                                '(xenstore-ls lists the nodes below a path, not the path itself); read a key '
                                'below it, for example /local/domain/0', path=path)
        raise XenGuardError('the xenstore root / cannot be written, removed or have its permissions changed here',
                            path=path)
    if state == 'absent':
        why = removal_refused(path)
        if why:
            raise XenGuardError('refusing to remove %s: %s. Remove the keys below it that you mean instead '
                                '(for example %s/<key>); nothing was changed' % (path, why, path), path=path)
    if value is not None:
        validate_value(value)
    if perms is not None:
        perms = validate_perms(perms)
    return path, value, perms


def plan(before, value, perms, state):
    """What would change: (write, chmod, remove) booleans and the expected state after."""
    if state == 'absent':
        remove = before['exists']
        return False, False, remove, {'exists': False, 'value': None, 'perms': None}
    write = value is not None and (not before['exists'] or before['value'] != value)
    chmod = perms is not None and (not before['exists'] or before['perms'] != perms)
    after = {
        'exists': True,
        'value': value if value is not None else before['value'],
        'perms': perms if perms is not None else (before['perms'] if before['exists'] else None),
    }
    return write, chmod, False, after


def run_module(module):
    path, value, perms = check_input(module.params)
    state = module.params['state']
    client = XenstoreClient(module)
    before = client.stat(path)
    result = {'changed': False, 'path': path, 'commands': client.record}

    if state == 'read':
        result.update(before)
        return result

    if state == 'present' and not before['exists'] and value is None:
        raise XenGuardError('xenstore key %s does not exist; give value to create it' % path, path=path)

    write, chmod, remove, after = plan(before, value, perms, state)
    result['changed'] = write or chmod or remove
    if result['changed'] and not module.check_mode:
        if write:
            client.write(path, value)
        if chmod:
            client.chmod(path, perms)
        if remove:
            client.rm(path)
        after = client.stat(path)
    result.update(after)
    if module._diff:
        result['diff'] = {'before': before, 'after': after,
                          'before_header': path, 'after_header': path}
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='str', required=True),
            state=dict(type='str', default='present', choices=['present', 'absent', 'read']),
            value=dict(type='raw'),
            perms=dict(type='list', elements='str'),
        ),
        supports_check_mode=True,
    )
    try:
        result = run_module(module)
    except XenGuardError as exc:
        module.fail_json(**exc.to_fail_kwargs())
    module.exit_json(**result)


if __name__ == '__main__':
    main()
