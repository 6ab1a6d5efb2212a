# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""PCI devices of a dom0 and their drivers (sysfs), xl's assignable list and the pciback boot file.

Pure helpers plus one sysfs reader (``read_sysfs``, given a base directory so tests can hand it a tree).
A device dom0 does not use is bound to ``pciback`` (xen-pciback); ``xl pci-assignable-add`` binds it there
and remembers the driver it had. Xen's xl(1): pci-assignable-add, pci-assignable-remove, pci-assignable-list.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError

SYS_PCI_DEVICES = '/sys/bus/pci/devices'
PCIBACK = 'pciback'
# modprobe.d file that hides the devices from dom0's drivers from the next boot on
PCIBACK_CONF = '/etc/modprobe.d/xenguard-pciback.conf'

_BDF = re.compile(r'^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$')


def normalise_bdf(text):
    """'0000:00:02.0' from '00:02.0' or '0000:00:02.0' (lower case); XenGuardError when it is not one."""
    match = _BDF.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise XenGuardError('%r is not a PCI address; give it as DOMAIN:BUS:DEVICE.FUNCTION, for example '
                            '0000:00:02.0 (readlink /sys/class/net/<interface>/device shows the one of a NIC)'
                            % (text,), address=text)
    domain, bus, dev, fn = match.groups()
    if int(dev, 16) > 0x1f:
        raise XenGuardError('%r is not a PCI address: the device number is 00 to 1f' % (text,), address=text)
    return ('%s:%s:%s.%s' % (domain or '0000', bus, dev, fn)).lower()


def is_network_class(pci_class):
    """Whether a sysfs class value ('0x020000') is a network controller (base class 02)."""
    return isinstance(pci_class, str) and pci_class.lower().startswith('0x02')


def _link_name(path):
    return os.path.basename(os.readlink(path)) if os.path.islink(path) else None


def read_sysfs(base=SYS_PCI_DEVICES):
    """{address: {class, driver, net}} of every PCI device under base (driver None when unbound)."""
    devices = {}
    for address in sorted(os.listdir(base)):
        path = os.path.join(base, address)
        try:
            with open(os.path.join(path, 'class')) as handle:
                pci_class = handle.read().strip()
        except (IOError, OSError):
            pci_class = None
        net = os.path.join(path, 'net')
        devices[address] = {
            'class': pci_class,
            'driver': _link_name(os.path.join(path, 'driver')),
            'net': sorted(os.listdir(net)) if os.path.isdir(net) else [],
        }
    return devices


def pci_facts(devices, assignable_text=None):
    """The pci fact: {devices: [{address, class, network, driver, net, assignable}]} sorted by address.

    assignable_text: `xl pci-assignable-list` output (None: not read; then pciback-bound means assignable).
    """
    listed = parse_assignable_list(assignable_text) if assignable_text is not None else None
    out = []
    for address in sorted(devices):
        dev = devices[address]
        driver = dev.get('driver')
        out.append({
            'address': address,
            'class': dev.get('class'),
            'network': is_network_class(dev.get('class')),
            'driver': driver,
            'net': list(dev.get('net') or []),
            'assignable': (address in listed) if listed is not None else driver == PCIBACK,
        })
    return {'devices': out}


def parse_assignable_list(text):
    """The addresses of `xl pci-assignable-list` (one per line, maybe followed by a space or a vslot)."""
    found = []
    for line in (text or '').splitlines():
        words = line.split()
        if not words:
            continue
        try:
            found.append(normalise_bdf(words[0]))
        except XenGuardError:
            continue  # libxl's own messages, when they come on stdout
    return found


def find_device(facts_pci, nic):
    """The device entry of a NIC given as a PCI address or a dom0 interface name, or None."""
    devices = (facts_pci or {}).get('devices') or []
    try:
        address = normalise_bdf(nic)
    except XenGuardError:
        address = None
    for dev in devices:
        if address is not None and dev['address'] == address:
            return dev
        if address is None and nic in (dev.get('net') or []):
            return dev
    return None


# ---------------------------------------------------------------------------------- modprobe.d boot file

_HIDE = re.compile(r'^\s*options\s+xen[-_]pciback\s+.*\bhide=((?:\([^)]*\))*)')
_SOFTDEP = re.compile(r'^\s*softdep\s+(\S+)\s+pre:\s*xen[-_]pciback\s*$')


def parse_pciback_conf(text):
    """(hidden addresses, drivers with a softdep) of the collection's modprobe.d file."""
    hidden, drivers = [], []
    for line in (text or '').splitlines():
        match = _HIDE.match(line)
        if match:
            for item in re.findall(r'\(([^)]*)\)', match.group(1)):
                try:
                    hidden.append(normalise_bdf(item))
                except XenGuardError:
                    continue
        match = _SOFTDEP.match(line)
        if match:
            drivers.append(match.group(1))
    return sorted(set(hidden)), sorted(set(drivers))


def render_pciback_conf(hidden, drivers):
    """The modprobe.d file text that hides ``hidden`` from the next boot on ('' when nothing is hidden).

    xen-pciback takes the devices it claims when it loads (hide=); the softdep loads it before each driver
    that would otherwise take one of them first.
    """
    if not hidden:
        return ''
    lines = ['# Managed by xenguard.hardening (xen_pci_assignable): PCI devices dom0 leaves to pciback',
             '# for passthrough to a domain. Changes here need update-initramfs -u.',
             'options xen-pciback hide=%s' % ''.join('(%s)' % a for a in sorted(set(hidden)))]
    for driver in sorted(set(d for d in drivers if d and d != PCIBACK)):
        lines.append('softdep %s pre: xen-pciback' % driver)
    return '\n'.join(lines) + '\n'
