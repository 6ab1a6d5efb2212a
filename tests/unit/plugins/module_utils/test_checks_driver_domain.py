# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""XG-DD-01..03 over what the lab's dom0 (Debian 12, Xen 4.17.5, vtd-intremap) said with a real driver domain:
xg-netdd (domid 3, the e1000 0000:00:02.0 passed through, driver_domain=1) serving the vif of xg-testguest
(domid 4), and the same dom0 before the NIC was hidden."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.xenguard.hardening.plugins.module_utils import facts as assembly
from ansible_collections.xenguard.hardening.plugins.module_utils import checks_driver_domain as dd
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

D = 'driver-domain/'
DD_CFG = (b'name = "xg-netdd"\ntype = "pv"\nkernel = "/var/lib/xenguard/driver-domain/vmlinuz"\n'
          b'driver_domain = 1\npci = [ "0000:00:02.0,permissive=0" ]\n')
OXENSTORED = '/usr/lib/xen-4.17/bin/oxenstored'
XENSTORED = '/usr/lib/xen-4.17/bin/xenstored'


def lab(sysfs='sysfs-pci-assigned.json', running=True, configs=None, daemon=OXENSTORED):
    raw = {
        'xl_info': fixture('debian12-xen-4.17/xl-info.q35-vtd-intremap.txt'),
        'xl_list_long': fixture(D + 'dd-xl-list-l.json') if running else '[]\n',
        'xenstore_ls': fixture(D + 'dd-xenstore-ls-fp.txt') if running else
        fixture('debian12-xen-4.17/xenstore-ls-f.dom0-only.txt'),
        'guest_configs': {'files': configs if configs is not None else {}},
        'pci': {'sysfs': json.loads(fixture(D + sysfs)), 'assignable': None},
        'xenstored': {'pid': 612, 'exe': daemon, 'comm': daemon.rsplit('/', 1)[1], 'argv': [daemon],
                      'configs': {'/etc/xen/oxenstored.conf':
                                  (fixture('xenstored/oxenstored.conf.xen-4.17-default.txt'), None)}},
    }
    facts, warnings = assembly.assemble(raw, parts=('domains', 'backends', 'guest_configs', 'xenstored', 'pci',
                                                    'controls'))
    return dict((c['id'], c) for c in facts['controls']), facts


def test_recorded_driver_domain_serves_the_guest_vif():
    controls, facts = lab()
    assert facts['backends']['vif'][0]['backend_domid'] == 3 and facts['backends']['vif'][0]['frontend_domid'] == 4
    assert controls['XG-DD-01']['status'] == 'pass'
    assert 'backend domains 3' in controls['XG-DD-01']['detail']
    assert dd.driver_domains(facts) == {'running domain xg-netdd (domid 3)': ['0000:00:02.0']}
    assert controls['XG-DD-02']['status'] == 'pass', controls['XG-DD-02']
    assert '0000:00:02.0 (pciback)' in controls['XG-DD-02']['detail']


def test_oxenstored_with_a_driver_domain_is_not_security_supported():
    controls = lab()[0]
    assert controls['XG-DD-03']['status'] == 'fail' and controls['XG-DD-03']['problem'] == 'oxenstored'
    assert 'not security supported' in controls['XG-DD-03']['detail']
    controls = lab(daemon=XENSTORED)[0]
    assert controls['XG-DD-03']['status'] == 'pass'


def test_nic_still_bound_to_e1000_in_dom0_fails():
    controls = lab(sysfs='sysfs-pci-dom0.json', running=False, configs={'/etc/xen/xg-netdd.cfg': DD_CFG})[0]
    assert controls['XG-DD-02']['status'] == 'fail' and controls['XG-DD-02']['problem'] == 'nic_in_dom0'
    assert '0000:00:02.0 is bound to the dom0 driver e1000 (eth1)' in controls['XG-DD-02']['detail']
    # configured but not running: the daemon question is asked of the configuration too
    assert controls['XG-DD-03']['status'] == 'fail'


def test_no_driver_domain_is_not_applicable():
    controls = lab(sysfs='sysfs-pci-dom0.json', running=False)[0]
    assert controls['XG-DD-02']['status'] == 'not_applicable'
    assert controls['XG-DD-03']['status'] == 'not_applicable'
    assert controls['XG-DD-01']['status'] == 'not_applicable'


def test_a_configured_nic_this_host_does_not_have_is_unknown():
    cfg = DD_CFG.replace(b'00:02.0', b'00:09.0')
    controls = lab(sysfs='sysfs-pci-dom0.json', running=False, configs={'/etc/xen/xg-netdd.cfg': cfg})[0]
    assert controls['XG-DD-02']['status'] == 'unknown' and controls['XG-DD-02']['problem'] == 'nic_missing'
    assert '0000:00:09.0 (named by /etc/xen/xg-netdd.cfg)' in controls['XG-DD-02']['detail']


def test_pci_entries_of_configs_and_domains():
    assert dd._config_pci_address('00:02.0@3') == '0000:00:02.0'
    assert dd._config_pci_address('0000:03:00.1,permissive=1') == '0000:03:00.1'
    assert dd._config_pci_address('junk') is None and dd._config_pci_address(3) is None
    assert dd._pcidev_address({'dev': 2, 'vfunc_mask': 1}) == '0000:00:02.0'
    assert dd._pcidev_address({'bus': 3, 'func': 1}) == '0000:03:00.1'
    assert dd._pcidev_address('x') is None


# ----------------------------------------------------------------------------- the exact verdicts
# The detail text is what a refusing role prints (the control's own words), so each path is pinned whole.
HIDDEN = "the guest NICs are hidden from dom0's drivers: 0000:00:02.0 (pciback)"
BOUND = ("0000:00:02.0 is bound to the dom0 driver e1000 (eth1): dom0 still drives the guest network's NIC")
NOT_GATHERED_PCI = 'the facts have no PCI devices (pci) (not gathered)'
NOT_GATHERED_XS = 'the facts have no xenstore daemon facts (xenstored) (not gathered)'
NO_DD_NIC = 'no driver domain (driver_domain=1 with pci=) is configured or running, and no guest NIC was named'
NO_DD = 'no driver domain (driver_domain=1) is configured or running'
RUNNING = 'running domain xg-netdd (domid 3)'
OX_FAIL = ('oxenstored (pid 612) serves the driver domains %s; Xen\'s SUPPORT.md: OCaml xenstored with untrusted '
           'driver domains is "Supported, not security supported"' % RUNNING)


def _nic(facts, params=None):
    return dd.check_guest_nic_not_in_dom0(facts, params or {})


def _xs(facts, daemon):
    return dd.check_xenstored_driver_domains(dict(facts, xenstored=daemon), {})


def test_guest_nic_verdicts_word_for_word():
    facts = lab()[1]
    assert _nic(facts) == ('pass', HIDDEN)
    dom0 = lab(sysfs='sysfs-pci-dom0.json', running=False, configs={'/etc/xen/xg-netdd.cfg': DD_CFG})[1]
    assert _nic(dom0) == ('fail', BOUND, 'nic_in_dom0')
    idle = lab(sysfs='sysfs-pci-dom0.json', running=False)[1]
    assert _nic(idle) == ('not_applicable', NO_DD_NIC)
    for broken in (None, 'x', {}, {'devices': 'x'}):
        assert _nic(dict(facts, pci=broken)) == ('unknown', NOT_GATHERED_PCI)


def test_guest_nics_parameter_alone_and_with_a_driver_domain():
    idle = lab(sysfs='sysfs-pci-dom0.json', running=False)[1]
    # named only by the parameter: judged the same way (eth1's e1000 is dom0's)
    assert _nic(idle, {'guest_nics': ['0000:00:02.0']}) == ('fail', BOUND, 'nic_in_dom0')
    assert _nic(idle, {'guest_nics': ['0000:00:09.0', '0000:00:0a.0']}) == (
        'unknown', 'no such PCI device on this host: 0000:00:09.0 (named by the guest_nics parameter); '
                   '0000:00:0a.0 (named by the guest_nics parameter)', 'nic_missing')
    # named twice: both sources are listed
    cfg = DD_CFG.replace(b'00:02.0', b'00:09.0')
    both = lab(sysfs='sysfs-pci-dom0.json', running=False, configs={'/etc/xen/xg-netdd.cfg': cfg})[1]
    assert _nic(both, {'guest_nics': ['0000:00:09.0']}) == (
        'unknown', 'no such PCI device on this host: 0000:00:09.0 (named by the guest_nics parameter, '
                   '/etc/xen/xg-netdd.cfg)', 'nic_missing')
    # a NIC with no driver at all is hidden too, and several are listed in order
    facts = lab()[1]
    free = dict(facts, pci={'devices': [dict(d, driver=None) if d['address'] == '0000:00:02.0' else d
                                        for d in facts['pci']['devices']]})
    assert _nic(free) == ('pass', "the guest NICs are hidden from dom0's drivers: 0000:00:02.0 (no driver)")
    assert _nic(facts, {'guest_nics': ['0000:00:02.0']})[0] == 'pass'


def test_xenstored_verdicts_word_for_word():
    facts = lab()[1]
    daemon = dict(facts['xenstored'])
    assert _xs(facts, daemon) == ('fail', OX_FAIL, 'oxenstored')
    c_daemon = dict(daemon, implementation='xenstored', pid=700)
    assert _xs(facts, c_daemon) == ('pass', 'xenstored (pid 700) serves the driver domains %s (C xenstored: '
                                            'Supported)' % RUNNING)
    assert _xs(facts, dict(c_daemon, implementation=None)) == _xs(facts, c_daemon)
    assert _xs(facts, dict(c_daemon, implementation='cxenstored'))[1].startswith('cxenstored (pid 700) serves')
    assert _xs(facts, {'found': False, 'reason': 'two xenstore daemons run'}) == ('unknown', 'two xenstore daemons run')
    assert _xs(facts, {'found': False}) == ('unknown', 'no xenstore daemon was found in dom0')
    assert _xs(facts, None) == ('unknown', NOT_GATHERED_XS)
    idle = lab(sysfs='sysfs-pci-dom0.json', running=False)[1]
    assert _xs(idle, daemon) == ('not_applicable', NO_DD)
    # two driver domains are named in order
    cfg = {'/etc/xen/a.cfg': DD_CFG, '/etc/xen/b.cfg': DD_CFG.replace(b'00:02.0', b'00:03.0')}
    two = lab(sysfs='sysfs-pci-dom0.json', running=False, configs=cfg)[1]
    assert 'serves the driver domains /etc/xen/a.cfg, /etc/xen/b.cfg;' in _xs(two, daemon)[1]


def test_pcidev_address_in_a_pci_segment_other_than_0():
    assert dd._pcidev_address({'domain': 1, 'bus': 2, 'dev': 3, 'func': 1}) == '0001:02:03.1'


def test_several_nics_are_each_named():
    idle = lab(sysfs='sysfs-pci-dom0.json', running=False)[1]
    both = {'guest_nics': ['0000:00:02.0', '0000:00:01.0']}
    assert _nic(idle, both) == (
        'fail', '0000:00:01.0 is bound to the dom0 driver e1000 (eth0); 0000:00:02.0 is bound to the dom0 driver '
                'e1000 (eth1): dom0 still drives the guest network\'s NIC', 'nic_in_dom0')
    # a device without a network interface (the recorded virtio disk) is named by its driver alone
    assert _nic(idle, {'guest_nics': ['0000:00:03.0']})[1] == (
        "0000:00:03.0 is bound to the dom0 driver virtio-pci: dom0 still drives the guest network's NIC")
    unnamed = dict(idle, pci={'devices': [dict(d, net=[]) for d in idle['pci']['devices']]})
    assert _nic(unnamed, {'guest_nics': ['0000:00:02.0']})[1] == (
        "0000:00:02.0 is bound to the dom0 driver e1000: dom0 still drives the guest network's NIC")
    two_nets = dict(idle, pci={'devices': [dict(d, net=['eth1', 'eth9']) if d['address'] == '0000:00:02.0' else d
                                           for d in idle['pci']['devices']]})
    assert _nic(two_nets, {'guest_nics': ['0000:00:02.0']})[1].startswith(
        '0000:00:02.0 is bound to the dom0 driver e1000 (eth1, eth9):')
    hidden = dict(idle, pci={'devices': [dict(d, driver='pciback') for d in idle['pci']['devices']]})
    assert _nic(hidden, both) == (
        'pass', "the guest NICs are hidden from dom0's drivers: 0000:00:01.0 (pciback), 0000:00:02.0 (pciback)")
