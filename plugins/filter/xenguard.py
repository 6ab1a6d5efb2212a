# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters the roles use to decide before they act.

- ``xen_planned_cmdline``: the Xen command line exactly as ``xen_boot_options`` would write it.
- ``xen_control``: one catalogue control evaluated over a host's facts, optionally with a planned command
  line in place of the booted one ("the catalogue decides; roles act").
- ``xen_control_offenders``: the tokens of a command line that each on their own fail a control.
- ``xenguard_input_problems``: what is wrong with the variables of one role entry point, each problem
  saying what is wrong and what to do (checked before anything changes).
- ``xenguard_unknown_variables``: variable names with a collection prefix that no role declares (typos).
- ``xl_list``: the table ``xl list`` prints, parsed by the collection's own parser.
- ``xen_apt_candidates``: the version apt would install of each package, from ``apt-cache policy`` output.
- ``xen_dom0_mem``: what ``dom0_mem=`` on a command line sets, read as Xen reads it.
- ``xen_iommu_pinned``: the ``iommu=`` value that pins the IOMMU (``required``) and keeps the booted sub-options.
- ``xen_option_with``: the value of a list option (``spec-ctrl=``, ``dom0-iommu=``) that keeps a command line's items and adds wanted ones.
- ``xen_pvgrub_plan``: which guest configurations the pvgrub role moves to PV-GRUB2, and why the others stay.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import glob
import os
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.xenguard.hardening.plugins.module_utils.controls import evaluate
from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError
from ansible_collections.xenguard.hardening.plugins.module_utils.xl import parse_xl_list
from ansible_collections.xenguard.hardening.plugins.module_utils.grubcfg import GrubConfigError, merge_tokens
from ansible_collections.xenguard.hardening.plugins.module_utils import aptsources, guestdisk, stubdom, vtpm, xencmdline
from ansible_collections.xenguard.hardening.plugins.module_utils.facts import parse_apt_policy
from ansible_collections.xenguard.hardening.plugins.module_utils.xencmdline import XenCmdlineError, validate_options
from ansible_collections.xenguard.hardening.plugins.module_utils.inputs import (
    BOOL_STRINGS, PACKAGE_RE, SAFE_PATH_RE, SHA256_RE, is_safe_path, kind as _kind)

# Strict patterns for values that reach a shell script, a sed expression, a GRUB menu or a command line.
ENTRY_ID_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
COMMAND_RE = re.compile(r'^[A-Za-z0-9_./=:,+-]+( [A-Za-z0-9_./=:,+-]+)*$')
RELEASE_RE = re.compile(r'^[0-9]+\.[0-9]+$')
DOM0_SIZE_RE = re.compile(r'^[0-9]+[TtGgMmKk]?$')
CONRING_RE = re.compile(r'^[0-9]+[GgMmKk]?$')
PLAN_ROLE_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')

# Names the roles set themselves (facts), and the host pattern of the collection's playbooks, besides the
# variables the roles' argument specs declare.
RESULT_NAMES = ('xenguard_pending_boot_changes', 'xenguard_expected_xen_cmdline', 'xenguard_reboot_required',
                'xenguard_reboot_summary', 'xenguard_iommu_result', 'xenguard_pvgrub_result', 'xenguard_hosts',
                'xenguard_serial',
                'xenguard_max_fail_percentage', 'xenguard_audit', 'xenguard_audited_hosts', 'xenguard_report_dir',
                'xenguard_waivers')

HYPERVISOR_MANAGED = ('smt', 'pv-linear-pt', 'pv', 'dom0_mem', 'ucode', 'conring_size', 'scrub-domheap')
HYPERVISOR_FORBIDDEN = ('noreboot', 'no-reboot', 'placeholder')


# ---------------------------------------------------------------- xl output

def xl_list(text):
    """The domains of ``xl list`` output (name, domid, mem, vcpus, state, time), as xen_facts reads them."""
    if not isinstance(text, str):
        raise AnsibleFilterError('xl_list: expected the text xl list printed, got %s' % type(text).__name__)
    try:
        return parse_xl_list(to_text(text))
    except XenGuardError as exc:
        line = exc.details.get('line')
        raise AnsibleFilterError('xl_list: %s%s' % (exc.msg, '' if line is None or line in exc.msg else ' (%s)' % line))


def xen_apt_candidates(text, packages):
    """{package: the version apt would install, or None} of ``apt-cache policy`` output for PACKAGES, read as
    xen_facts reads it for ``boot.microcode_candidates``."""
    if not isinstance(text, str):
        raise AnsibleFilterError('xen_apt_candidates: expected the text apt-cache policy printed, got %s'
                                 % type(text).__name__)
    if not isinstance(packages, (list, tuple)) or not all(isinstance(p, str) for p in packages):
        raise AnsibleFilterError('xen_apt_candidates: the packages must be a list of package names, got %r'
                                 % (packages,))
    return parse_apt_policy(to_text(text), [to_text(p) for p in packages])


# ---------------------------------------------------------------- command line and catalogue

def _token_list(tokens, what):
    if not isinstance(tokens, (list, tuple)):
        raise AnsibleFilterError('%s: the command line must be a list of tokens, got %s' % (what, type(tokens).__name__))
    return [to_text(t) for t in tokens]


def xen_dom0_mem(tokens):
    """{size, min, max} as written (None for a part not given) of dom0_mem= on ``tokens``, read as Xen reads
    every occurrence (xencmdline.dom0_mem); {} when the option is absent or holds a value Xen refuses."""
    try:
        found = xencmdline.dom0_mem(_token_list(tokens, 'xen_dom0_mem'))
    except XenCmdlineError:
        return {}
    if not found:
        return {}
    return dict((part, amount['text'] if amount else None) for part, amount in found.items())


def xen_iommu_pinned(tokens):
    """The iommu= value that pins the IOMMU: ``required`` plus the booted sub-options that are not its
    on/off words (those, and force/required, are what ``required`` replaces), in their order, once each."""
    kept = ['required']
    for item in xencmdline.option_items(_token_list(tokens, 'xen_iommu_pinned'), 'iommu'):
        if xencmdline.parse_bool(item) is not None:
            continue
        if xencmdline.parse_boolean('force', item) >= 0 or xencmdline.parse_boolean('required', item) >= 0:
            continue
        if item not in kept:
            kept.append(item)
    return ','.join(kept)


def xen_option_with(tokens, option, wanted, version=None):
    """The value (a list of items) of the list option ``option`` (``spec-ctrl``, ``dom0-iommu``, ...) that
    keeps every item ``tokens`` already give it, in order, and adds the ``wanted`` items the line lacks;
    None when nothing needs adding, so a hardened line is left as it is. Xen applies these options item by
    item over every occurrence, so joining the occurrences into one token keeps their meaning. For
    ``spec-ctrl`` an item counts as present when adding it would change nothing Xen does (``ibpb-entry``
    sets pv, hvm and dom0), and items this Xen ``version`` does not have are not added."""
    tokens = _token_list(tokens, 'xen_option_with')
    if not isinstance(option, str) or not option:
        raise AnsibleFilterError('xen_option_with: give the option name, e.g. spec-ctrl')
    if not isinstance(wanted, (list, tuple)) or not all(isinstance(w, str) for w in wanted):
        raise AnsibleFilterError('xen_option_with: give the wanted items as a list of words')
    version = to_text(version) if version is not None else None
    option = to_text(option)
    items = xencmdline.option_items(tokens, option)
    state = _spec_ctrl_on(tokens) if option == 'spec-ctrl' else None
    added = []
    for word in (to_text(w) for w in wanted):
        if state is None:
            if word not in items:
                added.append(word)
        elif xencmdline.spec_ctrl_known(word, version) and state != _spec_ctrl_on(tokens + ['spec-ctrl=' + word]):
            # present when writing it again would change nothing Xen does
            added.append(word)
    return items + added if added else None


def _spec_ctrl_on(tokens):
    return dict((key, (value or (None,))[0]) for key, value in xencmdline.spec_ctrl_state(tokens).items())


def xen_planned_cmdline(tokens, options):
    """The token list ``xen_boot_options`` writes: ``options`` merged into ``tokens``."""
    if not isinstance(tokens, (list, tuple)):
        raise AnsibleFilterError('xen_planned_cmdline: the command line must be a list of tokens, got %s'
                                 % type(tokens).__name__)
    if not isinstance(options, dict):
        raise AnsibleFilterError('xen_planned_cmdline: the options must be a mapping of name to value, got %s'
                                 % type(options).__name__)
    try:
        validate_options(dict(options))
    except (GrubConfigError, XenCmdlineError) as exc:
        raise AnsibleFilterError('xen_planned_cmdline: %s' % exc.msg)
    return merge_tokens([to_text(t) for t in tokens], dict(options))


def _control(control_id):
    for control in CONTROLS:
        if control['id'] == control_id:
            return control
    raise AnsibleFilterError('no control %r in the catalogue of this collection' % (control_id,))


def _with_cmdline(facts, cmdline):
    """The facts with ``cmdline`` as the only source of the command line (nothing from this boot's logs)."""
    judged = dict(facts)
    judged['is_dom0'] = True
    judged['cmdline'] = [to_text(t) for t in cmdline]
    judged['info'] = dict((k, v) for k, v in (facts.get('info') or {}).items() if k != 'xen_commandline')
    judged['dmesg'] = {}
    return judged


def xen_control(facts, control_id, cmdline=None):
    """The result ``{id, title, status, detail, ...}`` of one catalogue control over ``facts``.

    With ``cmdline`` (a token list) the control judges that command line instead of the booted one
    and ignores what this boot logged: it answers "would this planned command line pass?".
    """
    if not isinstance(facts, dict):
        raise AnsibleFilterError('xen_control: the facts must be a mapping (ansible_facts.xen)')
    control = _control(control_id)
    if cmdline is not None:
        if not isinstance(cmdline, (list, tuple)):
            raise AnsibleFilterError('xen_control: cmdline must be a list of tokens')
        facts = _with_cmdline(facts, cmdline)
    return evaluate(facts, controls=[control])[0]


def xen_control_offenders(tokens, control_id, facts=None):
    """The tokens of ``tokens`` that on their own make ``control_id`` fail, in order, without duplicates."""
    if not isinstance(tokens, (list, tuple)):
        raise AnsibleFilterError('xen_control_offenders: the command line must be a list of tokens')
    control = _control(control_id)
    base = facts if isinstance(facts, dict) else {}
    found = []
    for token in tokens:
        token = to_text(token)
        if token in found:
            continue
        if evaluate(_with_cmdline(base, [token]), controls=[control])[0]['status'] == 'fail':
            found.append(token)
    return found


# ---------------------------------------------------------------- role inputs


class _Checker(object):
    def __init__(self, values):
        self.values = values
        self.problems = []

    def has(self, name):
        return name in self.values

    def bad(self, name, text):
        self.problems.append('%s: %s.' % (name, text))

    def boolean(self, name):
        if not self.has(name):
            return
        value = self.values[name]
        if isinstance(value, bool) or (isinstance(value, str) and value.lower() in BOOL_STRINGS):
            return
        self.bad(name, 'is %s, not a boolean; use true or false' % _kind(value))

    def choice(self, name, choices):
        if self.has(name) and self.values[name] not in choices:
            self.bad(name, 'is %s; use one of %s' % (_kind(self.values[name]), ', '.join(choices)))

    def seconds(self, name):
        if not self.has(name):
            return
        value = self.values[name]
        if isinstance(value, str) and re.match(r'^-?[0-9]+$', value.strip()):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(name, 'is %s, not a whole number of seconds; give for example 300' % _kind(value))
        elif value < 1:
            self.bad(name, 'is %d; a timeout must be at least 1 second' % value)
        elif value > 86400:
            self.bad(name, 'is %d seconds, more than a day; give a timeout of at most 86400' % value)

    def path(self, name):
        if not self.has(name):
            return
        value = self.values[name]
        if not isinstance(value, str):
            self.bad(name, 'is %s, not a path; give an absolute path' % _kind(value))
        elif not is_safe_path(value):
            self.bad(name, 'is %r; give an absolute path of letters, digits and _ . + @ / - only (no spaces, '
                           'quotes, shell characters or ..)' % to_text(value))

    def pattern(self, name, regex, what, example):
        if not self.has(name):
            return
        value = self.values[name]
        if isinstance(value, bool) or not isinstance(value, (str, int)) \
                or not regex.match(to_text(value)):
            self.bad(name, 'is %s, not %s; for example %s' % (_kind(value), what, example))

    def xen_options(self, name, value):
        if not isinstance(value, dict):
            self.bad(name, 'is %s; give a mapping of Xen option name to value (true: a bare flag, null: remove)'
                     % _kind(value))
            return False
        for key in value:
            if not isinstance(key, str):
                self.bad(name, 'has the key %s, not an option name; YAML reads unquoted yes/no/on/off and numbers '
                               'as booleans and numbers: quote the option name' % _kind(key))
                return False
        try:
            validate_options(dict(value))
        except (GrubConfigError, XenCmdlineError) as exc:
            self.bad(name, exc.msg)
            return False
        return True


def _releases(chk, name):
    if not chk.has(name):
        return
    value = chk.values[name]
    if not isinstance(value, (list, tuple)):
        chk.bad(name, 'is %s; give a list of Xen releases as quoted strings, for example ["4.17", "4.20"]'
                % _kind(value))
        return
    for item in value:
        if isinstance(item, float):
            text = repr(item)
            hint = (' (YAML reads an unquoted %s0 as the number %s)' % (text, text)
                    if len(text.split('.')[-1]) == 1 else '')
            chk.bad(name, 'YAML read the release %s as a number%s; quote every release, for example '
                          '["4.17", "4.20"]' % (text, hint))
        elif not isinstance(item, str) or not RELEASE_RE.match(item):
            chk.bad(name, 'has %s, not a Xen release major.minor; quote every release, for example '
                          '["4.17", "4.20"]' % _kind(item))


def _microcode(chk, name):
    if not chk.has(name):
        return
    value = chk.values[name]
    if value == 'auto':
        return
    if isinstance(value, str):
        chk.bad(name, 'is the string %r; give auto or a list of package names, for example [%s]'
                % (to_text(value), to_text(value) if PACKAGE_RE.match(value) else 'intel-microcode'))
        return
    if not isinstance(value, (list, tuple)):
        chk.bad(name, 'is %s; give auto or a list of package names, for example [intel-microcode]' % _kind(value))
        return
    for item in value:
        if not isinstance(item, str) or not PACKAGE_RE.match(item):
            chk.bad(name, 'has %s, not a Debian package name (lower-case letters, digits, + . -); '
                          'for example [intel-microcode]' % _kind(item))


def _hypervisor(chk):
    _releases(chk, 'xenguard_hypervisor_supported_versions')
    for name in ('xenguard_hypervisor_smt_off', 'xenguard_hypervisor_pv_linear_pt_off', 'xenguard_hypervisor_pv32_off',
                 'xenguard_hypervisor_autoballoon_off', 'xenguard_hypervisor_ucode_scan',
                 'xenguard_hypervisor_dom0_entry_barriers', 'xenguard_hypervisor_lock_harden',
                 'xenguard_hypervisor_dom0_iommu_strict', 'xenguard_hypervisor_scrub_domheap'):
        chk.boolean(name)
    name = 'xenguard_hypervisor_dom0_mem'
    if chk.has(name):
        value = chk.values[name]
        if not isinstance(value, str) or (value not in ('', 'auto') and not DOM0_SIZE_RE.match(value)):
            chk.bad(name, 'is %s, not a size; give a size such as 4G or 4096M, auto (keep the booted size) or '
                          '"" (leave dom0_mem alone)' % _kind(value))
        elif DOM0_SIZE_RE.match(value) and re.match(r'^0+[TtGgMmKk]?$', value):
            chk.bad(name, 'is %s; dom0 needs memory: give a size such as 4G' % value)
    chk.path('xenguard_hypervisor_xl_conf')
    _microcode(chk, 'xenguard_hypervisor_microcode_packages')
    name = 'xenguard_hypervisor_conring_size'
    if chk.has(name):
        value = chk.values[name]
        if not isinstance(value, str) or (value != '' and not CONRING_RE.match(value)):
            chk.bad(name, 'is %s, not a size; give for example 1M, or "" to leave it alone' % _kind(value))
    chk.choice('xenguard_hypervisor_spec_ctrl_policy', ('refuse', 'remove', 'report'))
    name = 'xenguard_hypervisor_extra_options'
    if chk.has(name) and chk.xen_options(name, chk.values[name]):
        extra = chk.values[name]
        managed = sorted(set(k[3:] if k.startswith('no-') else k for k in extra) & set(HYPERVISOR_MANAGED))
        if managed:
            chk.bad(name, 'repeats %s, which the role manages with its own variable; set that variable instead'
                    % ', '.join(managed))
        forbidden = sorted(set(extra) & set(HYPERVISOR_FORBIDDEN))
        if forbidden:
            chk.bad(name, 'holds %s: the one safe reboot relies on Xen rebooting after a panic; remove it'
                    % ', '.join(forbidden))


def _iommu(chk):
    for name in ('xenguard_iommu_check', 'xenguard_iommu_required', 'xenguard_iommu_pin_required'):
        chk.boolean(name)


def _reboot_common(chk):
    chk.path('xenguard_reboot_xen_cfg')


def _reboot(chk):
    _reboot_common(chk)
    chk.boolean('xenguard_reboot_ok')
    chk.choice('xenguard_reboot_with_guests', ('refuse', 'shutdown'))
    for name in ('xenguard_reboot_guest_shutdown_timeout', 'xenguard_reboot_timeout',
                 'xenguard_reboot_fallback_timeout', 'xenguard_reboot_connect_timeout'):
        chk.seconds(name)
    chk.pattern('xenguard_reboot_command', COMMAND_RE, 'a plain command (words of letters, digits and _ . / = : , '
                '+ -, no shell characters)', 'systemctl reboot')
    chk.path('xenguard_reboot_grub_dir')
    chk.path('xenguard_reboot_state_dir')
    chk.pattern('xenguard_reboot_entry_id', ENTRY_ID_RE, 'a GRUB menu id (a letter or digit, then up to 63 '
                'letters, digits, _ . -; no quotes, spaces or shell characters)', 'xenguard-trial')
    _pending(chk)


def _pending(chk):
    name = 'xenguard_pending_boot_changes'
    fix = ('it is the list other roles record with tasks_from: plan (entries {role, change, options, tokens}); '
           'do not set it by hand, or leave it undefined')
    if chk.has(name) and chk.values[name] is not None:
        value = chk.values[name]
        if not isinstance(value, (list, tuple)):
            chk.bad(name, 'is %s; %s' % (_kind(value), fix))
        else:
            for index, entry in enumerate(value):
                where = '%s[%d]' % (name, index)
                if not isinstance(entry, dict):
                    chk.bad(where, 'is %s, not an entry; %s' % (_kind(entry), fix))
                    continue
                if not isinstance(entry.get('change'), str) or not entry.get('change'):
                    chk.bad(where, 'has no change (the words that say what it changes); %s' % fix)
                if 'options' not in entry:
                    chk.bad(where, 'has no options (the Xen options to boot); %s' % fix)
                else:
                    chk.xen_options(where + '.options', entry['options'])
                if 'image' in entry:
                    chk.problems.extend(image_problems(where + '.image', entry['image']))
                tokens = entry.get('tokens', [])
                if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
                    chk.bad(where, 'has tokens that are not a list of strings; %s' % fix)
    name = 'xenguard_expected_xen_cmdline'
    if chk.has(name) and chk.values[name] is not None:
        value = chk.values[name]
        if not isinstance(value, (list, tuple)) or not all(isinstance(t, str) for t in value):
            chk.bad(name, 'is %s, not a list of Xen command-line tokens; it is recorded by tasks_from: plan, '
                          'leave it undefined' % _kind(value))


IMAGE_TITLE_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9 _.,+()-]{0,79}$')


def image_problems(where, image):
    """What is wrong with a boot image {hypervisor, modules, title, pending} (paths reach a GRUB script)."""
    fix = ('it is {hypervisor: absolute path, modules: [absolute paths], title: words, pending: bool}, '
           'recorded by the flask role')
    if not isinstance(image, dict):
        return ['%s is %s; %s.' % (where, _kind(image), fix)]
    problems = []
    unknown = sorted(set(image) - set(('hypervisor', 'modules', 'title', 'pending', 'key')))
    if unknown:
        problems.append('%s has unknown keys %s; %s.' % (where, ', '.join(unknown), fix))
    paths = [image.get('hypervisor')] + list(image.get('modules') or [])
    if not isinstance(image.get('modules', []), (list, tuple)):
        problems.append('%s.modules is %s; %s.' % (where, _kind(image.get('modules')), fix))
        paths = [image.get('hypervisor')]
    for path in paths:
        if not isinstance(path, str) or not SAFE_PATH_RE.match(path) or not path.startswith('/boot/') \
                or '/..' in path:
            problems.append('%s holds the path %r: boot images must be absolute paths under /boot/ of letters, '
                            'digits and _ . + @ / -.' % (where, path))
    title = image.get('title', 'x')
    if not isinstance(title, str) or not IMAGE_TITLE_RE.match(title):
        problems.append('%s.title %r is not plain words (letters, digits, spaces, _ . , + ( ) -).' % (where, title))
    return problems


def _reboot_plan(chk):
    _reboot_common(chk)
    for name in ('xenguard_reboot_plan_role', 'xenguard_reboot_plan_change', 'xenguard_reboot_plan_options'):
        if not chk.has(name) or chk.values[name] is None:
            chk.bad(name, 'is not set; tasks_from: plan needs xenguard_reboot_plan_role (who asks), '
                          'xenguard_reboot_plan_change (the change in words) and xenguard_reboot_plan_options '
                          '(Xen options, name -> value)')
    if chk.values.get('xenguard_reboot_plan_role') is not None:
        chk.pattern('xenguard_reboot_plan_role', PLAN_ROLE_RE, 'a role name (letters, digits, _ . -)',
                    'hypervisor')
    name = 'xenguard_reboot_plan_change'
    if chk.has(name) and chk.values[name] is not None:
        value = chk.values[name]
        if not isinstance(value, str) or not value.strip():
            chk.bad(name, 'is %s; say in words what the change does, for example "pin iommu=required"'
                    % _kind(value))
    name = 'xenguard_reboot_plan_options'
    if chk.has(name) and chk.values[name] is not None:
        if chk.xen_options(name, chk.values[name]) and not chk.values[name]:
            chk.bad(name, 'is empty; name at least one Xen option to set (or null to remove)')
    if chk.values.get('xenguard_reboot_plan_image') is not None:
        chk.problems.extend(image_problems('xenguard_reboot_plan_image', chk.values['xenguard_reboot_plan_image']))
    _pending(chk)


def _names(chk, name):
    if not chk.has(name):
        return
    value = chk.values[name]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        chk.bad(name, 'is %s; give a list of guest names (name= of their configuration) or configuration paths, '
                      'as strings, for example ["web1", "/etc/xen/db1.cfg"]' % _kind(value))


def _pvgrub(chk):
    for name in ('xenguard_pvgrub_install', 'xenguard_pvgrub_convert', 'xenguard_pvgrub_convert_kernel',
                 'xenguard_pvgrub_backup', 'xenguard_pvgrub_require_all'):
        chk.boolean(name)
    chk.path('xenguard_pvgrub_image_dir')
    _names(chk, 'xenguard_pvgrub_guests')
    _names(chk, 'xenguard_pvgrub_exclude')
    name = 'xenguard_pvgrub_packages'
    if chk.has(name):
        value = chk.values[name]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and PACKAGE_RE.match(v) for v in value):
            chk.bad(name, 'is %s; give a list of Debian package names, for example ["grub-xen-host"]' % _kind(value))


# The flask role: guest kinds and the types of Xen's own policy (roles/flask/vars/main.yml says which is which).
FLASK_KINDS = ('ordinary', 'isolated', 'protected', 'nomigrate', 'driver')
FLASK_TYPES = ('domU_t', 'isolated_domU_t', 'prot_domU_t', 'nomigrate_t')
HOST_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$')
GUEST_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')


def _flask_type(chk, where, value):
    if isinstance(value, str) and (value in FLASK_KINDS or value in FLASK_TYPES):
        return
    chk.bad(where, 'is %s, an unknown guest type; use a kind (%s) or a type of Xen\'s default policy (%s). The '
                   'default policy has no vTPM type; give vTPM domains their labels in their own configuration'
            % (_kind(value), ', '.join(FLASK_KINDS), ', '.join(FLASK_TYPES)))


def _flask(chk):
    chk.choice('xenguard_xsm', ('flask', 'silo'))
    chk.choice('xenguard_flask_missing_source', ('fail', 'skip'))
    for name in ('xenguard_flask_enforce', 'xenguard_flask_allow_version_fallback', 'xenguard_flask_label_guests'):
        chk.boolean(name)
    name = 'xenguard_flask_accepted_denials'
    if chk.has(name):
        value = chk.values[name]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            chk.bad(name, 'is %s; give a list of regular expressions matched against the denied accesses '
                          '("{ perm } for ... scontext=... tcontext=... tclass=...")' % _kind(value))
        else:
            for rule in value:
                try:
                    re.compile(rule)
                except re.error as exc:
                    chk.bad(name, 'holds %r, not a regular expression (%s)' % (rule, exc))
    chk.pattern('xenguard_flask_build_host', HOST_RE, 'an inventory host name', 'localhost')
    for name in ('xenguard_flask_mirror', 'xenguard_flask_security_mirror'):
        # empty: the build host's apt sources name it; "none": no security mirror
        if chk.values.get(name) == '' or (name == 'xenguard_flask_security_mirror' and chk.values.get(name) == 'none'):
            continue
        chk.pattern(name, aptsources.URI_RE, 'a Debian mirror URL', 'http://mirror.example.org/debian')
    name = 'xenguard_flask_cache_dir'
    if chk.has(name):
        value = chk.values[name]
        if not isinstance(value, str) or not re.match(r'^(~|/)[A-Za-z0-9_.+@/~-]*$', value) or '..' in value:
            chk.bad(name, 'is %s; give a directory of the build host, absolute or under ~' % _kind(value))
    chk.path('xenguard_flask_controller_dir')
    chk.path('xenguard_flask_guest_config_dir')
    chk.path('xenguard_flask_boot_dir')
    boot_dir = chk.values.get('xenguard_flask_boot_dir')
    if isinstance(boot_dir, str) and SAFE_PATH_RE.match(boot_dir):
        parts = boot_dir.rstrip('/').split('/')
        if len(parts) < 3 or parts[1] != 'boot':
            chk.bad('xenguard_flask_boot_dir', 'is %r; it must be a directory under /boot (GRUB reads the hypervisor '
                                               'from there), for example /boot/xsm' % boot_dir)
        elif parts[2].startswith('xen'):
            chk.bad('xenguard_flask_boot_dir', 'is %r; Debian\'s 20_linux_xen takes every /boot/xen* as a hypervisor '
                                               'of its own menu: use a name that does not start with xen, for '
                                               'example /boot/xsm' % boot_dir)
    name = 'xenguard_flask_patches'
    if chk.has(name):
        value = chk.values[name]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
            chk.bad(name, 'is %s; give a list of unified diffs (the text, for example with lookup(\'file\', ...))'
                    % _kind(value))
    if chk.has('xenguard_flask_default_guest_type'):
        _flask_type(chk, 'xenguard_flask_default_guest_type', chk.values['xenguard_flask_default_guest_type'])
    name = 'xenguard_flask_guest_types'
    if chk.has(name):
        value = chk.values[name]
        if not isinstance(value, dict):
            chk.bad(name, 'is %s; give a mapping of guest name (its name= in xl.cfg) to a kind or type' % _kind(value))
        else:
            for guest, kind in sorted(value.items(), key=lambda item: to_text(item[0])):
                if not isinstance(guest, str) or not GUEST_NAME_RE.match(guest):
                    chk.bad(name, 'has the guest name %s; a name= of xl.cfg is letters, digits, _ . -' % _kind(guest))
                    continue
                _flask_type(chk, '%s[%s]' % (name, guest), kind)


DD_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
# a Linux interface name: at most 15 characters, no / or spaces
IFNAME_RE = re.compile(r'^[A-Za-z0-9_.-]{1,15}$')
NIC_RE = re.compile(r'^(([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]|[A-Za-z0-9_.-]{1,15})$')


def _driver_domain(chk):
    name = 'xenguard_driver_domain_nic'
    if chk.has(name) and not isinstance(chk.values[name], str):
        chk.bad(name, 'is %s; name the guest network\'s NIC by its PCI address (0000:00:02.0) or its dom0 '
                      'interface name (eth1)' % _kind(chk.values[name]))
    elif chk.values.get(name) != '':
        chk.pattern(name, NIC_RE, 'a PCI address or an interface name', '0000:00:02.0 or eth1')
    chk.pattern('xenguard_driver_domain_name', DD_NAME_RE, 'a domain name (a letter or digit, then up to 63 '
                'letters, digits, _ . -)', 'xg-netdd')
    chk.pattern('xenguard_driver_domain_bridge', IFNAME_RE, 'a bridge name (1 to 15 letters, digits, _ . -)',
                'xenbr0')
    name = 'xenguard_driver_domain_memory'
    if chk.has(name):
        value = chk.values[name]
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 64 <= value <= 65536:
            chk.bad(name, 'is %s; give the MiB of the driver domain, 64 to 65536 (for example 256)' % _kind(value))
    chk.choice('xenguard_driver_domain_image', ('build', 'user'))
    for kind in ('kernel', 'ramdisk'):
        name = 'xenguard_driver_domain_%s' % kind
        if chk.values.get('xenguard_driver_domain_image') == 'user':
            if not chk.values.get(name):
                chk.bad(name, 'is not set; with xenguard_driver_domain_image: user give the path of the %s on the '
                              'host and its sha256 in %s_sha256' % (kind, name))
            else:
                chk.path(name)
            if not SHA256_RE.match(to_text(chk.values.get(name + '_sha256') or '')):
                chk.bad(name + '_sha256', 'is %s, not a sha256 (64 hex digits); give the checksum of the %s '
                                          '(sha256sum FILE)' % (_kind(chk.values.get(name + '_sha256')), kind))
    for name in ('xenguard_driver_domain_dir', 'xenguard_driver_domain_config_dir', 'xenguard_driver_domain_xl_conf'):
        chk.path(name)
    for name in ('xenguard_driver_domain_start', 'xenguard_driver_domain_xl_conf_default',
                 'xenguard_driver_domain_unpriv_mmio'):
        chk.boolean(name)
    chk.choice('xenguard_driver_domain_xenstored', ('warn', 'fail'))
    name = 'xenguard_driver_domain_guest_configs'
    if chk.has(name):
        value = chk.values[name]
        if not isinstance(value, (list, tuple)):
            chk.bad(name, 'is %s; give a list of guest configuration files, for example [/etc/xen/web1.cfg]'
                    % _kind(value))
        else:
            for index, item in enumerate(value):
                sub = _Checker({'%s[%d]' % (name, index): item})
                sub.path('%s[%d]' % (name, index))
                chk.problems.extend(sub.problems)


def _stubdom(chk):
    chk.problems.extend(stubdom.input_problems(chk.values))


def _vtpm(chk):
    chk.problems.extend(vtpm.problems(chk.values))


ENTRY_POINTS = {
    'driver_domain': _driver_domain,
    'flask': _flask,
    'pvgrub': _pvgrub,
    'hypervisor': _hypervisor,
    'iommu': _iommu,
    'reboot': _reboot,
    'reboot_plan': _reboot_plan,
    'stubdom': _stubdom,
    'vtpm': _vtpm,
}


def xenguard_input_problems(values, entry_point):
    """The problems of the variables ``values`` (name -> value) of a role entry point, as a list of
    sentences; empty when everything is usable."""
    if entry_point not in ENTRY_POINTS:
        raise AnsibleFilterError('xenguard_input_problems: unknown entry point %r (known: %s)'
                                 % (entry_point, ', '.join(sorted(ENTRY_POINTS))))
    if not isinstance(values, dict):
        raise AnsibleFilterError('xenguard_input_problems: the values must be a mapping of variable name to value')
    chk = _Checker(values)
    ENTRY_POINTS[entry_point](chk)
    return chk.problems


# ---------------------------------------------------------------- unknown variables

def _roles_dir():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'roles')


_KNOWN = {}


def known_variables(roles_dir=None):
    """(prefixes, names): the variable prefixes of the collection and every name its roles declare."""
    import yaml  # the controller always has PyYAML (Ansible needs it)

    roles_dir = roles_dir or _roles_dir()
    if roles_dir in _KNOWN:
        return _KNOWN[roles_dir]
    prefixes = ['xenguard_']
    names = set(RESULT_NAMES)
    for spec_path in sorted(glob.glob(os.path.join(roles_dir, '*', 'meta', 'argument_specs.yml'))):
        role = os.path.basename(os.path.dirname(os.path.dirname(spec_path)))
        prefixes.append('xen_%s_' % role)
        with open(spec_path) as handle:
            specs = (yaml.safe_load(handle) or {}).get('argument_specs') or {}
        for entry in specs.values():
            names.update((entry or {}).get('options') or {})
    _KNOWN[roles_dir] = (tuple(prefixes), frozenset(names))
    return _KNOWN[roles_dir]


def _renamed(name, known):
    """The current name of a role variable given by its name before the xenguard_<role>_* scheme
    (xen_<role>_*), or None."""
    if name.startswith('xen_'):
        current = 'xenguard_' + name[len('xen_'):]
        if current in known:
            return current
    return None


def xenguard_unknown_variables(names, warn=True):
    """The names in ``names`` with a prefix of this collection (xenguard_, and xen_<role>_ as the role
    variables were named before) that no role declares: most likely typos or old names, which would
    otherwise be ignored silently. Warns once per name; an old name's warning gives the current one."""
    if not isinstance(names, (list, tuple)):
        raise AnsibleFilterError('xenguard_unknown_variables: give a list of variable names')
    prefixes, known = known_variables()
    unknown = sorted(set(to_text(n) for n in names if to_text(n).startswith(prefixes)) - known)
    if warn:
        from ansible.utils.display import Display  # controller only; imported when there is something to say

        display = Display()
        for name in unknown:
            renamed = _renamed(name, known)
            if renamed:
                display.warning('The variable %s is set but has no effect: the collection names it %s now '
                                '(every public role variable is xenguard_<role>_*).' % (name, renamed))
                continue
            close = difflib.get_close_matches(name, sorted(known), n=1)
            display.warning('The variable %s is set but no role of xenguard.hardening knows it, so it has no '
                            'effect: check its spelling%s.'
                            % (name, (' (did you mean %s?)' % close[0]) if close else ''))
    return unknown


def xen_pvgrub_plan(guest_configs, guests=None, exclude=None, convert_kernel=False, image_dir='/usr/lib/grub-xen'):
    """The pvgrub role's plan over xen_facts' guest_configs (see guestdisk.plan_conversions)."""
    if not isinstance(guest_configs, dict):
        raise AnsibleFilterError('xen_pvgrub_plan: give ansible_facts.xen.guest_configs (a mapping of path to '
                                 '{keys, error}); got %s' % type(guest_configs).__name__)
    return guestdisk.plan_conversions(guest_configs, guests or (), exclude or (), bool(convert_kernel), image_dir)


class FilterModule(object):
    """xenguard.hardening filters."""

    def filters(self):
        return {
            'xl_list': xl_list,
            'xen_apt_candidates': xen_apt_candidates,
            'xen_dom0_mem': xen_dom0_mem,
            'xen_iommu_pinned': xen_iommu_pinned,
            'xen_option_with': xen_option_with,
            'xen_planned_cmdline': xen_planned_cmdline,
            'xen_control': xen_control,
            'xen_control_offenders': xen_control_offenders,
            'xenguard_input_problems': xenguard_input_problems,
            'xenguard_unknown_variables': xenguard_unknown_variables,
            'xen_pvgrub_plan': xen_pvgrub_plan,
        }
