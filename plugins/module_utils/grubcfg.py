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
How Xen reads the tokens (booleans, sizes, list options, the values it accepts) is xencmdline.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

from ansible_collections.xenguard.hardening.plugins.module_utils.xencmdline import (
    VALUE_RE,
    render_token,
    split,
)

VARIABLE = 'GRUB_CMDLINE_XEN_DEFAULT'
OTHER_VARIABLE = 'GRUB_CMDLINE_XEN'

_ASSIGN_RE = re.compile(r'^(?P<indent>\s*)(?P<export>export\s+)?(?P<var>[A-Za-z_][A-Za-z0-9_]*)=(?P<rest>.*)$')
_COMMENTED_RE = re.compile(r'^\s*#\s*(export\s+)?%s=' % VARIABLE)


class GrubConfigError(ValueError):
    """Bad input or a file this module cannot manage safely; ``line`` is 1-based when known."""

    def __init__(self, msg, line=None):
        super(GrubConfigError, self).__init__(msg)
        self.msg = msg
        self.line = line


# ---------------------------------------------------------------- tokens and names

def token_name(token):
    """The text before the first ``=`` of a token, as written: ``dom0_mem=1G,max:1G`` -> ``dom0_mem``.

    ``no-smt`` stays ``no-smt`` here: the editor owns tokens by how they are written (token_owned_by);
    how Xen reads them is xencmdline's business.
    """
    return token.partition('=')[0]


def token_owned_by(token, name):
    """True when managing option ``name`` owns ``token`` (``name``, ``name=...``, ``no-name``)."""
    tname = token_name(token)
    if tname == name:
        return True
    return '=' not in token and tname == 'no-' + name


# ---------------------------------------------------------------- the file

def _strip_comment(rest):
    """Split an assignment's right-hand side into (value_text, trailing) honouring quotes."""
    if rest.startswith('"'):
        end = rest.find('"', 1)
        while end != -1 and rest[end - 1] == '\\':
            end = rest.find('"', end + 1)
        if end == -1:
            return None, None, None
        return rest[1:end], rest[end + 1:], '"'
    if rest.startswith("'"):
        end = rest.find("'", 1)
        if end == -1:
            return None, None, None
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
        self.variable = variable
        self.lines = _lines(text)
        self.index = None          # line index of the assignment in effect (the last one)
        self.quote = '"'           # a new assignment is double-quoted
        self.trailing = '\n'       # what follows the value: a new line ends here; else comment and line ending
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
            content = line.splitlines()[0]     # lines of splitlines(True) are never empty
            m = _ASSIGN_RE.match(content)
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
                self.other_tokens = split(value)
                continue
            self.assignments += 1
            self.index = i
            self.quote = quote or '"'
            self.prefix = m.group('indent') + (m.group('export') or '')
            self.trailing = trailing + line[len(content):]     # the comment and the line's own ending
            self.tokens = split(value)

    def set_tokens(self, tokens):
        for token in tokens:
            if not VALUE_RE.match(token):
                raise GrubConfigError('token "%s" holds characters unsafe on a GRUB/shell command line' % token)
        line = '%s%s=%s%s%s%s' % (self.prefix, self.variable, self.quote, ' '.join(tokens), self.quote,
                                  self.trailing)
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
    base = posixpath.basename(path)
    return sorted(name for name in listing if name.endswith('.cfg') and name > base)


def assigns_variable(text, variable=VARIABLE):
    """Line numbers (1-based) where ``text`` assigns ``variable`` (not commented)."""
    found = []
    for i, line in enumerate(_lines(text)):
        m = _ASSIGN_RE.match(line.rstrip('\r\n'))
        if m and m.group('var') == variable:
            found.append(i + 1)
    return found
