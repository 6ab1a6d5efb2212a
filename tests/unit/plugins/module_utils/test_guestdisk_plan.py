# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pvgrub role's plan over the guest configurations xen_facts reads (recorded lab configs)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.xenguard.hardening.plugins.module_utils.facts import config_file
from ansible_collections.xenguard.hardening.plugins.module_utils.guestdisk import plan_conversions
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture_bytes


def xen_pvgrub_plan(found, guests=(), exclude=(), convert_kernel=False, image_dir='/usr/lib/grub-xen'):
    return plan_conversions(found, guests, exclude, convert_kernel, image_dir)


def configs(*names, **extra):
    found = dict(('/etc/xen/' + name, config_file('/etc/xen/' + name, fixture_bytes('xlcfg', name))) for name in names)
    for path, text in extra.items():
        found['/etc/xen/%s.cfg' % path] = config_file('/etc/xen/%s.cfg' % path, text.encode())
    return found


def test_pygrub_guest_is_converted_and_the_rest_skipped_with_reasons():
    plan = xen_pvgrub_plan(configs('pygrub-guest.cfg', 'hardened-guest.cfg', 'pv-direct-kernel.cfg',
                                   'driver-domain.cfg'))
    assert plan['convert'] == [{'path': '/etc/xen/pygrub-guest.cfg', 'name': 'legacy', 'type': 'pv',
                                'boot': 'pygrub', 'remove': ['bootloader'],
                                'kernel': '/usr/lib/grub-xen/grub-x86_64-xen.bin'}]
    why = dict((s['path'], s['why']) for s in plan['skipped'])
    assert why['/etc/xen/hardened-guest.cfg'].startswith('an HVM guest')
    assert 'set xenguard_pvgrub_convert_kernel' in why['/etc/xen/pv-direct-kernel.cfg']
    assert 'driver domain' in why['/etc/xen/driver-domain.cfg']
    assert plan['problems'] == [] and plan['unreadable'] == []


def test_kernel_guest_converted_when_asked_pvh_gets_the_pvh_image():
    plan = xen_pvgrub_plan(configs(pvh='name = "p"\ntype = "pvh"\nkernel = "/boot/vmlinuz"\nramdisk = "/boot/i"\n'
                                       'extra = "root=/dev/xvda1"\n'), convert_kernel=True, image_dir='/opt/g/')
    assert plan['convert'] == [{'path': '/etc/xen/pvh.cfg', 'name': 'p', 'type': 'pvh', 'boot': 'kernel',
                                'remove': ['ramdisk'], 'kernel': '/opt/g/grub-i386-xen_pvh.bin'}]


def test_already_converted_guest_is_skipped_so_a_second_run_does_nothing():
    plan = xen_pvgrub_plan(configs(g='name = "g"\nkernel = "/usr/lib/grub-xen/grub-x86_64-xen.bin"\n'))
    assert plan['convert'] == [] and plan['skipped'][0]['why'] == 'already boots through PV-GRUB2'


def test_named_and_excluded_guests():
    found = configs('pygrub-guest.cfg', other='name = "other"\nbootloader = "/usr/lib/xen-4.17/bin/pygrub"\n')
    assert [c['name'] for c in xen_pvgrub_plan(found)['convert']] == ['other', 'legacy']  # by path
    assert [c['name'] for c in xen_pvgrub_plan(found, guests=['other'])['convert']] == ['other']
    assert [c['name'] for c in xen_pvgrub_plan(found, guests=['/etc/xen/other.cfg'])['convert']] == ['other']
    plan = xen_pvgrub_plan(found, exclude=['legacy'])
    assert [c['name'] for c in plan['convert']] == ['other']
    assert plan['skipped'] == [{'path': '/etc/xen/pygrub-guest.cfg', 'name': 'legacy',
                                'why': 'excluded (xenguard_pvgrub_exclude)'}]
    problems = xen_pvgrub_plan(found, guests=['legacy', 'web9'])['problems']
    assert problems == ['the guest web9 does not exist: no guest configuration read (legacy, other) has name="web9" '
                        'or is that path; check the name, or give xen_facts the directory of its configuration '
                        '(config_paths)']


def test_unparsable_configuration_reported_or_refused_when_named():
    found = configs('pygrub-guest.cfg', bad='name = "bad"\ndisk = [ "x"\n')
    plan = xen_pvgrub_plan(found)
    assert [u['path'] for u in plan['unreadable']] == ['/etc/xen/bad.cfg'] and plan['problems'] == []
    assert [c['name'] for c in plan['convert']] == ['legacy']
    plan = xen_pvgrub_plan(found, guests=['/etc/xen/bad.cfg'])
    assert len(plan['problems']) == 1 and 'cannot be read' in plan['problems'][0]
