# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The split of the networks as facts (listening sockets, the nftables ruleset, the network_split role's
declaration) and its controls XG-NET-01..03, on output recorded on the lab's dom0
(tests/unit/fixtures/dom0-netsplit/README.md)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import netsplit
from ansible_collections.xenguard.hardening.plugins.module_utils import facts as facts_assembly
from ansible_collections.xenguard.hardening.plugins.module_utils.controls import evaluate
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

SPLIT = 'dom0-netsplit'
DECLARED = json.dumps({'control_nic': 'eth0', 'control_address': '10.0.2.15', 'guest_nic': 'eth1',
                       'bridge': 'xenbr0', 'table': 'xenguard_network_split'})


def reads(state, declaration=None):
    """What xen_facts.read_network_split returns on the lab host in ``state`` (stock or split)."""
    tables = dict((name, fixture(SPLIT, 'proc-net-%s.%s.txt' % (name, state))) for name in netsplit.PROC_NET_FILES)
    return {'proc_net': tables, 'nft_ruleset': fixture(SPLIT, 'nft-j-list-ruleset.%s.json' % state),
            'nft_error': None, 'split_declaration': declaration}


def network(state, declaration=None):
    fact = facts_assembly.network_fact(fixture(SPLIT, 'ip-j-d-addr-show.%s.json' % state), ipv6(state))
    warnings = []
    fact.update(facts_assembly.netsplit_fact(reads(state, declaration), warnings))
    assert warnings == []
    return fact


def ipv6(state):
    values = {}
    for line in fixture(SPLIT, 'ipv6-conf.%s.txt' % state).splitlines():
        ifname, key, value = line.split()
        values.setdefault(ifname, {})[key] = value
    return values


def verdicts(net):
    facts = {'is_dom0': True, 'version': '4.17.5', 'info': {}, 'cmdline': [], 'network': net, 'guest_configs': {}}
    return dict((r['id'], r) for r in evaluate(facts) if r['id'] in ('XG-NET-01', 'XG-NET-02', 'XG-NET-03'))


def test_stock_sockets_are_the_listeners_only():
    sockets = netsplit.listening_sockets(reads('stock')['proc_net'])
    # the controller's established connection (state 01) is no listener
    assert sockets == [{'proto': 'tcp', 'family': 'inet', 'address': '0.0.0.0', 'port': 22},
                       {'proto': 'tcp', 'family': 'inet6', 'address': '::', 'port': 22},
                       {'proto': 'udp', 'family': 'inet', 'address': '0.0.0.0', 'port': 68}]


def test_proc_net_addresses_are_host_byte_order_words():
    line = '   1: 0F02000A:0016 0202000A:DDF6 0A 00000000:00000000 00:00000000 00000000  0  0 1 1 0 20 4 28 10 -1'
    assert netsplit.parse_proc_net('header\n' + line, 'tcp') == [
        {'proto': 'tcp', 'family': 'inet', 'address': '10.0.2.15', 'port': 22}]
    six = '   0: 000080FE00000000FF005450013412FE:0016 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 1'
    assert netsplit.parse_proc_net('header\n' + six, 'tcp6')[0]['address'] == 'fe80::5054:ff:fe12:3401'


@pytest.mark.parametrize('text', ['h\n 0: nonsense', 'h\n 0: ZZZZ:0016 0:0 0A'])
def test_proc_net_that_is_no_socket_table_is_an_error(text):
    with pytest.raises(netsplit.NetsplitParseError, match='/proc/net/tcp line 2'):
        netsplit.parse_proc_net(text, 'tcp')


def test_empty_ruleset_has_no_chains():
    assert netsplit.parse_nft_ruleset(fixture(SPLIT, 'nft-j-list-ruleset.stock.json')) == {'tables': [], 'chains': []}


@pytest.mark.parametrize('text,why', [('not json', 'no JSON'), ('[]', 'no "nftables" list'),
                                      ('{"nftables": 3}', 'no "nftables" list')])
def test_ruleset_that_is_not_nft_json_is_an_error(text, why):
    with pytest.raises(netsplit.NetsplitParseError, match=why):
        netsplit.parse_nft_ruleset(text)


def test_split_ruleset_drops_the_guest_side_in_inet_and_arp():
    chains = netsplit.parse_nft_ruleset(fixture(SPLIT, 'nft-j-list-ruleset.split.json'))['chains']
    by_family = dict((c['family'], c) for c in chains)
    assert sorted(by_family) == ['arp', 'bridge', 'inet']
    assert by_family['inet']['hook'] == 'input' and sorted(by_family['inet']['drops_iifnames']) == ['eth1', 'xenbr0']
    assert sorted(by_family['arp']['drops_iifnames']) == ['eth1', 'xenbr0']
    # the bridge chain only counts what it forwards: no drop
    assert by_family['bridge']['hook'] == 'forward' and by_family['bridge']['drops_iifnames'] == []
    assert netsplit.unfiltered(chains, ['xenbr0']) == []


def test_unfiltered_names_each_missing_family():
    inet_only = [{'family': 'inet', 'hook': 'input', 'drops_iifnames': ['xenbr0']}]
    assert netsplit.unfiltered(inet_only, ['xenbr0']) == [
        'xenbr0: no input chain of family arp drops iifname "xenbr0" (dom0 answers ARP for its addresses on '
        'every interface)']
    ip_only = [{'family': 'ip', 'hook': 'input', 'drops_iifnames': ['xenbr0']},
               {'family': 'arp', 'hook': 'input', 'drops_iifnames': ['xenbr0']}]
    assert len(netsplit.unfiltered(ip_only, ['xenbr0'])) == 1  # IPv6 is not dropped
    forward = [{'family': 'inet', 'hook': 'forward', 'drops_iifnames': ['xenbr0']},
               {'family': 'arp', 'hook': 'input', 'drops_iifnames': ['xenbr0']}]
    assert 'no input chain of family inet' in netsplit.unfiltered(forward, ['xenbr0'])[0]


def test_a_rule_with_more_than_the_interface_match_is_not_taken_as_the_drop():
    ruleset = json.loads(fixture(SPLIT, 'nft-j-list-ruleset.split.json'))
    for item in ruleset['nftables']:
        rule = item.get('rule')
        if rule and rule['family'] == 'inet':
            rule['expr'].insert(1, {'match': {'op': '==', 'left': {'meta': {'key': 'l4proto'}}, 'right': 'tcp'}})
    chains = netsplit.parse_nft_ruleset(json.dumps(ruleset))['chains']
    assert [c['drops_iifnames'] for c in chains if c['family'] == 'inet'] == [[]]


def test_declaration():
    assert netsplit.parse_declaration(DECLARED)['bridge'] == 'xenbr0'
    assert netsplit.parse_declaration(None) is None
    with pytest.raises(netsplit.NetsplitParseError, match='lacks one of'):
        netsplit.parse_declaration('{"bridge": "xenbr0"}')
    with pytest.raises(netsplit.NetsplitParseError, match='not JSON'):
        netsplit.parse_declaration('{')


def test_a_bad_declaration_is_a_warning_not_a_lost_part():
    warnings = []
    fact = facts_assembly.netsplit_fact(dict(reads('stock'), split_declaration='{'), warnings)
    assert fact['split'] is None and fact['sockets'] and 'run the network_split role again' in warnings[0]
    fact = facts_assembly.netsplit_fact(dict(reads('stock'), nft_ruleset='garbage'), [])
    assert fact['nftables'] is None and 'no JSON' in fact['nft_error']


def test_stock_host_has_no_guest_network_to_judge():
    results = verdicts(network('stock'))
    assert [results[c]['status'] for c in ('XG-NET-01', 'XG-NET-02', 'XG-NET-03')] == ['not_applicable'] * 3


def test_declared_bridge_that_does_not_exist_yet_is_unknown():
    results = verdicts(network('stock', DECLARED))
    assert results['XG-NET-01']['status'] == 'unknown'
    assert 'declared by the network_split role' in results['XG-NET-01']['detail']
    assert results['XG-NET-03']['status'] == 'unknown'


def test_before_the_role_dom0_has_an_address_on_the_guest_nic():
    # the "before" of the lab proof: 192.0.2.2/24 on eth1 by hand, eth1 named as the guest network
    net = network('stock')
    eth1 = [i for i in net['interfaces'] if i['name'] == 'eth1'][0]
    eth1['addresses'] = [{'family': 'inet', 'address': '192.0.2.2', 'prefixlen': 24, 'scope': 'global'}]
    facts = {'is_dom0': True, 'version': '4.17.5', 'info': {}, 'cmdline': [], 'network': net, 'guest_configs': {}}
    from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
    controls = [dict(c, params={'guest_interfaces': ['eth1']}) for c in CONTROLS if c['id'].startswith('XG-NET-')]
    results = dict((r['id'], r) for r in evaluate(facts, controls))
    assert results['XG-NET-01']['status'] == 'fail'
    assert results['XG-NET-02']['status'] == 'fail'
    assert results['XG-NET-02']['detail'].endswith('tcp 0.0.0.0:22, udp 0.0.0.0:68')
    assert results['XG-NET-02']['problem'] == 'listener_on_guest_network'
    assert results['XG-NET-03']['status'] == 'fail' and results['XG-NET-03']['problem'] == 'guest_network_unfiltered'


def test_after_the_role_every_network_control_passes():
    results = verdicts(network('split', DECLARED))
    assert dict((c, r['status']) for c, r in results.items()) == {
        'XG-NET-01': 'pass', 'XG-NET-02': 'pass', 'XG-NET-03': 'pass'}
    assert 'xenbr0, eth1 (declared by the network_split role)' in results['XG-NET-01']['detail']
    assert 'tcp 10.0.2.15' in results['XG-NET-02']['detail']


def test_after_the_role_a_flushed_ruleset_fails_net03_only():
    net = network('split', DECLARED)
    net['nftables'] = netsplit.parse_nft_ruleset(fixture(SPLIT, 'nft-j-list-ruleset.stock.json'))
    results = verdicts(net)
    assert [results[c]['status'] for c in ('XG-NET-01', 'XG-NET-02', 'XG-NET-03')] == ['pass', 'pass', 'fail']


def test_sockets_or_ruleset_not_read_are_unknown():
    net = network('split', DECLARED)
    broken = copy.deepcopy(net)
    broken['sockets'] = None
    broken['nftables'] = None
    broken['nft_error'] = 'nft is not installed (Debian package nftables)'
    results = verdicts(broken)
    assert results['XG-NET-02']['status'] == 'unknown' and 'sockets' in results['XG-NET-02']['detail']
    assert results['XG-NET-03']['status'] == 'unknown' and 'nftables' in results['XG-NET-03']['detail']


def test_a_socket_bound_to_a_guest_side_address_is_reachable():
    sockets = [{'proto': 'tcp', 'family': 'inet', 'address': '192.0.2.2', 'port': 80},
               {'proto': 'tcp', 'family': 'inet6', 'address': '::', 'port': 22},
               {'proto': 'tcp', 'family': 'inet', 'address': '10.0.2.15', 'port': 22}]
    assert netsplit.reachable_listeners(sockets, ['192.0.2.2']) == ['tcp 192.0.2.2:80']
    assert netsplit.reachable_listeners(sockets, ['2001:db8::2']) == ['tcp [::]:22']
    assert netsplit.reachable_listeners(sockets, []) == []


# ----------------------------------------------------------------------------- what make mutation showed unheld
HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'


def test_proc_net_reads_every_line_and_checks_each():
    text = (HEADER + '   0: 0100007F:0277 00000000:0000 01\n'   # established: skipped, the next still read
            '   1: 0100007F:0016 00000000:0000 0A\n')        # four fields are enough
    assert netsplit.parse_proc_net(text, 'tcp') == [
        {'proto': 'tcp', 'family': 'inet', 'address': '127.0.0.1', 'port': 22}]
    with pytest.raises(netsplit.NetsplitParseError) as err:
        netsplit.parse_proc_net(HEADER + '   0: 0100007F:0016 0A\n', 'tcp')
    assert str(err.value) == "/proc/net/tcp line 2 is not a socket entry: '   0: 0100007F:0016 0A'"
    with pytest.raises(netsplit.NetsplitParseError, match='line 2 is not a socket entry'):
        netsplit.parse_proc_net(HEADER + '   0: 0100007F 00000000:0000 0A\n', 'tcp')
    with pytest.raises(netsplit.NetsplitParseError) as err:
        netsplit.parse_proc_net(HEADER + '   0: 0100007:0016 00000000:0000 0A\n', 'tcp')
    assert str(err.value).startswith('/proc/net/tcp line 2 has a local address that is not one (')
    assert netsplit.parse_proc_net(None, 'udp6') == []


def _rule(match, verdict='drop', family='inet', chain='input'):
    return {'rule': {'family': family, 'table': 't', 'chain': chain, 'expr': [match, {'counter': {}}, {verdict: None}]}}


def _iif(right, op=None, key='iifname'):
    match = {'left': {'meta': {'key': key}}, 'right': right}
    if op is not None:
        match['op'] = op
    return {'match': match}


def test_nft_ruleset_shapes():
    ruleset = {'nftables': [
        'junk',
        {'table': {'family': 'inet', 'name': 't'}},
        {'chain': {'family': 'inet', 'table': 't', 'name': 'helper'}},       # no hook: not a base chain
        _rule(_iif('xenbr0'), chain='helper'),                                 # a rule of a chain not judged
        {'chain': {'family': 'inet', 'table': 't', 'name': 'input', 'hook': 'input'}},
        _rule(_iif('xenbr0')),                                                 # op left out means ==
        _rule(_iif({'set': ['eth1', 'vif1']}, op='in')),
        _rule(_iif('eth9', op='!=')),                                          # not a drop of eth9
        _rule(_iif(7, key='iif')),
        _rule(_iif('eth8', key='oifname')),
        _rule({'match': 'x'}),
        _rule(_iif('eth7'), verdict='accept'),
        {'chain': {'family': 'arp', 'table': 't', 'name': 'arpin', 'hook': 'input', 'policy': 'drop'}},
    ]}
    parsed = netsplit.parse_nft_ruleset(json.dumps(ruleset))
    assert parsed['tables'] == [{'family': 'inet', 'name': 't'}]
    assert parsed['chains'] == [{'family': 'inet', 'table': 't', 'name': 'input', 'hook': 'input',
                                 'policy': 'accept', 'drops_iifnames': ['xenbr0', 'eth1', 'vif1', '7']},
                                {'family': 'arp', 'table': 't', 'name': 'arpin', 'hook': 'input', 'policy': 'drop',
                                 'drops_iifnames': []}]


def test_nft_and_declaration_refusals_word_for_word():
    with pytest.raises(netsplit.NetsplitParseError) as err:
        netsplit.parse_nft_ruleset('{}')
    assert str(err.value) == 'nft -j list ruleset printed no "nftables" list'
    with pytest.raises(netsplit.NetsplitParseError) as err:
        netsplit.parse_nft_ruleset('no json')
    assert str(err.value).startswith('nft -j list ruleset printed no JSON (')
    with pytest.raises(netsplit.NetsplitParseError) as err:
        netsplit.parse_declaration('{"bridge": "xenbr0"}')
    assert str(err.value) == ('the network_split declaration lacks one of control_nic, control_address, guest_nic, '
                              'bridge, table')
    with pytest.raises(netsplit.NetsplitParseError) as err:
        netsplit.parse_declaration('{')
    assert str(err.value).startswith('the network_split declaration is not JSON (')


def _chain(family, names):
    return {'family': family, 'table': 't', 'name': 'input', 'hook': 'input', 'policy': 'accept',
            'drops_iifnames': names}


def test_unfiltered_word_for_word():
    inet = 'xenbr0: no input chain of family inet (or ip and ip6) drops iifname "xenbr0"'
    arp = ('xenbr0: no input chain of family arp drops iifname "xenbr0" (dom0 answers ARP for its addresses on '
           'every interface)')
    assert netsplit.unfiltered([], ['xenbr0']) == [inet, arp]
    # ip and ip6 together stand for inet, each alone does not
    assert netsplit.unfiltered([_chain('ip', ['xenbr0']), _chain('ip6', ['xenbr0'])], ['xenbr0']) == [arp]
    assert netsplit.unfiltered([_chain('ip', ['xenbr0']), _chain('arp', ['xenbr0'])], ['xenbr0']) == [inet]
    assert netsplit.unfiltered([_chain('inet', ['xenbr0']), _chain('arp', ['xenbr0'])], ['xenbr0']) == []
