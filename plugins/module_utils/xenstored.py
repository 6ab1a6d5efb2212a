# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the running xenstore daemon enforces, from its arguments (and oxenstored's configuration file).

Pure functions: the caller reads /proc/<pid>/cmdline and the configuration file. The rules follow Xen's
own source at the release tags the collection supports:

- C xenstored, Xen 4.17: tools/xenstore/xenstored_core.c (getopt string "DE:F:HI::KNPS:t:A:M:Q:q:T:RVW:w:U",
  the quota_* variables, set_quota); Xen 4.18 and later: tools/xenstored/core.c (getopt string
  "E:F:H::KNS:t:A:M:Q:q:T:W:w:U" from 4.19, set_quota over hard_quotas[]) and tools/xenstored/domain.c
  (hard_quotas[] and soft_quotas[] with their defaults).
- oxenstored: tools/ocaml/xenstored/parse_arg.ml (arguments), xenstored.ml parse_config (the keys of
  /etc/xen/oxenstored.conf), config.ml (how a line is read), define.ml and quota.ml (the defaults),
  connection.ml and transaction.ml (when a limit is off).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

C_XENSTORED = 'xenstored'
OXENSTORED = 'oxenstored'
XENSTORE_REL_PATH_MAX = 2048  # xen/include/public/io/xs_wire.h
OXENSTORED_CONF = '/etc/xen/oxenstored.conf'  # define.ml default_config_dir (/etc/xen) ^ "/oxenstored.conf"

# C xenstored's limits, named as Xen 4.18+ names them for -Q (domain.c hard_quotas[]); the defaults are
# the same at 4.17 (xenstored_core.c quota_* variables) and 4.20 (domain.c).
C_DEFAULTS = {
    'nodes': 1000,                  # -E / --entry-nb
    'watches': 128,                 # -W / --watch-nb
    'transactions': 10,             # -t / --transaction
    'outstanding': 20,              # -Q outstanding=
    'transaction-nodes': 1024,      # -Q transaction-nodes=
    'memory': 2 * 1024 * 1024 + 512 * 1024,   # -Q memory= (bytes; 0 switches it off)
    'node-permissions': 5,          # -A / --perm-nb
    'path-max': XENSTORE_REL_PATH_MAX,        # -M / --path-max
    'node-size': 2048,              # -S / --entry-size
    'memory-soft': 2 * 1024 * 1024,           # -q memory= (a syslog warning only)
}
_C_SHORT_TO_QUOTA = {'E': 'nodes', 'W': 'watches', 't': 'transactions', 'A': 'node-permissions',
                     'M': 'path-max', 'S': 'node-size'}
# getopt_long option strings and long options (name, has_arg 0/1/2, short) per generation
_C_SHORT = {'4.17': 'DE:F:HI::KNPS:t:A:M:Q:q:T:RVW:w:U', '4.18': 'DE:F:H::KNPS:t:A:M:Q:q:T:RVW:w:U',
            '4.19': 'E:F:H::KNS:t:A:M:Q:q:T:W:w:U'}
_C_LONG_COMMON = (
    ('entry-nb', 1, 'E'), ('pid-file', 1, 'F'), ('event', 1, 'e'), ('master-domid', 1, 'm'), ('help', 0, 'H'),
    ('no-fork', 0, 'N'), ('priv-domid', 1, 'p'), ('entry-size', 1, 'S'), ('trace-file', 1, 'T'),
    ('transaction', 1, 't'), ('perm-nb', 1, 'A'), ('path-max', 1, 'M'), ('quota', 1, 'Q'),
    ('quota-soft', 1, 'q'), ('timeout', 1, 'w'), ('keep-orphans', 0, 'K'), ('watch-nb', 1, 'W'),
    ('live-update', 0, 'U'))
_C_LONG_OLD = (('no-domain-init', 0, 'D'), ('output-pid', 0, 'P'), ('no-recovery', 0, 'R'),
               ('internal-db', 2, 'I'), ('verbose', 0, 'V'))
_C_LONG_NEW = (('trace-control', 1, '1'),)  # 4.19+: --trace-control=+<switch> (core.c, option value 1)
# -Q names each generation accepts (4.17: set_quota in xenstored_core.c; 4.18+: hard_quotas[].name)
_C_Q_NAMES_417 = ('outstanding', 'transaction-nodes', 'memory')
_C_Q_NAMES_418 = ('nodes', 'watches', 'outstanding', 'memory', 'transactions', 'transaction-nodes',
                  'node-permissions', 'path-max', 'node-size')

# oxenstored: the keys of oxenstored.conf that set a limit or switch one off, with Xen's compiled-in
# defaults (define.ml, quota.ml, perms.ml) - what applies when the file or the key is absent.
OCAML_DEFAULTS = {
    'quota-activate': True,
    'quota-maxentity': 1000,
    'quota-maxsize': 2048,
    'quota-maxwatch': 100,
    'quota-transaction': 10,
    'quota-maxrequests': 1024,
    'quota-maxoutstanding': 1024,
    'quota-maxwatchevents': 1024,
    'quota-path-max': XENSTORE_REL_PATH_MAX,
    'perms-activate': True,
    'perms-watch-activate': True,
}
_OCAML_BOOLS = ('quota-activate', 'perms-activate', 'perms-watch-activate')
# parse_arg.ml speclist (OCaml's Arg also takes --name=value)
_OCAML_OPTIONS = ('--no-domain-init', '--config-file', '--no-fork', '--reraise-top-level', '--no-access-log',
                  '--pid-file', '-T', '--restart', '--live', '--config-test', '--disable-socket', '--help')


def implementation(exe, comm):
    """'oxenstored' or 'xenstored' from the process's executable (a link may hide which one runs), else
    its name; None when neither is a xenstore daemon."""
    for name in (exe, comm):
        base = posixpath.basename(str(name or '')).strip()
        if base.endswith(' (deleted)'):
            base = base[:-len(' (deleted)')]
        if base in (OXENSTORED, C_XENSTORED):
            return base
    return None


def release_of(exe, version):
    """(major, minor) whose rules apply: from the daemon's path (Debian: /usr/lib/xen-4.17/bin/...), else
    the hypervisor's version (a tuple or 'major.minor...'); None when neither tells."""
    match = re.search(r'xen-(\d+)\.(\d+)', str(exe or ''))
    if match:
        return int(match.group(1)), int(match.group(2))
    if isinstance(version, (tuple, list)) and len(version) >= 2:
        return int(version[0]), int(version[1])
    match = re.match(r'^\s*(\d+)\.(\d+)', str(version or ''))
    return (int(match.group(1)), int(match.group(2))) if match else None


def _generation(release):
    if release is None or tuple(release) >= (4, 19):
        return '4.19'
    return '4.18' if tuple(release) >= (4, 18) else '4.17'


def _strtol(text):
    """C strtol(text, NULL, 10) as xenstored 4.17 reads -E/-S/-t/-W/-A/-M: the leading number, 0 if none."""
    match = re.match(r'^\s*([+-]?\d+)', text)
    return int(match.group(1)) if match else 0


def _optval(text):
    """get_optval_int/get_optval_uint: a whole decimal number >= 0 (else xenstored refuses to start)."""
    match = re.match(r'^\s*\+?(\d+)\Z', text)
    if not match or int(match.group(1)) > 0x7fffffff:
        return None
    return int(match.group(1))


def _getopt(args, short, longs):
    """GNU getopt_long over args: [(option, value)], option being the short letter, and the unrecognised."""
    takes = {}
    for i, char in enumerate(short):
        if char == ':':
            continue
        takes[char] = 2 if short[i + 1:i + 3] == '::' else (1 if short[i + 1:i + 2] == ':' else 0)
    found, unknown = [], []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == '--':
            break
        if arg.startswith('--'):
            name, eq, value = arg[2:].partition('=')
            exact = [opt for opt in longs if opt[0] == name]
            matches = exact or [opt for opt in longs if opt[0].startswith(name)]
            if len(matches) != 1:
                unknown.append(arg)
                continue
            _name, has_arg, letter = matches[0]
            if has_arg == 1 and not eq:
                if i >= len(args):
                    unknown.append(arg)
                    continue
                value, i = args[i], i + 1
            elif has_arg == 0 and eq:
                unknown.append(arg)
                continue
            found.append((letter, value if (eq or has_arg == 1) else None))
        elif arg.startswith('-') and arg != '-':
            chars = arg[1:]
            while chars:
                letter, chars = chars[0], chars[1:]
                if letter not in takes:
                    unknown.append('-' + letter)
                    continue
                if takes[letter] == 0:
                    found.append((letter, None))
                    continue
                if chars:
                    found.append((letter, chars))  # the rest of the word is its argument
                elif takes[letter] == 2:
                    found.append((letter, None))   # an optional argument is only ever attached
                elif i < len(args):
                    found.append((letter, args[i]))
                    i += 1
                else:
                    unknown.append('-' + letter)
                break
        # a word that is no option: xenstored refuses to start ("No arguments desired")
    return found, unknown


def c_xenstored_state(argv, release):
    """What C xenstored enforces, from its arguments (argv without argv[0])."""
    generation = _generation(release)
    longs = _C_LONG_COMMON + (_C_LONG_OLD if generation != '4.19' else _C_LONG_NEW)
    options, unknown = _getopt(list(argv), _C_SHORT[generation], longs)
    quotas = dict(C_DEFAULTS)
    notes = []
    keep_orphans = False
    q_names = _C_Q_NAMES_417 if generation == '4.17' else _C_Q_NAMES_418
    for letter, value in options:
        if letter == 'K':
            keep_orphans = True
        elif letter in _C_SHORT_TO_QUOTA:
            number = _strtol(value) if generation == '4.17' else _optval(value)
            if number is None:
                notes.append('-%s %s is not a number xenstored accepts' % (letter, value))
                continue
            if letter == 'M':
                number = min(XENSTORE_REL_PATH_MAX, number)
            quotas[_C_SHORT_TO_QUOTA[letter]] = number
        elif letter in ('Q', 'q'):
            name, eq, text = value.partition('=')
            number = _optval(text) if eq else None
            allowed = q_names if letter == 'Q' else ('memory',)
            if number is None or name not in allowed:
                notes.append('-%s %s is not a quota this xenstored accepts (it refuses to start)' % (letter, value))
                continue
            if name == 'path-max':
                number = min(XENSTORE_REL_PATH_MAX, number)
            quotas[name if letter == 'Q' else 'memory-soft'] = number
    off = []
    if quotas['memory'] == 0:
        off.append('memory=0 switches the per-domain memory quota off (it is checked only when non-zero)')
    if generation == '4.17' and quotas['node-size'] < 0:
        off.append('-S %d: a negative node size is compared as unsigned, so no node is too big'
                   % quotas['node-size'])
    dangerous = []
    if keep_orphans:
        dangerous.append('-K (--keep-orphans): the nodes of a destroyed guest are kept and handed to the '
                         'privileged domain, which no quota counts, instead of deleted - a guest can leave its '
                         'full quota behind at every restart and later guests can find its data')
    return {'quotas': quotas, 'defaults': dict(C_DEFAULTS), 'keep_orphans': keep_orphans, 'off': off,
            'dangerous': dangerous, 'unrecognised': unknown, 'notes': notes,
            'rules': 'C xenstored %s' % ('4.17' if generation == '4.17' else '4.18 and later')}


def oxenstored_config_path(argv):
    """The configuration file oxenstored reads: --config-file, else /etc/xen/oxenstored.conf."""
    path = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == '--config-file' and i + 1 < len(argv):
            path = argv[i + 1]
            i += 1
        elif arg.startswith('--config-file='):
            path = arg[len('--config-file='):]
        i += 1
    return path or OXENSTORED_CONF


def _ocaml_int(text):
    """OCaml int_of_string: decimal, 0x/0o/0b/0u prefixes, underscores, a sign; None when it fails."""
    match = re.match(r'^([+-]?)(0[xX][0-9a-fA-F][0-9a-fA-F_]*|0[oO][0-7][0-7_]*|0[bB][01][01_]*'
                     r'|0[uU]\d[\d_]*|\d[\d_]*)\Z', text)
    if not match:
        return None
    digits = match.group(2).replace('_', '')
    base = {'x': 16, 'o': 8, 'b': 2}.get(digits[1:2].lower(), 10)
    number = int(digits[2:], base) if base != 10 or digits[1:2].lower() == 'u' else int(digits)
    return -number if match.group(1) == '-' else number


def parse_oxenstored_conf(text):
    """(settings, errors): the limits oxenstored applies after reading its configuration file.

    config.ml: a line is trimmed of blanks; empty lines and lines starting with '#' are skipped; a line
    without '=' is ignored; key and value are split at the first '=' (no comment after a value: "true # x"
    is not a boolean). Lines apply in order, the last wins; a value of the wrong type is an error that
    leaves the setting as it was (the default or an earlier line). None for text means no file: defaults.
    """
    settings = dict(OCAML_DEFAULTS)
    errors = []
    for number, raw in enumerate((text or '').splitlines(), 1):
        line = raw.strip(' \t')
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        key, value = key.rstrip(' \t'), value.lstrip(' \t')
        if key not in settings:
            continue
        if key in _OCAML_BOOLS:
            if value not in ('true', 'false'):
                errors.append('line %d: %s = %s is not true or false, so it stays %s'
                              % (number, key, value, 'true' if settings[key] else 'false'))
                continue
            settings[key] = value == 'true'
        else:
            parsed = _ocaml_int(value)
            if parsed is None:
                errors.append('line %d: %s = %s is not an integer, so it stays %s' % (number, key, value, settings[key]))
                continue
            settings[key] = parsed
    return settings, errors


def oxenstored_state(argv, conf_text, conf_error=None):
    """What oxenstored enforces: its configuration file's settings over Xen's defaults.

    conf_text None with no conf_error means the file does not exist (oxenstored then uses its defaults).
    """
    options, unknown = [], []
    for arg in argv:
        if arg.startswith('-'):
            name = arg.split('=', 1)[0]
            (options if name in _OCAML_OPTIONS else unknown).append(arg)
    settings, errors = parse_oxenstored_conf(conf_text)
    off = []
    if not settings['quota-activate']:
        off.append('quota-activate = false switches the node, node size and watch quotas off (quota.ml, '
                   'connection.ml)')
    if settings['quota-activate'] and settings['quota-maxwatch'] <= 0:
        off.append('quota-maxwatch = %d: no watch limit (only a positive value limits)' % settings['quota-maxwatch'])
    if settings['quota-transaction'] <= 0:
        off.append('quota-transaction = %d: no transaction limit (only a positive value limits)'
                   % settings['quota-transaction'])
    if settings['quota-maxrequests'] < 0:
        off.append('quota-maxrequests = %d: no limit on requests per transaction' % settings['quota-maxrequests'])
    dangerous = []
    if not settings['perms-activate']:
        dangerous.append('perms-activate = false: xenstore checks no node permissions at all, every guest '
                         'reads and writes every node')
    if not settings['perms-watch-activate']:
        dangerous.append('perms-watch-activate = false: guests get watch events for nodes they cannot read '
                         '(the behaviour before XSA-115)')
    return {'quotas': settings, 'defaults': dict(OCAML_DEFAULTS), 'keep_orphans': False, 'off': off,
            'dangerous': dangerous, 'unrecognised': unknown, 'notes': errors, 'rules': 'oxenstored'}


def raised(state):
    """The limits set above Xen's default, as 'name=value (default N)'."""
    out = []
    for name in sorted(state.get('quotas') or {}):
        value, default = state['quotas'][name], (state.get('defaults') or {}).get(name)
        if isinstance(value, bool) or not isinstance(default, int) or isinstance(default, bool):
            continue
        if value > default:
            out.append('%s=%s (default %s)' % (name, value, default))
    return out


def daemon_facts(pid, exe, comm, argv, version, read_conf):
    """The xenstored fact of one running daemon.

    argv is /proc/<pid>/cmdline split at NULs (argv[0] first); read_conf(path) returns (text, error), text
    None and error None when the file does not exist.
    """
    impl = implementation(exe, comm)
    release = release_of(exe, version)
    facts = {'found': True, 'reason': '', 'pid': pid, 'implementation': impl, 'exe': exe,
             'argv': list(argv), 'release': list(release) if release else None,
             'config_path': None, 'config_error': None}
    args = list(argv[1:])
    if impl == OXENSTORED:
        path = oxenstored_config_path(args)
        text, error = read_conf(path)
        facts['config_path'] = path
        facts['config_error'] = error
        facts['state'] = oxenstored_state(args, text)
        if text is None and error is None:
            facts['state']['notes'].append('%s does not exist: Xen\'s compiled-in defaults apply' % path)
    else:
        facts['state'] = c_xenstored_state(args, release)
    return facts


def not_found(reason):
    return {'found': False, 'reason': reason, 'pid': None, 'implementation': None, 'exe': None, 'argv': [],
            'release': None, 'config_path': None, 'config_error': None, 'state': None}
