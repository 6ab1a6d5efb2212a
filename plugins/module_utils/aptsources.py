# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Debian mirrors a host's apt already uses, read from its sources (one-line and deb822 formats).

The FLASK build debootstraps a chroot of the target distribution and fetches Xen's source: it takes the
mirror from the build host's own apt sources unless the user names one, so a host that reaches Debian only
through its own mirror or proxy builds without further settings.

sources.list(5): a one-line entry is ``deb [options] URI suite [component...]``; a deb822 stanza in a
``*.sources`` file has ``Types:``, ``URIs:``, ``Suites:``, ``Components:`` and ``Enabled: no`` turns it off.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re

# Debian's release names and aliases: another suite of the same archive is only taken from one of these
# (not from a third-party repository that also has a "main" component).
DEBIAN_SUITES = frozenset(('buster', 'bullseye', 'bookworm', 'trixie', 'forky', 'duke', 'oldoldstable',
                           'oldstable', 'stable', 'testing', 'unstable', 'sid'))
URI_RE = re.compile(r'^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9_.~+/-]*)?$')


def parse_one_line(text):
    """Entries of a sources.list-format text: [{'types', 'uris', 'suites', 'components'}]."""
    entries = []
    for raw in text.splitlines():
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        line = re.sub(r'\[[^\]]*\]', ' ', line)
        parts = line.split()
        if len(parts) < 3 or parts[0] not in ('deb', 'deb-src'):
            continue
        entries.append({'types': [parts[0]], 'uris': [parts[1]], 'suites': [parts[2]],
                        'components': parts[3:]})
    return entries


def parse_deb822(text):
    """Entries of a deb822 .sources text (stanzas split by blank lines; continuation lines folded)."""
    entries = []
    for stanza in re.split(r'\n\s*\n', text):
        fields, last = {}, None
        for raw in stanza.splitlines():
            if raw.lstrip().startswith('#'):
                continue
            if raw[:1] in (' ', '\t') and last:
                fields[last] += ' ' + raw.strip()
                continue
            if ':' not in raw:
                continue
            name, value = raw.split(':', 1)
            last = name.strip().lower()
            fields[last] = value.strip()
        if fields.get('enabled', 'yes').strip().lower() == 'no':
            continue
        if not fields.get('uris') or not fields.get('suites'):
            continue
        entries.append({'types': fields.get('types', '').split(), 'uris': fields['uris'].split(),
                        'suites': fields['suites'].split(), 'components': fields.get('components', '').split()})
    return entries


def read_entries(root='/'):
    """Every enabled entry of the host's apt sources, in apt's order (sources.list, then sources.list.d)."""
    base = os.path.join(root, 'etc/apt')
    entries = []
    path = os.path.join(base, 'sources.list')
    if os.path.isfile(path):
        with open(path) as handle:
            entries.extend(parse_one_line(handle.read()))
    for path in sorted(glob.glob(os.path.join(base, 'sources.list.d', '*'))):
        if not os.path.isfile(path):
            continue
        with open(path) as handle:
            text = handle.read()
        if path.endswith('.list'):
            entries.extend(parse_one_line(text))
        elif path.endswith('.sources'):
            entries.extend(parse_deb822(text))
    return entries


def mirrors(entries, distribution):
    """(mirror, security_mirror) for `distribution` from apt entries; either is None when none is found.

    The mirror is the first http(s) URI of an entry for the distribution itself (``bookworm``), else of
    any other Debian suite with ``main`` (one archive serves every release); the security mirror is that
    of ``<distribution>-security``, else of any ``*-security`` suite."""
    def first(match):
        for entry in entries:
            if not any(t in ('deb', 'deb-src') for t in entry['types']):
                continue
            if 'main' not in entry['components'] or not any(match(s) for s in entry['suites']):
                continue
            for uri in entry['uris']:
                uri = uri.rstrip('/')
                if URI_RE.match(uri):
                    return uri
        return None

    def release(suite):
        name, pocket = (suite.split('-', 1) + [''])[:2]
        return name in DEBIAN_SUITES and pocket in ('', 'updates', 'backports', 'proposed-updates')

    mirror = first(lambda s: s == distribution) or first(release)
    security = first(lambda s: s == distribution + '-security') or first(lambda s: s.endswith('-security'))
    return mirror, security
