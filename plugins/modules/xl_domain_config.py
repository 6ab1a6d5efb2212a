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
  - The file is replaced atomically and keeps its mode and owner (uid and gid) - the new text goes to a
    temporary file created exclusively beside the file, is flushed to disk and renamed over it. The file
    is read and every check is done (keys, value types, parsing, C(xl create -n), the diff) before
    anything is written. The module never creates a file.
  - A symbolic link (such as C(/etc/xen/auto/web1.cfg) pointing to C(/etc/xen/web1.cfg)) is edited
    through - the file it points to gets the change and the link stays a link. A link to nothing is
    refused.
  - Guests that are running are not touched; a changed configuration applies the next time the
    guest is created.
author: xenguard maintainers (@xenguard)
options:
  path:
    description:
      - The configuration file to edit. It must exist and be a regular file or a link to one; an empty
        path is refused.
    type: path
    required: true
  settings:
    description:
      - Settings to give, as a mapping from key to value.
      - A value is a string (written double-quoted), a non-negative integer (written bare; C(true) and
        C(false) are written as C(1) and C(0)) or a list of strings and integers (written
        C([ 'a', 'b' ]), or in the layout of the list it replaces).
      - Keys are xl identifiers - lower-case letters, digits, C(_) and C(.), starting with a letter.
      - Values are checked before anything is read, because xl is not always there to check them (and
        a typo in a guest file only shows when the guest is next started) - integers must be within
        0 to 2**63-1 (xl reads them as a C(long)); V(null), mappings and fractions are refused (to remove a
        key, use O(remove)); a list is refused for a key xl reads as one string or number (C(kernel),
        C(memory), C(name)...), a single value for a key xl reads as a list (C(disk), C(vif), C(pci)...),
        and a list inside a list except for C(vnuma) and C(vsnd), which take one level of nesting.
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
      - Keep a timestamped copy of the file before changing it, beside the file that is changed (the
        target of a link), created exclusively and with the same mode and owner.
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
  - Bytes that are not UTF-8 (a Latin-1 comment, for instance) are kept byte for byte where the file is
    not changed, and shown as C(\xNN) in the diff. Where such a byte stands where xl expects syntax the
    file cannot be parsed; the module fails naming the line and the byte offset and writes nothing.
  - When the file changes between the moment it is read and the rename (another process edited it),
    the module fails and writes nothing; run it again.
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

from ansible_collections.xenguard.hardening.plugins.module_utils import safefile
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

# xl reads numbers with strtol into a long: 0 .. LONG_MAX on the 64-bit hosts Xen runs on.
INT_MAX = 2 ** 63 - 1

# What xl's parser (tools/xl/xl_parse.c) reads each well-known key as. Keys it reads only as a string
# or a number take no list; keys it reads only as a list take no single value; the keys it reads as
# a list of lists take one level of nesting. Keys not named here (xl.conf keys, newer keys) take any
# string, number or flat list.
SCALAR_KEYS = frozenset((
    'acpi', 'acpi_firmware', 'acpi_laptop_slate', 'acpi_s3', 'acpi_s4', 'altp2m', 'altp2mhvm', 'apic', 'bios',
    'bios_path_override', 'boot', 'bootloader', 'builder', 'cap', 'cmdline', 'cpu_weight', 'device_model',
    'device_model_override', 'device_model_stubdomain_override', 'device_model_stubdomain_seclabel',
    'device_model_user', 'device_model_version', 'device_tree', 'display', 'dm_restrict', 'driver_domain',
    'e820_host', 'extra', 'extratime', 'firmware', 'firmware_override', 'gfx_passthru', 'gic_version', 'hap',
    'hdtype', 'hpet', 'init_seclabel', 'kernel', 'keymap', 'latency', 'localtime', 'max_event_channels',
    'max_grant_frames', 'max_grant_version', 'max_maptrack_frames', 'maxmem', 'maxvcpus', 'memory',
    'mmio_hole', 'ms_vm_genid', 'msr_relaxed', 'name', 'nestedhvm', 'nographic', 'nomigrate', 'nx',
    'on_crash', 'on_poweroff', 'on_reboot', 'on_soft_reset', 'on_watchdog', 'oos', 'opengl', 'pae',
    'passthrough', 'pci_msitranslate', 'pci_permissive', 'pci_power_mgmt', 'pci_seize', 'period', 'pool',
    'pvshim', 'pvshim_cmdline', 'pvshim_extra', 'pvshim_path', 'ramdisk', 'rdm', 'rdm_mem_boundary', 'root',
    'rtc_timeoffset', 'sdl', 'seclabel', 'shadow_memory', 'slice', 'smbios_firmware', 'soundhw', 'spice',
    'spice_clipboard_sharing', 'spice_image_compression', 'spice_streaming_video', 'spiceagent_mouse',
    'spicedisable_ticketing', 'spicehost', 'spicepasswd', 'spiceport', 'spicetls_port', 'spiceusbredirection',
    'spicevdagent', 'stdvga', 'stubdomain_cmdline', 'stubdomain_kernel', 'stubdomain_memory',
    'stubdomain_ramdisk', 'tee', 'timer_mode', 'tsc_mode', 'type', 'usb', 'usbversion', 'uuid', 'vcpus',
    'vendor_device', 'vga', 'videoram', 'vkb_device', 'vmtrace_buf_kb', 'vnc', 'vncdisplay', 'vnclisten',
    'vncpasswd', 'vncunused', 'vncviewer', 'vpmu', 'vpt_align', 'vuart', 'xauthority', 'xen_platform_pci',
    'xend_suspend_evtchn_compat',
))
LIST_KEYS = frozenset((
    'channel', 'device_model_args', 'device_model_args_hvm', 'device_model_args_pv', 'disk', 'dtdev',
    'iomem', 'ioports', 'irqs', 'mca_caps', 'p9', 'pci', 'pvcalls', 'usbctrl', 'usbdev', 'vdispl', 'vfb',
    'vif', 'vif2', 'vkb', 'vnuma', 'vsnd', 'vtpm',
))
NESTED_LIST_KEYS = frozenset(('vnuma', 'vsnd'))


def _check_atom(key, value, where):
    if value is None:
        raise XenGuardError('settings.%s%s is null: give a string, an integer or a list of them (to remove '
                            'the key, put it in remove)' % (key, where), key=key)
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if value < 0 or value > INT_MAX:
            raise XenGuardError('settings.%s%s is %d: xl takes integers from 0 to %d; give other numbers as '
                                'a string' % (key, where, value, INT_MAX), key=key)
        return
    if isinstance(value, str):
        return
    if isinstance(value, float):
        raise XenGuardError('settings.%s%s is the number %r: xl has no fractions; give an integer or a '
                            'string' % (key, where, value), key=key)
    if isinstance(value, dict):
        raise XenGuardError('settings.%s%s is a mapping: xl has no mappings; give a string, an integer or a '
                            'list of them' % (key, where), key=key)
    raise XenGuardError('settings.%s%s has the unsupported type %s: give a string, an integer or a list of '
                        'them' % (key, where, type(value).__name__), key=key)


def check_setting(key, value):
    """Refuse a value of a type xl would not read for ``key`` (see SCALAR_KEYS, LIST_KEYS)."""
    if isinstance(value, (list, tuple)):
        if key in SCALAR_KEYS:
            raise XenGuardError('settings.%s is a list, but xl reads %s as a single string or number; give '
                                'one value' % (key, key), key=key)
        for index, item in enumerate(value):
            if isinstance(item, (list, tuple)):
                if key not in NESTED_LIST_KEYS:
                    raise XenGuardError('settings.%s[%d] is a list: xl reads %s as a flat list of strings and '
                                        'integers' % (key, index, key), key=key)
                for inner, sub in enumerate(item):
                    if isinstance(sub, (list, tuple)):
                        raise XenGuardError('settings.%s[%d][%d] is a list: %s takes lists of strings and '
                                            'integers, nested once at most' % (key, index, inner, key), key=key)
                    _check_atom(key, sub, '[%d][%d]' % (index, inner))
            else:
                _check_atom(key, item, '[%d]' % index)
        return
    if key in LIST_KEYS:
        _check_atom(key, value, '')
        raise XenGuardError('settings.%s is a single value, but xl reads %s as a list; give a list, for '
                            'example [%r]' % (key, key, value), key=key)
    _check_atom(key, value, '')


def check_input(settings, remove):
    """Refuse bad keys and values before anything is read or changed."""
    for key in list(settings) + list(remove):
        if not valid_key(key):
            raise XenGuardError('%r is not a valid xl setting name: use lower-case letters, digits, "_" and '
                                '".", starting with a letter' % (key,), key=key)
    for key, value in settings.items():
        check_setting(key, value)
        try:
            check_value(value)
        except ValueError as exc:
            raise XenGuardError('settings.%s: %s' % (key, to_native(exc)), key=key)
    both = sorted(set(settings) & set(remove))
    if both:
        raise XenGuardError('keys both in settings and in remove: %s' % ', '.join(both), keys=both)


def read_config(path):
    """(FileState, text, XlConfig) of ``path``; the text holds undecodable bytes as surrogate escapes."""
    state = safefile.read(path)
    text = state.data.decode('utf-8', 'surrogateescape')
    try:
        return state, text, XlConfig.parse(text, source=path)
    except XlConfigSyntaxError as exc:
        msg = ('cannot parse %s at line %d, column %d: %s (the file was not changed)'
               % (path, exc.line, exc.column, safefile.display(exc.reason)))
        line = state.data.split(b'\n')[exc.line - 1] if exc.line >= 1 else b''
        odd = safefile.first_non_utf8(line)
        if odd is not None:
            offset = sum(len(part) + 1 for part in state.data.split(b'\n')[:exc.line - 1]) + odd[0]
            msg += ('; line %d holds a byte that is not UTF-8 (0x%02X at byte offset %d of the file): xl '
                    'settings are ASCII, so remove or fix that byte' % (exc.line, odd[2], offset))
        raise XenGuardError(msg, path=path, line=exc.line, column=exc.column)


def validate_text(module, data):
    """Check ``data`` (the new bytes) with `xl create -n`; returns (validated, words)."""
    xl = CommandRunner(module, 'xl', required=False)
    if not xl.available:
        return False, 'skipped: xl is not on the PATH'
    fd, tmp = tempfile.mkstemp(prefix='xl_domain_config.', suffix='.cfg', dir=module.tmpdir)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
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


def run(module):
    params = module.params
    path = params['path']
    settings = params['settings'] or {}
    remove = params['remove'] or []
    if not path:
        raise XenGuardError('path is empty: give the xl configuration file to edit', path=path)
    check_input(settings, remove)

    state, before, cfg = read_config(path)
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
    # every decision is taken here, before anything is written
    after_bytes = after.encode('utf-8', 'surrogateescape')
    if params['validate']:
        result['validated'], result['validation'] = validate_text(module, after_bytes)
    if module._diff:
        result['diff'] = dict(before=safefile.display_text(state.data), after=safefile.display_text(after_bytes),
                              before_header=path, after_header=path)
    if not module.check_mode:
        written = safefile.write(state, after_bytes, backup=params['backup'], module=module)
        if written['backup_file']:
            result['backup_file'] = written['backup_file']
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
        module.fail_json(**safefile.clean(exc.to_fail_kwargs()))
    module.exit_json(**safefile.clean(result))


if __name__ == '__main__':
    main()
