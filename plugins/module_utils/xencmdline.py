# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Xen command line, read as Xen reads it: the one place for Xen's own rules.

Everything here follows Xen's parsers at the 4.17 and 4.20 release tags (the references are given
per function): ``xen/common/kernel.c`` (parse_params, parse_bool, parse_boolean, cmdline_strcmp),
``xen/lib/parse-size.c`` (parse_size_and_unit), and the parser of each option. In short:

* tokens are separated by spaces; a token is ``name``, ``name=value`` or ``no-name[=value]``;
  GRUB's leading ``placeholder`` word is not Xen's and is dropped;
* boolean words are exact and case-sensitive: ``1 0 on no yes off true false enable disable``
  (``smt=OFF`` is not a boolean: Xen says "invalid value" and leaves SMT on);
* a scalar option is set by each valid occurrence in turn (the last valid one wins);
* a list option (``iommu=``, ``spec-ctrl=``, ``xpti=``, ``ucode=``, ``dom0_mem=``, ``pv=``...) is
  applied token by token and item by item: ``spec-ctrl=no spec-ctrl=ibpb`` turns everything off and
  then IBPB back on, nothing else; an invalid item is reported by Xen and the others still apply.

Pure functions only: text in, data out.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re


class XenCmdlineError(ValueError):
    """A value Xen would not parse (or that this collection refuses to write); ``msg`` says what to do."""

    def __init__(self, msg):
        super(XenCmdlineError, self).__init__(msg)
        self.msg = msg


# ---------------------------------------------------------------- tokens

def split(cmdline):
    """The tokens of a Xen command line (a string or a list); GRUB's ``placeholder`` word is dropped."""
    if cmdline is None:
        return []
    if isinstance(cmdline, (list, tuple)):
        words = [str(t) for t in cmdline]
    else:
        words = str(cmdline).split()
    return [t for t in words if t != 'placeholder']


def token_parts(token):
    """(name, value, negated) as kernel.c parse_params splits a token.

    The value is what follows the first ``=`` ('' when there is none); a leading ``no-`` is taken off
    the name and sets ``negated`` (``no-smt`` -> ('smt', '', True); ``no-smt=1`` -> ('smt', '1', True)).
    """
    name, _sep, value = token.partition('=')
    negated = name.startswith('no-')
    if negated:
        name = name[3:]
    return name, value, negated


def token_name(token):
    """The option a token sets: ``dom0_mem=1G,max:1G`` -> ``dom0_mem``; ``no-smt`` -> ``smt``."""
    return token_parts(token)[0]


def occurrences(tokens, name):
    """Every token of option ``name``, in order, as (token, value, negated)."""
    found = []
    for token in split(tokens):
        tname, value, negated = token_parts(token)
        if tname == name:
            found.append((token, value, negated))
    return found


def custom_values(tokens, name):
    """The strings Xen hands to the parser of custom option ``name``, in order, as (token, value).

    parse_params gives ``no-name`` the value ``no`` and refuses ``no-name=value`` (never parsed).
    """
    found = []
    for token, value, negated in occurrences(tokens, name):
        if negated:
            if value:
                continue
            value = 'no'
        found.append((token, value))
    return found


# ---------------------------------------------------------------- booleans

_TRUE_WORDS = ('1', 'on', 'yes', 'true', 'enable')
_FALSE_WORDS = ('0', 'no', 'off', 'false', 'disable')
BOOL_WORDS = _TRUE_WORDS + _FALSE_WORDS


def parse_bool(text):
    """Xen's parse_bool: True or False for an exact, case-sensitive boolean word, else None."""
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    return None


def parse_boolean(name, item):
    """Xen's parse_boolean for one list item: 1, 0, -1 (not this name) or -2 (the name with a non-boolean).

    ``name`` -> 1, ``no-name`` -> 0, ``name=<bool>`` -> the boolean; ``no-name=...`` is -1.
    """
    negated = item.startswith('no-')
    rest = item[3:] if negated else item
    if not rest.startswith(name):
        return -1
    if rest == name:
        return 0 if negated else 1
    if negated or rest[len(name)] != '=':
        return -1
    value = parse_bool(rest[len(name) + 1:])
    if value is None:
        return -2
    return 1 if value else 0


def cmdline_strcmp(item, word):
    """Xen's cmdline_strcmp: ``item`` is ``word``, possibly followed by ``,`` ``:`` ``;`` or ``=`` and more."""
    return item == word or (item.startswith(word) and item[len(word)] in ',:;=')


def bool_option(tokens, name):
    """The value of boolean option ``name`` (boolean_param) after the whole line, or None when never set.

    Each valid occurrence sets it: ``name`` and ``name=<bool>``; ``no-name`` inverts (``no-name=0`` is
    true). An occurrence with a value that is not a boolean word is ignored by Xen.
    """
    result = None
    for _token, value, negated in occurrences(tokens, name):
        word = True if value == '' else parse_bool(value)
        if word is None:
            continue
        result = word != negated
    return result


def items(value):
    """The comma-separated items of a list option's value, as Xen walks them ('' gives one empty item)."""
    return value.split(',')


def option_items(tokens, name):
    """Every non-empty item of list option ``name`` over all its occurrences, in the order Xen applies
    them, each once (its first place): what one token ``name=<items>`` must carry to mean the same."""
    found = []
    for _token, value in custom_values(tokens, name):
        for item in items(value):
            if item and item not in found:
                found.append(item)
    return found


# ---------------------------------------------------------------- numbers and sizes

_HEX_DIGITS = '0123456789abcdefABCDEF'


def strtoull(text):
    """Xen's simple_strtoull with base 0: (value, rest). ``0x`` hex, a leading 0 octal, else decimal."""
    base = 10
    pos = 0
    if text[:1] == '0':
        base = 8
        pos = 1
        if text[1:2] in ('x', 'X') and len(text) > 2 and text[2] in _HEX_DIGITS:
            base = 16
            pos = 2
    value = 0
    digits = '0123456789abcdef'[:base]
    while pos < len(text) and text[pos].lower() in digits:
        value = value * base + digits.index(text[pos].lower())
        pos += 1
    return value, text[pos:]


_SHIFT = {'t': 40, 'g': 30, 'm': 20, 'k': 10, 'b': 0}


def parse_size_and_unit(text):
    """Xen's parse_size_and_unit: (bytes, rest). Suffixes T G M K B (any case); no suffix means KiB."""
    value, rest = strtoull(text)
    unit = rest[:1].lower()
    if unit in _SHIFT:
        return value << _SHIFT[unit], rest[1:]
    if unit == '%':
        return value, rest
    return value << 10, rest


def size_bytes(text):
    """A <size> as Xen reads a size option, in bytes; None when Xen would call the value invalid."""
    value, rest = parse_size_and_unit(text)
    if rest:
        return None
    return value


def integer(text):
    """An unsigned integer as Xen's simple_strtoul base 0 reads a whole value, or None."""
    if not text:
        return None
    value, rest = strtoull(text)
    return None if rest else value


# ---------------------------------------------------------------- versions

def version_tuple(version):
    """(major, minor, patch) from '4.17.5', '4.20.1-pre', (4, 20) or None; None when unknown."""
    if version is None:
        return None
    if isinstance(version, (list, tuple)):
        parts = list(version)
    else:
        parts = re.findall(r'\d+', str(version))
    try:
        parts = [int(p) for p in parts]
    except (TypeError, ValueError):
        return None
    if len(parts) < 2:
        return None
    return tuple((parts + [0])[:3])


def _since(version, first_417, first_420):
    """True when the release has a feature first released in 4.17.first_417 / 4.20.first_420.

    With an unknown version: True (valid on at least one supported release).
    """
    ver = version_tuple(version)
    if ver is None:
        return True
    if ver[:2] < (4, 17):
        return False
    if ver[:2] == (4, 17):
        return first_417 is not None and ver[2] >= first_417
    if ver[:2] == (4, 20):
        return first_420 is not None and ver[2] >= first_420
    return first_420 is not None


# ---------------------------------------------------------------- option state, as Xen ends up with it

def dom0_mem(tokens):
    """dom0_mem as xen/arch/x86/dom0_build.c parse_dom0_mem reads every occurrence, cumulatively.

    {'size': amt, 'min': amt, 'max': amt} with amt {'minus', 'bytes', 'percent', 'text'} or None for
    a part never given; None when the option is absent; raises XenCmdlineError on a value Xen refuses.
    """
    found = custom_values(tokens, 'dom0_mem')
    if not found:
        return None
    result = {'size': None, 'min': None, 'max': None}
    for token, value in found:
        for item in items(value):
            kind = 'size'
            text = item
            if item.startswith('min:') or item.startswith('max:'):
                kind, text = item[:3], item[4:]
            amount = _dom0_amount(text)
            if amount is None:
                raise XenCmdlineError('%s: "%s" is not an amount Xen reads (<size>, <n>%%, <size>+<n>%%, '
                                      'optionally with a leading -)' % (token, item))
            result[kind] = amount
    return result


def _dom0_amount(text):
    minus = text.startswith('-')
    rest = text[1:] if minus else text
    amount = {'minus': minus, 'bytes': 0, 'percent': 0, 'text': text}
    parts = rest.split('+')
    if len(parts) > 2:
        return None
    for index, part in enumerate(parts):
        if not part[:1].isdigit():
            return None
        value, tail = parse_size_and_unit(part)
        if tail == '%':
            if value >= 100:
                return None
            amount['percent'] = value
        elif tail or index > 0:
            return None
        else:
            amount['bytes'] = value
    return amount


def iommu_state(tokens):
    """What ``iommu=`` and ``dom0-iommu=`` set (xen/drivers/passthrough/iommu.c), cumulatively.

    Keys: enable, force (force/required), quarantine (True, False, 'scratch-page'), dom0_strict,
    dom0_passthrough, dom0_none: None where the command line leaves the default.
    """
    state = dict(enable=None, force=None, quarantine=None, dom0_strict=None, dom0_passthrough=None,
                 dom0_none=None)
    for _token, value in custom_values(tokens, 'iommu'):
        for item in items(value):
            word = parse_bool(item)
            if word is not None:
                state['enable'] = word
                continue
            val = parse_boolean('force', item)
            if val < 0:
                val = parse_boolean('required', item)
            if val >= 0:
                state['force'] = bool(val)
            elif parse_boolean('quarantine', item) >= 0:
                state['quarantine'] = bool(parse_boolean('quarantine', item))
            elif item == 'quarantine=scratch-page':
                state['quarantine'] = 'scratch-page'
            elif parse_boolean('dom0-strict', item) >= 0:
                state['dom0_strict'] = bool(parse_boolean('dom0-strict', item))
            elif parse_boolean('dom0-passthrough', item) >= 0:
                state['dom0_passthrough'] = bool(parse_boolean('dom0-passthrough', item))
    for _token, value in custom_values(tokens, 'dom0-iommu'):
        for item in items(value):
            if parse_boolean('passthrough', item) >= 0:
                state['dom0_passthrough'] = bool(parse_boolean('passthrough', item))
            elif parse_boolean('strict', item) >= 0:
                state['dom0_strict'] = bool(parse_boolean('strict', item))
            elif cmdline_strcmp(item, 'none'):
                state['dom0_none'] = True
    return state


def dom0_pvh(tokens):
    """Whether ``dom0=`` builds a PVH dom0 (x86 parse_dom0_param, 4.20 parse_arch_dom0_param): each item
    ``pv`` or ``pvh`` sets the mode, the last one counts, other items leave it. Absent: PV, the default where
    Xen is built with both (Debian's is)."""
    pvh = False
    for _token, value in custom_values(tokens, 'dom0'):
        for item in items(value):
            if cmdline_strcmp(item, 'pv'):
                pvh = False
            elif cmdline_strcmp(item, 'pvh'):
                pvh = True
    return pvh


def ucode_state(tokens, version=None):
    """What ``ucode=`` sets (xen/arch/x86/cpu/microcode/core.c parse_ucode), cumulatively.

    {'scan': bool|None, 'module': int|None, 'nmi': bool|None}: Xen loads microcode at boot when scan
    is true or module is a non-zero index. Every item in turn: nmi=, allow-same= (up to 4.19) and
    digest-check= (from 4.17.6 / 4.20.1) are settings of their own; scan= is a boolean; anything else is read
    with simple_strtol as the module index. Up to 4.19 the index is assigned whatever follows its digits
    (``ucode=3x`` is 3, ``ucode=bogus`` 0) and scan and an index are kept side by side. From 4.20 scan and an
    index replace each other, and an item that is not wholly a number sets the index back to none.
    """
    ver = version_tuple(version)
    replace = ver is None or ver[:2] >= (4, 20)
    own_settings = [name for name, present in (('allow-same', not replace), ('digest-check', _since(version, 6, 1)))
                    if present]
    state = {'scan': None, 'module': None, 'nmi': None}
    for _token, value in custom_values(tokens, 'ucode'):
        for item in items(value):
            if parse_boolean('nmi', item) >= 0:
                state['nmi'] = bool(parse_boolean('nmi', item))
            elif any(parse_boolean(name, item) >= 0 for name in own_settings):
                continue
            elif parse_boolean('scan', item) >= 0:
                state['scan'] = bool(parse_boolean('scan', item))
                if replace:
                    state['module'] = None
            else:
                number, rest = _strtol(item)
                if not replace:
                    state['module'] = number
                elif rest:
                    state['module'] = None
                else:
                    state['module'] = number
                    state['scan'] = False
    return state


def _strtol(text):
    """Xen's simple_strtol with base 0: (value, rest); a leading - negates what follows."""
    negative = text.startswith('-')
    value, rest = strtoull(text[1:] if negative else text)
    return (-value if negative else value), rest


def _signed(text):
    """A value simple_strtol reads whole (at least one digit, nothing after them), or None."""
    if not (text[1:] if text.startswith('-') else text):
        return None
    value, rest = _strtol(text)
    return None if rest else value


def loads_microcode(tokens, version=None):
    state = ucode_state(tokens, version)
    return bool(state['scan']) or bool(state['module'])


def list_boolean(tokens, option, name):
    """The last value a boolean item ``name`` of list option ``option`` gets (``pv=no-32``, ``ept=exec-sp``).

    True/False, or None when never given. Each item is read with parse_boolean, as those parsers do.
    """
    result = None
    for _token, value in custom_values(tokens, option):
        for item in items(value):
            val = parse_boolean(name, item)
            if val >= 0:
                result = bool(val)
    return result


def choice(tokens, option, words):
    """The last value of ``option`` that is exactly one of ``words`` (sched-gran=...), or None."""
    result = None
    for _token, value in custom_values(tokens, option):
        if value in words:
            result = value
    return result


def vpmu_enabled(tokens):
    """Whether ``vpmu=`` turns the vPMU on (xen/arch/x86/cpu/vpmu.c parse_vpmu_params), None when absent.

    Each token: a boolean sets it (false also drops bts/ipc/arch); bts, ipc or arch imply vpmu=1.
    """
    enabled = None
    features = False
    for _token, value in custom_values(tokens, 'vpmu'):
        for item in items(value):
            word = parse_bool(item)
            if word is not None:
                enabled = word
                if not word:
                    features = False
            elif any(cmdline_strcmp(item, w) for w in ('bts', 'ipc', 'arch')):
                features = True
        if features:
            enabled = True
    return enabled


# grant_table.c parse_gnttab_limit: a limit above INT_MAX is -ERANGE (the value before it stays)
GNTTAB_LIMIT_MAX = 0x7fffffff


def last_integer(tokens, option, maximum=None):
    """The last value of ``option`` Xen reads as an unsigned integer (simple_strtoul base 0), or None.

    A value above ``maximum`` is one Xen refuses (grant_table.c parse_gnttab_limit: "val > INT_MAX" is
    -ERANGE): it leaves the value before it.
    """
    result = None
    for _token, value in custom_values(tokens, option):
        number = integer(value)
        if number is not None and (maximum is None or number <= maximum):
            result = number
    return result


def loglvl_lower(tokens, default=3):
    """The lower console threshold ``loglvl=`` sets (console.c _parse_loglvl); ``default`` when absent.

    Release builds default to 3 (info, ERR and WARNING always printed), debug builds to 4.
    """
    levels = (('none', 0), ('error', 1), ('warning', 2), ('info', 3), ('debug', 4), ('all', 4))
    result = default
    for _token, value in custom_values(tokens, 'loglvl'):
        result = 2  # Xen's "sane fallback" for a word it does not know
        for word, level in levels:
            if value.startswith(word):
                result = level
                break
    return result


def conring_bytes(tokens, nr_cpus=None, build_lower=3):
    """The console ring Xen allocates (xen/drivers/char/console.c), in bytes, and how it was decided.

    ``conring_size=`` (a size; 0 or absent means default) or, by default, ``nr_cpus << (9 + loglvl's lower
    threshold)``; both rounded up to a power-of-two number of pages and at least the static 16 KiB.
    Returns (bytes or None when nr_cpus is needed and unknown, 'explicit'|'default').
    """
    wanted = 0
    for _token, value, _negated in occurrences(tokens, 'conring_size'):
        size, _rest = parse_size_and_unit(value)
        if size <= 0xffffffff:      # a uint32: a larger value overflows and is not assigned
            wanted = size           # Xen assigns the number even when text follows it
    how = 'explicit'
    if not wanted:
        how = 'default'
        if nr_cpus is None:
            return None, how
        wanted = int(nr_cpus) << (9 + loglvl_lower(tokens, build_lower))
    wanted = max(wanted, 16384)
    ring = 4096
    while ring < wanted:
        ring <<= 1
    return ring, how


# ---------------------------------------------------------------- speculative mitigations

# What spec-ctrl=no turns off (xen/arch/x86/spec_ctrl.c parse_spec_ctrl); "no-xen" the second part.
_SPEC_GUEST = ('msr-sc=pv', 'msr-sc=hvm', 'eager-fpu')
_SPEC_COMMON = ('rsb=pv', 'rsb=hvm', 'verw=pv', 'verw=hvm', 'ibpb-entry=pv', 'ibpb-entry=hvm',
                'ibpb-entry=dom0', 'bhb-entry=pv', 'bhb-entry=hvm', 'bhb-entry=dom0', 'bti-thunk',
                'bhb-seq', 'ibrs', 'ibpb', 'ssbd', 'l1d-flush', 'branch-harden', 'lock-harden', 'srb-lock',
                'unpriv-mmio', 'gds-mit', 'div-scrub', 'bp-spec-reduce')
_SPLIT = ('msr-sc', 'rsb', 'verw', 'ibpb-entry', 'bhb-entry')
_PLAIN = ('ibrs', 'stibp', 'ssbd', 'psfd', 'bhi-dis-s', 'ibpb', 'eager-fpu', 'l1d-flush', 'branch-harden',
          'lock-harden', 'srb-lock', 'unpriv-mmio', 'gds-mit', 'div-scrub', 'bp-spec-reduce', 'ibpb-alt')
# Off by default in Xen, so an explicit "off" weakens nothing (spec-ctrl section of the doc).
_DEFAULT_OFF = ('ssbd', 'psfd', 'unpriv-mmio', 'ibpb-alt', 'lock-harden', 'ibpb-entry=dom0', 'bhb-entry=dom0')


def spec_ctrl_state(tokens):
    """Every setting the command line gives Xen's speculative mitigations, as {key: (value, token)}.

    Keys are spec-ctrl sub-options (``rsb=pv``, ``ibpb``, ``bti-thunk``...) and ``xpti=dom0``,
    ``xpti=domu``, ``pv-l1tf=dom0``, ``pv-l1tf=domu``, ``tsx``. Values are True/False, or the word for
    ``bti-thunk``/``bhb-seq``; ``token`` is the token that set it. Tokens are read in order, as Xen does:
    ``spec-ctrl=no`` also turns xpti, pv-l1tf and tsx to their unsafe setting unless they were given
    earlier, and a later item turns one setting back on.
    """
    state = {}
    for token in split(tokens):
        name, value, negated = token_parts(token)
        if negated:
            if value:
                continue
            value = 'no'
        if name == 'spec-ctrl':
            _spec_ctrl_items(state, token, value)
        elif name in ('xpti', 'pv-l1tf'):
            _dom0_domu_items(state, token, name, value)
        elif name == 'tsx':
            word = parse_bool(value)
            if word is not None:
                state['tsx'] = (word, token)
    return state


def _spec_ctrl_items(state, token, value):
    for item in items(value):
        word = parse_bool(item)
        if word is False:
            for key in _SPEC_GUEST:
                state[key] = (False, token)
            for key in ('xpti=dom0', 'xpti=domu', 'pv-l1tf=dom0', 'pv-l1tf=domu'):
                state.setdefault(key, (False, token))
            state.setdefault('tsx', (True, token))
            _spec_common_off(state, token)
            continue
        if word is True:
            continue
        if parse_boolean('xen', item) == 0:
            _spec_common_off(state, token)
            continue
        for guest in ('pv', 'hvm'):
            val = parse_boolean(guest, item)
            if val >= 0:
                for key in _SPLIT:
                    state['%s=%s' % (key, guest)] = (bool(val), token)
                break
        else:
            _spec_ctrl_item(state, token, item)


def _spec_common_off(state, token):
    for key in _SPEC_COMMON:
        state[key] = (False, token)
    state['bti-thunk'] = ('jmp', token)
    state['bhb-seq'] = ('none', token)


_SPLIT_NAMES = (('msr-sc', ('msr-sc',)), ('rsb', ('rsb',)), ('verw', ('verw', 'md-clear')),
                ('ibpb-entry', ('ibpb-entry',)), ('bhb-entry', ('bhb-entry',)))


def _spec_ctrl_item(state, token, item):
    for key, names in _SPLIT_NAMES:
        for name in names:
            val = parse_boolean(name, item)
            if val == -1:
                continue
            if val >= 0:
                state['%s=pv' % key] = state['%s=hvm' % key] = (bool(val), token)
                if key in ('ibpb-entry', 'bhb-entry'):
                    state['%s=dom0' % key] = (bool(val), token)
            else:
                sub = item[len(name) + 1:]
                for guest in ('pv', 'hvm'):
                    gval = parse_boolean(guest, sub)
                    if gval >= 0:
                        state['%s=%s' % (key, guest)] = (bool(gval), token)
                        break
            return
    for key, words in (('bti-thunk', ('retpoline', 'lfence', 'jmp')),
                       ('bhb-seq', ('none', 'tsx', 'short', 'long'))):
        if item.startswith(key + '='):
            for word in words:
                if cmdline_strcmp(item[len(key) + 1:], word):
                    state[key] = (word, token)
            return
    for key in _PLAIN:
        val = parse_boolean(key, item)
        if val >= 0:
            state[key] = (bool(val), token)
            return


def _dom0_domu_items(state, token, name, value):
    if value == '':
        state['%s=dom0' % name] = state['%s=domu' % name] = (True, token)
    rest = value
    for item in items(value):
        word = parse_bool(item)
        if word is not None:
            state['%s=dom0' % name] = state['%s=domu' % name] = (word, token)
        elif name == 'xpti' and rest == 'default':
            state.pop('xpti=dom0', None)
            state.pop('xpti=domu', None)
        else:
            for part in ('dom0', 'domu'):
                val = parse_boolean(part, item)
                if val >= 0:
                    state['%s=%s' % (name, part)] = (bool(val), token)
        rest = rest[len(item) + 1:]


def mitigations_off(tokens):
    """The tokens that leave a speculative mitigation turned off, as [(token, reason)], in line order.

    A token is listed while at least one setting it turned off stays off at the end of the line (a later
    ``spec-ctrl=ibpb`` turns IBPB back on, not the rest of what ``spec-ctrl=no`` turned off). Settings
    Xen leaves off by default (ssbd, psfd, unpriv-mmio, ibpb-alt, lock-harden, dom0's ibpb/bhb-entry) are
    not counted here; ``tsx=1`` (and ``spec-ctrl=no`` without an earlier ``tsx=``) keeps TSX on (TAA).
    """
    state = spec_ctrl_state(tokens)
    offending = {}
    for key in sorted(state):
        value, token = state[key]
        if key in _DEFAULT_OFF:
            continue
        if key == 'tsx':
            if value is True:
                offending.setdefault(token, {}).setdefault('keeps TSX enabled (TAA)', [])
        elif key in ('bti-thunk', 'bhb-seq'):
            if value in ('jmp', 'none'):
                offending.setdefault(token, {}).setdefault('selects', []).append('%s=%s' % (key, value))
        elif value is False:
            offending.setdefault(token, {}).setdefault('turns off', []).append(key)
    result = []
    for token in split(tokens):
        if token not in offending:
            continue
        phrases = []
        for verb, what in sorted(offending.pop(token).items(), key=lambda kv: kv[0] != 'turns off'):
            if len(what) > 6:
                what = what[:6] + ['%d more' % (len(what) - 6)]
            phrases.append(('%s %s' % (verb, ', '.join(what))) if what else verb)
        result.append((token, '; '.join(phrases)))
    return result


# ---------------------------------------------------------------- writing options: values Xen accepts

NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.\-\[\]]*$')
# Characters that are safe inside a double-quoted shell string AND as an unquoted GRUB word.
VALUE_RE = re.compile(r'^[A-Za-z0-9_.,:=+%@/\-\[\]]+$')

# Options Xen declares with boolean_param (OPT_BOOL): a bare name, name=<bool> or no-name.
BOOLEAN_OPTIONS = ('smt', 'pv-linear-pt', 'noreboot', 'dom0_vcpus_pin', 'scrub-domheap', 'sync_console',
                   'console_to_ring', 'hap', 'pv-shim', 'hvm_fep')


def _fail(name, value, why, instead=None):
    msg = '%s=%s: %s' % (name, value, why)
    if instead:
        msg += '; write %s instead' % instead
    raise XenCmdlineError(msg)


def _bool_words():
    return '|'.join(BOOL_WORDS)


def _check_bool(name, value, version):
    if parse_bool(value) is None:
        lower = value.lower()
        hint = '%s=%s' % (name, '0' if lower in _FALSE_WORDS else '1') if lower in BOOL_WORDS else None
        _fail(name, value, 'Xen reads only the exact lower-case boolean words (%s) and ignores any other '
              'value' % _bool_words(), hint)


def _check_parse_bool(name, value, version):
    """A value parse_bool alone reads (tsx=): no bare form."""
    _check_bool(name, value, version)


def _check_size(name, value, version):
    if size_bytes(value) is None:
        _fail(name, value, 'not a size Xen reads (a number, 0x hex or 0-octal, with an optional unit '
              'T, G, M, K or B; no unit means KiB; no sign)', '%s=1M' % name)


def _check_dom0_mem(name, value, version):
    try:
        dom0_mem(['dom0_mem=' + value])
    except XenCmdlineError as exc:
        _fail(name, value, exc.msg.split(': ', 1)[1], 'dom0_mem=4G,max:4G')


def _check_integer(name, value, version):
    if integer(value) is None:
        _fail(name, value, 'expected a non-negative integer (Xen rejects signs and other text)')


def _check_vcpus(name, value, version):
    if not re.match(r'^([0-9]+|[0-9]*-[0-9]*)$', value) or value == '-':
        _fail(name, value, 'expected <n> or <min>-<max>')


def _check_items(name, value, version, item_ok, what):
    for item in items(value):
        why = item_ok(item, version)
        if why:
            _fail(name, value, '"%s" %s' % (item, why), what)


def _boolean_sub(item, names):
    """True when ``item`` is one of names as Xen's parse_boolean reads it (name, no-name, name=<bool>)."""
    return any(parse_boolean(n, item) >= 0 for n in names)


def _iommu_item(item, version):
    if parse_bool(item) is not None:
        return None
    if _boolean_sub(item, ('force', 'required', 'quarantine', 'sharept', 'superpages', 'intremap', 'intpost',
                           'crash-disable', 'snoop', 'qinval', 'igfx', 'amd-iommu-perdev-intremap',
                           'dom0-passthrough', 'dom0-strict', 'verbose', 'debug')):
        return None
    if item == 'quarantine=scratch-page':
        return None
    return 'is not an iommu= item (a boolean, or force, required, quarantine=<bool>|scratch-page, verbose, ' \
        'debug, sharept, superpages, intremap, intpost, crash-disable, snoop, qinval, igfx, ' \
        'amd-iommu-perdev-intremap, dom0-passthrough, dom0-strict, each optionally =<bool> or with no-)'


def _dom0_iommu_item(item, version):
    if _boolean_sub(item, ('passthrough', 'strict', 'map-inclusive', 'map-reserved')):
        return None
    if item == 'none':
        return None
    if cmdline_strcmp(item, 'none'):
        return 'is read by Xen as plain "none" whatever follows; write none (it takes no value)'
    return 'is not a dom0-iommu= item (passthrough=<bool>, strict=<bool>, map-inclusive=<bool>, ' \
        'map-reserved=<bool>, none)'


def _ucode_item(item, version):
    if _boolean_sub(item, ('nmi', 'scan')):
        return None
    if parse_boolean('allow-same', item) >= 0:
        ver = version_tuple(version)
        if ver is not None and ver[:2] >= (4, 20):
            return 'was removed in Xen 4.20'
        return None
    if parse_boolean('digest-check', item) >= 0:
        if not _since(version, 6, 1):
            return 'exists only from Xen 4.17.6 and 4.20.1'
        return None
    number = _signed(item)
    if number is None:
        return 'is not a ucode= item (scan, nmi, digest-check, allow-same before 4.20, or a module index)'
    if number == 0:
        return 'is module index 0, which loads nothing (positive indexes count from the first boot module, ' \
            'negative from the last)'
    return None


def _pv_item(item, version):
    if _boolean_sub(item, ('32',)):
        return None
    return 'is not a pv= item (32=<bool>, e.g. pv=no-32)'


def _dom0_domu_item(item, version):
    if parse_bool(item) is not None or _boolean_sub(item, ('dom0', 'domu')):
        return None
    return 'is not an item of this option (a boolean, dom0=<bool>, domu=<bool>)'


def _check_xpti(name, value, version):
    parts = items(value)
    for index, item in enumerate(parts):
        if item == 'default' and index == len(parts) - 1:
            continue
        if item == 'default':
            _fail(name, value, '"default" counts only as the last item (Xen compares the rest of the value '
                  'with "default" and rejects it anywhere else); put it last')
        why = _dom0_domu_item(item, version)
        if why:
            _fail(name, value, '"%s" %s' % (item, why))


def _gnttab_item(item, version):
    if item.startswith('max-ver:') or item.startswith('max_ver:'):
        if item[8:] in ('1', '2'):
            return None
        return 'takes version 1 or 2'
    if _boolean_sub(item, ('transitive', 'transfer')):
        return None
    if item.startswith('max-ver=') or item.startswith('max_ver='):
        return 'uses "=" where Xen expects a colon (max-ver:2)'
    return 'is not a gnttab= item (max-ver:<1|2>, transitive=<bool>, transfer=<bool>)'


def _vpmu_item(item, version):
    if parse_bool(item) is not None or item in ('bts', 'ipc', 'arch') or _boolean_sub(item, ('rtm-abort',)):
        return None
    return 'is not a vpmu= item (a boolean, bts, ipc, arch)'


def _ept_item(item, version):
    if _boolean_sub(item, ('ad', 'pml', 'exec-sp')):
        return None
    return 'is not an ept= item (ad=<bool>, pml=<bool>, exec-sp=<bool>)'


# spec-ctrl sub-options and the first 4.17.x / 4.20.x release that has each (None: not in that series).
_SPEC_SINCE = {
    'bhb-entry': (4, 0), 'lock-harden': (4, 0), 'bhi-dis-s': (4, 0), 'verw': (4, 0), 'bhb-seq': (4, 0),
    'gds-mit': (2, 0), 'div-scrub': (3, 0), 'bp-spec-reduce': (7, 0), 'ibpb-alt': (None, 1),
}


def spec_ctrl_known(sub, version):
    """True when Xen ``version`` has spec-ctrl sub-option ``sub`` (unknown version: True)."""
    since = _SPEC_SINCE.get(sub, (0, 0))
    return _since(version, since[0], since[1])


def _spec_ctrl_item_why(item, version):
    word = parse_bool(item)
    if word is True:
        return 'is a positive overall boolean, which Xen rejects (by default Xen already picks the mitigations)'
    if word is False:
        return None
    xen = parse_boolean('xen', item)
    if xen == 0:
        return None
    if xen >= 0 or xen == -2:
        return 'is invalid: only xen=0 / no-xen is accepted'
    for key in ('pv', 'hvm'):
        if parse_boolean(key, item) >= 0:
            return None
    key = None
    for name in _SPLIT + ('md-clear',):
        val = parse_boolean(name, item)
        if val >= 0:
            key = name
            break
        if val == -2:
            sub = item.split('=', 1)[1]
            if not _boolean_sub(sub, ('pv', 'hvm')):
                return 'takes a boolean or pv=<bool> / hvm=<bool>'
            key = name
            break
    if key is None:
        for name, words in (('bti-thunk', ('retpoline', 'lfence', 'jmp')),
                            ('bhb-seq', ('none', 'tsx', 'short', 'long'))):
            if item.startswith(name + '='):
                if item[len(name) + 1:] not in words:
                    return 'takes one of %s' % ', '.join(words)
                key = name
    if key is None:
        for name in _PLAIN:
            if parse_boolean(name, item) >= 0:
                key = name
                break
    if key is None:
        return 'is not a spec-ctrl= sub-option this collection knows from Xen 4.17/4.20'
    if not spec_ctrl_known(key, version):
        return 'is not known to Xen %s' % '.'.join(str(v) for v in version_tuple(version))
    return None


def _check_choice(*choices):
    def check(name, value, version):
        if value not in choices:
            _fail(name, value, 'expected one of %s (case-sensitive)' % ', '.join(choices))
    return check


def _check_bool_or(*words):
    def check(name, value, version):
        if value not in words and parse_bool(value) is None:
            _fail(name, value, 'expected a lower-case boolean word (%s) or one of %s'
                  % (_bool_words(), ', '.join(words)))
    return check


def _check_loglvl(name, value, version):
    levels = ('none', 'error', 'warning', 'info', 'debug', 'all')
    parts = value.split('/')
    if len(parts) > 2 or any(p not in levels for p in parts):
        _fail(name, value, 'expected <level>[/<level>] with levels %s' % ', '.join(levels))


def _check_console(name, value, version):
    for item in items(value):
        if not re.match(r'^(vga|xen|com[12][HL]?|pv|dbgp|ehci|xhci|none)$', item):
            _fail(name, value, '"%s" is not a Xen console (vga, xen, com1, com2 with optional H/L, pv, dbgp, '
                  'ehci, xhci, none)' % item)


def _list_check(item_ok, example=None):
    def check(name, value, version):
        _check_items(name, value, version, item_ok, example)
    return check


def _check_conring(name, value, version):
    _check_size(name, value, version)
    if size_bytes(value) == 0:
        _fail(name, value, 'size 0 means "Xen\'s default" (which depends on the number of CPUs and loglvl)',
              'conring_size=1M (or remove the option for the default)')
    # console.c console_init_ring rounds the size up to a power-of-two number of pages and stores it in a
    # uint32_t: above 2 GiB that is 4 GiB, which the 32-bit size cannot hold (it becomes 0)
    if size_bytes(value) > 0x80000000:
        _fail(name, value, 'larger than 2 GiB: Xen rounds it up to 4 GiB, more than its 32-bit ring size holds',
              'conring_size=2G at the most')


def _check_gnttab_limit(name, value, version):
    _check_integer(name, value, version)
    if integer(value) > GNTTAB_LIMIT_MAX:
        _fail(name, value, 'larger than INT_MAX, which Xen refuses')


VALIDATORS = {
    'conring_size': _check_conring,
    'availmem': _check_size,
    'bootscrub_chunk': _check_size,
    'low_mem_virq_limit': _check_size,
    'serial_tx_buffer': _check_size,
    'dom0_mem': _check_dom0_mem,
    'dom0_max_vcpus': _check_vcpus,
    'ucode': _list_check(_ucode_item, 'ucode=scan'),
    'iommu': _list_check(_iommu_item, 'iommu=required'),
    'dom0-iommu': _list_check(_dom0_iommu_item),
    'pv': _list_check(_pv_item, 'pv=no-32'),
    'pv-l1tf': _list_check(_dom0_domu_item),
    'xpti': _check_xpti,
    'gnttab': _list_check(_gnttab_item, 'gnttab=max-ver:2'),
    'spec-ctrl': _list_check(_spec_ctrl_item_why),
    'vpmu': _list_check(_vpmu_item, 'vpmu=0 (or remove the option)'),
    'ept': _list_check(_ept_item, 'ept=no-exec-sp'),
    'tsx': _check_parse_bool,
    'smap': _check_bool_or('hvm'),
    'smep': _check_bool_or('hvm'),
    'bootscrub': _check_bool_or('idle'),
    'watchdog': _check_bool_or('force'),
    'watchdog_timeout': _check_integer,
    'gnttab_max_frames': _check_gnttab_limit,
    'gnttab_max_maptrack_frames': _check_gnttab_limit,
    'sched': _check_choice('credit', 'credit2', 'arinc653', 'rtds', 'null'),
    'sched-gran': _check_choice('cpu', 'core', 'socket'),
    'flask': _check_choice('permissive', 'enforcing', 'late', 'disabled'),
    'xsm': _check_choice('dummy', 'flask', 'silo'),
    'loglvl': _check_loglvl,
    'guest_loglvl': _check_loglvl,
    'console': _check_console,
}
for _name in BOOLEAN_OPTIONS:
    VALIDATORS[_name] = _check_bool
# Custom options whose parser reads a bare name as true and a boolean word (xpti, pv-l1tf: spec_ctrl.c;
# smap, smep: setup.c; bootscrub: page_alloc.c; watchdog: nmi.c), so a YAML boolean means what it says.
BOOLISH_OPTIONS = ('xpti', 'pv-l1tf', 'smap', 'smep', 'bootscrub', 'watchdog')
# Options whose parser needs a value: a YAML boolean would write a bare name or =0 that means something else.
_NEEDS_VALUE = tuple(n for n in VALIDATORS if n not in BOOLEAN_OPTIONS + BOOLISH_OPTIONS)


def render_value(value):
    if value is True:
        return '1'
    if value is False:
        return '0'
    return str(value)


def render_token(name, value):
    """The token for option ``name`` set to ``value`` (True: bare flag; False: ``=0``; a list: commas)."""
    if value is True:
        return name
    if value is False:
        return '%s=0' % name
    if isinstance(value, (list, tuple)):
        value = ','.join(render_value(v) for v in value)
    return '%s=%s' % (name, render_value(value))


def _plain(value):
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def validate_option(name, value, version=None):
    """Raise XenCmdlineError unless option ``name`` set to ``value`` is a token Xen parses as meant.

    ``value``: None (remove), True (bare flag, or ``=1``), False (``=0``), a string or number, or a
    list of strings/numbers (joined with commas). Booleans are only for boolean options; boolean words
    must be Xen's exact lower-case ones; values of options this collection does not know are restricted
    to a safe shape. ``version`` ('4.17.5', (4, 20)...) makes the checks exact for that release;
    without it a value valid on any supported release passes.
    """
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise XenCmdlineError('"%s" is not a valid Xen option name (letters, digits, _ . - [ ])' % (name,))
    if name == 'placeholder':
        raise XenCmdlineError('"placeholder" is the word GRUB puts first on the line, not an option')
    if value is None:
        return
    if isinstance(value, dict):
        raise XenCmdlineError('%s: a value must be a string, a number, a boolean or a list, not a mapping' % name)
    if isinstance(value, (list, tuple)):
        bad = [v for v in value if not _plain(v)]
        if bad:
            raise XenCmdlineError('%s: a list value may hold only strings and numbers, not %r; write the items '
                                  'as Xen spells them, e.g. %s: [required, verbose]' % (name, bad[0], name))
        if not value:
            raise XenCmdlineError('%s: the list is empty; use null to remove the option' % name)
    elif isinstance(value, bool):
        checker = VALIDATORS.get(name)
        if name in _NEEDS_VALUE or (checker is None and value is False):
            raise XenCmdlineError(
                '%s: a YAML boolean (%s) is not a value of this option: Xen would read "%s". Write the value Xen '
                'expects as a string%s' % (name, value, render_token(name, value),
                                           _bool_hint(name, value)))
        if name in BOOLEAN_OPTIONS or checker is None or value is True:
            return
    elif not _plain(value):
        raise XenCmdlineError('%s: unsupported value type %s; use a string, a number, a boolean or a list'
                              % (name, type(value).__name__))
    token = render_token(name, value)
    text = token.split('=', 1)[1] if '=' in token else ''
    if text == '':
        raise XenCmdlineError('%s: the value is empty; use null to remove the option or true for a bare flag'
                              % name)
    if not VALUE_RE.match(text):
        raise XenCmdlineError('%s=%s: the value holds characters that are unsafe on a GRUB/shell command line '
                              '(allowed: letters, digits and _ . , : = + %% @ / - [ ])' % (name, text))
    checker = VALIDATORS.get(name)
    if checker is not None:
        checker(name, text, version)


def _bool_hint(name, value):
    hints = {'dom0_mem': ' such as "4G,max:4G"', 'spec-ctrl': ' such as "no-xen" (off) - or leave it out',
             'ucode': ' such as "scan"', 'sched': ' such as "credit2"',
             'iommu': ' such as "required"', 'tsx': ' "0" or "1"', 'flask': ' such as "enforcing"'}
    return hints.get(name, '')


def validate_options(options, version=None):
    """Check every option, and that no option is given together with its ``no-`` form."""
    if not isinstance(options, dict):
        raise XenCmdlineError('options must be a mapping of option name to value')
    for name, value in options.items():
        validate_option(name, value, version)
    for name in options:
        if isinstance(name, str) and name.startswith('no-') and name[3:] in options:
            raise XenCmdlineError('conflicting options: both "%s" and "%s" are given' % (name[3:], name))
