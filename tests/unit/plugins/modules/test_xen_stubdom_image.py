# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_stubdom_image on a real file tree: real ELF binaries of this machine (ldd, dpkg-query run for real), a
kernel module tree laid out as Debian's, the rootfs unpacked again and read."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gzip
import hashlib
import json
import lzma
import os
import shutil

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import stubdom
from ansible_collections.xenguard.hardening.plugins.modules import xen_stubdom_image
from ansible_collections.xenguard.hardening.tests.unit.helpers import run_module

pytestmark = pytest.mark.skipif(not (shutil.which('ldd') and shutil.which('dpkg-query') and os.path.exists('/bin/ls')),
                                reason='needs ldd, dpkg-query and /bin/ls (a Debian machine)')

MODULE_FILES = {
    'kernel/drivers/xen/xen-evtchn.ko': [],
    'kernel/drivers/xen/xen-gntdev.ko': [],
    'kernel/drivers/xen/xen-gntalloc.ko': [],
    'kernel/drivers/xen/xen-privcmd.ko.xz': [],
    'kernel/drivers/xen/xenfs/xenfs.ko': ['kernel/drivers/xen/xen-privcmd.ko.xz'],
    'kernel/drivers/block/xen-blkfront.ko': [],
}


def read_cpio(data):
    """{name: (mode, bytes or link target)} of a newc archive (the format the kernel unpacks)."""
    entries, pos = {}, 0
    while True:
        header = data[pos:pos + 110]
        assert header[:6] == b'070701'
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, name_len = fields[1], fields[6], fields[11]
        name = data[pos + 110:pos + 110 + name_len - 1].decode()
        pos += 110 + name_len
        pos += (4 - pos % 4) % 4
        body = data[pos:pos + size]
        pos += size
        pos += (4 - pos % 4) % 4
        if name == 'TRAILER!!!':
            return entries
        entries[name] = (mode, body)


@pytest.fixture
def host(tmp_path):
    """A host tree: firmware dir, kernel with modules, xenstore tools and the proxy (real binaries)."""
    dest = tmp_path / 'usr/lib/xen-4.17/boot'
    dest.mkdir(parents=True)
    (tmp_path / 'usr/lib/xen-4.17/bin').mkdir()
    os.symlink('/bin/true', str(tmp_path / 'usr/lib/xen-4.17/bin/vchan-socket-proxy'))
    tools = tmp_path / 'usr/bin'
    tools.mkdir()
    for tool in ('xenstore-read', 'xenstore-list'):
        os.symlink('/bin/true', str(tools / tool))
    boot = tmp_path / 'boot'
    boot.mkdir()
    (boot / 'vmlinuz-6.1.0-99-amd64').write_bytes(b'\x7fKERNEL' * 100)
    moddir = tmp_path / 'lib/modules/6.1.0-99-amd64'
    for rel in MODULE_FILES:
        path = moddir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        body = ('module %s' % rel).encode()
        path.write_bytes(lzma.compress(body) if rel.endswith('.xz') else body)
    (moddir / 'modules.dep').write_text(''.join('%s: %s\n' % (rel, ' '.join(deps)) for rel, deps in MODULE_FILES.items()))
    (moddir / 'modules.builtin').write_text('kernel/drivers/net/xen-netfront.ko\n')
    return dict(root=tmp_path, dest=str(dest), kernel=str(boot / 'vmlinuz-6.1.0-99-amd64'),
                modules_root=str(tmp_path / 'lib/modules'), tools=str(tools),
                state=str(tmp_path / 'var/lib/xenguard/stubdom-image.json'))


def build_args(host, **more):
    args = dict(dest=host['dest'], kernel=host['kernel'], modules_root=host['modules_root'], qemu='/bin/ls',
                busybox='/bin/ls', xenstore_tools=host['tools'], state_file=host['state'], qemu_data=['*.rom'])
    args.update(more)
    return args


def test_build_install_and_idempotence(capsys, host):
    result = run_module(xen_stubdom_image, capsys, build_args(host), diff=True)
    assert result['changed'] is True, result
    assert result['reasons'] == ['no image built by this collection is recorded']
    kernel = os.path.join(host['dest'], 'qemu-stubdom-linux-kernel')
    rootfs = os.path.join(host['dest'], 'qemu-stubdom-linux-rootfs')
    with open(kernel, 'rb') as handle:
        assert handle.read() == b'\x7fKERNEL' * 100
    with open(rootfs, 'rb') as handle:
        data = handle.read()
    assert result['sha256'] == {'kernel': hashlib.sha256(b'\x7fKERNEL' * 100).hexdigest(),
                                'rootfs': hashlib.sha256(data).hexdigest()}
    files = read_cpio(gzip.decompress(data))
    init = files['init'][1].decode()
    assert files['init'][0] & 0o777 == 0o755
    # modules in dependency order, decompressed, privcmd unrestricted; the built-in netfront is not loaded
    loads = [line for line in init.splitlines() if line.startswith('insmod ')]
    assert loads == ['insmod /lib/modules/xen_evtchn.ko', 'insmod /lib/modules/xen_gntdev.ko',
                     'insmod /lib/modules/xen_gntalloc.ko', 'insmod /lib/modules/xen_privcmd.ko unrestricted=1',
                     'insmod /lib/modules/xenfs.ko', 'insmod /lib/modules/xen_blkfront.ko']
    assert files['lib/modules/xen_privcmd.ko'][1] == b'module kernel/drivers/xen/xen-privcmd.ko.xz'
    # QEMU at its own path with the libraries ldd names, busybox and its applets, the xenstore tools
    assert 'bin/ls' in files and 'bin/busybox' in files
    assert any(name.endswith('/libc.so.6') for name in files)
    assert files['bin/sh'] == (0o120777, b'busybox')
    assert '/bin/ls "$@" -chardev socket,id=xenguard-qmp' in init
    for name in ('bin/xenstore-read', 'bin/xenstore-list', 'bin/vchan-socket-proxy'):
        assert name in files
    assert result['rootfs_files'] == sum(1 for mode, _b in files.values() if not mode & 0o40000)
    # the key names the packages that own what went in (dpkg, for real) and hashes what no package owns
    assert result['key']['packages'].get('coreutils') and result['key']['packages'].get('libc6')
    assert host['kernel'] in result['key']['files']
    with open(host['state']) as handle:
        assert json.load(handle)['key'] == result['key']
    assert result['diff']['before'] == '' and '"coreutils"' in result['diff']['after']

    again = run_module(xen_stubdom_image, capsys, build_args(host))
    assert again['changed'] is False and again['reasons'] == []
    assert again['sha256'] == result['sha256']


def test_rebuilt_when_an_input_or_the_image_changes(capsys, host):
    run_module(xen_stubdom_image, capsys, build_args(host))
    # a new kernel build with the same name (no package owns it here: its hash is in the key)
    with open(host['kernel'], 'ab') as handle:
        handle.write(b'new')
    checked = run_module(xen_stubdom_image, capsys, build_args(host), check_mode=True)
    assert checked['changed'] is True
    assert checked['reasons'][0].startswith(host['kernel'] + ' ')
    with open(os.path.join(host['dest'], 'qemu-stubdom-linux-kernel'), 'rb') as handle:
        assert not handle.read().endswith(b'new')  # check mode wrote nothing
    rebuilt = run_module(xen_stubdom_image, capsys, build_args(host))
    assert rebuilt['changed'] is True
    with open(os.path.join(host['dest'], 'qemu-stubdom-linux-kernel'), 'rb') as handle:
        assert handle.read().endswith(b'new')
    # someone replaced the installed rootfs: rebuilt, saying why
    with open(os.path.join(host['dest'], 'qemu-stubdom-linux-rootfs'), 'wb') as handle:
        handle.write(b'other')
    fixed = run_module(xen_stubdom_image, capsys, build_args(host))
    assert fixed['changed'] is True
    assert fixed['reasons'] == ['rootfs %s/qemu-stubdom-linux-rootfs is not the image recorded in %s'
                                % (host['dest'], host['state'])]


def test_the_record_lets_xen_facts_judge_without_building(capsys, host):
    from ansible_collections.xenguard.hardening.plugins.modules import xen_facts
    run_module(xen_stubdom_image, capsys, build_args(host))
    with open(host['state']) as handle:
        state = json.load(handle)
    kernel = os.path.join(host['dest'], 'qemu-stubdom-linux-kernel')
    rootfs = os.path.join(host['dest'], 'qemu-stubdom-linux-rootfs')
    assert state['dest'] == host['dest'] and state['kernel'] == host['kernel']
    assert state['stat'] == {'kernel': [os.stat(kernel).st_size, os.stat(kernel).st_mtime_ns],
                             'rootfs': [os.stat(rootfs).st_size, os.stat(rootfs).st_mtime_ns]}
    # what xen_facts reads of it: the images' size and time agree; the kernel here is owned by no package,
    # so only this module can tell (xen_facts says why it does not call the images current)
    with open(host['state']) as handle:
        assert xen_facts.stubdom_image_stat(handle.read()) == state['stat']
    judged = stubdom.recorded_image(state, state['key']['packages'], state['stat'])
    assert judged['current'] is False and 'files no package owns' in judged['why']

    # a record written before the module kept dest, kernel and sizes: they are added once (a change of the
    # record alone: the images are not written again), check mode writes nothing, then nothing changes
    old = dict((k, v) for k, v in state.items() if k in ('key', 'sha256'))
    with open(host['state'], 'w') as handle:
        json.dump(old, handle)
    before = (os.stat(kernel).st_mtime_ns, os.stat(rootfs).st_mtime_ns)
    checked = run_module(xen_stubdom_image, capsys, build_args(host), check_mode=True, diff=True)
    assert checked['changed'] is True and checked['reasons'] == [
        'the record %s gets the directory, kernel and image sizes and times (the images are the ones recorded)'
        % host['state']]
    assert '"stat"' in checked['diff']['after'] and '"stat"' not in checked['diff']['before']
    with open(host['state']) as handle:
        assert json.load(handle) == old
    recorded = run_module(xen_stubdom_image, capsys, build_args(host))
    assert recorded['changed'] is True and recorded['reasons'] == checked['reasons']
    assert (os.stat(kernel).st_mtime_ns, os.stat(rootfs).st_mtime_ns) == before
    with open(host['state']) as handle:
        assert json.load(handle) == state
    assert run_module(xen_stubdom_image, capsys, build_args(host))['changed'] is False


def test_check_mode_first_run_writes_nothing(capsys, host):
    result = run_module(xen_stubdom_image, capsys, build_args(host), check_mode=True)
    assert result['changed'] is True and result['sha256'] == {'kernel': None, 'rootfs': None}
    assert os.listdir(host['dest']) == [] and not os.path.exists(host['state'])


@pytest.mark.parametrize('missing, words', [
    ('module', 'the kernel has no module xen-gntalloc'),
    ('busybox', 'busybox'),
    ('kernel', 'the kernel'),
    ('moddir', 'modules.dep is missing'),
])
def test_missing_build_inputs_change_nothing(capsys, host, missing, words):
    args = build_args(host)
    moddir = os.path.join(host['modules_root'], '6.1.0-99-amd64')
    if missing == 'module':
        with open(os.path.join(moddir, 'modules.dep')) as handle:
            text = handle.read()
        with open(os.path.join(moddir, 'modules.dep'), 'w') as handle:
            handle.write('\n'.join(l for l in text.splitlines() if 'gntalloc' not in l))
    elif missing == 'busybox':
        args['busybox'] = str(host['root'] / 'bin/busybox')
    elif missing == 'kernel':
        args['kernel'] = str(host['root'] / 'boot/vmlinuz-nothing')
    else:
        shutil.rmtree(moddir)
    result = run_module(xen_stubdom_image, capsys, args)
    assert result.get('failed') is True
    assert words in result['msg']
    assert os.listdir(host['dest']) == [] and not os.path.exists(host['state'])


def test_kernel_not_named_vmlinuz(capsys, host):
    other = str(host['root'] / 'boot/bzImage')
    shutil.copy(host['kernel'], other)
    result = run_module(xen_stubdom_image, capsys, build_args(host, kernel=other))
    assert result['failed'] and 'vmlinuz-<version>' in result['msg']


def test_dest_must_exist(capsys, host):
    result = run_module(xen_stubdom_image, capsys, build_args(host, dest=host['dest'] + '-nowhere'))
    assert result['failed'] and 'is not a directory' in result['msg']


def _supplied(host, tmp_path, kernel_sha=None, rootfs_sha=None):
    kernel, rootfs = tmp_path / 'k', tmp_path / 'r'
    kernel.write_bytes(b'user kernel')
    rootfs.write_bytes(b'user rootfs')
    return dict(dest=host['dest'], source='supplied', kernel=str(kernel), rootfs=str(rootfs),
                kernel_sha256=kernel_sha or hashlib.sha256(b'user kernel').hexdigest(),
                rootfs_sha256=rootfs_sha or hashlib.sha256(b'user rootfs').hexdigest(), state_file=host['state'])


def test_supplied_images(capsys, host, tmp_path):
    args = _supplied(host, tmp_path)
    checked = run_module(xen_stubdom_image, capsys, args, check_mode=True)
    assert checked['changed'] is True and os.listdir(host['dest']) == []
    result = run_module(xen_stubdom_image, capsys, args)
    assert result['changed'] is True
    with open(os.path.join(host['dest'], stubdom.ROOTFS_NAME), 'rb') as handle:
        assert handle.read() == b'user rootfs'
    again = run_module(xen_stubdom_image, capsys, args)
    assert again['changed'] is False


@pytest.mark.parametrize('which, value, words', [
    ('kernel', '0' * 64, 'not the image you meant'),
    ('rootfs', 'abc', 'not a SHA-256'),
    ('kernel', 'path', 'is missing'),
    ('rootfs', '', 'needs rootfs'),
])
def test_supplied_bad_images_install_nothing(capsys, host, tmp_path, which, value, words):
    args = _supplied(host, tmp_path)
    if value == 'path':
        args['kernel'] = str(tmp_path / 'nothing')
    elif value == '':
        args['rootfs'] = ''
    else:
        args[which + '_sha256'] = value
    result = run_module(xen_stubdom_image, capsys, args)
    assert result['failed'] is True and words in result['msg'], result['msg']
    assert os.listdir(host['dest']) == [] and not os.path.exists(host['state'])
