#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: xl_domain_config
short_description: Set or remove settings in an xl domain configuration file
version_added: 0.1.0
description:
  - Edits an xl domain configuration file (see C(xl.cfg(5))) or C(/etc/xen/xl.conf) (see C(xl.conf(5)))
    through a parser of xl's own syntax, so that only the settings asked about change; everything else
    (comments, spacing, order, other settings) stays byte for byte.
  - A changed setting keeps its place and the style of its old value (quotes, list layout); a new
    setting is appended at the end of the file.
  - The new text is checked with C(xl create -n) before it is written, when C(xl) is on the PATH.
  - The file is replaced atomically and keeps its mode and owner. The module never creates a file.
  - Guests that are running are not touched; a changed configuration applies the next time the
    guest is created.
author: xenguard maintainers (@xenguard)
options:
  path:
    description:
      - The configuration file to edit. It must exist.
    type: path
    required: true
  settings:
    description:
      - Settings to give, as a mapping from key to value.
      - A value is a string (written double-quoted), a non-negative integer (written bare; C(true) and
        C(false) are written as C(1) and C(0)) or a list of strings and integers (written
        C([ 'a', 'b' ]), or in the layout of the list it replaces).
      - Keys are xl identifiers - lower-case letters, digits, C(_) and C(.), starting with a letter.
    type: dict
    default: {}
  remove:
    description:
      - Keys to remove. Every setting of each key is removed, with its line when nothing else is on it.
      - A key may not be both in O(settings) and in O(remove).
    type: list
    elements: str
    default: []
  backup:
    description:
      - Keep a timestamped copy of the file before changing it.
    type: bool
    default: false
  validate:
    description:
      - Check the new text with C(xl create -n) before writing it (also in check mode).
      - When C(xl) is not on the PATH the check is skipped and RV(validated) is V(false).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads, parses and validates; writes nothing.
  diff_mode:
    support: full
    description: The whole file before and after.
notes:
  - Comments inside a value that is replaced (for instance between the items of a multi-line list)
    go with the old value.
  - xl refuses carriage returns; a file with CRLF line endings is edited keeping them, but will not
    pass O(validate).
seealso:
  - name: xl.cfg(5)
    description: The xl domain configuration file format.
    link: https://xenbits.xen.org/docs/unstable/man/xl.cfg.5.html
  - name: xl.conf(5)
    description: The xl global configuration file.
    link: https://xenbits.xen.org/docs/unstable/man/xl.conf.5.html
'''

EXAMPLES = r'''
- name: Boot a PV guest with PV-GRUB2 instead of pygrub
  xenguard.hardening.xl_domain_config:
    path: /etc/xen/web1.cfg
    settings:
      kernel: /usr/lib/grub-xen/grub-x86_64-xen.bin
    remove:
      - bootloader
    backup: true

- name: Put the guest's network backend in the driver domain
  xenguard.hardening.xl_domain_config:
    path: /etc/xen/web1.cfg
    settings:
      vif:
        - mac=00:16:3e:00:00:01,bridge=xenbr1,backend=netdd

- name: No ballooning of dom0
  xenguard.hardening.xl_domain_config:
    path: /etc/xen/xl.conf
    settings:
      autoballoon: "off"
    validate: false
'''

RETURN = r'''
changed_keys:
  description: Keys whose setting was changed, added or removed, in the order they were asked.
  returned: always
  type: list
  elements: str
  sample: [kernel, bootloader]
backup_file:
  description: The copy made before the change.
  returned: when O(backup=true) and the file changed (not in check mode)
  type: str
  sample: /etc/xen/web1.cfg.12345.2026-11-26@15:00:00~
validated:
  description: Whether C(xl create -n) checked the new text (false when nothing changed, when
    O(validate=false), or when xl is not on the PATH).
  returned: always
  type: bool
  sample: true
validation:
  description: What happened to the check, in words (also why it was skipped - xl not on the PATH, or
    xl unable to run on a host that does not run Xen).
  returned: always
  type: str
  sample: "skipped: xl is not on the PATH"
path:
  description: The file.
  returned: always
  type: str
  sample: /etc/xen/web1.cfg
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.xenguard.hardening.plugins.module_utils.runner import (
    CommandRunner,
    XenGuardError,
    describe_failure,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import (
    XlConfig,
    XlConfigSyntaxError,
    check_value,
    valid_key,
)


def check_input(settings, remove):
    """Refuse bad keys and values before anything is read or changed."""
    for key in list(settings) + list(remove):
        if not valid_key(key):
            raise XenGuardError('%r is not a valid xl setting name: use lower-case letters, digits, "_" and '
                                '".", starting with a letter' % (key,), key=key)
    for key, value in settings.items():
        try:
            check_value(value)
        except ValueError as exc:
            raise XenGuardError('settings.%s: %s' % (key, to_native(exc)), key=key)
    both = sorted(set(settings) & set(remove))
    if both:
        raise XenGuardError('keys both in settings and in remove: %s' % ', '.join(both), keys=both)


def read_config(path):
    if not os.path.exists(path):
        raise XenGuardError('%s does not exist; this module edits existing files only (nothing was created)'
                            % path, path=path)
    if not os.path.isfile(path):
        raise XenGuardError('%s is not a regular file' % path, path=path)
    with open(path, 'rb') as handle:
        data = handle.read()
    text = data.decode('utf-8', 'surrogateescape')
    try:
        return text, XlConfig.parse(text, source=path)
    except XlConfigSyntaxError as exc:
        raise XenGuardError('cannot parse %s at line %d, column %d: %s (the file was not changed)'
                            % (path, exc.line, exc.column, exc.reason),
                            path=path, line=exc.line, column=exc.column)


def validate_text(module, text):
    """Check ``text`` with `xl create -n`; returns (validated, words)."""
    xl = CommandRunner(module, 'xl', required=False)
    if not xl.available:
        return False, 'skipped: xl is not on the PATH'
    fd, tmp = tempfile.mkstemp(prefix='xl_domain_config.', suffix='.cfg', dir=module.tmpdir)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(text.encode('utf-8', 'surrogateescape'))
        result = xl.run(['create', '-n', tmp], check=False)
    finally:
        os.unlink(tmp)
    if result.rc != 0 and 'cannot init xl context' in result.stderr:
        # xl is installed but this host does not run Xen (or xl is not run as root): nothing was judged
        return False, 'skipped: xl cannot run here (%s)' % describe_failure(result, 'xl create -n')
    if result.rc != 0:
        raise XenGuardError('xl rejects the new configuration (the file was not changed): %s'
                            % describe_failure(result, 'xl create -n'),
                            rc=result.rc, stdout=result.stdout, stderr=result.stderr, cmd=result.cmd)
    return True, 'xl create -n accepted the new configuration'


def write_atomically(module, path, text):
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=os.path.dirname(path) or '.')
    with os.fdopen(fd, 'wb') as handle:
        handle.write(text.encode('utf-8', 'surrogateescape'))
    module.atomic_move(tmp, path)


def run(module):
    params = module.params
    path = params['path']
    settings = params['settings'] or {}
    remove = params['remove'] or []
    check_input(settings, remove)

    before, cfg = read_config(path)
    changed_keys = []
    for key, value in settings.items():
        if cfg.set(key, value):
            changed_keys.append(key)
    for key in remove:
        if cfg.remove(key):
            changed_keys.append(key)
    after = cfg.render()
    changed = after != before

    result = dict(changed=changed, changed_keys=changed_keys, path=path, validated=False,
                  validation='not needed: nothing changed' if not changed else 'not asked (validate=false)')
    if not changed:
        return result
    if params['validate']:
        result['validated'], result['validation'] = validate_text(module, after)
    if module._diff:
        result['diff'] = dict(before=before, after=after, before_header=path, after_header=path)
    if not module.check_mode:
        if params['backup']:
            result['backup_file'] = module.backup_local(path)
        write_atomically(module, path, after)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            settings=dict(type='dict', default={}),
            remove=dict(type='list', elements='str', default=[]),
            backup=dict(type='bool', default=False),
            validate=dict(type='bool', default=True),
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
