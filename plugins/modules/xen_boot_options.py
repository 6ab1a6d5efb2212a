#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: xen_boot_options
short_description: Manage Xen hypervisor boot options in GRUB_CMDLINE_XEN_DEFAULT
version_added: 0.1.0
description:
  - Sets or removes Xen hypervisor command-line options in the C(GRUB_CMDLINE_XEN_DEFAULT) assignment of
    C(/etc/default/grub.d/xen.cfg), the file Debian's C(20_linux_xen) GRUB script reads.
  - Options are managed by name. Setting C(smt) replaces the tokens C(smt), C(smt=...) and C(no-smt);
    tokens of options it is not asked about (console settings, lab settings such as C(smap=0)) are kept
    in place, and every other line of the file is kept byte for byte.
  - Option names and values are checked before anything changes; values of well-known options are
    checked against their syntax in xen-command-line(7) (for example C(dom0_mem), C(conring_size),
    C(iommu), C(spec-ctrl), C(ucode), C(pv)).
  - Runs C(update-grub) only when the file changed and O(update_grub=true). The new options take effect at
    the next boot of the Xen entry; the module returns RV(reboot_required). It never reboots.
author: xenguard maintainers (@xenguard)
attributes:
  check_mode:
    support: full
    description: Computes and reports the change and the resulting command line; writes nothing.
  diff_mode:
    support: full
    description: Shows the file before and after.
  platform:
    platforms: posix
    support: full
    description: Debian 12 and 13 dom0s booted by GRUB.
options:
  options:
    description:
      - Mapping of Xen option name to value.
      - V(true) writes a bare flag (C(name)); V(false) writes C(name=0); a list is joined with commas;
        V(null) removes the option (with O(state=present)).
      - An option given together with its C(no-) form is an error.
    type: dict
    required: true
  state:
    description:
      - V(present) sets the options with a value and removes those set to V(null).
      - V(absent) removes every named option whatever its value.
    type: str
    choices: [present, absent]
    default: present
  path:
    description: The file holding C(GRUB_CMDLINE_XEN_DEFAULT). Created when missing (with O(state=present)).
    type: path
    default: /etc/default/grub.d/xen.cfg
  update_grub:
    description:
      - Run C(update-grub) after a change. The module fails before changing anything when this is V(true)
        and the host has no C(update-grub) command or no O(grub_dir).
    type: bool
    default: true
  grub_dir:
    description: GRUB's directory on C(/boot); its absence means the host does not boot through GRUB.
    type: path
    default: /boot/grub
  backup:
    description: Keep a timestamped copy of the file before changing it.
    type: bool
    default: false
notes:
  - Files in the same directory that sort after O(path) are sourced later by C(grub-mkconfig); if one of them
    assigns C(GRUB_CMDLINE_XEN_DEFAULT) the change would have no effect, so the module fails and names it.
  - An assignment that uses shell expansion (C($VAR), backquotes) cannot be merged safely; the module fails
    and asks for a literal value.
seealso:
  - name: Xen command line options
    description: xen-command-line(7), the reference for every option and its syntax.
    link: https://xenbits.xen.org/docs/unstable/misc/xen-command-line.html
  - module: xenguard.hardening.xen_facts
'''

EXAMPLES = r'''
- name: Harden the Xen command line (the reboot role boots it once and then makes it the default)
  xenguard.hardening.xen_boot_options:
    options:
      smt: 0
      pv-linear-pt: 0
      pv: no-32
      dom0_mem: 4G,max:4G
      ucode: scan
      conring_size: 1M
    update_grub: false
  register: xen_opts

- name: Remove an option that switches mitigations off
  xenguard.hardening.xen_boot_options:
    options:
      spec-ctrl:
    update_grub: true

- name: Remove options whatever their value
  xenguard.hardening.xen_boot_options:
    state: absent
    options:
      noreboot:
      sync_console:
'''

RETURN = r'''
changed:
  description: Whether the file changed (or would change, in check mode).
  returned: always
  type: bool
cmdline:
  description: The tokens of C(GRUB_CMDLINE_XEN_DEFAULT) after the change (before it, when nothing changed).
  returned: always
  type: list
  elements: str
  sample: [console=com1, com1=115200,8n1, smap=0, smt=0, pv-linear-pt=0]
cmdline_before:
  description: The tokens of C(GRUB_CMDLINE_XEN_DEFAULT) before the change.
  returned: always
  type: list
  elements: str
cmdline_xen:
  description: The tokens of C(GRUB_CMDLINE_XEN) (not managed; GRUB puts them before the default ones).
  returned: always
  type: list
  elements: str
options_changed:
  description: Names of the options whose tokens changed.
  returned: always
  type: list
  elements: str
reboot_required:
  description: True when the file changed; the options take effect at the next boot of the Xen entry.
  returned: always
  type: bool
update_grub:
  description: Whether C(update-grub) ran.
  returned: always
  type: bool
path:
  description: The file managed.
  returned: always
  type: str
backup_file:
  description: The copy made before the change.
  returned: when O(backup=true) and the file changed
  type: str
warnings:
  description: Ansible warnings, for example about options also present in C(GRUB_CMDLINE_XEN).
  returned: when any
  type: list
  elements: str
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.xenguard.hardening.plugins.module_utils.grubcfg import (
    GrubConfigError, XenCfg, VARIABLE, assigns_variable, merge_tokens, overriding_files,
    token_name,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.xencmdline import XenCmdlineError, validate_options
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import (
    CommandRunner, XenGuardError,
)


def _read(path):
    with open(path, 'rb') as handle:
        return to_text(handle.read(), errors='surrogate_or_strict')


def check_grub(module, grub_dir):
    """Fail (before any change) unless this host boots through GRUB with update-grub available."""
    if not os.path.isdir(grub_dir):
        raise XenGuardError(
            'This host has no %s: it does not boot through GRUB, so Xen boot options in %s would never be '
            'used. Install and set up GRUB (grub-pc or grub-efi-amd64) first, or set update_grub: false to '
            'only edit the file.' % (grub_dir, module.params['path']), grub_dir=grub_dir)
    runner = CommandRunner(module, 'update-grub', required=False)
    if not runner.available:
        raise XenGuardError(
            'update-grub is not installed (package grub2-common), so the GRUB menu cannot be regenerated; '
            'install GRUB first or set update_grub: false.', grub_dir=grub_dir)
    return runner


def check_overrides(path):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        return
    for name in overriding_files(path, os.listdir(directory)):
        other = os.path.join(directory, name)
        try:
            lines = assigns_variable(_read(other))
        except (IOError, OSError, UnicodeError):
            continue
        if lines:
            raise XenGuardError(
                '%s assigns %s again (line %s) and is read after %s, so changes there would have no effect. '
                'Move those options into %s and remove the assignment from %s.'
                % (other, VARIABLE, ', '.join(str(n) for n in lines), path, path, other),
                overriding_file=other)


def run(module):
    params = module.params
    path = params['path']
    options = params['options'] or {}
    validate_options(options)

    exists = os.path.exists(path)
    before_text = _read(path) if exists else ''
    cfg = XenCfg(before_text)
    before = list(cfg.tokens)
    after = merge_tokens(before, options, params['state'])
    changed = after != before
    changed_names = sorted(set(token_name(t) for t in set(before) ^ set(after)))
    result = dict(changed=changed, cmdline=after, cmdline_before=before, cmdline_xen=list(cfg.other_tokens),
                  options_changed=changed_names, reboot_required=changed, update_grub=False, path=path)

    for token in cfg.other_tokens:
        name = token_name(token)
        if name in options or (name.startswith('no-') and name[3:] in options):
            module.warn('%s also sets "%s" in GRUB_CMDLINE_XEN; GRUB puts GRUB_CMDLINE_XEN first, so the value '
                        'in GRUB_CMDLINE_XEN_DEFAULT wins for the default entry, but recovery entries use '
                        'GRUB_CMDLINE_XEN only.' % (path, token))
    if cfg.assignments > 1:
        module.warn('%s assigns %s %d times; the last assignment is the one managed.'
                    % (path, VARIABLE, cfg.assignments))

    runner = None
    if changed and params['update_grub']:
        runner = check_grub(module, params['grub_dir'])
    if changed:
        check_overrides(path)

    after_text = before_text
    if changed:
        cfg.set_tokens(after)
        after_text = cfg.render()
    if module._diff:
        result['diff'] = dict(before=before_text, after=after_text,
                              before_header=path if exists else '/dev/null', after_header=path)
    if not changed or module.check_mode:
        return result

    if params['backup'] and exists:
        result['backup_file'] = module.backup_local(path)
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    tmp = os.path.join(directory, '.%s.xenguard.tmp' % os.path.basename(path))
    with open(tmp, 'wb') as handle:
        handle.write(to_bytes(after_text))
    if exists:
        st = os.stat(path)
        os.chmod(tmp, st.st_mode & 0o7777)
    else:
        os.chmod(tmp, 0o644)
    module.atomic_move(tmp, path)

    if runner is not None:
        res = runner.run([], check=False, write=True)
        result['update_grub'] = True
        if res.rc != 0:
            raise XenGuardError('update-grub failed (rc=%s) after %s was changed; the GRUB menu still has the old '
                                'options. Fix the error below and run update-grub.' % (res.rc, path),
                                rc=res.rc, stdout=res.stdout, stderr=res.stderr, cmd=res.cmd, **result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            options=dict(type='dict', required=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            path=dict(type='path', default='/etc/default/grub.d/xen.cfg'),
            update_grub=dict(type='bool', default=True),
            grub_dir=dict(type='path', default='/boot/grub'),
            backup=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except XenCmdlineError as exc:
        module.fail_json(msg='%s; nothing was changed.' % exc.msg, path=module.params['path'])
    except GrubConfigError as exc:
        msg = exc.msg
        if exc.line:
            msg = '%s (line %d of %s)' % (msg, exc.line, module.params['path'])
        module.fail_json(msg='%s; nothing was changed.' % msg, path=module.params['path'])
    except XenGuardError as exc:
        module.fail_json(**exc.to_fail_kwargs())
    except (IOError, OSError) as exc:
        module.fail_json(msg='Cannot read or write %s: %s' % (module.params['path'], to_text(exc)))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
