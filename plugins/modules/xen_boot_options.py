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
  - The file is read and every check is done (option names and values, GRUB present, files that would
    override the change, the diff) before anything is written. The new text goes to a temporary file
    created exclusively beside the file, flushed to disk and renamed over it, keeping the mode and owner
    (uid and gid) of the old file; a new file gets mode 0644.
  - A symbolic link is edited through - the file it points to gets the change and the link stays a
    link. A link to nothing is refused.
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
      - A YAML boolean is accepted only for options Xen reads as booleans. For an option that takes a size
        or words (C(dom0_mem), C(sched), C(spec-ctrl), C(tsx)...) it is refused with the value to write
        instead, because Xen would read C(name) or C(name=0) as something else or not at all.
      - Boolean words are checked as Xen reads them, case-sensitively (C(smt=OFF) is not a boolean to Xen,
        which then keeps SMT on), and so are the values of the options Xen documents, per release where
        Xen 4.17 and 4.20 differ. A list holding V(null), a nested list or a mapping is refused.
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
    description:
      - The file holding C(GRUB_CMDLINE_XEN_DEFAULT). Created when missing (with O(state=present)).
      - An empty path is refused.
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
    description:
      - Keep a timestamped copy of the file before changing it, beside the file that is changed (the
        target of a link), created exclusively and with the same mode and owner.
    type: bool
    default: false
notes:
  - C(grub-mkconfig) sources C(/etc/default/grub) first, then C(/etc/default/grub.d/*.cfg) in name order.
    When O(path) is a main file named C(grub), every C(*.cfg) of the C(grub.d) directory beside it is read
    later; otherwise the C(*.cfg) files in the same directory that sort after O(path) are. If one of them
    assigns C(GRUB_CMDLINE_XEN_DEFAULT) the change would have no effect, so the module fails and names it
    (and it fails when such a file cannot be read).
  - Bytes that are not UTF-8 are kept byte for byte on every line the module does not rewrite, and shown
    as C(\xNN) in the diff. The module refuses to rewrite a C(GRUB_CMDLINE_XEN_DEFAULT) line holding such
    a byte and names the line and the byte offset.
  - When C(update-grub) fails after the file was written, the module fails saying that the file holds the
    new options (and where the backup is) while the GRUB menu still has the old ones.
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
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.xenguard.hardening.plugins.module_utils import safefile
from ansible_collections.xenguard.hardening.plugins.module_utils.grubcfg import (
    GrubConfigError, XenCfg, VARIABLE, assigns_variable, merge_tokens, overriding_files,
    token_name,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.xencmdline import XenCmdlineError, validate_options
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import (
    CommandRunner, XenGuardError,
)


def _decode(data):
    """File bytes as text; bytes that are not UTF-8 become surrogate escapes and are written back as they were."""
    return data.decode('utf-8', 'surrogateescape')


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


def later_files(path):
    """The files grub-mkconfig sources after ``path``, in order.

    grub-mkconfig sources /etc/default/grub first, then /etc/default/grub.d/*.cfg in name order: for
    the main file every *.cfg of the grub.d directory beside it comes later; for a file in grub.d the
    *.cfg files that sort after it do.
    """
    directory, base = os.path.split(path)
    if base == 'grub':
        grubd = os.path.join(directory, 'grub.d')
        if not os.path.isdir(grubd):
            return []
        return [os.path.join(grubd, name) for name in sorted(os.listdir(grubd)) if name.endswith('.cfg')]
    if not os.path.isdir(directory or '.'):
        return []
    return [os.path.join(directory, name) for name in overriding_files(path, os.listdir(directory or '.'))]


def check_overrides(path):
    for other in later_files(path):
        try:
            with open(other, 'rb') as handle:
                text = _decode(handle.read())
        except (IOError, OSError) as exc:
            raise XenGuardError(
                '%s is read by grub-mkconfig after %s but cannot be read here (%s), so whether it overrides %s '
                'is unknown; nothing was changed.' % (other, path, to_text(exc.strerror or exc), VARIABLE),
                overriding_file=other)
        lines = assigns_variable(text)
        if lines:
            raise XenGuardError(
                '%s assigns %s again (line %s) and is read after %s, so changes there would have no effect. '
                'Move those options into %s and remove the assignment from %s.'
                % (other, VARIABLE, ', '.join(str(n) for n in lines), path, path, other),
                overriding_file=other)


def check_line_bytes(state, cfg, path):
    """Refuse to rewrite the managed line when it holds bytes that are not UTF-8 (it could not be kept)."""
    if cfg.index is None:
        return
    raw = cfg.lines[cfg.index].encode('utf-8', 'surrogateescape')
    odd = safefile.first_non_utf8(raw)
    if odd is not None:
        offset = sum(len(line.encode('utf-8', 'surrogateescape')) for line in cfg.lines[:cfg.index]) + odd[0]
        raise XenGuardError(
            'line %d of %s (the %s assignment) holds a byte that is not UTF-8 (0x%02X at byte offset %d); '
            'the line cannot be rewritten without changing it. Write the options in plain ASCII; nothing '
            'was changed.' % (cfg.index + 1, path, VARIABLE, odd[2], offset), path=path, line=cfg.index + 1)


def run(module):
    params = module.params
    path = params['path']
    if not path:
        raise XenGuardError('path is empty: give the file that holds %s' % VARIABLE, path=path)
    options = params['options'] or {}
    validate_options(options)

    state = safefile.read(path, must_exist=False)
    exists = state.exists
    before_text = _decode(state.data) if exists else ''
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
                        'GRUB_CMDLINE_XEN only.' % (path, safefile.display(token)))
    if cfg.assignments > 1:
        module.warn('%s assigns %s %d times; the last assignment is the one managed.'
                    % (path, VARIABLE, cfg.assignments))

    # every check and decision comes before anything is written
    runner = None
    if changed and params['update_grub']:
        runner = check_grub(module, params['grub_dir'])
    if changed:
        check_overrides(path)
        check_line_bytes(state, cfg, path)

    after_text = before_text
    if changed:
        cfg.set_tokens(after)
        after_text = cfg.render()
    after_bytes = after_text.encode('utf-8', 'surrogateescape')
    if module._diff:
        result['diff'] = dict(before=safefile.display_text(state.data), after=safefile.display_text(after_bytes),
                              before_header=path if exists else '/dev/null', after_header=path)
    if not changed or module.check_mode:
        return result

    directory = os.path.dirname(state.target)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    written = safefile.write(state, after_bytes, backup=params['backup'] and exists, new_mode=0o644,
                             module=module)
    if written['backup_file']:
        result['backup_file'] = written['backup_file']

    if runner is not None:
        res = runner.run([], check=False, write=True)
        result['update_grub'] = True
        if res.rc != 0:
            raise XenGuardError('update-grub failed (rc=%s) after %s was changed: the file holds the new options%s, '
                                'the GRUB menu still has the old ones. Fix the error below and run update-grub.'
                                % (res.rc, path, ' (the old file is in %s)' % written['backup_file']
                                   if written['backup_file'] else ''),
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
        msg = safefile.display(exc.msg)
        if exc.line:
            msg = '%s (line %d of %s)' % (msg, exc.line, module.params['path'])
        module.fail_json(msg='%s; nothing was changed.' % msg, path=module.params['path'])
    except XenGuardError as exc:
        module.fail_json(**safefile.clean(exc.to_fail_kwargs()))
    except (IOError, OSError) as exc:
        module.fail_json(msg='Cannot read or write %s: %s' % (module.params['path'], to_text(exc)))
    module.exit_json(**safefile.clean(result))


if __name__ == '__main__':
    main()
