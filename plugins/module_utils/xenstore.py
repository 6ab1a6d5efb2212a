# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Xenstore: input checks, the `xenstore-ls -fp` parser, backends, and a client over the
xenstore-* command-line tools.

The tools quote values the same way in both directions: printable ASCII stays as it is, a
backslash becomes two, tab/newline/carriage return become \\t \\n \\r, bytes below 8 become
\\ooo (octal) and every other byte \\xNN. xenstore-write un-quotes its value argument, so
values are quoted here before they are written.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.xenguard.hardening.plugins.module_utils.runner import (
    CommandRunner,
    XenCommandError,
    XenGuardError,
)

# xenstored: XENSTORE_ABS_PATH_MAX / XENSTORE_REL_PATH_MAX (the latter counted after
# /local/domain/<domid>/ for paths below a domain's home).
ABS_PATH_MAX = 3072
REL_PATH_MAX = 2048
SPECIAL_NODES = ('@introduceDomain', '@releaseDomain')
MAX_PERMS = 16
DOMID_MAX = 65535

_PATH_CHARS = re.compile(r'^[A-Za-z0-9/_@-]+$')
_DOMAIN_HOME = re.compile(r'^/local/domain/\d{1,5}/')
_PERM = re.compile(r'^([nrwb])(\d+)$')
# The structure xenstored, libxl and the toolstack build: removing one of these nodes (and with it
# everything below) takes a domain's devices, backends, control nodes or toolstack state away.
_STRUCTURE_ROOTS = ('/local', '/vm', '/tool', '/libxl')
_DOMAIN_NODE = re.compile(r'^/local/domain/(\d+)(?:/([^/]+))?$')


# ---------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------

def validate_path(path, allow_special=False):
    """Raise XenGuardError unless ``path`` is a node name xenstored accepts.

    Absolute (starts with /), only letters, digits and - / _ @, no empty component (//),
    no trailing / except the root itself, within xenstored's length limits. With
    allow_special, the special watch nodes @introduceDomain and @releaseDomain pass too.
    """
    if not isinstance(path, str):
        raise XenGuardError('xenstore path must be a string, got %s' % type(path).__name__,
                            path=repr(path))
    if allow_special and path in SPECIAL_NODES:
        return path
    if not path.startswith('/'):
        raise XenGuardError('xenstore path %r is not absolute: it must start with /' % path, path=path)
    if not _PATH_CHARS.match(path):
        bad = sorted(set(c for c in path if not re.match(r'[A-Za-z0-9/_@-]', c)))
        raise XenGuardError('xenstore path %r has characters xenstore does not allow: %s '
                            '(only letters, digits and - / _ @)' % (path, ' '.join(repr(c) for c in bad)),
                            path=path)
    if '//' in path:
        raise XenGuardError('xenstore path %r has an empty component (//)' % path, path=path)
    if path != '/' and path.endswith('/'):
        raise XenGuardError('xenstore path %r ends with /' % path, path=path)
    if len(path) > ABS_PATH_MAX:
        raise XenGuardError('xenstore path is %d characters long; xenstore allows at most %d'
                            % (len(path), ABS_PATH_MAX), path=path)
    home = _DOMAIN_HOME.match(path)
    relative = len(path) - (home.end() if home else 0)
    if relative > REL_PATH_MAX:
        raise XenGuardError('xenstore path is %d characters long (below the domain home); '
                            'xenstore allows at most %d' % (relative, REL_PATH_MAX), path=path)
    return path


def removal_refused(path):
    """Why removing ``path`` (with its subtree) is refused, or None when it may be removed.

    Refused: /, the top-level nodes /local, /vm, /tool, /libxl and their immediate children
    (/local/domain, /vm/<uuid>, /libxl/<domid>, ...), every domain's home /local/domain/<domid> and
    the nodes directly in it (device, backend, control, data, ...). Deeper keys may be removed.
    """
    if path == '/':
        return 'it is the xenstore root'
    match = _DOMAIN_NODE.match(path)
    if match:
        if match.group(2) is None:
            return 'it is the home of domain %s: removing it takes everything the domain has in xenstore' \
                % match.group(1)
        return ('it is part of the structure of domain %s (%s holds a whole subtree the toolstack and the '
                'drivers use)' % (match.group(1), match.group(2)))
    for root in _STRUCTURE_ROOTS:
        if path == root:
            return 'it is the top-level node %s the toolstack keeps its state in' % root
        if path.startswith(root + '/') and '/' not in path[len(root) + 1:]:
            return 'it is a node directly below %s, part of the structure the toolstack keeps' % root
    return None


def validate_value(value):
    """Raise XenGuardError unless ``value`` is a string (numbers and booleans must be quoted)."""
    if not isinstance(value, str):
        raise XenGuardError('xenstore value must be a string, got %s %r: quote it in YAML'
                            % (type(value).__name__, value), value=repr(value))
    return value


def validate_perms(perms):
    """Check a permission list like ['n0', 'r1']; return it lower-cased.

    The first entry names the owner and the access everyone else gets; the rest grant one
    domain n(one), r(ead), w(rite) or b(oth).
    """
    if not isinstance(perms, (list, tuple)) or not perms:
        raise XenGuardError('xenstore perms must be a non-empty list like ["n0", "r1"]', perms=repr(perms))
    if len(perms) > MAX_PERMS:
        raise XenGuardError('xenstore-chmod takes at most %d permissions, got %d' % (MAX_PERMS, len(perms)))
    checked = []
    for perm in perms:
        if not isinstance(perm, str):
            raise XenGuardError('xenstore permission %r must be a string like "r1"' % (perm,))
        match = _PERM.match(perm.strip().lower())
        if not match or int(match.group(2)) > DOMID_MAX:
            raise XenGuardError('xenstore permission %r is not one of n<domid>, r<domid>, w<domid>, '
                                'b<domid>' % perm, perm=perm)
        checked.append('%s%d' % (match.group(1), int(match.group(2))))
    seen = {}
    for index, perm in enumerate(checked[1:], 1):
        domid = int(perm[1:])
        if domid in seen:
            raise XenGuardError('xenstore permissions name domain %d twice (%s and %s): give each domain once'
                                % (domid, perms[seen[domid]], perms[index]), perms=list(perms))
        seen[domid] = index
    return checked


# ---------------------------------------------------------------------------
# quoting (the xenstore tools' sanitise/unsanitise)
# ---------------------------------------------------------------------------

def quote_value(value):
    """Quote a value the way xenstore-write expects (it un-quotes its argument)."""
    out = []
    for byte in bytearray(value.encode('utf-8')):
        if 0x20 <= byte <= 0x7e and byte != 0x5c:
            out.append(chr(byte))
        elif byte == 0x5c:
            out.append('\\\\')
        elif byte == 0x09:
            out.append('\\t')
        elif byte == 0x0a:
            out.append('\\n')
        elif byte == 0x0d:
            out.append('\\r')
        elif byte < 0o10:
            out.append('\\%03o' % byte)
        else:
            out.append('\\x%02x' % byte)
    quoted = ''.join(out)
    if quoted.startswith('-'):
        # never let a value look like an option to the tool's getopt
        quoted = '\\x2d' + quoted[1:]
    return quoted


_SIMPLE_ESCAPES = {'t': 0x09, 'n': 0x0a, 'r': 0x0d, '\\': 0x5c}


def unquote_value(text):
    """Undo the quoting of xenstore-read / xenstore-ls; returns text (UTF-8, lossy for binary)."""
    out = bytearray()
    raw = text.encode('utf-8')
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte != 0x5c or i + 1 >= len(raw):
            out.append(byte)
            i += 1
            continue
        nxt = chr(raw[i + 1])
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            i += 2
        elif nxt == 'x':
            digits = re.match(br'[0-9a-fA-F]{1,2}', raw[i + 2:i + 4])
            if digits:
                out.append(int(digits.group(0), 16))
                i += 2 + len(digits.group(0))
            else:
                out.append(ord('x'))
                i += 2
        elif nxt in '01234567':
            digits = re.match(br'[0-7]{1,3}', raw[i + 1:i + 4])
            out.append(int(digits.group(0), 8) & 0xff)
            i += 1 + len(digits.group(0))
        else:
            out.append(raw[i + 1])
            i += 2
    return out.decode('utf-8', 'replace')


# ---------------------------------------------------------------------------
# xenstore-ls -fp
# ---------------------------------------------------------------------------

# /path = "value"   (n0,r1)      value with perms (-p); without -p the perms part is missing
_LS_VALUE = re.compile(r'^(?P<path>[@/]\S*) = "(?P<value>.*)"(?:[ .]+\((?P<perms>[^()]*)\))?$')
# /path:  or  /path: (Permission denied)  and perms after it, when the value could not be read
_LS_NOVALUE = re.compile(r'^(?P<path>[@/][^\s:]*):(?: \((?P<error>[^()]*)\))?(?:\s+\((?P<perms>[^()]*)\))?$')


def _split_perms(text):
    if text is None:
        return None
    return [p.strip() for p in text.split(',') if p.strip()]


def parse_xenstore_ls(text):
    """Parse `xenstore-ls -fp` (or -f) output into {path: {value, perms}}.

    value is the un-quoted string, or None when xenstore-ls could not read it; perms is the
    list like ['n0', 'r1'], or None without -p. Lines are in xenstore's order.
    """
    tree = {}
    for number, raw in enumerate((text or '').splitlines(), 1):
        line = raw.rstrip('\r\n')
        if not line.strip():
            continue
        match = _LS_VALUE.match(line)
        if match:
            tree[match.group('path')] = {'value': unquote_value(match.group('value')),
                                         'perms': _split_perms(match.group('perms'))}
            continue
        match = _LS_NOVALUE.match(line)
        if match:
            tree[match.group('path')] = {'value': None, 'perms': _split_perms(match.group('perms'))}
            continue
        raise XenGuardError('Cannot parse line %d of xenstore-ls output (was it run with -f?): %s'
                            % (number, line), line=line)
    return tree


# ---------------------------------------------------------------------------
# backends
# ---------------------------------------------------------------------------

_BACKEND = re.compile(r'^/local/domain/(\d+)/backend/([A-Za-z0-9_-]+)/(\d+)/(\d+)$')
# backend types that are disks; vbd3 is tapdisk3, qdisk is QEMU's disk backend
BACKEND_KINDS = {'vif': 'vif', 'vbd': 'vbd', 'vbd3': 'vbd', 'qdisk': 'vbd', 'vtpm': 'vtpm'}


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def backends(tree):
    """The vif / vbd / vtpm backends found in a parsed xenstore tree.

    Each: {frontend_domid, devid, backend_domid, path, state, type}; state is the backend's
    XenbusState number (4 = connected) or None.
    """
    found = {'vif': [], 'vbd': [], 'vtpm': []}
    for path in tree:
        match = _BACKEND.match(path)
        if not match or match.group(2) not in BACKEND_KINDS:
            continue
        state = tree.get(path + '/state', {}).get('value')
        found[BACKEND_KINDS[match.group(2)]].append({
            'frontend_domid': int(match.group(3)),
            'devid': int(match.group(4)),
            'backend_domid': int(match.group(1)),
            'path': path,
            'state': _int_or_none(state),
            'type': match.group(2),
        })
    for kind in found:
        found[kind].sort(key=lambda b: (b['frontend_domid'], b['devid'], b['backend_domid']))
    return found


def parent_of(path):
    """The parent node of an absolute path ('/' for top-level nodes)."""
    if path == '/':
        return None
    head = path.rsplit('/', 1)[0]
    return head or '/'


# ---------------------------------------------------------------------------
# the client
# ---------------------------------------------------------------------------

class XenstoreClient(object):
    """Read and change xenstore through the xenstore-* tools.

    Writes are recorded in ``record`` (as command lines) for the module's ``commands``.
    """

    TOOLS = ('read', 'write', 'rm', 'chmod', 'ls', 'exists')

    def __init__(self, module):
        self.module = module
        self._runners = {}
        self.record = []

    def _runner(self, tool):
        if tool not in self._runners:
            self._runners[tool] = CommandRunner(self.module, 'xenstore-' + tool, required=True)
        return self._runners[tool]

    def _run(self, tool, args, write=False, check=True):
        runner = self._runner(tool)
        result = runner.run(args, check=check, write=write)
        if write:
            self.record.append(runner.record[-1])
        return result

    def exists(self, path):
        return self._run('exists', [path], check=False).rc == 0

    def read(self, path):
        """The value of ``path``, or None when it does not exist (or cannot be read)."""
        result = self._run('read', [path], check=False)
        if result.rc != 0:
            if "couldn't read path" in result.stderr or not result.stderr.strip():
                return None
            raise XenCommandError('xenstore-read %s failed (rc=%s): %s'
                                  % (path, result.rc, result.stderr.strip()), cmd=result.cmd,
                                  rc=result.rc, stdout=result.stdout, stderr=result.stderr)
        out = result.stdout
        if out.endswith('\n'):
            out = out[:-1]
        return unquote_value(out)

    def ls_text(self, path='/'):
        """The output of `xenstore-ls -fp path`, as printed."""
        return self._run('ls', ['-f', '-p', path]).stdout

    def ls(self, path='/'):
        """Parsed `xenstore-ls -fp path` (the nodes below path, not path itself)."""
        return parse_xenstore_ls(self.ls_text(path))

    def stat(self, path):
        """{exists, value, perms} of one node, read from its parent's listing."""
        parent = parent_of(path)
        if parent is None:
            raise XenGuardError('the xenstore root / has no parent to read its permissions from')
        result = self._run('ls', ['-f', '-p', parent], check=False)
        if result.rc != 0:
            if 'No such file or directory' in result.stderr:
                return {'exists': False, 'value': None, 'perms': None}
            raise XenCommandError('xenstore-ls %s failed (rc=%s): %s'
                                  % (parent, result.rc, result.stderr.strip()), cmd=result.cmd,
                                  rc=result.rc, stdout=result.stdout, stderr=result.stderr)
        node = parse_xenstore_ls(result.stdout).get(path)
        if node is None:
            return {'exists': False, 'value': None, 'perms': None}
        return {'exists': True, 'value': node['value'], 'perms': node['perms']}

    def write(self, path, value):
        validate_path(path)
        validate_value(value)
        return self._run('write', [path, quote_value(value)], write=True)

    def rm(self, path):
        validate_path(path)
        return self._run('rm', [path], write=True)

    def chmod(self, path, perms):
        validate_path(path, allow_special=True)
        return self._run('chmod', [path] + validate_perms(perms), write=True)
