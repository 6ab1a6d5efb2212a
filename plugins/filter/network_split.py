# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The network_split role's inputs judged before anything changes (with netaddr), and the plan it acts on.

``xenguard_network_split_plan(values, interfaces=None, connection=None)``: ``values`` are the role's variables;
``interfaces`` dom0's interfaces as ``ansible_facts.xen.network.interfaces`` carries them (None: only the
inputs themselves are judged); ``connection`` the controller's ``SSH_CONNECTION`` as the host sees it
("client-address client-port server-address server-port"). Returns {problems, control_nic, guest_nic,
control_address, control_networks, connected_nic, connected_address}: the NICs by name (a MAC resolved), the
control address as netaddr writes it, the control NIC's networks, and the NIC the controller is connected
through now.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

try:
    import netaddr
except ImportError:  # said by the filter when it is used
    netaddr = None

# Linux interface names: at most IFNAMSIZ - 1 = 15 bytes, no '/', no white space (net/core/dev.c dev_valid_name);
# the role also keeps them to characters that are safe in a shell script and a systemd unit.
IFNAME_RE = re.compile(r'^[A-Za-z0-9_.-]+$')
IFNAME_MAX = 15
TIMEOUT_MIN = 30
TIMEOUT_MAX = 3600
BACKENDS = ('auto', 'ifupdown', 'networkd')
BOOL_STRINGS = ('yes', 'no', 'true', 'false', 'on', 'off', '1', '0', 'y', 'n', 't', 'f')
PREFIX = 'xenguard_network_split_'


def _is_mac(text):
    return bool(re.match(r'^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$', text)) and netaddr.valid_mac(text)


def _nic(problems, name, value):
    """The NIC as given (a name, or a MAC in lower case with colons), or None after saying what is wrong."""
    if isinstance(value, int) and not isinstance(value, bool):
        problems.append('%s%s: is the number %d; YAML reads an unquoted MAC address such as 52:54:00:12:34:01 as a '
                        'base-60 number: quote it ("52:54:00:12:34:01").' % (PREFIX, name, value))
        return None
    if not isinstance(value, str) or not value:
        problems.append('%s%s: is %r; give the name (eth0) or the MAC address (52:54:00:12:34:01) of a NIC.'
                        % (PREFIX, name, value))
        return None
    if _is_mac(value):
        return str(netaddr.EUI(value, dialect=netaddr.mac_unix_expanded))
    if len(value) > IFNAME_MAX:
        problems.append('%s%s: %r is %d characters; a Linux interface name has at most %d (IFNAMSIZ).'
                        % (PREFIX, name, value, len(value), IFNAME_MAX))
        return None
    if not IFNAME_RE.match(value):
        problems.append('%s%s: %r is neither an interface name (letters, digits, _ . -) nor a MAC address.'
                        % (PREFIX, name, value))
        return None
    return value


def _address(problems, value):
    name = PREFIX + 'control_address'
    if not isinstance(value, str) or not value:
        problems.append('%s: is %r; give dom0\'s address on the control network, for example 10.0.2.15.'
                        % (name, value))
        return None
    try:
        addr = netaddr.IPAddress(value, flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        problems.append('%s: %r is not an IP address; give one address without a prefix length, for example '
                        '10.0.2.15 or 2001:db8::15.' % (name, value))
        return None
    if addr.is_multicast() or addr.is_link_local() or int(addr) == 0 \
            or (addr.version == 4 and addr == netaddr.IPAddress('255.255.255.255')):
        problems.append('%s: %s is a multicast, link-local, broadcast or unspecified address; sshd must listen '
                        'on dom0\'s own unicast address on the control network.' % (name, value))
        return None
    return addr


def _bool(problems, values, key):
    value = values.get(PREFIX + key)
    if isinstance(value, bool) or (isinstance(value, str) and value.lower() in BOOL_STRINGS):
        return
    problems.append('%s%s: is %r, not a boolean; use true or false.' % (PREFIX, key, value))


def _inputs(values, problems):
    """The inputs judged on their own: (control, guest, address, bridge)."""
    control = _nic(problems, 'control_nic', values.get(PREFIX + 'control_nic'))
    guest = _nic(problems, 'guest_nic', values.get(PREFIX + 'guest_nic'))
    if control and guest and control == guest:
        problems.append('%scontrol_nic and %sguest_nic both name %s; the control network (dom0, the controller) '
                        'and the guest network must be two different NICs.' % (PREFIX, PREFIX, control))
    address = _address(problems, values.get(PREFIX + 'control_address'))
    bridge = values.get(PREFIX + 'bridge')
    if not isinstance(bridge, str) or not bridge:
        problems.append('%sbridge: is %r; give the name of the guest bridge, for example xenbr0.' % (PREFIX, bridge))
        bridge = None
    elif len(bridge) > IFNAME_MAX:
        problems.append('%sbridge: %r is %d characters; Linux interface names have at most %d (IFNAMSIZ): give a '
                        'shorter name, for example xenbr0.' % (PREFIX, bridge, len(bridge), IFNAME_MAX))
        bridge = None
    elif not IFNAME_RE.match(bridge):
        problems.append('%sbridge: %r is not an interface name; use letters, digits, _ . - only.' % (PREFIX, bridge))
        bridge = None
    elif bridge in (control, guest):
        problems.append('%sbridge: %r is the name of a NIC given; name the bridge differently (xenbr0).'
                        % (PREFIX, bridge))
        bridge = None
    timeout = values.get(PREFIX + 'rollback_timeout')
    if isinstance(timeout, str) and timeout.strip().isdigit():
        timeout = int(timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not TIMEOUT_MIN <= timeout <= TIMEOUT_MAX:
        problems.append('%srollback_timeout: is %r; give the seconds the host waits for the controller to '
                        'reconnect before it restores the previous configuration, %d to %d.'
                        % (PREFIX, timeout, TIMEOUT_MIN, TIMEOUT_MAX))
    if values.get(PREFIX + 'backend') not in BACKENDS:
        problems.append('%sbackend: is %r; use one of %s.' % (PREFIX, values.get(PREFIX + 'backend'),
                                                              ', '.join(BACKENDS)))
    return control, guest, address, bridge


def _by_nic(interfaces, given):
    for iface in interfaces:
        if iface.get('name') == given or (iface.get('mac') or '').lower() == given:
            return iface
    return None


def _networks(iface, version):
    out = []
    for addr in iface.get('addresses') or []:
        family = 'inet' if version == 4 else 'inet6'
        if addr.get('family') == family and addr.get('scope') != 'link' and addr.get('prefixlen') is not None:
            out.append(netaddr.IPNetwork('%s/%s' % (addr['address'], addr['prefixlen'])).cidr)
    return out


def _listing(interfaces):
    return ', '.join('%s (%s)' % (i.get('name'), i.get('mac') or 'no MAC') for i in interfaces) or 'none'


def xenguard_network_split_plan(values, interfaces=None, connection=None):
    if netaddr is None:
        raise AnsibleFilterError('xenguard_network_split_plan needs the Python library netaddr on the controller '
                                 '(pip install netaddr, or the Debian package python3-netaddr)')
    if not isinstance(values, dict):
        raise AnsibleFilterError('xenguard_network_split_plan: give the role variables as a mapping')
    problems = []
    control, guest, address, bridge = _inputs(values, problems)
    _bool(problems, values, 'confirm')
    plan = {'problems': problems, 'control_nic': None, 'guest_nic': None, 'control_networks': [],
            'connected_nic': None, 'connected_address': None,
            'control_address': str(address) if address is not None else None}
    if interfaces is None:
        return plan
    if not isinstance(interfaces, list):
        problems.append('dom0\'s interfaces were not read (ansible_facts.xen.network is %r): run '
                        'xenguard.hardening.xen_facts with the network part (ip from iproute2 is needed).'
                        % (interfaces,))
        return plan
    resolved = {}
    for key, given in (('control_nic', control), ('guest_nic', guest)):
        if given is None:
            continue
        iface = _by_nic(interfaces, given)
        if iface is None:
            problems.append('%s%s: there is no interface %s on this host (it has: %s); name one of these.'
                            % (PREFIX, key, given, _listing(interfaces)))
            continue
        resolved[key] = iface
        plan[key] = iface['name']
    if plan['control_nic'] and plan['control_nic'] == plan['guest_nic']:
        problems.append('%scontrol_nic (%s) and %sguest_nic (%s) are the same interface, %s; they must be two '
                        'different NICs.' % (PREFIX, control, PREFIX, guest, plan['control_nic']))
    if 'guest_nic' in resolved:
        iface = resolved['guest_nic']
        if iface.get('kind') == 'bridge' or 'LOOPBACK' in (iface.get('flags') or []):
            problems.append('%sguest_nic: %s is a %s, not a NIC; name the physical NIC of the guest network.'
                            % (PREFIX, iface['name'], 'bridge' if iface.get('kind') == 'bridge' else 'loopback'))
        elif iface.get('master') and iface['master'] != bridge:
            problems.append('%sguest_nic: %s is already a port of the bridge %s; take it out of %s first or set '
                            '%sbridge: %s.' % (PREFIX, iface['name'], iface['master'], iface['master'], PREFIX,
                                               iface['master']))
    if bridge:
        other = _by_nic(interfaces, bridge)
        if other is not None and other.get('kind') != 'bridge':
            problems.append('%sbridge: %s exists on this host and is no bridge; name a new or bridge interface.'
                            % (PREFIX, bridge))
    if 'control_nic' in resolved and address is not None:
        networks = _networks(resolved['control_nic'], address.version)
        plan['control_networks'] = [str(n) for n in networks]
        if not networks:
            problems.append('%scontrol_address: %s is IPv%d, and the control NIC %s has no IPv%d network; give an '
                            'address of the network %s is on.' % (PREFIX, address, address.version,
                                                                  plan['control_nic'], address.version,
                                                                  plan['control_nic']))
        elif not any(address in n for n in networks):
            problems.append('%scontrol_address: %s is outside the control NIC %s\'s network (%s); give dom0\'s '
                            'address in that network.' % (PREFIX, address, plan['control_nic'],
                                                          ', '.join(str(n) for n in networks)))
    _connected(plan, problems, interfaces, connection)
    return plan


def _connected(plan, problems, interfaces, connection):
    """The NIC the controller's connection arrives on must be the control NIC (the role refuses otherwise)."""
    fields = to_text(connection or '').split()
    if len(fields) != 4:
        problems.append('The NIC the controller is connected through cannot be told: SSH_CONNECTION is %r on the '
                        'host. Run the network_split role over ssh (not a local connection), so that it can '
                        'refuse to cut the network it is connected through.' % (connection,))
        return
    try:
        server = netaddr.IPAddress(fields[2].split('%')[0])
    except (netaddr.AddrFormatError, ValueError):
        problems.append('SSH_CONNECTION %r names no server address the role can read.' % connection)
        return
    plan['connected_address'] = str(server)
    holder = None
    for iface in interfaces:
        for addr in iface.get('addresses') or []:
            try:
                if netaddr.IPAddress(addr.get('address')) == server:
                    holder = iface
            except (netaddr.AddrFormatError, ValueError, TypeError):
                continue
    if holder is None:
        problems.append('The controller is connected to %s, which no interface of this host has (%s); the role '
                        'cannot tell the control NIC.' % (server, _listing(interfaces)))
        return
    plan['connected_nic'] = holder['name']
    control = plan['control_nic']
    if control is None:
        return
    ports = [i['name'] for i in interfaces if i.get('master') == holder['name']]
    if control != holder['name'] and control not in ports:
        problems.append('%scontrol_nic is %s, but the controller is connected through %s (%s, address %s) right '
                        'now: the control NIC must be the one the controller uses, or the split would cut this '
                        'connection. Set %scontrol_nic: %s.'
                        % (PREFIX, control, holder['name'], holder.get('mac') or 'no MAC', server, PREFIX,
                           holder['name']))
    if plan['guest_nic'] and (plan['guest_nic'] == holder['name'] or plan['guest_nic'] in ports):
        problems.append('%sguest_nic is %s, the NIC the controller is connected through now; the guest network '
                        'must be the other NIC.' % (PREFIX, plan['guest_nic']))


class FilterModule(object):
    """xenguard.hardening network_split filters."""

    def filters(self):
        return {'xenguard_network_split_plan': xenguard_network_split_plan}
