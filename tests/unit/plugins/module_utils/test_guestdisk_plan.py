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


def test_guest_types():
    from ansible_collections.xenguard.hardening.plugins.module_utils.guestdisk import config_guest_type
    # as xl_parse.c reads them (4.17 and 4.20): exact lower-case words, and type= and builder= must agree
    assert config_guest_type({}) == 'pv'
    assert config_guest_type({'type': 'pvh'}) == 'pvh'
    assert config_guest_type({'type': 'PVH'}) == 'invalid'
    assert config_guest_type({'type': 'hvm'}) == 'hvm'
    assert config_guest_type({'type': 'pv', 'builder': 'hvm'}) == 'invalid'
    assert config_guest_type({'builder': 'HVM'}) == 'invalid'
    assert config_guest_type({'type': 'none', 'builder': 'hvm'}) == 'invalid'
    assert config_guest_type({'builder': 'generic'}) == 'pv'
    assert config_guest_type({'builder': 'hvm'}) == 'hvm'


def test_a_configuration_xl_refuses_is_skipped_with_the_reason():
    from ansible_collections.xenguard.hardening.plugins.module_utils.guestdisk import plan_conversions
    plan = plan_conversions({'/etc/xen/g.cfg': {'keys': {'name': 'g', 'type': 'PV', 'bootloader': 'pygrub'}}})
    assert plan['convert'] == [] and plan['problems'] == []
    assert plan['skipped'] == [{'path': '/etc/xen/g.cfg', 'name': 'g',
                                'why': 'xl refuses its type=PV / builder=None (xl_parse.c: type is hvm, pv or pvh, '
                                       'builder hvm or generic, and the two agree); xl create -n shows it'}]


def test_driver_domains_and_vtpm_stub_domains_as_xl_reads_them():
    from ansible_collections.xenguard.hardening.plugins.module_utils.guestdisk import plan_conversions
    helper = 'a driver domain or vTPM domain: its boot is the role that made it'
    configs = {'/etc/xen/%s.cfg' % n: {'keys': dict(k, name=n, bootloader='pygrub')} for n, k in (
        ('dd', {'driver_domain': 1}), ('dd2', {'driver_domain': '0x1'}), ('word', {'driver_domain': 'true'}),
        ('vtpm', {'kernel': '/usr/lib/xen-4.17/boot/vtpm-stubdom.gz'}), ('dir', {'kernel': '/srv/vtpm/vmlinuz'}))}
    plan = plan_conversions(configs)
    whys = dict((s['name'], s['why']) for s in plan['skipped'])
    assert [whys.get(n) for n in ('dd', 'dd2', 'vtpm')] == [helper] * 3
    # xl ignores driver_domain="true" (not a number), and only the kernel file's own name counts
    assert whys.get('word') != helper and whys.get('dir') != helper


def test_boot_kinds():
    from ansible_collections.xenguard.hardening.plugins.module_utils.guestdisk import config_boot
    assert config_boot({'bootloader': '/usr/lib/xen-4.17/bin/pygrub', 'kernel': '/boot/vmlinuz'}) == 'pygrub'
    assert config_boot({'bootloader': 'pygrub'}) == 'pygrub'
    assert config_boot({'bootloader': '/usr/local/bin/pvgrub-helper'}) == 'bootloader'
    assert config_boot({'bootloader': '/opt/pygrub/bin/other'}) == 'bootloader'
    assert config_boot({'kernel': '/usr/lib/grub-xen/grub-i386-xen_pvh.bin'}) == 'pvgrub'
    assert config_boot({'kernel': '/usr/lib/grub-xen/grub-x86_64-efi.bin'}) == 'kernel'
    assert config_boot({'kernel': '/boot/xen/grub-x86_64.bin'}) == 'kernel'
    assert config_boot({'kernel': '/boot/vmlinuz'}) == 'kernel'
    assert config_boot({'kernel': '/boot/xen-4.17-amd64.gz'}) == 'kernel'
    assert config_boot({}) == 'none'
    assert config_boot({'bootloader': '', 'kernel': ''}) == 'none'


def test_every_reason_to_skip_word_for_word():
    plan = xen_pvgrub_plan(configs(
        'hardened-guest.cfg', 'driver-domain.cfg',
        a='name = "a"\nkernel = "/usr/lib/grub-xen/grub-x86_64-xen.bin"\n',
        b='name = "b"\nbootloader = "/usr/local/bin/other"\n',
        c='name = "c"\nmemory = 128\n',
        d='name = "d"\nkernel = "/boot/vmlinuz"\n',
        e='name = "e"\nkernel = "/usr/lib/xen/boot/vtpm-stubdom.gz"\n',
        f='name = "f"\ndriver_domain = 0\nbootloader = "pygrub"\n',
        g='name = "g"\ndriver_domain = 1\nbootloader = "pygrub"\n',
        h='name = "h"\ndriver_domain = "0"\nbootloader = "pygrub"\nbootloader_args = ["-q"]\nramdisk = "/i"\n'))
    why = dict((s['name'], s['why']) for s in plan['skipped'])
    assert why == {
        'a': 'already boots through PV-GRUB2',
        'b': 'boots through the dom0 bootloader /usr/local/bin/other, which the role does not replace',
        'c': 'has neither a bootloader nor a kernel',
        'd': 'boots a kernel from dom0 (set xenguard_pvgrub_convert_kernel to move it to PV-GRUB2)',
        'e': 'a driver domain or vTPM domain: its boot is the role that made it',
        'g': 'a driver domain or vTPM domain: its boot is the role that made it',
        'db1': 'an HVM guest (it boots from its firmware)',
        'netdd': 'a driver domain or vTPM domain: its boot is the role that made it'}
    assert [(c['name'], c['remove']) for c in plan['convert']] == [
        ('f', ['bootloader']), ('h', ['bootloader', 'bootloader_args', 'ramdisk'])]
    assert plan['unreadable'] == [] and plan['problems'] == []


def test_nameless_configurations_and_problems_word_for_word():
    found = configs(x='memory = 128\nbootloader = "pygrub"\n', bad='name = "bad"\ndisk = [ "x"\n',
                    z='name = "z"\nbuilder = "hvm"\n')
    plan = xen_pvgrub_plan(found, guests=['web9'])
    # (an unparsable configuration has no name: its keys are not read)
    assert plan['problems'] == ['the guest web9 does not exist: no guest configuration read (z) has name="web9" '
                                'or is that path; check the name, or give xen_facts the directory of its '
                                'configuration (config_paths)']
    assert plan['convert'] == [] and plan['skipped'] == [] and plan['unreadable'] == []
    assert xen_pvgrub_plan(configs(x='memory = 128\n', y='name = ""\n'), guests=['web9'])['problems'][0].startswith(
        'the guest web9 does not exist: no guest configuration read (none) has')
    # a nameless configuration is converted by its path, named by nothing
    plan = xen_pvgrub_plan(found)
    assert [(c['path'], c['name']) for c in plan['convert']] == [('/etc/xen/x.cfg', '')]
    error = found['/etc/xen/bad.cfg']['error']
    assert plan['unreadable'] == [{'path': '/etc/xen/bad.cfg', 'name': '', 'why': error}]
    plan = xen_pvgrub_plan(found, guests=['/etc/xen/bad.cfg', '/etc/xen/x.cfg'], exclude=['/etc/xen/x.cfg'])
    assert plan['problems'] == ['the configuration of the guest /etc/xen/bad.cfg cannot be read: %s; fix it or '
                                'leave the guest out' % error]
    assert plan['skipped'] == [{'path': '/etc/xen/x.cfg', 'name': '', 'why': 'excluded (xenguard_pvgrub_exclude)'}]
    # a named configuration that cannot be read is named by its name
    assert xen_pvgrub_plan({'/etc/xen/y.cfg': {'keys': {'name': 'y'}, 'error': 'EACCES'}}, guests=['y'])['problems'] \
        == ['the configuration of the guest y cannot be read: EACCES; fix it or leave the guest out']
    assert xen_pvgrub_plan(None) == {'convert': [], 'skipped': [], 'unreadable': [], 'problems': []}


def test_the_defaults_convert_pygrub_guests_to_debians_images():
    from ansible_collections.xenguard.hardening.plugins.module_utils.guestdisk import plan_conversions
    plan = plan_conversions(configs('pygrub-guest.cfg', 'pv-direct-kernel.cfg'))
    assert plan['convert'] == [{'path': '/etc/xen/pygrub-guest.cfg', 'name': 'legacy', 'type': 'pv',
                                'boot': 'pygrub', 'remove': ['bootloader'],
                                'kernel': '/usr/lib/grub-xen/grub-x86_64-xen.bin'}]
    assert [s['path'] for s in plan['skipped']] == ['/etc/xen/pv-direct-kernel.cfg']


def test_a_named_guest_after_others_not_named_and_one_excluded_before_others():
    found = configs('pygrub-guest.cfg', a='name = "a"\nbootloader = "pygrub"\n', b='name = "b"\nbootloader = "pygrub"\n')
    plan = xen_pvgrub_plan(found, guests=['legacy'])
    assert [c['path'] for c in plan['convert']] == ['/etc/xen/pygrub-guest.cfg']
    assert plan['skipped'] == [] and plan['problems'] == []
    # and one excluded before others
    plan = xen_pvgrub_plan(found, exclude=['a'])
    assert [c['name'] for c in plan['convert']] == ['b', 'legacy']
    assert plan['skipped'] == [{'path': '/etc/xen/a.cfg', 'name': 'a', 'why': 'excluded (xenguard_pvgrub_exclude)'}]
