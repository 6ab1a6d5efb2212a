# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a split of the control and guest networks leaves in dom0: its listening sockets, its nftables
ruleset and what the network_split role declared, read into facts; and the two judgements over them
(a socket reachable from the guest side, the guest side filtered).

Pure functions: the caller reads /proc/net/{tcp,tcp6,udp,udp6} (the kernel's socket tables: local address
and port in hexadecimal, the address in host byte order per 32-bit word, state 0A = TCP LISTEN, 07 = UDP
unconnected), runs ``nft -j list ruleset`` (libnftables' JSON: objects ``table``, ``chain`` with ``hook``
and ``policy``, ``rule`` with ``expr``) and reads the role's declaration file (JSON).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import socket
import struct

PROC_NET_FILES = ('tcp', 'tcp6', 'udp', 'udp6')
TCP_LISTEN = '0A'
UDP_UNCONNECTED = '07'
WILDCARDS = ('0.0.0.0', '::')
DECLARATION_KEYS = ('control_nic', 'control_address', 'guest_nic', 'bridge', 'table')


class NetsplitParseError(ValueError):
    """Something read is not what the kernel or nft print."""


def _address(hexaddr, family):
    """A /proc/net address (hex, 32-bit words in host byte order - little-endian on x86) as text."""
    raw = bytes(bytearray.fromhex(hexaddr))
    words = [struct.unpack('<I', raw[i:i + 4])[0] for i in range(0, len(raw), 4)]
    packed = b''.join(struct.pack('>I', w) for w in words)
    return socket.inet_ntop(socket.AF_INET if family == 'inet' else socket.AF_INET6, packed)


def parse_proc_net(text, name):
    """The listening sockets of one /proc/net table (``tcp``, ``tcp6``, ``udp``, ``udp6``):
    [{proto, family, address, port}] - TCP sockets in LISTEN, UDP sockets bound and unconnected."""
    proto = name.rstrip('6')
    family = 'inet6' if name.endswith('6') else 'inet'
    wanted = TCP_LISTEN if proto == 'tcp' else UDP_UNCONNECTED
    out = []
    for number, line in enumerate((text or '').splitlines()):
        fields = line.split()
        if number == 0 or not fields:
            continue  # the header
        if len(fields) < 4 or ':' not in fields[1]:
            raise NetsplitParseError('/proc/net/%s line %d is not a socket entry: %r' % (name, number + 1, line))
        if fields[3].upper() != wanted:
            continue
        hexaddr, hexport = fields[1].split(':')
        try:
            entry = {'proto': proto, 'family': family, 'address': _address(hexaddr, family),
                     'port': int(hexport, 16)}
        except (ValueError, struct.error, OSError) as exc:
            raise NetsplitParseError('/proc/net/%s line %d has a local address that is not one (%s): %r'
                                     % (name, number + 1, exc, line))
        if entry not in out:
            out.append(entry)
    return out


def listening_sockets(tables):
    """Every listening socket of {name: text} of /proc/net/{tcp,tcp6,udp,udp6}; a table not read is skipped."""
    out = []
    for name in PROC_NET_FILES:
        if (tables or {}).get(name) is not None:
            out.extend(parse_proc_net(tables[name], name))
    return out


def _match_names(expr):
    """The interface names a rule's ``iifname``/``iif`` == match names, or None for another expression."""
    match = expr.get('match') if isinstance(expr, dict) else None
    if not isinstance(match, dict) or match.get('op', '==') not in ('==', 'in'):
        return None
    left = match.get('left')
    meta = left.get('meta') if isinstance(left, dict) else None
    if not (isinstance(meta, dict) and meta.get('key') in ('iifname', 'iif')):
        return None
    right = match.get('right')
    if isinstance(right, dict) and isinstance(right.get('set'), list):
        right = right['set']
    names = right if isinstance(right, list) else [right]
    return [str(n) for n in names if isinstance(n, (str, int))]


def parse_nft_ruleset(text):
    """``nft -j list ruleset`` as {chains: [{family, table, name, hook, policy, drops_iifnames}]}: the base
    chains (those with a hook) and, for each, the interface names one of its rules drops on ``iifname`` /
    ``iif`` alone (a counter allowed); other rules are not interpreted."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise NetsplitParseError('nft -j list ruleset printed no JSON (%s)' % exc)
    items = data.get('nftables') if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise NetsplitParseError('nft -j list ruleset printed no "nftables" list')
    chains = {}
    tables = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get('table'), dict):
            tables.append({'family': item['table'].get('family'), 'name': item['table'].get('name')})
        chain = item.get('chain')
        if isinstance(chain, dict) and chain.get('hook'):
            key = (chain.get('family'), chain.get('table'), chain.get('name'))
            chains[key] = {'family': key[0], 'table': key[1], 'name': key[2], 'hook': chain.get('hook'),
                           'policy': chain.get('policy', 'accept'), 'drops_iifnames': []}
        rule = item.get('rule')
        if isinstance(rule, dict):
            key = (rule.get('family'), rule.get('table'), rule.get('chain'))
            if key not in chains:
                continue
            exprs = [e for e in rule.get('expr') or [] if not (isinstance(e, dict) and 'counter' in e)]
            if len(exprs) == 2 and isinstance(exprs[1], dict) and 'drop' in exprs[1]:
                names = _match_names(exprs[0])
                for name in names or []:
                    if name not in chains[key]['drops_iifnames']:
                        chains[key]['drops_iifnames'].append(name)
    return {'tables': tables, 'chains': list(chains.values())}


def parse_declaration(text):
    """The network_split role's declaration (JSON: control_nic, control_address, guest_nic, bridge, table),
    or None when there is none."""
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise NetsplitParseError('the network_split declaration is not JSON (%s)' % exc)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in DECLARATION_KEYS):
        raise NetsplitParseError('the network_split declaration lacks one of %s' % ', '.join(DECLARATION_KEYS))
    return dict((k, data[k]) for k in DECLARATION_KEYS)


def reachable_listeners(sockets, guest_addresses):
    """The sockets a host on the guest side can reach at dom0's own addresses: bound to one of
    ``guest_addresses`` (dom0's addresses on the guest network), or to the wildcard of a family dom0 has a
    guest-side address of. Each as 'proto address:port'."""
    families = set(':' in a and 'inet6' or 'inet' for a in guest_addresses)
    out = []
    for sock in sockets:
        if sock['address'] in guest_addresses or (sock['address'] in WILDCARDS and sock['family'] in families):
            shown = '[%s]' % sock['address'] if sock['family'] == 'inet6' else sock['address']
            out.append('%s %s:%d' % (sock['proto'], shown, sock['port']))
    return out


def unfiltered(chains, names):
    """What a ruleset lacks to drop traffic to dom0 from the interfaces ``names``: for each name, an input
    chain of family inet (or both ip and ip6) and one of family arp whose rules drop it."""
    missing = []
    for name in names:
        families = set(c['family'] for c in chains if c['hook'] == 'input' and name in c['drops_iifnames'])
        if 'inet' not in families and not {'ip', 'ip6'} <= families:
            missing.append('%s: no input chain of family inet (or ip and ip6) drops iifname "%s"' % (name, name))
        if 'arp' not in families:
            missing.append('%s: no input chain of family arp drops iifname "%s" (dom0 answers ARP for its '
                           'addresses on every interface)' % (name, name))
    return missing
