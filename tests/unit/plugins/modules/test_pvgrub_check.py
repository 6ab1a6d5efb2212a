# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pvgrub_check on real disk images: ext4 made with mkfs.ext4 -d (whole disk, inside an MBR partition,
inside a GPT partition, a logical partition), read back with the real debugfs. Every test also checks
that the image did not change."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import gzip
import hashlib
import os
import shutil
import subprocess

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import guestdisk
from ansible_collections.xenguard.hardening.plugins.modules import pvgrub_check
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, run_module
from ansible_collections.xenguard.hardening.tests.unit.kernel_heads import bzimage, compressed, elf

SBIN = os.pathsep.join(['/usr/sbin', '/sbin', os.environ.get('PATH', '')])


def _tool(name):
    return shutil.which(name, path=SBIN)


needs_e2fs = pytest.mark.skipif(not (_tool('mkfs.ext4') and _tool('debugfs') and _tool('sfdisk')),
                                reason='needs mkfs.ext4, debugfs (e2fsprogs) and sfdisk (fdisk)')

MENU = ("set timeout=1\nmenuentry 'Debian' {\n\tlinux\t/boot/vmlinuz root=/dev/xvda1 ro console=hvc0\n"
        "\tinitrd\t/boot/initrd.img\n}\n")
# A kernel as Debian 12 ships it (an xz-compressed bzImage), which PV-GRUB2 loads.
KERNEL = bzimage(compressed('xz'))
ZSTD_KERNEL = bzimage(compressed('zstd'))  # as Debian 13 ships it: PV-GRUB2 says "not xen image"
ZSTD_WHY = "zstd-compressed bzImage: PV-GRUB2 decompresses gzip, xz and lzop only (GRUB's Xen loader)"


def _sha(path):
    with open(str(path), 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _tree(base, files):
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    return base


def _image(tmp_path, files, table=None, name='disk.img'):
    """A raw image: an ext4 filesystem holding files, at the disk's start or in a partition."""
    root = _tree(tmp_path / ('root-' + name), files)
    image = tmp_path / name
    env = dict(os.environ, PATH=SBIN, E2FSPROGS_FAKE_TIME='1')
    if table is None:
        subprocess.run([_tool('mkfs.ext4'), '-q', '-F', '-d', str(root), str(image), '16M'], check=True, env=env)
        return image
    subprocess.run(['truncate', '-s', '24M', str(image)], check=True)
    layout = {'dos': 'label: dos\nstart=2048, size=20480, type=83\n',
              'gpt': 'label: gpt\nstart=2048, size=20480, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n',
              'logical': 'label: dos\nstart=2048, type=5\nstart=4096, type=83\n'}[table]
    subprocess.run([_tool('sfdisk'), '-q', str(image)], input=layout, text=True, check=True, env=env)
    offset = {'dos': 2048, 'gpt': 2048, 'logical': 4096}[table] * 512
    subprocess.run([_tool('mkfs.ext4'), '-q', '-F', '-E', 'offset=%d' % offset, '-d', str(root), str(image), '8M'],
                   check=True, env=env)
    return image


def _config(tmp_path, disk, extra='bootloader = "pygrub"\n', name='g1'):
    path = tmp_path / (name + '.cfg')
    path.write_text('name = "%s"\nmemory = 256\n%sdisk = [ %s ]\n' % (name, extra, disk))
    return path


def check(capsys, config, path=SBIN, **args):
    args['path'] = str(config)
    old = os.environ.get('PATH')
    os.environ['PATH'] = path
    remote_tmp = os.path.join(os.path.dirname(str(config)), 'remote-tmp')
    try:
        return run_module(pvgrub_check, capsys, args, _ansible_remote_tmp=remote_tmp)
    finally:
        os.environ['PATH'] = old
        # the kernels copied out with debugfs dump are gone again
        assert glob.glob(os.path.join(remote_tmp, '*', 'pvgrub-check-*')) == []


@needs_e2fs
@pytest.mark.parametrize('table,partition', [(None, 'whole disk'), ('dos', 'msdos1'), ('gpt', 'gpt1'),
                                             ('logical', 'msdos5')])
def test_menu_found_on_every_layout(capsys, tmp_path, table, partition):
    image = _image(tmp_path, {'boot/grub/grub.cfg': MENU, 'boot/vmlinuz': KERNEL}, table)
    before = _sha(image)
    result = check(capsys, _config(tmp_path, "'file:%s,xvda,w'" % image))
    assert result['bootable'] is True, result
    assert result['grub_config'] == {'partition': partition, 'path': '/boot/grub/grub.cfg', 'vdev': 'xvda',
                                     'target': str(image)}
    assert result['kernels'] == ['/boot/vmlinuz']
    assert result['boot'] == 'pygrub' and result['guest_type'] == 'pv' and result['name'] == 'g1'
    assert result['changed'] is False
    assert _sha(image) == before


@needs_e2fs
def test_separate_boot_partition_menu(capsys, tmp_path):
    image = _image(tmp_path, {'grub/grub.cfg': MENU.replace('/boot/', '/'), 'vmlinuz': KERNEL}, 'dos')
    result = check(capsys, _config(tmp_path, "'format=raw, vdev=xvda, access=rw, target=%s'" % image))
    assert result['bootable'] is True, result
    assert result['grub_config']['path'] == '/grub/grub.cfg'


@needs_e2fs
def test_no_menu_is_reported(capsys, tmp_path):
    image = _image(tmp_path, {'etc/hostname': 'g1\n'}, 'dos')
    before = _sha(image)
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image))
    assert result['bootable'] is False
    assert 'msdos1 (ext): no /boot/grub/grub.cfg or /grub/grub.cfg' in result['reason']
    assert 'xvda (%s)' % image in result['reason']
    assert _sha(image) == before


@needs_e2fs
def test_menu_without_its_kernel(capsys, tmp_path):
    image = _image(tmp_path, {'boot/grub/grub.cfg': MENU})
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image))
    assert result['bootable'] is False
    assert 'names kernels that are not on this filesystem: /boot/vmlinuz' in result['reason']
    assert check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image), check_kernels=False)['bootable'] is True


def _kernels_menu(*kernels):
    return ''.join("menuentry '%s' {\n\tlinux\t%s root=/dev/xvda1 ro\n}\n" % (k, k) for k in kernels)


@needs_e2fs
def test_debian12_xz_kernel_is_loadable(capsys, tmp_path):
    image = _image(tmp_path, {'boot/grub/grub.cfg': MENU, 'boot/vmlinuz': KERNEL}, 'dos')
    before = _sha(image)
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image))
    assert result['bootable'] is True, result
    assert result['kernel_formats'] == {'/boot/vmlinuz': 'bzImage/xz'}
    assert _sha(image) == before


@needs_e2fs
def test_debian13_zstd_kernel_is_refused_with_the_reason(capsys, tmp_path):
    image = _image(tmp_path, {'boot/grub/grub.cfg': MENU, 'boot/vmlinuz': ZSTD_KERNEL})
    before = _sha(image)
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image))
    assert result['bootable'] is False
    assert result['reason'] == ('xvda (%s): whole disk (ext): /boot/grub/grub.cfg names kernels PV-GRUB2 cannot '
                                'load: /boot/vmlinuz (%s)' % (image, ZSTD_WHY))
    assert result['kernels'] == ['/boot/vmlinuz'] and result['kernel_formats'] == {'/boot/vmlinuz': 'bzImage/zstd'}
    assert _sha(image) == before
    unchecked = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image), check_kernels=False)
    assert unchecked['bootable'] is True and unchecked['kernel_formats'] == {}


@needs_e2fs
def test_gzipped_elf_kernel_is_loadable(capsys, tmp_path):
    image = _image(tmp_path, {'boot/grub/grub.cfg': MENU, 'boot/vmlinuz': gzip.compress(elf())})
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image))
    assert result['bootable'] is True, result
    assert result['kernel_formats'] == {'/boot/vmlinuz': 'gzip'}


@needs_e2fs
def test_the_default_entry_must_boot_a_loadable_kernel(capsys, tmp_path):
    # a guest upgraded from Debian 12 to 13: update-grub puts the new (zstd) kernel first, the old one stays
    menu = _kernels_menu('/boot/vmlinuz-6.12.48+deb13-amd64', '/boot/vmlinuz-6.1.0-27-amd64')
    files = {'boot/grub/grub.cfg': menu, 'boot/vmlinuz-6.12.48+deb13-amd64': ZSTD_KERNEL,
             'boot/vmlinuz-6.1.0-27-amd64': KERNEL}
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % _image(tmp_path, files)))
    assert result['bootable'] is False, result
    assert result['reason'].endswith(
        '/boot/grub/grub.cfg: the first entry (no default set), "/boot/vmlinuz-6.12.48+deb13-amd64", boots '
        '/boot/vmlinuz-6.12.48+deb13-amd64, which PV-GRUB2 cannot load (%s); /boot/vmlinuz-6.1.0-27-amd64 could '
        "boot: make its entry the default (GRUB_DEFAULT in the guest's /etc/default/grub, then update-grub in the "
        'guest)' % ZSTD_WHY)
    assert result['kernel_formats'] == {'/boot/vmlinuz-6.12.48+deb13-amd64': 'bzImage/zstd',
                                        '/boot/vmlinuz-6.1.0-27-amd64': 'bzImage/xz'}
    # the old kernel made the default: bootable
    files['boot/grub/grub.cfg'] = 'set default="1"\n' + menu
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % _image(tmp_path, files, name='g2.img')))
    assert result['bootable'] is True, result


@needs_e2fs
def test_every_kernel_zstd_is_not_bootable(capsys, tmp_path):
    menu = _kernels_menu('/boot/vmlinuz-a', '/boot/vmlinuz-b', '/boot/vmlinuz-gone')
    image = _image(tmp_path, {'boot/grub/grub.cfg': menu, 'boot/vmlinuz-a': ZSTD_KERNEL,
                              'boot/vmlinuz-b': bzimage(compressed('lz4'))})
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image))
    assert result['bootable'] is False
    assert result['reason'].endswith(
        '/boot/grub/grub.cfg names kernels that are not on this filesystem: /boot/vmlinuz-gone; and kernels '
        'PV-GRUB2 cannot load: /boot/vmlinuz-a (%s), /boot/vmlinuz-b (lz4-compressed bzImage: PV-GRUB2 '
        "decompresses gzip, xz and lzop only (GRUB's Xen loader))" % ZSTD_WHY)
    assert result['kernel_formats'] == {'/boot/vmlinuz-a': 'bzImage/zstd', '/boot/vmlinuz-b': 'bzImage/lz4'}


@needs_e2fs
def test_kernel_symlink_is_followed_like_grub_does(capsys, tmp_path):
    menu = _kernels_menu('/vmlinuz')
    root = _tree(tmp_path / 'root-links', {'boot/grub/grub.cfg': menu, 'boot/vmlinuz-6.1.0-27-amd64': KERNEL})
    os.symlink('boot/vmlinuz-6.1.0-27-amd64', str(root / 'vmlinuz'))
    image = tmp_path / 'links.img'
    subprocess.run([_tool('mkfs.ext4'), '-q', '-F', '-d', str(root), str(image), '16M'], check=True,
                   env=dict(os.environ, PATH=SBIN))
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image))
    assert result['bootable'] is True, result
    assert result['kernel_formats'] == {'/vmlinuz': 'bzImage/xz'}


@needs_e2fs
def test_kernel_symlinks_that_lead_nowhere(capsys, tmp_path):
    """A dangling link is a missing kernel; a loop and a link too long for debugfs to print are not followed."""
    long_name = 'vmlinuz-' + 'x' * 70
    menu = _kernels_menu('/boot/dangling', '/boot/loop-a', '/boot/long')
    root = _tree(tmp_path / 'root-links', {'boot/grub/grub.cfg': menu, 'boot/' + long_name: KERNEL})
    os.symlink('vmlinuz-gone', str(root / 'boot' / 'dangling'))
    os.symlink('loop-b', str(root / 'boot' / 'loop-a'))
    os.symlink('/boot/loop-a', str(root / 'boot' / 'loop-b'))
    os.symlink(long_name, str(root / 'boot' / 'long'))
    image = tmp_path / 'links.img'
    subprocess.run([_tool('mkfs.ext4'), '-q', '-F', '-d', str(root), str(image), '16M'], check=True,
                   env=dict(os.environ, PATH=SBIN))
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image))
    assert result['bootable'] is False
    assert result['reason'].endswith(
        'names kernels that are not on this filesystem: /boot/dangling; and kernels that cannot be read: '
        '/boot/loop-a (more than 8 symbolic links in a row), /boot/long (a symbolic link whose target debugfs '
        'does not print (a long link); name its target)')
    assert result['kernel_formats'] == {'/boot/loop-a': 'unreadable', '/boot/long': 'unreadable'}


def _silent_dump(tmp_path):
    bindir = tmp_path / 'silentbin'
    bindir.mkdir()
    fake = bindir / 'debugfs'
    fake.write_text('#!/bin/sh\ncase "$3" in dump*) exit 0;; esac\nexec %s "$@"\n' % _tool('debugfs'))
    fake.chmod(0o755)
    return os.pathsep.join([str(bindir), SBIN])


@needs_e2fs
def test_dump_that_writes_nothing_is_unreadable(capsys, tmp_path):
    image = _image(tmp_path, {'boot/grub/grub.cfg': MENU, 'boot/vmlinuz': KERNEL})
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image), path=_silent_dump(tmp_path))
    assert result['bootable'] is False
    assert result['reason'].endswith('cannot be read: /boot/vmlinuz (debugfs wrote no copy of it)')


def _failing_dump(tmp_path):
    """A PATH whose debugfs answers every request with the real debugfs, except dump, which fails the way
    the real one does on a short read (message on stderr, exit 0)."""
    bindir = tmp_path / 'fakebin'
    bindir.mkdir()
    fake = bindir / 'debugfs'
    fake.write_text('#!/bin/sh\ncase "$3" in dump*)\n  echo "debugfs 1.47.0 (5-Feb-2023)" >&2\n'
                    '  echo "dump: Attempt to read block from filesystem resulted in short read while reading '
                    'ext2 file" >&2\n  exit 0;;\nesac\nexec %s "$@"\n' % _tool('debugfs'))
    fake.chmod(0o755)
    return os.pathsep.join([str(bindir), SBIN])


@needs_e2fs
def test_kernel_dump_fails_reported_unreadable_not_accepted(capsys, tmp_path):
    image = _image(tmp_path, {'boot/grub/grub.cfg': MENU, 'boot/vmlinuz': KERNEL})
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image), path=_failing_dump(tmp_path))
    assert result['bootable'] is False
    assert result['reason'].endswith(
        '/boot/grub/grub.cfg names kernels that cannot be read: /boot/vmlinuz (dump: Attempt to read block from '
        'filesystem resulted in short read while reading ext2 file)')
    assert result['kernel_formats'] == {'/boot/vmlinuz': 'unreadable'}


@needs_e2fs
def test_hostile_kernel_path_is_not_passed_to_debugfs(capsys, tmp_path):
    menu = 'menuentry x {\n linux /boot/vmlinuz;dump\n}\n'
    image = _image(tmp_path, {'boot/grub/grub.cfg': menu})
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image))
    assert result['bootable'] is False
    assert '/boot/vmlinuz;dump (not checked: unusual characters)' in result['reason']


@needs_e2fs
def test_second_disk_holds_the_menu(capsys, tmp_path):
    data = _image(tmp_path, {'srv/data': 'x'}, name='data.img')
    boot = _image(tmp_path, {'boot/grub/grub.cfg': MENU, 'boot/vmlinuz': KERNEL}, name='boot.img')
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w', '%s,raw,xvdb,w'" % (data, boot)))
    assert result['bootable'] is True
    assert result['grub_config']['vdev'] == 'xvdb'
    assert [d['vdev'] for d in result['disks']] == ['xvda', 'xvdb']


def test_disk_that_does_not_exist(capsys, tmp_path):
    result = check(capsys, _config(tmp_path, "'phy:/dev/xg-no-such-vg/g1,xvda,w'"))
    assert result['bootable'] is False
    assert result['reason'] == 'xvda (/dev/xg-no-such-vg/g1): cannot read /dev/xg-no-such-vg/g1: it does not exist'


def test_unreadable_kinds_are_reported(capsys, tmp_path):
    result = check(capsys, _config(tmp_path, "'qcow2:/srv/g1.qcow2,xvda,w', '/srv/cd.iso,,hdc,cdrom', "
                                             "'drbd:res0,xvdb,w', 'backend=dd, vdev=xvdc, target=/dev/vg/x'"))
    assert result['bootable'] is False
    reason = result['reason']
    assert 'xvda (/srv/g1.qcow2): not read, format qcow2' in reason
    assert 'not read, a CD-ROM' in reason
    assert 'resolved by the block script block-drbd' in reason
    assert 'served by the backend domain dd' in reason


def test_image_that_is_no_filesystem(capsys, tmp_path):
    image = tmp_path / 'zero.img'
    image.write_bytes(b'\0' * 65536)
    result = check(capsys, _config(tmp_path, "'%s,raw,xvda,w'" % image))
    assert result['bootable'] is False
    assert result['reason'].endswith('no partition table and no filesystem')


def test_hvm_and_no_disk(capsys, tmp_path):
    hvm = _config(tmp_path, "'/x,raw,hda,w'", extra='type = "hvm"\n', name='h')
    assert 'HVM guest boots from its firmware' in check(capsys, hvm)['reason']
    bare = tmp_path / 'bare.cfg'
    bare.write_text('name = "bare"\nkernel = "/boot/vmlinuz"\n')
    result = check(capsys, bare)
    assert (result['reason'], result['boot']) == ('the configuration has no disk', 'kernel')


def test_config_that_does_not_parse(capsys, tmp_path):
    bad = tmp_path / 'bad.cfg'
    bad.write_text('name = "bad"\ndisk = [ "/x,raw,xvda,w"\n')
    result = check(capsys, bad)
    assert result['failed'] is True
    assert 'does not parse' in result['msg'] and 'xl create -n' in result['msg']


def test_config_that_does_not_exist(capsys, tmp_path):
    result = check(capsys, tmp_path / 'nope.cfg')
    assert result['failed'] is True
    assert 'nope.cfg' in result['msg']


def test_hostile_grub_paths_refused(capsys, tmp_path):
    result = check(capsys, _config(tmp_path, "'/x,raw,xvda,w'"), grub_paths=['/boot/grub/grub.cfg; dump'])
    assert result['failed'] is True and 'grub_paths' in result['msg']


@pytest.mark.parametrize('spec,target,fmt,vdev', [
    ('file:/srv/g.img,xvda,w', '/srv/g.img', 'raw', 'xvda'),
    ('phy:/dev/vg/g,xvda,w', '/dev/vg/g', 'raw', 'xvda'),
    ('tap:aio:/srv/g.img,xvda,w', '/srv/g.img', 'raw', 'xvda'),
    ('tap:qcow2:/srv/g.qcow2,xvda,w', '/srv/g.qcow2', 'qcow2', 'xvda'),
    ('/srv/g.img,raw,xvda,rw', '/srv/g.img', 'raw', 'xvda'),
    ('/srv/g.img,,xvda', '/srv/g.img', 'raw', 'xvda'),
    ('vg/g,raw,xvda', '/dev/vg/g', 'raw', 'xvda'),
    ('format=raw, vdev=xvda, access=rw, target=/srv/a,b.img', '/srv/a,b.img', 'raw', 'xvda'),
    (' vdev=xvdb, target=/dev/vg/g', '/dev/vg/g', 'raw', 'xvdb'),
])
def test_disk_specs(spec, target, fmt, vdev):
    disk = guestdisk.parse_disk_spec(spec)
    assert (disk['target'], disk['format'], disk['vdev']) == (target, fmt, vdev)


def test_unknown_prefix_refused():
    with pytest.raises(guestdisk.DiskSpecError, match='unknown deprecated disk prefix'):
        guestdisk.parse_disk_spec('bogus:/srv/g.img,xvda,w')


def test_default_entry_of_a_recorded_menu():
    """The lab host's own grub.cfg (Debian 13, update-grub): functions, submenus two deep, a default by title
    and grub-reboot's next_entry before it."""
    text = fixture('grub-boot', 'grub.cfg.trixie-lab-host.txt')
    tree = guestdisk.menu_tree(text)
    assert [(e['kind'], e['title']) for e in tree] == [
        ('menuentry', 'Debian GNU/Linux'), ('submenu', 'Advanced options for Debian GNU/Linux'),
        ('menuentry', 'Debian GNU/Linux GNU/Linux, with Xen hypervisor'),
        ('submenu', 'Advanced options for Debian GNU/Linux GNU/Linux (with Xen hypervisor)'),
        ('menuentry', 'UEFI Firmware Settings')]
    assert len(tree[3]['entries']) == 2 and len(tree[3]['entries'][0]['entries']) == 2
    entry, how = guestdisk.default_entry(text)
    assert entry['kernel'] == '/boot/xen-4.20-amd64.gz'
    assert how == 'the default entry (set default="Debian GNU/Linux GNU/Linux, with Xen hypervisor")'
    title = 'set default="Debian GNU/Linux GNU/Linux, with Xen hypervisor"'

    def pick(value):
        return guestdisk.default_entry(text.replace(title, 'set default="%s"' % value))

    assert pick('0')[0]['title'] == 'Debian GNU/Linux'
    assert pick('1>1')[0]['title'] == 'Debian GNU/Linux, with Linux 6.12.117+deb13-amd64 (recovery mode)'
    assert pick('gnulinux-advanced-b3c9f38b-d216-408d-9b87-d195fe499640>'
                'gnulinux-6.12.117+deb13-amd64-advanced-b3c9f38b-d216-408d-9b87-d195fe499640')[0]['kernel'] == (
        '/boot/vmlinuz-6.12.117+deb13-amd64')
    assert pick('3>0>1')[0]['title'].endswith('and Linux 6.12.117+deb13-amd64 (recovery mode)')
    assert pick('1') == (None, 'the default "1" is a submenu')
    assert pick('9') == (None, 'the default "9" names no entry of the menu')
    entry, how = pick('${saved_entry}')
    assert entry['title'] == 'Debian GNU/Linux' and 'saved entry' in how
    assert guestdisk.default_entry('linux /vmlinuz\nboot\n') == (None, 'the default "0" names no entry of the menu')


def test_menu_kernels():
    text = "linux (hd0,msdos1)/vmlinuz-6.1 root=x\n  linux\t'/boot/a b'\nmultiboot2 /boot/xen.gz\nlinux /vmlinuz-6.1\n"
    assert guestdisk.menu_kernels(text) == ['/vmlinuz-6.1', "/boot/a", '/boot/xen.gz']


def test_disk_specs_read_as_xl_reads_them():
    """Every disk of a configuration against what `xl create -n` printed for it on the lab host (Xen 4.17.5):
    target, format, vdev, script, backend. xl keeps a relative target as written and libxl puts /dev/ before
    it later (xl-disk-configuration(5), target); the parser gives the path that is opened."""
    import json
    from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import XlConfig
    from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture
    specs = XlConfig.parse(fixture('debian12-xen-4.17/xl-create-n.disk-specs.cfg')).get('disk')
    disks = json.loads(fixture('debian12-xen-4.17/xl-create-n.disk-specs.json'))['disks']
    assert len(specs) == len(disks) == 10
    for spec, xl in zip(specs, disks):
        ours = guestdisk.parse_disk_spec(spec)
        target = xl['pdev_path']
        if not target.startswith('/') and not xl.get('script'):
            target = '/dev/' + target
        assert (ours['target'], ours['format'], ours['vdev'], ours['script'], ours['backend']) == (
            target, xl['format'], xl['vdev'], xl.get('script'), xl.get('backend_domname')), spec
