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
