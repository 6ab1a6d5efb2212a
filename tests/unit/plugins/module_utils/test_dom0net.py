# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dom0's interfaces from iproute2's JSON and the guest network control (XG-NET-01).

The layouts are iproute2's real output (tests/unit/fixtures/dom0-network/README.md says how each was made).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import dom0net
from ansible_collections.xenguard.hardening.plugins.module_utils import facts as facts_assembly
from ansible_collections.xenguard.hardening.plugins.module_utils.controls import evaluate
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

NET = 'dom0-network'


def layout(name):
    """The network fact of a recorded layout, as xen_facts assembles it (facts.network_fact): interfaces and,
    where recorded, their IPv6 settings."""
    try:
        lines = fixture(NET, 'ipv6-conf.%s.txt' % name).splitlines()
    except (IOError, OSError):
        lines = []
    values = {}
    for line in lines:
        ifname, key, value = line.split()
        values.setdefault(ifname, {})[key] = value
    return facts_assembly.network_fact(fixture(NET, 'ip-j-d-addr-show.%s.json' % name), values)


def net01(network, params=None, guest_configs=None):
    facts = {'is_dom0': True, 'version': '4.17.5', 'info': {}, 'cmdline': [], 'network': network,
             'guest_configs': guest_configs}
    controls = None
    if params is not None:
        from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
        controls = [dict(c, params=params) for c in CONTROLS if c['id'] == 'XG-NET-01']
    return [r for r in evaluate(facts, controls) if r['id'] == 'XG-NET-01'][0]


def by_name(network):
    return dict((i['name'], i) for i in network['interfaces'])


def test_parse_the_recorded_layouts():
    single = by_name(layout('single-nic-host'))
    assert sorted(single) == ['eth0', 'ifb0', 'ifb1', 'lo']
    assert [(a['family'], a['address'], a['prefixlen'], a['scope']) for a in single['eth0']['addresses']] == [
        ('inet', '192.0.2.2', 24, 'global'), ('inet6', 'fd00::2', 64, 'global'),
        ('inet6', 'fe80::fc:ff:fe00:1', 64, 'link')]
    assert single['ifb0']['kind'] == 'ifb' and single['eth0']['kind'] is None
    assert single['eth0']['flags'] == ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']
    assert dom0net.bridges(layout('single-nic-host')['interfaces']) == {}
    assert dom0net.bridges([{'name': 'br-empty', 'kind': 'bridge'}, {'name': 'x', 'kind': 'bridge_slave'}]) == \
        {'br-empty': []}
    stock = layout('bridge-with-dom0-address')
    assert dom0net.bridges(stock['interfaces']) == {'xenbr0': ['eth1', 'vif1.0']}
    ifaces = by_name(stock)
    assert ifaces['xenbr0']['kind'] == 'bridge' and ifaces['vif1.0']['master'] == 'xenbr0'
    assert [a['address'] for a in ifaces['vif1.0']['addresses']] == ['fe80::fcff:ffff:feff:ffff']
    assert ifaces['xenbr0']['ipv6'] == {'accept_ra': 1, 'autoconf': 1, 'forwarding': 0, 'disable_ipv6': 0}
    split = by_name(layout('bridge-split'))
    assert split['xenbr0']['addresses'] == [] and split['xenbr0']['ipv6']['disable_ipv6'] == 1


@pytest.mark.parametrize('text,message', [
    ('', r'^ip -j addr show printed no JSON \(.*\); iproute2 4\.13 or later is needed for -j$'),
    ('Option "-j" is unknown, try "ip -help".', '^ip -j addr show printed no JSON'),
    ('{"ifname": "eth0"}', '^ip -j addr show printed dict, not a list of interfaces$'),
])
def test_parse_errors_say_what_ip_printed(text, message):
    with pytest.raises(dom0net.NetworkParseError, match=message):
        dom0net.parse_ip_addr(text)


def test_parse_skips_what_is_no_interface_and_no_address():
    text = json.dumps([{}, 'x', {'ifname': 'eth9', 'addr_info': [
        {'family': 'inet', 'local': '10.1.1.1', 'prefixlen': 8}, {'family': 'packet', 'local': 'x'}, {}]}])
    assert dom0net.parse_ip_addr(text) == [{'name': 'eth9', 'kind': None, 'mac': None, 'master': None, 'flags': [],
                                            'addresses': [{'family': 'inet', 'address': '10.1.1.1',
                                                           'prefixlen': 8, 'scope': None}]}]


@pytest.mark.parametrize('values,expected', [
    ({'accept_ra': '1\n', 'autoconf': '0', 'forwarding': '0', 'disable_ipv6': '1'},
     {'accept_ra': 1, 'autoconf': 0, 'forwarding': 0, 'disable_ipv6': 1}),
    ({'accept_ra': None, 'autoconf': 'x'}, {}),
    ({'accept_ra': 'x', 'autoconf': '0', 'disable_ipv6': '1'}, {'autoconf': 0, 'disable_ipv6': 1}),
    (None, {}),
])
def test_parse_ipv6_conf(values, expected):
    assert dom0net.parse_ipv6_conf(values) == expected


@pytest.mark.parametrize('ipv6,expected', [
    ({'accept_ra': 0}, False),
    ({'accept_ra': 1, 'forwarding': 0}, True),
    ({'accept_ra': 1, 'forwarding': 1}, False),   # a router ignores them unless accept_ra is 2
    ({'accept_ra': 2, 'forwarding': 1}, True),
    ({}, True),                                  # the kernel's default: accept_ra 1, forwarding 0
    ({'forwarding': 1}, False),
])
def test_accepts_ra(ipv6, expected):
    assert dom0net.accepts_ra(ipv6) is expected


@pytest.mark.parametrize('vifs,expected', [
    (['mac=00:16:3e:00:00:01,bridge=xenbr1'], {'xenbr1'}),
    (['mac=00:16:3e:00:00:01'], {'xenbr0'}),                   # xl's default bridge
    (['bridge=br-guests, backend=0'], {'br-guests'}),
    (['bridge=xenbr1,backend=netdd'], set()),                  # a driver domain's bridge, not dom0's
    (['bridge=xenbr1,backend=netdd', 'bridge=xenbr2'], {'xenbr2'}),
    (['bridge=xenbr1,backend=Domain-0'], {'xenbr1'}),
    ('bridge=xenbr2', {'xenbr2'}),
    ([], set()),
])
def test_vif_bridges(vifs, expected):
    configs = {'/etc/xen/a.cfg': {'keys': {'vif': vifs}, 'error': None}, '/etc/xen/b.cfg': None}
    assert dom0net.vif_bridges(configs) == expected


def test_stock_bridge_with_a_dom0_address_fails():
    result = net01(layout('bridge-with-dom0-address'))
    assert result['status'] == 'fail' and result['problem'] == 'dom0_address_on_guest_network'
    detail = result['detail']
    assert 'xenbr0, eth1, vif1.0 (bridges carrying guest vifs)' in detail
    assert 'xenbr0 has 198.51.100.1/24' in detail and 'eth1 has fe80::' in detail
    assert 'xenbr0 accepts IPv6 router advertisements (accept_ra=1)' in detail
    assert 'eth1 configures IPv6 addresses itself (autoconf=1)' in detail
    assert 'vif1.0' not in detail.split(': ', 1)[1]  # the vif's own link-local address is not counted
    assert 'eth0' not in detail and '192.0.2.10' not in detail  # the control network is not judged


def test_split_bridge_passes():
    result = net01(layout('bridge-split'))
    assert result['status'] == 'pass', result['detail']
    assert result['detail'] == ('dom0 has no address on the guest network xenbr0, eth1, vif1.0 (bridges carrying '
                                'guest vifs) and takes no IPv6 autoconfiguration there')


def test_single_nic_host_has_no_guest_network():
    result = net01(layout('single-nic-host'))
    assert result['status'] == 'not_applicable'
    assert 'no bridge carries a guest vif' in result['detail'] and 'eth0, ifb0, ifb1, lo' in result['detail']


@pytest.mark.parametrize('params,status,words', [
    ({'guest_interfaces': ['eth0']}, 'fail', ['eth0 has 192.0.2.2/24', 'eth0 has fd00::2/64', 'named by']),
    ({'guest_interfaces': ['ifb0']}, 'pass', ['ifb0 (named by guest_interfaces)']),  # no IPv6 settings read
    ({'guest_interfaces': ['xenbr9', 'eth0']}, 'unknown', ['names xenbr9, which dom0 does not have']),
    ({'guest_interfaces': []}, 'not_applicable', []),
])
def test_guest_interfaces_parameter(params, status, words):
    result = net01(layout('single-nic-host'), params)
    assert result['status'] == status, result['detail']
    for word in words:
        assert word in result['detail']


def test_vif_with_a_real_address_fails_and_ipv6_off_or_router_passes():
    network = layout('bridge-split')
    vif = by_name(network)['vif1.0']
    vif['addresses'].append({'family': 'inet', 'address': '198.51.100.9', 'prefixlen': 24, 'scope': 'global'})
    result = net01(network)
    assert result['status'] == 'fail' and 'vif1.0 has 198.51.100.9/24' in result['detail']
    network = layout('bridge-split')
    bridge = by_name(network)['xenbr0']
    bridge['ipv6'] = {'disable_ipv6': 0, 'accept_ra': 1, 'forwarding': 1, 'autoconf': 0}
    assert net01(network)['status'] == 'pass'
    bridge['ipv6'] = {'disable_ipv6': 0, 'accept_ra': 2, 'forwarding': 1, 'autoconf': 0}
    assert 'accept_ra=2' in net01(network)['detail']
    bridge['ipv6'] = None  # a kernel without IPv6
    assert net01(network)['status'] == 'pass'


def test_guest_configuration_names_the_bridge_when_no_guest_runs():
    network = layout('bridge-split')
    network['interfaces'] = [i for i in network['interfaces'] if i['name'] != 'vif1.0']
    stock = copy.deepcopy(network)
    assert net01(network)['status'] == 'not_applicable'
    configs = {'/etc/xen/web.cfg': {'keys': {'vif': ['mac=00:16:3e:00:00:01']}, 'error': None}}
    result = net01(network, guest_configs=configs)
    assert result['status'] == 'pass' and 'xenbr0, eth1 (bridges the guest configurations name)' in result['detail']
    running = layout('bridge-split')
    by_name(running)['eth0']['kind'] = 'bridge'  # a second bridge, named by a configuration, no guest running on it
    configs['/etc/xen/db.cfg'] = {'keys': {'vif': ['bridge=eth0']}, 'error': None}
    assert '(bridges carrying guest vifs and bridges the guest configurations name)' in net01(
        running, guest_configs=configs)['detail']
    by_name(stock)['xenbr0']['addresses'].append(
        {'family': 'inet6', 'address': 'fe80::1', 'prefixlen': 64, 'scope': 'link'})
    assert net01(stock, guest_configs=configs)['status'] == 'fail'  # link-local on the bridge counts


def test_without_network_facts_unknown():
    result = net01(None)
    assert result['status'] == 'unknown' and '(network)' in result['detail']
    assert net01({'interfaces': 'x'})['status'] == 'unknown'
