# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""dom0's network interfaces as the facts carry them, and which of them make up the guest network.

Pure functions: the caller runs ``ip -j -d addr show`` (iproute2's JSON: ``ifname``, ``flags``, ``master``
for a bridge port, ``linkinfo.info_kind`` - ``bridge`` for a bridge - with ``-d``, and ``addr_info`` with
``family``, ``local``, ``prefixlen``, ``scope``) and reads /proc/sys/net/ipv6/conf/<interface>/.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

IPV6_KEYS = ('accept_ra', 'autoconf', 'forwarding', 'disable_ipv6')
# The backend devices the Xen hotplug scripts add to a bridge for a guest: vif<domid>.<devid> (netback)
# and, for an HVM guest's emulated NIC, vif<domid>.<devid>-emu (tools/hotplug/Linux/vif-bridge, vif-common.sh)
# or QEMU's tap<domid>.<devid>.
GUEST_PORT = re.compile(r'^(vif\d+\.\d+(-emu)?|tap\d+\.\d+)$')
DEFAULT_BRIDGE = 'xenbr0'  # xl-network-configuration(5): bridge= defaults to xenbr0


class NetworkParseError(ValueError):
    """ip printed something that is not its JSON list of interfaces."""


def parse_ip_addr(text):
    """The interfaces of ``ip -j -d addr show``: [{name, kind, mac, master, flags, addresses}], in ip's order."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise NetworkParseError('ip -j addr show printed no JSON (%s); iproute2 4.13 or later is needed for -j'
                                % exc)
    if not isinstance(data, list):
        raise NetworkParseError('ip -j addr show printed %s, not a list of interfaces' % type(data).__name__)
    interfaces = []
    for entry in data:
        if not isinstance(entry, dict) or not entry.get('ifname'):
            continue  # ip prints {} for an interface that vanished while it listed them
        linkinfo = entry.get('linkinfo') if isinstance(entry.get('linkinfo'), dict) else {}
        addresses = []
        for addr in entry.get('addr_info') or []:
            if isinstance(addr, dict) and addr.get('local') and addr.get('family') in ('inet', 'inet6'):
                addresses.append({'family': addr['family'], 'address': addr['local'],
                                  'prefixlen': addr.get('prefixlen'), 'scope': addr.get('scope')})
        interfaces.append({'name': entry['ifname'], 'kind': linkinfo.get('info_kind'), 'mac': entry.get('address'),
                           'master': entry.get('master'), 'flags': list(entry.get('flags') or []),
                           'addresses': addresses})
    return interfaces


def parse_ipv6_conf(values):
    """{key: int} from the texts of /proc/sys/net/ipv6/conf/<if>/<key>; a key that was not read is left out."""
    out = {}
    for key in IPV6_KEYS:
        text = (values or {}).get(key)
        try:
            out[key] = int(str(text).strip())
        except (TypeError, ValueError):
            continue
    return out


def accepts_ra(ipv6):
    """Whether the kernel takes router advertisements: accept_ra 2, or 1 while forwarding is off
    (Documentation/networking/ip-sysctl.rst, accept_ra)."""
    ra = ipv6.get('accept_ra', 1)
    return ra >= 2 or (ra == 1 and not ipv6.get('forwarding', 0))


def bridges(interfaces):
    """{bridge name: [port names]} for every bridge (info_kind bridge, or an interface others name as master)."""
    out = dict((i['name'], []) for i in interfaces if i.get('kind') == 'bridge')
    for iface in interfaces:
        if iface.get('master'):
            out.setdefault(iface['master'], []).append(iface['name'])
    return out


def vif_bridges(guest_configs):
    """The dom0 bridges guest configurations name (vif bridge=, xenbr0 when not named), for vifs whose
    backend is dom0 (no backend=, or backend=0 / Domain-0)."""
    names = set()
    for entry in (guest_configs or {}).values():
        keys = (entry or {}).get('keys') or {}
        vifs = keys.get('vif') or []
        for spec in vifs if isinstance(vifs, list) else [vifs]:
            settings = dict(item.strip().partition('=')[::2] for item in str(spec).split(',') if '=' in item)
            if settings.get('backend', '0').strip() not in ('0', 'Domain-0'):
                continue
            names.add(settings.get('bridge', DEFAULT_BRIDGE).strip() or DEFAULT_BRIDGE)
    return names
