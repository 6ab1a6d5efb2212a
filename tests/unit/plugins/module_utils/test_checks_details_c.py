# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exact verdicts of the last checks of checks.py: vif backends, xenstored quotas, the guest network, the
TPM and vTPM checks and the command-line checks from xen-command-line.pandoc (vpmu, hvm_fep, ept, spec-ctrl,
iommu, dom0-iommu, scrub-domheap, gnttab_max_frames).

Each case drives the facts to one branch of a check and pins the whole result: status, the whole detail
sentence and the problem code where the check gives one. Facts are small and written out here (the shape
facts.assemble gives them), or recorded lab output (tests/unit/fixtures) with a few explicit edits.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
from ansible_collections.xenguard.hardening.plugins.module_utils.controls import CHECKS
from ansible_collections.xenguard.hardening.tests.unit.plugins.module_utils.test_controls import (
    BOOKWORM,
    GUEST_HOST,
    _recorded_tpm,
    _tpm_config,
    host_facts,
)
from ansible_collections.xenguard.hardening.tests.unit.plugins.module_utils import test_netsplit as ns


def run(name, facts, params=None):
    """The result tuple of check ``name`` over the facts, with the catalogue's params unless others are given."""
    if params is None:
        params = [c.get('params', {}) for c in CONTROLS if c['check'] == name][0]
    return CHECKS[name](facts, params)


def missing(what):
    return ('unknown', 'the facts have no %s (not gathered)' % what)


# ---------------------------------------------------------------------------------------------
# vif_backends_not_dom0 (xl.cfg(5) vif= backend=): a vif whose backend domain is 0, as a number or as the string
# xenstore gives, is in dom0; the count is of all vifs; the pass names each backend domain once, sorted as text

def _vif(front, devid, backend):
    return {'frontend_domid': front, 'devid': devid, 'backend_domid': backend, 'path': 'x'}


@pytest.mark.parametrize('backends,expected', [
    (None, missing('xenstore backends (backends.vif)')),
    ([], missing('xenstore backends (backends.vif)')),
    ({}, missing('xenstore backends (backends.vif)')),
    ({'vif': 'vif'}, missing('xenstore backends (backends.vif)')),
    ({'vif': []}, ('not_applicable', 'no guest network interface (vif) in xenstore')),
    ({'vif': [_vif(4, 0, 0)]}, ('fail', '1 of 1 guest vifs have their backend in dom0: domain 4 vif 0')),
    ({'vif': [_vif(4, 0, 2), _vif(5, 1, '0'), _vif(6, 0, 10)]},
     ('fail', '1 of 3 guest vifs have their backend in dom0: domain 5 vif 1')),
    ({'vif': [_vif(4, 0, 0), _vif(5, 1, '0'), _vif(6, 0, 10)]},
     ('fail', '2 of 3 guest vifs have their backend in dom0: domain 4 vif 0, domain 5 vif 1')),
    ({'vif': [_vif(4, 0, '10'), _vif(5, 0, 2), _vif(5, 1, 2), _vif(6, 0, '1')]},
     ('pass', 'all 4 guest vifs have their backend outside dom0 (backend domains 1, 10, 2)')),
], ids=['none', 'not-a-dict', 'no-vif-key', 'vif-not-a-list', 'no-vif', 'one-in-dom0', 'one-of-three', 'two-of-three', 'outside'])
def test_vif_backends_not_dom0(backends, expected):
    assert run('vif_backends_not_dom0', {'backends': backends}) == expected


def test_vif_backend_on_the_recorded_guest_host():
    # the lab guest (domid 4) has its vif served by dom0
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    assert run('vif_backends_not_dom0', facts) == ('fail', '1 of 1 guest vifs have their backend in dom0: domain 4 vif 0')


# ---------------------------------------------------------------------------------------------
# xenstored_quotas: the daemon facts as xenstored.daemon_facts makes them. Unsafe options beat a quota that is off
# (and name both); -K gets its own problem code; a pass lists the quotas in a fixed order, the raised ones, notes

C_STATE = {'quotas': {'nodes': 1000, 'watches': 128, 'transactions': 10, 'outstanding': 20, 'memory': 2621440,
                      'node-size': 2048},
           'defaults': {'nodes': 1000, 'watches': 128, 'transactions': 10, 'outstanding': 20, 'memory': 2621440,
                        'node-size': 2048}}
C_SHOWN = 'nodes=%s, watches=128, transactions=10, outstanding=20, memory=2621440, node-size=2048'
OX_SHOWN = 'quota-activate = true, quota-maxentity = 1000, quota-maxsize = 2048, quota-maxwatch = 100, ' \
    'quota-transaction = 10, quota-maxrequests = 1024'
OX_STATE = {'quotas': {'quota-maxentity': 1000, 'quota-maxsize': 2048, 'quota-maxwatch': 100, 'quota-transaction': 10,
                       'quota-maxrequests': 1024, 'quota-activate': True},
            'defaults': {'quota-maxentity': 1000, 'quota-maxsize': 2048, 'quota-maxwatch': 100, 'quota-transaction': 10,
                         'quota-maxrequests': 1024, 'quota-activate': True}}
LATER = 'quotas changed later with xenstore-control are not seen'


def _daemon(**change):
    daemon = {'found': True, 'implementation': 'xenstored', 'pid': 612, 'argv': ['/usr/sbin/xenstored'],
              'config_path': None, 'config_error': None, 'state': copy.deepcopy(C_STATE)}
    daemon.update(change)
    return daemon


def _state(base, **change):
    state = copy.deepcopy(base)
    state.update(change)
    return state


@pytest.mark.parametrize('daemon,expected', [
    (None, missing('xenstore daemon facts (xenstored)')),
    ([], missing('xenstore daemon facts (xenstored)')),
    ({'found': False, 'reason': 'no xenstored or oxenstored process runs in dom0'},
     ('unknown', 'no xenstored or oxenstored process runs in dom0')),
    ({'found': False, 'reason': ''}, ('unknown', 'no xenstore daemon was found in dom0')),
    # the configuration file oxenstored reads could not be read: nothing is known of its quotas
    (_daemon(implementation='oxenstored', config_path='/etc/xen/oxenstored.conf', config_error='permission denied'),
     ('unknown', 'oxenstored (pid 612) reads /etc/xen/oxenstored.conf, which could not be read: permission denied')),
    # no implementation named: C xenstored is assumed
    (_daemon(implementation=None, config_error='x', config_path='/p'),
     ('unknown', 'xenstored (pid 612) reads /p, which could not be read: x')),
    (_daemon(state=_state(C_STATE, dangerous=['-K'], keep_orphans=True)),
     ('fail', 'xenstored (pid 612): -K', 'xenstored_keep_orphans')),
    (_daemon(state=_state(C_STATE, dangerous=['-K'], keep_orphans=True, off=['memory=0'])),
     ('fail', 'xenstored (pid 612): -K; memory=0', 'xenstored_keep_orphans')),
    (_daemon(state=_state(C_STATE, dangerous=['perms-activate = false'], keep_orphans=False, off=None)),
     ('fail', 'xenstored (pid 612): perms-activate = false', 'xenstored_unsafe_option')),
    (_daemon(state=_state(C_STATE, dangerous=[], off=['memory=0', 'nodes=0'])),
     ('fail', 'xenstored (pid 612) runs without some per-domain quotas: memory=0; nodes=0', 'xenstored_quota_off')),
    # C xenstored: the quotas come from its arguments (argv[0] is not one); Xen's defaults when it has none
    (_daemon(), ('pass', 'xenstored (pid 612) limits every guest (%s) from its arguments (none: Xen\'s defaults); %s'
                 % (C_SHOWN % 1000, LATER))),
    (_daemon(argv=['/usr/sbin/xenstored', '--pid-file', '/run/x.pid']),
     ('pass', 'xenstored (pid 612) limits every guest (%s) from its arguments (--pid-file /run/x.pid); %s'
      % (C_SHOWN % 1000, LATER))),
    # one above the default is raised, the default itself is not
    (_daemon(argv=['xenstored', '-E', '1001'], state=_state(C_STATE, quotas=dict(C_STATE['quotas'], nodes=1001))),
     ('pass', 'xenstored (pid 612) limits every guest (%s) from its arguments (-E 1001); %s; raised above Xen\'s default: '
              'nodes=1001 (default 1000)' % (C_SHOWN % 1001, LATER))),
    (_daemon(argv=['xenstored', '-W', '200', '-E', '1001'],
             state=_state(C_STATE, quotas=dict(C_STATE['quotas'], nodes=1001, watches=200))),
     ('pass', 'xenstored (pid 612) limits every guest (nodes=1001, watches=200, transactions=10, outstanding=20, '
              'memory=2621440, node-size=2048) from its arguments (-W 200 -E 1001); %s; raised above Xen\'s default: '
              'nodes=1001 (default 1000), watches=200 (default 128)' % LATER)),
    (_daemon(state=_state(C_STATE, notes=['a', 'b'])),
     ('pass', 'xenstored (pid 612) limits every guest (%s) from its arguments (none: Xen\'s defaults); %s; a; b'
      % (C_SHOWN % 1000, LATER))),
    # a state without quotas: each shown as None
    (_daemon(state={}), ('pass', 'xenstored (pid 612) limits every guest (nodes=None, watches=None, transactions=None, '
                                 'outstanding=None, memory=None, node-size=None) from its arguments (none: Xen\'s '
                                 'defaults); %s' % LATER)),
    # oxenstored: its quotas come from its configuration file (quota-activate is true, or it would be off)
    (_daemon(implementation='oxenstored', config_path='/etc/xen/oxenstored.conf', state=copy.deepcopy(OX_STATE)),
     ('pass', 'oxenstored (pid 612) limits every guest (%s) from /etc/xen/oxenstored.conf' % OX_SHOWN)),
    (_daemon(implementation='oxenstored', config_path='/srv/x.conf',
             state=_state(OX_STATE, quotas=dict(OX_STATE['quotas'], **{'quota-maxwatch': 101}), notes=['n'])),
     ('pass', 'oxenstored (pid 612) limits every guest (%s) from /srv/x.conf; raised above Xen\'s default: '
              'quota-maxwatch=101 (default 100); n' % OX_SHOWN.replace('maxwatch = 100', 'maxwatch = 101'))),
], ids=['none', 'not-a-dict', 'not-found', 'not-found-no-reason', 'conf-unreadable', 'default-impl', 'keep-orphans',
        'keep-orphans-and-off', 'unsafe', 'off', 'c-defaults', 'c-args', 'c-raised', 'c-two-raised', 'c-notes', 'no-quotas', 'ox',
        'ox-raised'])
def test_xenstored_quotas(daemon, expected):
    assert run('xenstored_quotas', {'xenstored': daemon}) == expected


# ---------------------------------------------------------------------------------------------
# the guest network (XG-NET-01..03): which interfaces make it up, in words, and why it cannot be judged

def _iface(name, kind=None, master=None, addresses=(), ipv6=None):
    iface = {'name': name, 'addresses': list(addresses)}
    if kind:
        iface['kind'] = kind
    if master:
        iface['master'] = master
    if ipv6 is not None:
        iface['ipv6'] = ipv6
    return iface


def _addr(address, prefixlen=24, family='inet', scope='global'):
    return {'family': family, 'address': address, 'prefixlen': prefixlen, 'scope': scope}


QUIET = {'disable_ipv6': 0, 'accept_ra': 0, 'autoconf': 0, 'forwarding': 0}
LINK_LOCAL = _addr('fe80::fcff:ffff:feff:ffff', 64, 'inet6', 'link')


def _net(*interfaces, **more):
    net = {'interfaces': list(interfaces), 'sockets': [], 'nftables': {'chains': []}}
    net.update(more)
    return net


def _bridged():
    """dom0 with eth0 (control, addressed) and a bridge xenbr0 carrying eth1 and a guest's vif."""
    return [_iface('eth0', addresses=[_addr('10.0.2.15')], ipv6=dict(QUIET, accept_ra=1, autoconf=1)),
            _iface('xenbr0', 'bridge', ipv6=dict(QUIET)), _iface('eth1', master='xenbr0', ipv6=dict(QUIET)),
            _iface('vif4.0', master='xenbr0', addresses=[LINK_LOCAL], ipv6=dict(QUIET, accept_ra=1, autoconf=1))]


def _vif_config(*vifs):
    return {'/etc/xen/g.cfg': {'keys': {'vif': list(vifs)}}}


NONE_SEEN = 'no guest network in dom0: no bridge carries a guest vif (vif<domid>.<devid>), no guest configuration names ' \
    'a dom0 bridge, the network_split role declared none and guest_interfaces is empty (%s)'
OFF_PASS = 'dom0 has no address on the guest network %s and takes no IPv6 autoconfiguration there'


@pytest.mark.parametrize('net,configs,params,expected', [
    (None, {}, None, missing("dom0's network interfaces (network)")),
    ({'interfaces': 'eth0'}, {}, None, missing("dom0's network interfaces (network)")),
    (_net(), {}, None, ('not_applicable', NONE_SEEN % '0 interfaces: none')),
    # a bridge without a guest port, and a bridge the configurations name that dom0 does not have, are no guest network
    (_net(_iface('eth0'), _iface('br1', 'bridge'), _iface('eth1', master='br1')), _vif_config('bridge=xenbr9'), None,
     ('not_applicable', NONE_SEEN % '3 interfaces: br1, eth0, eth1')),
    # guest_configs that is not a dict is taken as none
    (_net(_iface('eth0'), _iface('xenbr0', 'bridge')), 'x', None,
     ('not_applicable', NONE_SEEN % '2 interfaces: eth0, xenbr0')),
    # a vif backed by a driver domain does not make a dom0 bridge the guest network
    (_net(_iface('eth0'), _iface('xenbr0', 'bridge')), _vif_config('bridge=xenbr0,backend=net'), None,
     ('not_applicable', NONE_SEEN % '2 interfaces: eth0, xenbr0')),
    (_net(*_bridged()), {}, None, ('pass', OFF_PASS % 'xenbr0, eth1, vif4.0 (bridges carrying guest vifs)')),
    # a tap port (an HVM guest's emulated NIC) marks a guest bridge too
    (_net(_iface('xenbr1', 'bridge'), _iface('tap7.0', master='xenbr1')), {}, None,
     ('pass', OFF_PASS % 'xenbr1, tap7.0 (bridges carrying guest vifs)')),
    # a bridge no guest runs on yet, named by a configuration (vif without bridge= uses xenbr0)
    (_net(_iface('eth0'), _iface('xenbr0', 'bridge')), _vif_config('mac=00:16:3e:00:00:01'), None,
     ('pass', OFF_PASS % 'xenbr0 (bridges the guest configurations name)')),
    (_net(*_bridged() + [_iface('xenbr1', 'bridge')]), _vif_config('bridge=xenbr1', 'bridge=xenbr0', 'bridge=xenbr9'), None,
     ('pass', OFF_PASS % 'xenbr0, eth1, vif4.0, xenbr1 (bridges carrying guest vifs and bridges the guest configurations '
                         'name)')),
    # the network_split role's declaration wins over what the bridges show; guest_interfaces wins over both
    (_net(*_bridged() + [_iface('xenbr1', 'bridge')], split={'bridge': 'xenbr1'}), {}, None,
     ('pass', OFF_PASS % 'xenbr1 (declared by the network_split role)')),
    (_net(*_bridged(), split={'bridge': ''}), {}, None, ('pass', OFF_PASS % 'xenbr0, eth1, vif4.0 (bridges carrying guest vifs)')),
    (_net(*_bridged(), split='xenbr1'), {}, None, ('pass', OFF_PASS % 'xenbr0, eth1, vif4.0 (bridges carrying guest vifs)')),
    (_net(*_bridged(), split={'bridge': 'xenbr0'}), {}, {'guest_interfaces': ['eth1']},
     ('pass', OFF_PASS % 'eth1 (named by guest_interfaces)')),
    # a port named beside its bridge is listed once
    (_net(*_bridged()), {}, {'guest_interfaces': ['eth1', 'xenbr0']},
     ('pass', OFF_PASS % 'eth1, xenbr0, vif4.0 (named by guest_interfaces)')),
    (_net(*_bridged(), split={'bridge': 'xenbr7'}), {}, None,
     ('unknown', 'the guest network (declared by the network_split role) names xenbr7, which dom0 does not have '
                 '(interfaces: eth0, eth1, vif4.0, xenbr0)')),
    (_net(*_bridged()), {}, {'guest_interfaces': ['xenbr0', 'br5', 'br6']},
     ('unknown', 'the guest network (named by guest_interfaces) names br5, br6, which dom0 does not have (interfaces: '
                 'eth0, eth1, vif4.0, xenbr0)')),
], ids=['not-gathered', 'interfaces-not-a-list', 'no-interfaces', 'no-guest-bridge', 'configs-not-a-dict', 'driver-domain-vif',
        'vif-bridge', 'tap-bridge', 'configured-bridge', 'found-and-configured', 'declared', 'declared-empty',
        'declaration-not-a-dict', 'named', 'named-port-and-bridge', 'declared-absent', 'named-absent'])
def test_which_interfaces_are_the_guest_network(net, configs, params, expected):
    assert run('dom0_off_guest_network', {'network': net, 'guest_configs': configs}, params) == expected


@pytest.mark.parametrize('check', ['no_listener_on_guest_network', 'guest_network_filtered'])
def test_every_network_check_says_why_the_guest_network_cannot_be_judged(check):
    # the same answer as XG-NET-01, before the check looks at its own facts (sockets, nftables)
    net = _net(_iface('eth0'))
    del net['sockets'], net['nftables']
    assert run(check, {'network': net, 'guest_configs': {}}) == ('not_applicable', NONE_SEEN % '1 interfaces: eth0')
    assert run(check, {'network': net, 'guest_configs': {}}, {'guest_interfaces': ['eth1']}) == (
        'unknown', 'the guest network (named by guest_interfaces) names eth1, which dom0 does not have (interfaces: eth0)')
    assert run(check, {}) == missing("dom0's network interfaces (network)")


REACHABLE = 'dom0 is reachable on the guest network %s: %s'
GUESTS = 'xenbr0, eth1, vif4.0 (bridges carrying guest vifs)'


def _edited(name, **change):
    """The bridged dom0 with one interface changed."""
    interfaces = _bridged()
    for iface in interfaces:
        if iface['name'] == name:
            iface.update(change)
    return _net(*interfaces)


@pytest.mark.parametrize('net,params,expected', [
    # a vif port's own IPv6 link-local address is no dom0 address; any other address on the guest side is
    (_edited('vif4.0', addresses=[LINK_LOCAL, _addr('fe80::1', 64, 'inet6', 'global')]), None,
     ('fail', REACHABLE % (GUESTS, 'vif4.0 has fe80::1/64'), 'dom0_address_on_guest_network')),
    (_edited('vif4.0', addresses=[_addr('169.254.1.1', 16, 'inet', 'link')]), None,
     ('fail', REACHABLE % (GUESTS, 'vif4.0 has 169.254.1.1/16'), 'dom0_address_on_guest_network')),
    (_edited('xenbr0', addresses=[LINK_LOCAL, _addr('192.0.2.1')]), None,
     ('fail', REACHABLE % (GUESTS, 'xenbr0 has fe80::fcff:ffff:feff:ffff/64; xenbr0 has 192.0.2.1/24'),
      'dom0_address_on_guest_network')),
    # IPv6 autoconfiguration: accept_ra 2 always, 1 only while not forwarding; autoconf defaults to 1
    (_edited('xenbr0', ipv6=dict(QUIET, accept_ra=2, forwarding=1)), None,
     ('fail', REACHABLE % (GUESTS, 'xenbr0 accepts IPv6 router advertisements (accept_ra=2)'),
      'dom0_address_on_guest_network')),
    (_edited('xenbr0', ipv6=dict(QUIET, accept_ra=1, forwarding=1)), None, ('pass', OFF_PASS % GUESTS)),
    (_edited('eth1', ipv6={'disable_ipv6': 0, 'autoconf': 0}), None,
     ('fail', REACHABLE % (GUESTS, 'eth1 accepts IPv6 router advertisements (accept_ra=1)'),
      'dom0_address_on_guest_network')),
    (_edited('eth1', ipv6={'disable_ipv6': 0, 'accept_ra': 0}), None,
     ('fail', REACHABLE % (GUESTS, 'eth1 configures IPv6 addresses itself (autoconf=1)'), 'dom0_address_on_guest_network')),
    # IPv6 switched off, or its settings not read: nothing to judge there
    (_edited('eth1', ipv6=dict(QUIET, disable_ipv6=1, accept_ra=2, autoconf=1)), None, ('pass', OFF_PASS % GUESTS)),
    (_edited('eth1', ipv6='x'), None, ('pass', OFF_PASS % GUESTS)),
    # a vif port's IPv6 settings are not dom0's; the members after it are still judged
    (_edited('eth1', ipv6=dict(QUIET, autoconf=1)), {'guest_interfaces': ['vif4.0', 'eth1']},
     ('fail', REACHABLE % ('vif4.0, eth1 (named by guest_interfaces)', 'eth1 configures IPv6 addresses itself (autoconf=1)'),
      'dom0_address_on_guest_network')),
    # every offence of every member, in member order; the control NIC (eth0) is not the guest network
    (_edited('eth1', addresses=[_addr('192.0.2.2')], ipv6=dict(QUIET, accept_ra=1, autoconf=1)), None,
     ('fail', REACHABLE % (GUESTS, 'eth1 has 192.0.2.2/24; eth1 accepts IPv6 router advertisements (accept_ra=1); eth1 '
                                   'configures IPv6 addresses itself (autoconf=1)'), 'dom0_address_on_guest_network')),
], ids=['vif-global-v6', 'vif-v4-link', 'bridge-addresses', 'accept-ra-2', 'accept-ra-1-forwarding', 'accept-ra-default',
        'autoconf-default', 'ipv6-disabled', 'ipv6-not-read', 'after-a-vif', 'every-offence'])
def test_dom0_off_guest_network(net, params, expected):
    assert run('dom0_off_guest_network', {'network': net}, params) == expected


def _sock(proto, address, port, family='inet'):
    return {'proto': proto, 'family': family, 'address': address, 'port': port}


LISTENS = 'dom0 listens where the guest network %s reaches it (dom0 has %s there): %s'
NO_LISTENER = 'no listening socket of dom0 is bound to an address on the guest network %s, which has no dom0 address ' \
    '(%s)'


@pytest.mark.parametrize('net,expected', [
    (dict(_edited('xenbr0', addresses=[_addr('192.0.2.1')]), sockets=None),
     missing("dom0's listening sockets (network.sockets, from /proc/net)")),
    (_net(*_bridged(), sockets=[]), ('pass', NO_LISTENER % (GUESTS, '0 listening sockets: none'))),
    # sockets of the control side only; the same address and protocol on two ports is shown once, counted twice
    (_net(*_bridged(), sockets=[_sock('tcp', '10.0.2.15', 22), _sock('tcp', '10.0.2.15', 80), _sock('udp', '0.0.0.0', 68),
                                _sock('tcp', '::', 22, 'inet6')]),
     ('pass', NO_LISTENER % (GUESTS, '4 listening sockets: tcp 10.0.2.15, tcp ::, udp 0.0.0.0'))),
    # a wildcard socket is reached once dom0 has an address of its family on the guest side
    (dict(_edited('xenbr0', addresses=[_addr('192.0.2.1')]),
          sockets=[_sock('tcp', '0.0.0.0', 22), _sock('tcp', '::', 22, 'inet6'), _sock('udp', '192.0.2.1', 53),
                   _sock('tcp', '10.0.2.15', 80)]),
     ('fail', LISTENS % (GUESTS, '192.0.2.1', 'tcp 0.0.0.0:22, udp 192.0.2.1:53'), 'listener_on_guest_network')),
    # the vif port's link-local address is not dom0's: an IPv6 wildcard stays unreached
    (_net(*_bridged(), sockets=[_sock('tcp', '::', 22, 'inet6'), _sock('tcp', 'fe80::fcff:ffff:feff:ffff', 23, 'inet6')]),
     ('pass', NO_LISTENER % (GUESTS, '2 listening sockets: tcp ::, tcp fe80::fcff:ffff:feff:ffff'))),
    (dict(_edited('eth1', addresses=[_addr('2001:db8::2', 64, 'inet6')]), sockets=[_sock('tcp', '::', 22, 'inet6')]),
     ('fail', LISTENS % (GUESTS, '2001:db8::2', 'tcp [::]:22'), 'listener_on_guest_network')),
    # every dom0 address on the guest side is named, in member order
    (dict(_edited('xenbr0', addresses=[_addr('192.0.2.1'), _addr('2001:db8::1', 64, 'inet6')]),
          sockets=[_sock('udp', '2001:db8::1', 53, 'inet6')]),
     ('fail', LISTENS % (GUESTS, '192.0.2.1, 2001:db8::1', 'udp [2001:db8::1]:53'), 'listener_on_guest_network')),
], ids=['no-sockets', 'empty', 'control-side-only', 'reached', 'vif-link-local', 'v6-wildcard', 'two-addresses'])
def test_no_listener_on_guest_network(net, expected):
    assert run('no_listener_on_guest_network', {'network': net}) == expected


def _chain(family, name, drops, hook='input', table='xg'):
    return {'family': family, 'table': table, 'name': name, 'hook': hook, 'policy': 'accept', 'drops_iifnames': drops}


DROPPED = 'nftables drops traffic to dom0 from the guest network %s (chains %s)'
NO_INET = '%s: no input chain of family inet (or ip and ip6) drops iifname "%s"'
NO_ARP = '%s: no input chain of family arp drops iifname "%s" (dom0 answers ARP for its addresses on every interface)'


@pytest.mark.parametrize('net,expected', [
    (_net(*_bridged(), nftables=None), ('unknown', 'the nftables ruleset could not be read: not gathered')),
    (_net(*_bridged(), nftables=[], nft_error='nft: permission denied'),
     ('unknown', 'the nftables ruleset could not be read: nft: permission denied')),
    (_net(*_bridged(), nftables={}),
     ('fail', 'traffic to dom0 from the guest network %s is not dropped: %s; %s'
      % (GUESTS, NO_INET % ('xenbr0', 'xenbr0'), NO_ARP % ('xenbr0', 'xenbr0')), 'guest_network_unfiltered')),
    # the chains named are those that drop the guest network's own interfaces (the bridge, not its ports), each once
    (_net(*_bridged(), nftables={'chains': [_chain('inet', 'input', ['xenbr0', 'eth1']), _chain('arp', 'input', ['xenbr0']),
                                            _chain('arp', 'input', ['xenbr0'], table='xg2'),
                                            _chain('inet', 'other', ['eth1']), _chain('ip', 'input', ['eth0'])]}),
     ('pass', DROPPED % (GUESTS, 'arp xg/input, arp xg2/input, inet xg/input'))),
    (_net(*_bridged(), nftables={'chains': [_chain('ip', 'in4', ['xenbr0']), _chain('ip6', 'in6', ['xenbr0']),
                                            _chain('arp', 'input', ['xenbr0'])]}),
     ('pass', DROPPED % (GUESTS, 'arp xg/input, ip xg/in4, ip6 xg/in6'))),
    (_net(*_bridged(), nftables={'chains': [_chain('ip', 'in4', ['xenbr0']), _chain('arp', 'input', ['xenbr0'])]}),
     ('fail', 'traffic to dom0 from the guest network %s is not dropped: %s' % (GUESTS, NO_INET % ('xenbr0', 'xenbr0')),
      'guest_network_unfiltered')),
], ids=['not-gathered', 'nft-error', 'no-chains', 'inet-and-arp', 'ip-ip6-and-arp', 'ip-only'])
def test_guest_network_filtered(net, expected):
    assert run('guest_network_filtered', {'network': net}) == expected


def test_guest_network_filtered_on_the_recorded_split_host():
    # the lab dom0 after the network_split role: its ruleset drops xenbr0 in inet and arp
    net = ns.network('split', ns.DECLARED)
    assert run('guest_network_filtered', {'network': net, 'guest_configs': {}}) == (
        'pass', DROPPED % ('xenbr0, eth1 (declared by the network_split role)',
                           'arp xenguard_network_split/input, inet xenguard_network_split/input'))


# ---------------------------------------------------------------------------------------------
# tpm_present (xen-vtpm(7): a TPM on the motherboard; xen-vtpmmgr(7) Appendix B: TPM 2.0 is incomplete)

TPM2_NOTE = 'Xen documents the vTPM manager on TPM 2.0 as incomplete: it cannot persist its key, so vTPM contents do ' \
    'not survive a reboot (xen-vtpmmgr(7), Appendix B)'


def _tpm(version=None, chips=(), tables=(), devices_acpi=(), devices=(), present=True):
    return {'present': present, 'version': version, 'chips': list(chips), 'devices': list(devices),
            'firmware': {'acpi_tables': list(tables), 'acpi_devices': list(devices_acpi)}}


@pytest.mark.parametrize('tpm,expected', [
    (None, missing('TPM facts (tpm.present)')),
    ({'version': '2.0'}, missing('TPM facts (tpm.present)')),
    (_tpm(present=False), ('fail', 'no hardware TPM: no TPM chip in /sys/class/tpm bound to a hardware driver, no ACPI TPM2 '
                                   'or TCPA table, no ACPI TPM device')),
    (_tpm('2.0', [{'name': 'tpm0', 'version': '2.0', 'driver': 'tpm_crb'}], ['TPM2'], ['MSFT0101:00']),
     ('pass', 'TPM 2.0 present: tpm0 (TPM 2.0, driver tpm_crb), ACPI table TPM2, ACPI device MSFT0101:00. ' + TPM2_NOTE)),
    # a vTPM attached to dom0 (xen-tpmfront, driver vtpm) is not where the hardware TPM is seen
    (_tpm('1.2', [{'name': 'tpm0', 'version': '1.2', 'driver': 'vtpm'}, {'name': 'tpm1', 'version': '1.2', 'driver': None}]),
     ('pass', 'TPM 1.2 present: tpm1 (TPM 1.2)')),
    (_tpm(None, [{'name': 'tpm0', 'version': None, 'driver': 'tpm_tis'}]),
     ('pass', 'TPM present (version not known): tpm0 (version not given, driver tpm_tis)')),
    # nothing but device nodes (an older reader), then nothing at all
    (_tpm('3.0', devices=['/dev/tpm0', '/dev/tpmrm0']), ('pass', 'TPM present (version not known): /dev/tpm0, /dev/tpmrm0')),
    ({'present': True}, ('pass', 'TPM present (version not known): no device path given')),
], ids=['none', 'no-present-key', 'absent', 'tpm2', 'tpm12-not-tpmfront', 'version-unknown', 'devices-only', 'nothing-seen'])
def test_tpm_present(tpm, expected):
    assert run('tpm_present', {'tpm': tpm}) == expected


def test_tpm_present_on_the_recorded_tpm_host():
    assert run('tpm_present', {'tpm': _recorded_tpm()}) == (
        'pass', 'TPM 2.0 present: tpm0 (TPM 2.0, driver tpm_tis), ACPI table TPM2, ACPI device MSFT0101:00. ' + TPM2_NOTE)


# ---------------------------------------------------------------------------------------------
# dom0_off_manager_locality (xen-vtpm(7) "Compiling the LINUX dom0 kernel"; xen-vtpmmgr(7)): dom0 off the TPM, or the
# manager on another locality than dom0's 0 with only that locality's page

MGR_KERNEL = '/usr/lib/xen/boot/vtpmmgr-stubdom.gz'
SHARES = 'dom0 uses the TPM (%s bound) and the vTPM manager shares its locality: %s. Blacklist dom0\'s TPM driver, or ' \
    'run the manager at locality 2 (extra="tpmlocality=2", iomem=["fed42,1"])'
SPLIT = 'locality split: dom0 uses the TPM at locality 0 (%s bound), the vTPM manager %s; only XSM iomem labels stop dom0 ' \
    'from reaching the manager\'s page (xen-vtpmmgr(7))'


def _driver(bound=(), blacklisted=(), builtin=()):
    tpm = _tpm('1.2', [{'name': 'tpm0', 'version': '1.2', 'driver': 'tpm_tis'}])
    tpm['dom0_driver'] = {'bound': list(bound), 'blacklisted': list(blacklisted), 'builtin': list(builtin), 'loaded': []}
    return tpm


def _mgr(extra='tpmlocality=2', iomem=('fed42,1',), kernel=MGR_KERNEL):
    return {'keys': {'kernel': kernel, 'extra': extra, 'iomem': list(iomem)}}


@pytest.mark.parametrize('tpm,configs,expected', [
    (None, {}, missing('TPM facts (tpm.present)')),
    (dict(_driver(), present=False), {}, ('not_applicable', 'no hardware TPM (XG-VTPM-01)')),
    (dict(_driver(), dom0_driver=None), {}, missing("dom0's TPM driver state (tpm.dom0_driver)")),
    (_driver(), None, missing('guest configurations (guest_configs)')),
    # dom0 keeps off the TPM whatever the managers do: only the hardware drivers' blacklist and built-ins are named
    (_driver(), {'/m': _mgr('tpm2=1', ['fed40,5'])}, ('pass', 'dom0 keeps off the hardware TPM: no TPM driver is bound')),
    (_driver(blacklisted=['tpm_crb', 'tpm_vtpm_proxy', 'tpm_tis']), {},
     ('pass', 'dom0 keeps off the hardware TPM: its TPM drivers are blacklisted (tpm_crb, tpm_tis)')),
    (_driver(blacklisted=['tpm_vtpm_proxy'], builtin=['tpm', 'tpm_tis']), {},
     ('pass', 'dom0 keeps off the hardware TPM: no TPM driver is bound; tpm_tis built into the kernel, which a blacklist '
              'does not stop')),
    # dom0 uses the TPM: only configurations with a vtpmmgr kernel are managers (a vTPM, an unreadable file are not)
    (_driver(['tpm0']), {'/v': _mgr(kernel='/usr/lib/xen/boot/vtpm-stubdom.gz'), '/n': {'keys': {}},
                         '/bad': {'error': 'unreadable', 'keys': None}},
     ('not_applicable', 'dom0 uses the TPM (tpm0 bound) and no vTPM manager is configured (no configuration with a '
                        'vtpmmgr kernel): nothing shares it')),
    (_driver(['tpm0', 'tpm1']), {}, ('not_applicable', 'dom0 uses the TPM (tpm0, tpm1 bound) and no vTPM manager is '
                                                       'configured (no configuration with a vtpmmgr kernel): nothing shares '
                                                       'it')),
    (_driver(builtin=['tpm_tis', 'tpm_crb']), {}, ('pass', 'dom0 keeps off the hardware TPM: no TPM driver is bound; tpm_tis, '
                                                           'tpm_crb built into the kernel, which a blacklist does not stop')),
    (_driver(['tpm0', 'tpm1']), {'/etc/xen/m2': _mgr(), '/etc/xen/m1': _mgr('tpmlocality=4', ['fed44'])},
     ('pass', SPLIT % ('tpm0, tpm1', '/etc/xen/m1 (locality 4), /etc/xen/m2 (locality 2)'))),
    # each offending manager, in path order; a manager in order beside it is not named
    (_driver(['tpm0']), {'/m3': _mgr(), '/m2': _mgr('tpmlocality=1', ['fed40,2']), '/m1': _mgr('', ['fed42'])},
     ('fail', SHARES % ('tpm0', '/m1 uses locality 0, the one Linux in dom0 uses; /m2 maps the locality 0 page (iomem fed40, '
                                'fed41)'), 'manager_shares_dom0_locality')),
    (_driver(['tpm0']), {'/m': _mgr('tpmlocality=1', ['fed42'])},
     ('fail', SHARES % ('tpm0', '/m uses locality 1 but its iomem= (fed42) does not give it that page'),
      'manager_shares_dom0_locality')),
    (_driver(['tpm0']), {'/m': _mgr('tpmlocality=2', ['zz'])},
     ('fail', SHARES % ('tpm0', "/m: iomem entry 'zz' is not IOMEM_START,NUM_PAGES in hexadecimal"),
      'manager_shares_dom0_locality')),
    # every problem of a configuration, and the bound chips, each named
    (_driver(['tpm0', 'tpm1']), {'/m': _mgr('tpmlocality=7', ['zz'])},
     ('fail', SHARES % ('tpm0, tpm1', "/m: tpmlocality=7 is not a TPM locality (0 to 4); iomem entry 'zz' is not "
                                      "IOMEM_START,NUM_PAGES in hexadecimal"), 'manager_shares_dom0_locality')),
    # the locality 0 page beside the manager's own: dom0's locality is reachable from the manager
    (_driver(['tpm0']), {'/m': _mgr('tpmlocality=2', ['fed40', 'fed42'])},
     ('fail', SHARES % ('tpm0', '/m maps the locality 0 page (iomem fed40, fed42)'), 'manager_shares_dom0_locality')),
    (_driver(['tpm0']), {'/m': _mgr('tpmlocality=3', ['fed41', 'fed42'])},
     ('fail', SHARES % ('tpm0', '/m uses locality 3 but its iomem= (fed41, fed42) does not give it that page'),
      'manager_shares_dom0_locality')),
    (_driver(['tpm0']), {'/m': _mgr('tpmlocality=3', [])},
     ('fail', SHARES % ('tpm0', '/m uses locality 3 but its iomem= (none) does not give it that page'),
      'manager_shares_dom0_locality')),
], ids=['no-tpm-facts', 'no-tpm', 'no-driver-facts', 'no-configs', 'unbound', 'blacklisted', 'builtin', 'no-manager',
        'no-manager-two-chips', 'two-builtin', 'split', 'offenders', 'page-missing', 'bad-iomem', 'two-problems',
        'page-0-beside', 'two-pages', 'no-iomem'])
def test_dom0_off_manager_locality(tpm, configs, expected):
    assert run('dom0_off_manager_locality', {'tpm': tpm, 'guest_configs': configs}) == expected


def test_manager_locality_on_the_recorded_tpm_host():
    # the recorded manager configuration runs at locality 2 with only the page fed42
    facts = {'tpm': _recorded_tpm(), 'guest_configs': _tpm_config('vtpmmgr.cfg')}
    assert run('dom0_off_manager_locality', facts) == ('pass', SPLIT % ('tpm0', '/etc/xen/vtpmmgr.cfg (locality 2)'))


# ---------------------------------------------------------------------------------------------
# guests_have_vtpm (xen-vtpm(7), xl.cfg(5) vtpm=): a configuration's vtpm= backend, a running guest's vtpm frontend
# served by a running vTPM stub domain; dom0 is no vTPM; stub and driver domains are no guests

def _dom(domid, name, kernel=None, driver_domain=None):
    return {'domid': domid, 'name': name, 'config': {'b_info': {'kernel': kernel}, 'c_info': {'driver_domain': driver_domain}}}


def _cfg(**keys):
    return {'keys': keys}


NO_VTPM = 'without vTPM: %s'


@pytest.mark.parametrize('configs,domains,vtpm,expected', [
    (None, None, None, missing('guest configurations (guest_configs) nor domains')),
    ({}, [_dom(0, 'Domain-0')], None, ('not_applicable', 'no guest configuration or running guest seen')),
    ({'/g': _cfg(vtpm=['backend=vtpm-g'])}, None, None, ('pass', 'every guest has a vTPM (/g)')),
    # a single vtpm= string, other items beside backend=, spaces around items
    ({'/g': _cfg(vtpm='uuid=1, backend=vtpm-g ')}, None, None, ('pass', 'every guest has a vTPM (/g)')),
    ({'/g': _cfg(vtpm=['uuid=1'])}, None, None, ('fail', NO_VTPM % '/g')),
    ({'/g': _cfg()}, None, None, ('fail', NO_VTPM % '/g')),
    ({'/a': _cfg(vtpm=['backend=0']), '/b': _cfg(vtpm=['backend=Domain-0']), '/c': _cfg(vtpm=['backend=0', 'backend=vt'])},
     None, None, ('fail', NO_VTPM % '/a (its vtpm= backend is dom0, not a vTPM domain); /b (its vtpm= backend is dom0, not a '
                                    'vTPM domain)')),
    # the vTPM and manager stub domains and a driver domain are not judged
    ({'/v': _cfg(kernel='/usr/lib/xen/boot/vtpm-stubdom.gz'), '/m': _cfg(kernel=MGR_KERNEL), '/d': _cfg(driver_domain=1)},
     [], None, ('not_applicable', 'no guest configuration or running guest seen')),
    # running guests: a frontend counts only when a running vTPM stub domain serves it (not dom0, not another guest)
    ({}, [_dom(0, 'Domain-0'), _dom(4, 'web'), _dom(5, 'vtpm-web', '/usr/lib/xen/boot/vtpm-stubdom.gz'), _dom(6, 'db'),
          _dom(7, 'net', driver_domain='True'), _dom(8, 'db-dm')],
     [{'frontend_domid': 4, 'backend_domid': 5}, {'frontend_domid': 6, 'backend_domid': 0},
      {'frontend_domid': 6, 'backend_domid': 4}],
     ('fail', NO_VTPM % 'running domain db (domid 6)')),
    ({}, [_dom(4, 'web'), _dom('5', 'vtpm-web', '/usr/lib/xen/boot/vtpm-stubdom.gz'), _dom(7, 'net', driver_domain=True)],
     [{'frontend_domid': '4', 'backend_domid': 5}], ('pass', 'every guest has a vTPM (running domain web (domid 4))')),
    ({'/g': _cfg(vtpm=['backend=vt']), '/bad': {'error': 'x'}}, [], None,
     ('unknown', 'cannot read guest configuration(s): /bad')),
], ids=['no-facts', 'dom0-only', 'backend', 'string-entry', 'no-backend-item', 'no-vtpm', 'dom0-backends', 'helpers',
        'running-guests', 'running-pass', 'unreadable'])
def test_guests_have_vtpm(configs, domains, vtpm, expected):
    facts = {'guest_configs': configs, 'domains': domains, 'backends': {'vtpm': vtpm} if vtpm else None}
    assert run('guests_have_vtpm', facts) == expected


# ---------------------------------------------------------------------------------------------
# the command-line checks (xen-command-line.pandoc at 4.17 and 4.20); facts give the booted tokens and the version

def cmdline(name, tokens, version='4.20.0', **more):
    facts = {'cmdline': list(tokens), 'info': {}, 'version': version}
    facts.update(more)
    return run(name, facts)


def test_a_command_line_check_without_a_command_line_is_unknown():
    assert run('vpmu_off', {'info': {}}) == missing('booted Xen command line')


# "### vpmu (x86)": a list of <bool>, bts, ipc, arch; bts/ipc/arch imply vpmu=1 unless a later false drops them
@pytest.mark.parametrize('tokens,expected', [
    ([], ('pass', 'booted command line has no vpmu= (off by default)')),
    (['vpmu=1'], ('fail', 'booted command line has vpmu=1: guests get the virtual PMU, which is not safe in production '
                          '(XSA-163)')),
    (['vpmu=ipc'], ('fail', 'booted command line has vpmu=ipc: guests get the virtual PMU, which is not safe in production '
                            '(XSA-163)')),
    (['vpmu=bts,0'], ('pass', 'booted command line has vpmu=bts,0: the virtual PMU stays off')),
    (['vpmu=on', 'vpmu=off'], ('pass', 'booted command line has vpmu=on vpmu=off: the virtual PMU stays off')),
    (['vpmu=0', 'vpmu=arch'], ('fail', 'booted command line has vpmu=0 vpmu=arch: guests get the virtual PMU, which is not '
                                       'safe in production (XSA-163)')),
], ids=['absent', 'on', 'ipc', 'bts-then-off', 'on-then-off', 'off-then-arch'])
def test_vpmu_off(tokens, expected):
    assert cmdline('vpmu_off', tokens) == expected


# "### hvm_fep (x86)": a boolean, off by default; the last valid occurrence counts, no-hvm_fep is false
@pytest.mark.parametrize('tokens,expected', [
    ([], ('pass', 'booted command line has no hvm_fep (off by default)')),
    (['hvm_fep=1'], ('fail', 'booted command line has hvm_fep=1: HVM guests can make Xen emulate arbitrary instructions (no '
                             'security support)')),
    (['no-hvm_fep'], ('pass', 'booted command line has no-hvm_fep: the forced emulation prefix stays off')),
    (['hvm_fep=on', 'hvm_fep=off'], ('pass', 'booted command line has hvm_fep=on hvm_fep=off: the forced emulation prefix '
                                             'stays off')),
    # a value that is not a boolean word is ignored by Xen: the option is left at its default
    (['hvm_fep=On'], ('pass', 'booted command line has hvm_fep=On: the forced emulation prefix stays off')),
], ids=['absent', 'on', 'negated', 'on-then-off', 'not-a-boolean'])
def test_hvm_fep_off(tokens, expected):
    assert cmdline('hvm_fep_off', tokens) == expected


EPT_DEFAULT = 'booted command line leaves ept=exec-sp at its default (off on affected hardware); note that "xl ' \
    'set-parameters ept=exec-sp" can change it at run time'


# "### ept": exec-sp=<bool>, off by default on hardware affected by CVE-2018-12207; other ept items leave it alone
@pytest.mark.parametrize('tokens,expected', [
    ([], ('pass', EPT_DEFAULT)),
    (['ept=pml=0,ad=0'], ('pass', EPT_DEFAULT)),
    (['ept=exec-sp=0'], ('pass', 'booted command line has ept=exec-sp=0')),
    (['ept=no-exec-sp'], ('pass', 'booted command line has ept=no-exec-sp')),
    (['ept=pml,exec-sp=1'], ('fail', 'booted command line has ept=pml,exec-sp=1: executable EPT superpages are allowed even '
                                     'where HVM guests can use them to crash the host (CVE-2018-12207)')),
    (['ept=no-exec-sp', 'ept=exec-sp'], ('fail', 'booted command line has ept=no-exec-sp ept=exec-sp: executable EPT '
                                                 'superpages are allowed even where HVM guests can use them to crash the '
                                                 'host (CVE-2018-12207)')),
], ids=['absent', 'other-items', 'off', 'negated', 'on', 'off-then-on'])
def test_ept_exec_sp_off(tokens, expected):
    assert cmdline('ept_exec_sp_off', tokens) == expected


NO_UNPRIV = 'guests with PCI devices passed through (%s), but the booted command line has no spec-ctrl=unpriv-mmio'
HAS_UNPRIV = 'booted command line has spec-ctrl=unpriv-mmio for the guests with PCI devices (%s)'


# "### spec-ctrl (x86)" unpriv-mmio=: off by default; needed once a less privileged domain (a guest or a driver domain)
# has an MMIO device. Guests with one: a configuration with pci=, a running domain with config.pcidevs
@pytest.mark.parametrize('tokens,configs,domains,expected', [
    ([], None, None, missing('guest configurations (guest_configs) nor domains')),
    (['spec-ctrl=unpriv-mmio'], None, None, missing('guest configurations (guest_configs) nor domains')),
    ([], {'/g': _cfg(pci=[])}, None, ('not_applicable', 'no guest has a PCI device passed through')),
    ([], {'/bad': {'error': 'x'}}, None, ('not_applicable', 'no guest has a PCI device passed through')),
    (['spec-ctrl=unpriv-mmio'], {}, [], ('pass', 'booted command line has spec-ctrl=unpriv-mmio (no guest has a PCI device '
                                                 'now)')),
    ([], {'/d': _cfg(pci=['01:00.0']), '/g': _cfg(), '/e': _cfg(pci=['02:00.0'])}, None, ('fail', NO_UNPRIV % '/d, /e')),
    ([], None, [dict(_dom(4, 'web'), config={'pcidevs': [{'dev': 3}]}), _dom(5, 'db')],
     ('fail', NO_UNPRIV % 'running domain web (domid 4)')),
    (['spec-ctrl=unpriv-mmio=0'], {'/d': _cfg(pci=['01:00.0'])}, None, ('fail', NO_UNPRIV % '/d')),
    (['spec-ctrl=unpriv-mmio', 'spec-ctrl=no-unpriv-mmio'], {'/d': _cfg(pci=['01:00.0'])}, None, ('fail', NO_UNPRIV % '/d')),
    (['spec-ctrl=unpriv-mmio'], {'/d': _cfg(pci=['01:00.0']), '/e': _cfg(pci='02:00.0')},
     [dict(_dom(4, 'web'), config={'pcidevs': [{'dev': 3}]})],
     ('pass', HAS_UNPRIV % '/d, /e, running domain web (domid 4)')),
], ids=['no-facts', 'no-facts-on', 'empty-pci', 'unreadable-only', 'on-without-guests', 'config', 'running-domain',
        'set-false', 'switched-off-again', 'on'])
def test_unpriv_mmio(tokens, configs, domains, expected):
    assert cmdline('unpriv_mmio', tokens, guest_configs=configs, domains=domains) == expected


LACKS = 'dom0 is not protected on entry to Xen: the booted command line lacks %s'


# "### spec-ctrl (x86)": ibpb-entry= and bhb-entry= leave dom0 out by default; the plain booleans take dom0 in
# (ibpb-entry=pv/hvm do not). bhb-entry exists from 4.17.4 and in 4.20; ibpb-entry in every 4.17 and 4.20
@pytest.mark.parametrize('version,info,tokens,expected', [
    ('4.16.5', {}, [], ('not_applicable', 'Xen 4.16.5 has no spec-ctrl=ibpb-entry')),
    # the version from xl info (major, minor, extra) beats the facts' version
    ('4.20.0', {'xen_major': 4, 'xen_minor': 16, 'xen_extra': '.1-pre'}, [],
     ('not_applicable', 'Xen 4.16.1-pre has no spec-ctrl=ibpb-entry')),
    ('4.16.5', {'xen_major': 4, 'xen_minor': 16}, [], ('not_applicable', 'Xen 4.16 has no spec-ctrl=ibpb-entry')),
    # without a minor version xl info says nothing: the facts' version is used
    ('4.16.5', {'xen_major': 4, 'xen_minor': None}, [], ('not_applicable', 'Xen 4.16.5 has no spec-ctrl=ibpb-entry')),
    ('4.16.5', {'xen_minor': 20}, [], ('not_applicable', 'Xen 4.16.5 has no spec-ctrl=ibpb-entry')),
    ('4.17.3', {}, [], ('fail', LACKS % 'spec-ctrl=ibpb-entry')),
    ('4.17.3', {}, ['spec-ctrl=ibpb-entry'], ('pass', 'booted command line protects dom0 on entry (spec-ctrl=ibpb-entry)')),
    ('4.17.4', {}, ['spec-ctrl=ibpb-entry'], ('fail', LACKS % 'spec-ctrl=bhb-entry')),
    ('4.17.4', {}, ['spec-ctrl=bhb-entry'], ('fail', LACKS % 'spec-ctrl=ibpb-entry')),
    ('4.20.0', {}, ['spec-ctrl=ibpb-entry=hvm,bhb-entry=pv'], ('fail', LACKS % 'spec-ctrl=ibpb-entry, spec-ctrl=bhb-entry')),
    ('4.20.0', {}, ['spec-ctrl=ibpb-entry,bhb-entry', 'spec-ctrl=no-bhb-entry'], ('fail', LACKS % 'spec-ctrl=bhb-entry')),
    ('4.20.0', {}, ['spec-ctrl=ibpb-entry', 'spec-ctrl=bhb-entry=1'],
     ('pass', 'booted command line protects dom0 on entry (spec-ctrl=ibpb-entry spec-ctrl=bhb-entry=1)')),
    # an unknown version: both are asked for
    (None, {}, ['spec-ctrl=ibpb-entry'], ('fail', LACKS % 'spec-ctrl=bhb-entry')),
], ids=['4.16', 'xl-info-version', 'xl-info-no-extra', 'xl-info-no-minor', 'xl-info-no-major', '4.17.3-lacks', '4.17.3',
        '4.17.4-no-bhb', '4.17.4-no-ibpb', 'pv-hvm-only', 'switched-off-again', 'both', 'unknown-version'])
def test_dom0_entry_barriers(version, info, tokens, expected):
    assert cmdline('dom0_entry_barriers', tokens, version, info=info) == expected


# "### spec-ctrl (x86)" lock-harden= (4.17.4 and later 4.17, 4.20): never on by default
@pytest.mark.parametrize('version,tokens,expected', [
    ('4.17.3', ['spec-ctrl=lock-harden'], ('not_applicable', 'Xen 4.17.3 has no spec-ctrl=lock-harden (4.17.4 and 4.20.0 and '
                                                             'later have it)')),
    ('4.17.4', [], ('fail', 'the booted command line has no spec-ctrl=lock-harden (off unless asked for)')),
    ('4.17.4', ['spec-ctrl=lock-harden'], ('pass', 'booted command line has spec-ctrl=lock-harden')),
    ('4.20.0', ['spec-ctrl=lock-harden=0'], ('fail', 'the booted command line has no spec-ctrl=lock-harden (off unless asked '
                                                     'for)')),
    ('4.20.0', ['spec-ctrl=no-lock-harden', 'spec-ctrl=ibpb,lock-harden=yes'],
     ('pass', 'booted command line has spec-ctrl=no-lock-harden spec-ctrl=ibpb,lock-harden=yes')),
], ids=['4.17.3', 'absent', 'on', 'off', 'off-then-on'])
def test_lock_harden(version, tokens, expected):
    assert cmdline('lock_harden', tokens, version) == expected


IOMMU_DEFAULT = 'booted command line leaves iommu=quarantine at its default (chosen when Xen is built; true unless built ' \
    'with CONFIG_IOMMU_QUARANTINE_NONE)'


# "### iommu" quarantine=<bool>|scratch-page: false quarantines only what the toolstack arranged
@pytest.mark.parametrize('tokens,expected', [
    ([], ('pass', IOMMU_DEFAULT)),
    (['iommu=verbose,required'], ('pass', IOMMU_DEFAULT)),
    (['iommu=quarantine=0'], ('fail', 'booted command line has iommu=quarantine=0: devices taken from guests are not '
                                      'quarantined')),
    (['iommu=quarantine', 'iommu=no-quarantine'], ('fail', 'booted command line has iommu=quarantine iommu=no-quarantine: '
                                                           'devices taken from guests are not quarantined')),
    (['iommu=no-quarantine,quarantine'], ('pass', 'booted command line has iommu=no-quarantine,quarantine')),
    (['iommu=quarantine=scratch-page'], ('pass', 'booted command line has iommu=quarantine=scratch-page')),
], ids=['absent', 'other-items', 'off', 'on-then-off', 'off-then-on', 'scratch-page'])
def test_iommu_quarantine(tokens, expected):
    assert cmdline('iommu_quarantine', tokens) == expected


NO_STRICT = 'booted command line has no dom0-iommu=strict: dom0 may have IOMMU mappings of all RAM'


# "### dom0-iommu": strict (false by default for a PV dom0); none is for development; passthrough bypasses the IOMMU.
# iommu=dom0-strict and iommu=dom0-passthrough are the older spellings
@pytest.mark.parametrize('tokens,expected', [
    ([], ('fail', NO_STRICT)),
    (['dom0-iommu=strict=0'], ('fail', NO_STRICT)),
    (['dom0-iommu=strict', 'dom0-iommu=no-strict'], ('fail', NO_STRICT)),
    (['dom0-iommu=strict'], ('pass', 'booted command line has dom0-iommu=strict')),
    (['iommu=dom0-strict'], ('pass', 'booted command line has iommu=dom0-strict')),
    (['dom0-iommu=passthrough=0,strict'], ('pass', 'booted command line has dom0-iommu=passthrough=0,strict')),
    (['iommu=dom0-passthrough', 'dom0-iommu=strict'],
     ('fail', 'booted command line has dom0-iommu=strict iommu=dom0-passthrough: dom0 devices bypass the IOMMU')),
    (['dom0-iommu=none'], ('fail', 'booted command line has dom0-iommu=none: "none" skips dom0 IOMMU safety checks '
                                   '(development only)')),
    # none is named first, even beside passthrough
    (['dom0-iommu=passthrough,none'], ('fail', 'booted command line has dom0-iommu=passthrough,none: "none" skips dom0 IOMMU '
                                               'safety checks (development only)')),
    # passthrough/iommu.c check_hwdom_reqs (4.17 and 4.20): unless none, a PVH dom0 gets strict and no passthrough
    # whatever the line says; dom0= (x86 parse_dom0_param) takes pv or pvh item by item, the last one counting
    (['dom0=pvh'], ('pass', "booted command line has dom0=pvh: Xen makes a PVH dom0's IOMMU mappings strict itself")),
    (['dom0=pvh,verbose', 'dom0-iommu=passthrough'],
     ('pass', "booted command line has dom0=pvh,verbose: Xen makes a PVH dom0's IOMMU mappings strict itself")),
    (['dom0=pvh', 'dom0-iommu=none'],
     ('fail', 'booted command line has dom0-iommu=none: "none" skips dom0 IOMMU safety checks (development only)')),
    (['dom0=pvh,pv'], ('fail', NO_STRICT)),
    (['dom0=pvh', 'dom0=pv'], ('fail', NO_STRICT)),
    (['dom0=pv', 'dom0=bogus,pvh'],
     ('pass', "booted command line has dom0=pv dom0=bogus,pvh: Xen makes a PVH dom0's IOMMU mappings strict itself")),
    # not the word pvh: Xen's cmdline_strcmp wants the whole word
    (['dom0=pvhx'], ('fail', NO_STRICT)),
    (['dom0=pvh=1'], ('pass', "booted command line has dom0=pvh=1: Xen makes a PVH dom0's IOMMU mappings strict itself")),
    (['no-dom0'], ('fail', NO_STRICT)),
], ids=['absent', 'strict-false', 'strict-then-off', 'strict', 'old-spelling', 'no-passthrough-and-strict', 'passthrough',
        'none', 'none-and-passthrough', 'pvh', 'pvh-passthrough-asked', 'pvh-none', 'pvh-then-pv-item',
        'pvh-then-pv-token', 'pvh-after-unknown-item', 'pvhx', 'pvh-with-value', 'no-dom0'])
def test_dom0_iommu_strict(tokens, expected):
    assert cmdline('dom0_iommu_strict', tokens) == expected


# "### scrub-domheap": a boolean, false by default
@pytest.mark.parametrize('tokens,expected', [
    ([], ('fail', 'booted command line has no scrub-domheap: freed guest pages are not scrubbed')),
    (['scrub-domheap=true'], ('pass', 'booted command line has scrub-domheap=true')),
    (['scrub-domheap', 'scrub-domheap=0'], ('fail', 'booted command line has scrub-domheap scrub-domheap=0: freed guest '
                                                    'pages are not scrubbed')),
    (['no-scrub-domheap'], ('fail', 'booted command line has no-scrub-domheap: freed guest pages are not scrubbed')),
    (['no-scrub-domheap=0'], ('pass', 'booted command line has no-scrub-domheap=0')),
], ids=['absent', 'on', 'on-then-off', 'negated', 'negated-false'])
def test_scrub_domheap(tokens, expected):
    assert cmdline('scrub_domheap', tokens) == expected


GNTTAB_DEFAULT = 'booted command line keeps Xen\'s default grant-table limits (64 frames, 1024 maptrack frames)'
RAISES = 'booted command line raises the grant-table limits of every domain: %s'


# "### gnttab_max_frames" (default 64) and "### gnttab_max_maptrack_frames" (default 1024): a value above the control's
# limit raises every domain's bound; the limit itself is kept. Xen refuses a value above INT_MAX (parse_gnttab_limit)
@pytest.mark.parametrize('tokens,params,expected', [
    ([], None, ('pass', GNTTAB_DEFAULT)),
    (['gnttab_max_frames=64', 'gnttab_max_maptrack_frames=1024'], None,
     ('pass', 'booted command line keeps the grant-table limits: gnttab_max_frames=64, gnttab_max_maptrack_frames=1024')),
    (['gnttab_max_frames=65'], None, ('fail', RAISES % 'gnttab_max_frames=65 (more than 64)')),
    # the second limit is judged when the first is not given
    (['gnttab_max_maptrack_frames=1025'], None, ('fail', RAISES % 'gnttab_max_maptrack_frames=1025 (more than 1024)')),
    (['gnttab_max_maptrack_frames=0x400'], None,
     ('pass', 'booted command line keeps the grant-table limits: gnttab_max_maptrack_frames=1024')),
    (['gnttab_max_frames=0x80000000'], None, ('pass', GNTTAB_DEFAULT)),
    (['gnttab_max_frames=32', 'gnttab_max_frames=0x7fffffff'], None,
     ('fail', RAISES % 'gnttab_max_frames=2147483647 (more than 64)')),
    (['gnttab_max_frames=32', 'gnttab_max_frames=0x80000000'], None,
     ('pass', 'booted command line keeps the grant-table limits: gnttab_max_frames=32')),
    (['gnttab_max_frames=128', 'gnttab_max_maptrack_frames=2048'], {'max_frames': '128', 'max_maptrack_frames': 2047},
     ('fail', RAISES % 'gnttab_max_maptrack_frames=2048 (more than 2047)')),
    (['gnttab_max_frames=65', 'gnttab_max_maptrack_frames=1025'], {},
     ('fail', RAISES % 'gnttab_max_frames=65 (more than 64), gnttab_max_maptrack_frames=1025 (more than 1024)')),
], ids=['absent', 'at-the-defaults', 'frames-raised', 'maptrack-only', 'hex', 'above-int-max', 'int-max',
        'above-int-max-keeps-earlier', 'params', 'both-raised'])
def test_grant_table_limits(tokens, params, expected):
    facts = {'cmdline': tokens, 'info': {}}
    assert run('grant_table_limits', facts, params) == expected
