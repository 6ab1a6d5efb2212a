# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The checks of the driver-domain controls (XG-DD-02, XG-DD-03), registered like those of checks.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.xenguard.hardening.plugins.module_utils import pcidev
from ansible_collections.xenguard.hardening.plugins.module_utils.checks import (
    _domain_label,
    _guest_configs,
    _guest_domains,
    _libxl_true,
    _missing,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError
from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import xl_true
from ansible_collections.xenguard.hardening.plugins.module_utils.verdicts import FAIL, NA, PASS, UNKNOWN, check


def _config_pci_address(entry):
    """The address of one pci= entry of a guest configuration ("0000:00:02.0,permissive=1", "00:02.0@3")."""
    if not isinstance(entry, str):
        return None
    word = entry.split(',')[0].split('@')[0].strip()
    try:
        return pcidev.normalise_bdf(word)
    except XenGuardError:
        return None


def _pcidev_address(dev):
    """The address of one pcidevs entry of xl list -l (fields at 0 are left out)."""
    if not isinstance(dev, dict):
        return None
    return '%04x:%02x:%02x.%x' % (int(dev.get('domain') or 0), int(dev.get('bus') or 0),
                                  int(dev.get('dev') or 0), int(dev.get('func') or 0))


def driver_domains(facts):
    """{label: [PCI addresses]} of the driver domains (driver_domain=1) in guest configs and running."""
    found = {}
    configs = _guest_configs(facts)
    for path, keys in sorted(((configs or ({}, []))[0]).items()):
        if xl_true(keys.get('driver_domain')):
            pci = keys.get('pci') or []
            found[path] = [a for a in (_config_pci_address(p) for p in (pci if isinstance(pci, list) else [pci])) if a]
    for dom in _guest_domains(facts) or []:
        config = dom.get('config') or {}
        if _libxl_true((config.get('c_info') or {}).get('driver_domain')):
            found[_domain_label(dom)] = [a for a in (_pcidev_address(d) for d in config.get('pcidevs') or []) if a]
    return found


@check('guest_nic_not_in_dom0')
def check_guest_nic_not_in_dom0(facts, params):
    pci = facts.get('pci')
    if not isinstance(pci, dict) or not isinstance(pci.get('devices'), list):
        return _missing('PCI devices (pci)')
    wanted = {}
    for nic in params.get('guest_nics') or []:
        wanted.setdefault(str(nic), []).append('the guest_nics parameter')
    for label, addresses in driver_domains(facts).items():
        for address in addresses:
            wanted.setdefault(address, []).append(label)
    if not wanted:
        return NA, 'no driver domain (driver_domain=1 with pci=) is configured or running, and no guest NIC was named'
    bound, missing, hidden = [], [], []
    for nic in sorted(wanted):
        dev = pcidev.find_device(pci, nic)
        if dev is None:
            missing.append('%s (named by %s)' % (nic, ', '.join(wanted[nic])))
        elif dev.get('driver') not in (None, pcidev.PCIBACK):
            bound.append('%s is bound to the dom0 driver %s%s' % (
                dev['address'], dev['driver'], ' (%s)' % ', '.join(dev['net']) if dev.get('net') else ''))
        else:
            hidden.append('%s (%s)' % (dev['address'], dev.get('driver') or 'no driver'))
    if bound:
        return FAIL, '; '.join(bound) + ': dom0 still drives the guest network\'s NIC', 'nic_in_dom0'
    if missing:
        return UNKNOWN, 'no such PCI device on this host: %s' % '; '.join(missing), 'nic_missing'
    return PASS, 'the guest NICs are hidden from dom0\'s drivers: %s' % ', '.join(hidden)


@check('xenstored_driver_domains')
def check_xenstored_driver_domains(facts, params):
    daemon = facts.get('xenstored')
    if not isinstance(daemon, dict):
        return _missing('xenstore daemon facts (xenstored)')
    found = driver_domains(facts)
    if not found:
        return NA, 'no driver domain (driver_domain=1) is configured or running'
    if not daemon.get('found'):
        return UNKNOWN, daemon.get('reason') or 'no xenstore daemon was found in dom0'
    names = ', '.join(sorted(found))
    if daemon.get('implementation') == 'oxenstored':
        return FAIL, ('oxenstored (pid %s) serves the driver domains %s; Xen\'s SUPPORT.md: OCaml xenstored with '
                      'untrusted driver domains is "Supported, not security supported"' % (daemon.get('pid'), names)), \
            'oxenstored'
    return PASS, '%s (pid %s) serves the driver domains %s (C xenstored: Supported)' % (
        daemon.get('implementation') or 'xenstored', daemon.get('pid'), names)
