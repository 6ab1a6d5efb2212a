# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read and merge the Xen command line kept in ``/etc/default/grub.d/xen.cfg``.

Debian's ``20_linux_xen`` builds the hypervisor's command line from ``GRUB_CMDLINE_XEN`` and
``GRUB_CMDLINE_XEN_DEFAULT``. Debian ships ``xen.cfg`` with long comments and shell code (the
``XEN_OVERRIDE_GRUB_DEFAULT`` logic); this module changes the one assignment it manages and keeps
every other line byte for byte. Everything here is pure (text in, text out) and unit-tested on
the file Debian ships.

Options are managed by name: managing ``smt`` owns the tokens ``smt``, ``smt=...`` and
``no-smt``; tokens of other names (console settings, ``smap=0`` of the lab...) are kept in place.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

VARIABLE = 'GRUB_CMDLINE_XEN_DEFAULT'
OTHER_VARIABLE = 'GRUB_CMDLINE_XEN'

BOOL_TRUE = ('yes', 'on', 'true', 'enable', '1')
BOOL_FALSE = ('no', 'off', 'false', 'disable', '0')
BOOL_WORDS = BOOL_TRUE + BOOL_FALSE

NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.\-\[\]]*$')
# Characters that are safe inside a double-quoted shell string AND as an unquoted GRUB word.
VALUE_RE = re.compile(r'^[A-Za-z0-9_.,:=+%@/\-\[\]]+$')
SIZE_RE = re.compile(r'^(0x[0-9a-fA-F]+|[0-9]+)[TtGgMmKkBb]?$')
_ASSIGN_RE = re.compile(r'^(?P<indent>\s*)(?P<export>export\s+)?(?P<var>[A-Za-z_][A-Za-z0-9_]*)=(?P<rest>.*)$')
_COMMENTED_RE = re.compile(r'^\s*#\s*(export\s+)?%s=' % VARIABLE)


class GrubConfigError(ValueError):
    """Bad input or a file this module cannot manage safely; ``line`` is 1-based when known."""

    def __init__(self, msg, line=None):
        super(GrubConfigError, self).__init__(msg)
        self.msg = msg
        self.line = line


# ---------------------------------------------------------------- tokens and names

def split_tokens(value):
    """Split a command line string into tokens; GRUB's ``placeholder`` word is dropped."""
    return [t for t in (value or '').split() if t != 'placeholder']


def token_name(token):
    """The option name of a token: ``dom0_mem=1G,max:1G`` -> ``dom0_mem``; ``smt`` -> ``smt``."""
    return token.split('=', 1)[0]


def token_owned_by(token, name):
    """True when managing option ``name`` owns ``token`` (``name``, ``name=...``, ``no-name``)."""
    tname = token_name(token)
    if tname == name:
        return True
    return '=' not in token and tname == 'no-' + name


def option_value(tokens, name):
    """The value the command line gives option ``name`` (the last token wins, as in Xen).

    Returns None when absent, True for a bare flag, False for ``no-name``, else the string.
    """
    found = None
    for token in tokens:
        if not token_owned_by(token, name):
            continue
        if token == name:
            found = True
        elif token == 'no-' + name:
            found = False
        else:
            found = token.split('=', 1)[1]
    return found


def bool_word(value):
    """True/False for a Xen boolean word, None when ``value`` is not one."""
    if value is True or value is False:
        return value
    word = str(value).lower()
    if word in BOOL_TRUE:
        return True
    if word in BOOL_FALSE:
        return False
    return None


# ---------------------------------------------------------------- value checks

def _check_bool(name, value):
    if bool_word(value) is None:
        raise GrubConfigError('%s=%s: expected a boolean (%s)' % (name, value, '|'.join(BOOL_WORDS)))


def _check_size(name, value):
    if not SIZE_RE.match(value):
        raise GrubConfigError('%s=%s: expected a size such as 512M, 4G or 65536k' % (name, value))


def _check_positive_size(name, value):
    _check_size(name, value)
    if int(re.sub(r'[TtGgMmKkBb]$', '', value), 0) <= 0:
        raise GrubConfigError('%s=%s: the size must be greater than zero' % (name, value))


_DOM0_SZ_RE = re.compile(r'^-?((0x[0-9a-fA-F]+|[0-9]+)[TtGgMmKkBb]?|((0x[0-9a-fA-F]+|[0-9]+)[TtGgMmKkBb]?\+)?[0-9]{1,2}%)$')


def _check_dom0_mem(name, value):
    seen = set()
    for item in value.split(','):
        kind, _sep, size = item.rpartition(':')
        if kind not in ('', 'min', 'max') or not _DOM0_SZ_RE.match(size):
            raise GrubConfigError(
                '%s=%s: expected a list of <size>, min:<size>, max:<size> (for example 4G,max:4G); '
                '"%s" is not one' % (name, value, item))
        if kind in seen:
            raise GrubConfigError('%s=%s: "%s" is given twice' % (name, value, kind or '<size>'))
        seen.add(kind)


def _check_vcpus(name, value):
    if not re.match(r'^([0-9]+|[0-9]*-[0-9]*)$', value) or value == '-':
        raise GrubConfigError('%s=%s: expected <n> or <min>-<max>' % (name, value))


def _check_sub_list(allowed_bools, allowed_values=None, allow_leading_bool=True, allow_int=False):
    """A checker for ``List of [ <bool>, sub=<bool>, sub=value ]`` options."""
    allowed_values = allowed_values or {}

    def check(name, value):
        for item in value.split(','):
            if allow_leading_bool and bool_word(item) is not None:
                continue
            if allow_int and re.match(r'^-?(0x[0-9a-fA-F]+|[0-9]+)$', item):
                continue
            sub, sep, subval = item.partition(':' if ':' in item and '=' not in item else '=')
            bare = sub[3:] if sub.startswith('no-') and not sep else sub
            if bare in allowed_bools and (not sep or (sep == '=' and bool_word(subval) is not None)):
                continue
            if sub in allowed_values and sep and re.match(allowed_values[sub], subval):
                continue
            raise GrubConfigError('%s=%s: "%s" is not a known sub-option of %s' % (name, value, item, name))
    return check


def _check_choice(*choices):
    def check(name, value):
        if value not in choices:
            raise GrubConfigError('%s=%s: expected one of %s' % (name, value, ', '.join(choices)))
    return check


def _check_bool_or(*words):
    def check(name, value):
        if value not in words and bool_word(value) is None:
            raise GrubConfigError('%s=%s: expected a boolean or one of %s' % (name, value, ', '.join(words)))
    return check


def _check_loglvl(name, value):
    levels = ('none', 'error', 'warning', 'info', 'debug', 'all')
    parts = value.split('/')
    if len(parts) > 2 or any(p not in levels for p in parts):
        raise GrubConfigError('%s=%s: expected <level>[/<level>] with levels %s' % (name, value, ', '.join(levels)))


def _check_console(name, value):
    for item in value.split(','):
        if not re.match(r'^(vga|com[12][HL]?|pv|dbgp|ehci|xhci|none)$', item):
            raise GrubConfigError('%s=%s: "%s" is not a Xen console' % (name, value, item))


def _check_spec_ctrl(name, value):
    for item in value.split(','):
        word = bool_word(item)
        if word is True:
            raise GrubConfigError('%s=%s: a positive overall boolean is invalid for spec-ctrl '
                                  '(Xen picks the mitigations by default)' % (name, value))
        if word is False or item == 'no-xen':
            continue
        if not re.match(r'^(no-)?[a-z0-9-]+(=[a-z0-9-]+)?$', item):
            raise GrubConfigError('%s=%s: "%s" is not a spec-ctrl sub-option' % (name, value, item))


def _check_int(name, value):
    if not re.match(r'^-?(0x[0-9a-fA-F]+|[0-9]+)$', value):
        raise GrubConfigError('%s=%s: expected an integer' % (name, value))


_IOMMU_SUBS = ('verbose', 'debug', 'force', 'required', 'quarantine', 'sharept', 'superpages', 'intremap',
               'intpost', 'crash-disable', 'snoop', 'qinval', 'igfx', 'amd-iommu-perdev-intremap',
               'dom0-passthrough', 'dom0-strict')

# Options whose values are checked; any other well-formed option passes with the generic check.
VALIDATORS = {
    'smt': _check_bool,
    'pv-linear-pt': _check_bool,
    'noreboot': _check_bool,
    'dom0_vcpus_pin': _check_bool,
    'scrub-domheap': _check_bool,
    'sync_console': _check_bool,
    'console_to_ring': _check_bool,
    'tsx': _check_bool,
    'hap': _check_bool,
    'pv-shim': _check_bool,
    'hvm_fep': _check_bool,
    'conring_size': _check_positive_size,
    'availmem': _check_size,
    'bootscrub_chunk': _check_positive_size,
    'low_mem_virq_limit': _check_size,
    'serial_tx_buffer': _check_size,
    'dom0_mem': _check_dom0_mem,
    'dom0_max_vcpus': _check_vcpus,
    'ucode': _check_sub_list(('scan', 'nmi', 'allow-same', 'digest-check'), allow_leading_bool=False,
                             allow_int=True),
    'iommu': _check_sub_list(_IOMMU_SUBS, {'quarantine': r'^scratch-page$'}),
    'dom0-iommu': _check_sub_list(('passthrough', 'strict', 'map-inclusive', 'map-reserved', 'none'),
                                  allow_leading_bool=False),
    'pv': _check_sub_list(('32',), allow_leading_bool=False),
    'pv-l1tf': _check_sub_list(('dom0', 'domu')),
    'gnttab': _check_sub_list(('transitive', 'transfer'), {'max-ver': r'^[12]$'}, allow_leading_bool=False),
    'spec-ctrl': _check_spec_ctrl,
    'smap': _check_bool_or('hvm'),
    'smep': _check_bool_or('hvm'),
    'bootscrub': _check_bool_or('idle'),
    'watchdog': _check_bool_or('force'),
    'watchdog_timeout': _check_int,
    'sched': _check_choice('credit', 'credit2', 'arinc653', 'rtds', 'null'),
    'flask': _check_choice('permissive', 'enforcing', 'late', 'disabled'),
    'loglvl': _check_loglvl,
    'guest_loglvl': _check_loglvl,
    'console': _check_console,
}


def _check_xpti(name, value):
    base = _check_sub_list(('dom0', 'domu'))
    for item in value.split(','):
        if item != 'default':
            base(name, item)


VALIDATORS['xpti'] = _check_xpti


def render_token(name, value):
    """The command-line token for option ``name`` set to ``value`` (True: bare flag; False: ``=0``)."""
    if value is True:
        return name
    if value is False:
        return '%s=0' % name
    if isinstance(value, (list, tuple)):
        value = ','.join(render_value(v) for v in value)
    return '%s=%s' % (name, render_value(value))


def render_value(value):
    if value is True:
        return '1'
    if value is False:
        return '0'
    return str(value)


def validate_option(name, value):
    """Raise GrubConfigError unless ``name`` / ``value`` form a safe, well-formed Xen option."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise GrubConfigError('"%s" is not a valid Xen option name (letters, digits, _ . - [ ])' % (name,))
    if name == 'placeholder':
        raise GrubConfigError('"placeholder" is the word GRUB puts first on the line, not an option')
    if value is None or value is True:
        return
    if isinstance(value, dict):
        raise GrubConfigError('%s: a value must be a string, a number, a boolean or a list, not a mapping' % name)
    token = render_token(name, value)
    text = token.split('=', 1)[1]
    if text == '':
        raise GrubConfigError('%s: the value is empty; use null to remove the option or true for a bare flag'
                              % name)
    if not VALUE_RE.match(text):
        raise GrubConfigError('%s=%s: the value holds characters that are unsafe on a GRUB/shell command line '
                              '(allowed: letters, digits and _ . , : = + %% @ / - [ ])' % (name, text))
    checker = VALIDATORS.get(name)
    if checker is not None:
        checker(name, text)


def validate_options(options):
    """Check every option, and that no option is given together with its ``no-`` form."""
    if not isinstance(options, dict):
        raise GrubConfigError('options must be a mapping of option name to value')
    for name, value in options.items():
        validate_option(name, value)
    for name in options:
        if name.startswith('no-') and name[3:] in options:
            raise GrubConfigError('conflicting options: both "%s" and "%s" are given' % (name[3:], name))


# ---------------------------------------------------------------- the file

def _strip_comment(rest):
    """Split an assignment's right-hand side into (value_text, trailing) honouring quotes."""
    if rest.startswith('"'):
        end = rest.find('"', 1)
        while end != -1 and rest[end - 1] == '\\':
            end = rest.find('"', end + 1)
        if end == -1:
            return None, None, '"'
        return rest[1:end], rest[end + 1:], '"'
    if rest.startswith("'"):
        end = rest.find("'", 1)
        if end == -1:
            return None, None, "'"
        return rest[1:end], rest[end + 1:], "'"
    m = re.match(r'^(\S*)(.*)$', rest)
    return m.group(1), m.group(2), ''


def _lines(text):
    """The lines of ``text`` with their ends, split at newlines only, as the shell that sources it does
    (str.splitlines would also split at form feeds and other separators, and miscount lines)."""
    return re.findall(r'[^\n]*\n|[^\n]+', text)


class XenCfg(object):
    """``xen.cfg`` as lines; ``tokens`` of the managed variable; ``set_tokens`` / ``render``."""

    def __init__(self, text, variable=VARIABLE):
        self.original = text
        self.variable = variable
        self.lines = _lines(text)
        self.index = None          # line index of the assignment in effect (the last one)
        self.quote = '"'
        self.trailing = '\n'
        self.prefix = ''
        self.template_index = None  # Debian's commented example line, where a new line goes
        self.tokens = []
        self.other_tokens = []      # GRUB_CMDLINE_XEN (not managed, reported)
        self.assignments = 0
        self._parse()

    def _parse(self):
        for i, line in enumerate(self.lines):
            if self.template_index is None and _COMMENTED_RE.match(line):
                self.template_index = i
            m = _ASSIGN_RE.match(line.rstrip('\r\n'))
            if not m or m.group('var') not in (self.variable, OTHER_VARIABLE):
                continue
            value, trailing, quote = _strip_comment(m.group('rest'))
            if value is None:
                raise GrubConfigError('%s: unterminated quote in the assignment' % m.group('var'), line=i + 1)
            if trailing.strip() and not trailing.strip().startswith('#'):
                raise GrubConfigError('%s: unexpected text after the value ("%s"); the line cannot be managed safely'
                                      % (m.group('var'), trailing.strip()), line=i + 1)
            if quote != "'" and re.search(r'[$`\\]', value):
                raise GrubConfigError(
                    '%s uses shell expansion (%s); it cannot be merged safely. Write the options literally, '
                    'for example %s="dom0_mem=4G,max:4G smt=0"' % (m.group('var'), value, m.group('var')),
                    line=i + 1)
            if m.group('var') == OTHER_VARIABLE:
                self.other_tokens = split_tokens(value)
                continue
            self.assignments += 1
            self.index = i
            self.quote = quote or '"'
            self.prefix = m.group('indent') + (m.group('export') or '')
            self.trailing = trailing + ('\n' if line.endswith('\n') else '')
            self.tokens = split_tokens(value)

    def set_tokens(self, tokens):
        for token in tokens:
            if not VALUE_RE.match(token):
                raise GrubConfigError('token "%s" holds characters unsafe on a GRUB/shell command line' % token)
        quote = self.quote if self.quote else '"'
        line = '%s%s=%s%s%s%s' % (self.prefix, self.variable, quote, ' '.join(tokens), quote,
                                  self.trailing if self.index is not None else '\n')
        if self.index is not None:
            self.lines[self.index] = line
        else:
            if self.template_index is not None:
                at = self.template_index + 1
            else:
                at = len(self.lines)
                if self.lines and not self.lines[-1].endswith('\n'):
                    self.lines[-1] += '\n'
            self.lines.insert(at, line)
            self.index = at
            if self.template_index is not None and self.template_index >= at:
                self.template_index += 1
        self.tokens = list(tokens)

    def render(self):
        return ''.join(self.lines)


def merge_tokens(tokens, options, state='present'):
    """New token list: options set (in place of the tokens they own) or removed; others kept.

    ``state=present``: a value of None removes the option, anything else sets it.
    ``state=absent``: every named option is removed whatever its value.
    A newly set option that was absent is appended at the end.
    """
    result = list(tokens)
    for name, value in options.items():
        owned = [i for i, t in enumerate(result) if token_owned_by(t, name)]
        if state == 'absent' or value is None:
            result = [t for i, t in enumerate(result) if i not in owned]
            continue
        new = render_token(name, value)
        if owned:
            first = owned[0]
            result = [t for i, t in enumerate(result) if i not in owned[1:]]
            result[first] = new
        else:
            result.append(new)
    return result


def overriding_files(path, listing):
    """Files sourced after ``path`` (grub-mkconfig sources /etc/default/grub.d/*.cfg in order)."""
    base = path.rsplit('/', 1)[-1]
    return sorted(name for name in listing if name.endswith('.cfg') and name > base)


def assigns_variable(text, variable=VARIABLE):
    """Line numbers (1-based) where ``text`` assigns ``variable`` (not commented)."""
    found = []
    for i, line in enumerate(_lines(text)):
        m = _ASSIGN_RE.match(line.rstrip('\r\n'))
        if m and m.group('var') == variable:
            found.append(i + 1)
    return found
