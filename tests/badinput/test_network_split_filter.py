# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network_split role's inputs judged with netaddr (xenguard_network_split_plan), over dom0 layouts
iproute2 printed (tests/unit/fixtures/dom0-network, dom0-netsplit)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.filter.network_split import xenguard_network_split_plan as plan
from ansible_collections.xenguard.hardening.plugins.module_utils import dom0net
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

P = 'xenguard_network_split_'
# the lab host: eth0 10.0.2.15/24 (the controller's ssh arrives there from QEMU's 10.0.2.2), eth1 the guest NIC
LAB = dom0net.parse_ip_addr(fixture('dom0-netsplit', 'ip-j-d-addr-show.stock.json'))
LAB_SSH = '10.0.2.2 56822 10.0.2.15 22'
# a dom0 as Debian's network configuration leaves it: eth0 192.0.2.10/24, xenbr0 198.51.100.1/24 with eth1
DEBIAN = dom0net.parse_ip_addr(fixture('dom0-network', 'ip-j-d-addr-show.bridge-with-dom0-address.json'))


def values(**changes):
    out = {P + 'control_nic': 'eth0', P + 'guest_nic': 'eth1', P + 'control_address': '10.0.2.15',
           P + 'bridge': 'xenbr0', P + 'backend': 'auto', P + 'rollback_timeout': 120, P + 'confirm': True}
    out.update(dict((P + k, v) for k, v in changes.items()))
    return out


def test_the_lab_host_is_accepted_and_resolved():
    result = plan(values(), LAB, LAB_SSH)
    assert result['problems'] == []
    assert (result['control_nic'], result['guest_nic'], result['connected_nic']) == ('eth0', 'eth1', 'eth0')
    assert '10.0.2.0/24' in result['control_networks']


def test_nics_by_mac():
    macs = dict((i['name'], i['mac']) for i in LAB)
    result = plan(values(control_nic=macs['eth0'].upper(), guest_nic=macs['eth1'].replace(':', '-')), LAB, LAB_SSH)
    assert result['problems'] == [] and (result['control_nic'], result['guest_nic']) == ('eth0', 'eth1')


@pytest.mark.parametrize('changes,fragment', [
    ({'guest_nic': 'eth9'}, 'there is no interface eth9 on this host (it has: lo'),
    ({'guest_nic': '52:54:00:99:99:99'}, 'no interface 52:54:00:99:99:99'),
    ({'guest_nic': 'eth0'}, 'both name eth0'),
    ({'control_address': '10.0.3.15'}, "10.0.3.15 is outside the control NIC eth0's network (10.0.2.0/24"),
    ({'control_address': '2001:db8::15'}, 'outside the control NIC eth0'),
    ({'control_address': '10.0.2.15/24'}, 'not an IP address; give one address without a prefix length'),
    ({'control_address': '224.0.0.1'}, 'multicast, link-local, broadcast or unspecified'),
    ({'control_address': 'fe80::1'}, 'multicast, link-local, broadcast or unspecified'),
    ({'control_address': '0.0.0.0'}, 'multicast, link-local, broadcast or unspecified'),
    ({'control_address': ''}, "give dom0's address on the control network"),
    ({'bridge': 'xenbr-guest-network'}, "'xenbr-guest-network' is 19 characters; Linux interface names have at most 15"),
    ({'bridge': 'br0;reboot'}, 'is not an interface name'),
    ({'bridge': 'eth1'}, 'is the name of a NIC given'),
    ({'bridge': 'lo'}, 'lo exists on this host and is no bridge'),
    ({'control_nic': 'eth1', 'guest_nic': 'eth0'}, 'the controller is connected through eth0'),
    ({'guest_nic': 'a-very-long-nic-name'}, 'a Linux interface name has at most 15'),
    ({'guest_nic': 'lo'}, 'lo is a loopback, not a NIC'),
    ({'rollback_timeout': 5}, 'rollback_timeout: is 5'),
    ({'rollback_timeout': 'soon'}, 'rollback_timeout'),
    ({'backend': 'netplan'}, 'use one of auto, ifupdown, networkd'),
    ({'confirm': 'maybe'}, 'confirm: is'),
])
def test_bad_input_is_named_with_what_to_do(changes, fragment):
    problems = plan(values(**changes), LAB, LAB_SSH)['problems']
    assert any(fragment in p for p in problems), problems


def test_the_control_nic_must_be_the_controllers():
    problems = plan(values(control_nic='eth1', guest_nic='eth0'), LAB, LAB_SSH)['problems']
    refusal = [p for p in problems if 'connected through' in p and 'control_nic is eth1' in p][0]
    assert 'Set xenguard_network_split_control_nic: eth0.' in refusal
    assert any('guest_nic is eth0, the NIC the controller is connected through now' in p for p in problems)


@pytest.mark.parametrize('connection', [None, '', 'garbage'])
def test_no_ssh_connection_is_refused(connection):
    problems = plan(values(), LAB, connection)['problems']
    assert problems and 'Run the network_split role over ssh' in problems[0]


def test_a_connection_to_an_address_of_no_interface_is_refused():
    problems = plan(values(), LAB, '10.0.2.2 1 10.9.9.9 22')['problems']
    assert problems == ['The controller is connected to 10.9.9.9, which no interface of this host has '
                        '(lo (00:00:00:00:00:00), eth0 (52:54:00:12:34:01), eth1 (52:54:00:12:34:02)); the role '
                        'cannot tell the control NIC.']


def test_a_guest_nic_in_another_bridge_is_refused_unless_it_is_the_bridge_given():
    ssh = '192.0.2.1 50000 192.0.2.10 22'
    base = dict(control_address='192.0.2.20')
    assert plan(values(**base), DEBIAN, ssh)['problems'] == []
    problems = plan(values(bridge='xenbr1', **base), DEBIAN, ssh)['problems']
    assert problems == ['xenguard_network_split_guest_nic: eth1 is already a port of the bridge xenbr0; take it out '
                        'of xenbr0 first or set xenguard_network_split_bridge: xenbr0.']


def test_inputs_alone_without_the_host():
    assert plan(values(), None, None)['problems'] == []
    assert plan(values(guest_nic='eth0'), None, None)['problems'] == [
        'xenguard_network_split_control_nic and xenguard_network_split_guest_nic both name eth0; the control '
        'network (dom0, the controller) and the guest network must be two different NICs.']


def test_interfaces_not_read_is_a_problem():
    problems = plan(values(), 'nope', LAB_SSH)['problems']
    assert problems and "dom0's interfaces were not read" in problems[0]
