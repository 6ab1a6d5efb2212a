# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_facts on recorded hosts: run_command answers with what xl and xenstore-ls printed there."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import threading

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xenguard.hardening.plugins.module_utils import facts as assembly
from ansible_collections.xenguard.hardening.plugins.modules import xen_facts
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, fixture_path, recorded, run_module, tpm_tree


def ls_fp(name, parent):
    """`xenstore-ls -fp parent` as xenstore-ls prints it, from a recorded `-f` listing."""
    prefix = parent + '/'
    return ''.join('%s   (n0)\n' % line for line in fixture(name).splitlines() if line.startswith(prefix))


D12 = 'debian12-xen-4.17/'
HOSTS = {
    # name: xl info, xl dmesg, xl getenforce, xl list -l, xenstore-ls -f
    'bookworm-vtd-intremap-with-guest': (
        D12 + 'xl-info.q35-vtd-intremap.txt', D12 + 'xl-dmesg.q35-vtd-intremap.txt',
        D12 + 'xl-getenforce.no-xsm.txt', D12 + 'xl-list-l.dom0-plus-pv-domu.json',
        D12 + 'xenstore-ls-f.dom0-plus-pv-domu.txt'),
    'bookworm-flask-via-grub': (
        'grub-boot/xl-info.bookworm-flask-via-grub.txt', 'grub-boot/xl-dmesg.bookworm-flask-via-grub.txt',
        'grub-boot/xl-getenforce.bookworm-flask-via-grub.txt', D12 + 'xl-list-l.dom0-only.json',
        D12 + 'xenstore-ls-f.dom0-only.txt'),
    'trixie-stock': (
        'debian13-xen-4.20/xl-info.trixie-xen-4.20.txt', 'debian13-xen-4.20/xl-dmesg.trixie-xen-4.20.txt',
        'debian13-xen-4.20/xl-getenforce.trixie-stock.txt', 'debian13-xen-4.20/xl-list-l.dom0-only.trixie.json',
        D12 + 'xenstore-ls-f.dom0-only.txt'),
}

NET_LAYOUT = 'dom0-network/ip-j-d-addr-show.bridge-with-dom0-address.json'
OXENSTORED = '/usr/lib/xen-4.17/bin/oxenstored'


def fake_proc(root, processes):
    """A /proc with the given processes: {pid: (exe link target or None, comm, argv)}."""
    root.mkdir()
    (root / 'self').mkdir()
    (root / 'meminfo').write_text('MemTotal: 1 kB\n')
    for pid, (exe, comm, argv) in processes.items():
        base = root / str(pid)
        base.mkdir()
        (base / 'comm').write_text(comm + '\n')
        (base / 'cmdline').write_bytes(b''.join(a.encode('utf-8') + b'\0' for a in argv))
        if exe:
            os.symlink(exe, str(base / 'exe'))
    return root


def fake_ipv6_conf(root, recording):
    """/proc/sys/net/ipv6/conf as a recorded ipv6-conf file lists it."""
    root.mkdir()
    for line in fixture(recording).splitlines():
        ifname, key, value = line.split()
        (root / ifname).mkdir(exist_ok=True)
        (root / ifname / key).write_text(value + '\n')
    return root


GUEST_CFG = '''# a PV guest as the lab ran it
name = "test-pv-long"
kernel = "/boot/vmlinuz-6.1.0-50-amd64"
ramdisk = "/root/domu/initrd-busybox.gz"
extra = "console=hvc0 rdinit=/bin/busybox -- sleep 1000000"
memory = 128
vcpus = 1
disk = [ '/root/domu/pvgrub.img,raw,xvda,r' ]
vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr1' ]
'''


def fake_sysfs_pci(root, recorded_name):
    """/sys/bus/pci/devices of the lab's dom0 (driver-domain/<recorded_name>): class files, driver links, net/."""
    devices = json.loads(fixture('driver-domain', recorded_name))
    for address, dev in devices.items():
        node = root / 'devices' / address
        (node / 'net').mkdir(parents=True) if dev['net'] else node.mkdir(parents=True)
        (node / 'class').write_text(dev['class'] + '\n')
        for name in dev['net']:
            (node / 'net' / name).mkdir()
        if dev['driver']:
            (root / 'drivers' / dev['driver']).mkdir(parents=True, exist_ok=True)
            (node / 'driver').symlink_to(root / 'drivers' / dev['driver'])
    return root / 'devices'


class Host(object):
    """A recorded dom0: answers the commands xen_facts runs, fails on any other."""

    def __init__(self, files, xl_info_answer=None):
        info, dmesg, enforce, listing, store = files
        self.answers = {
            ('xl', 'info'): xl_info_answer or (0, fixture(info), ''),
            ('xl', 'dmesg'): (0, fixture(dmesg), ''),
            ('xl', 'getenforce'): recorded(enforce) + ('',),
            ('xl', 'list', '-l'): (0, fixture(listing), ''),
            ('xenstore-ls', '-f', '-p', '/local/domain'): (0, ls_fp(store, '/local/domain'), ''),
            ('ip', '-j', '-d', 'addr', 'show'): (0, fixture(NET_LAYOUT), ''),
            # recorded on the lab's dom0 before xen-pciback was loaded: rc 0, the complaint on stderr
            ('xl', 'pci-assignable-list'): (0, '', 'libxl: error: libxl_pci.c:444:libxl_device_pci_assignable_list: '
                                                   'Looks like pciback driver not loaded\n'),
        }
        self.binaries = ('xl', 'xenstore-ls', 'ip')
        self.ran = []

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return '/usr/sbin/' + name if name in self.binaries else None

    def run_command(self, args, **kwargs):
        assert kwargs['environ_update'] == {'LC_ALL': 'C', 'LANG': 'C'}
        key = (os.path.basename(args[0]),) + tuple(args[1:])
        self.ran.append(key)
        assert key in self.answers, 'xen_facts ran an unexpected command: %s' % (key,)
        return self.answers[key]


@pytest.fixture
def dom0(tmp_path, monkeypatch):
    """A filesystem shaped like a dom0: /proc/xen/capabilities, /etc/xen, TPM device nodes."""
    caps = tmp_path / 'capabilities'
    caps.write_text('control_d\n')
    hyp = tmp_path / 'hypervisor-type'
    hyp.write_text('xen\n')
    etc = tmp_path / 'etc-xen'
    etc.mkdir()
    (etc / 'test-pv-long.cfg').write_text(GUEST_CFG)
    (etc / 'broken.cfg').write_text('name = "broken"\nmemory = = 5\n')
    (etc / 'xlexample.hvm').write_text('name = "not a .cfg"\n')
    (etc / 'xl.conf').write_text(fixture(D12 + 'etc-xen-xl.conf.debian.txt') + 'autoballoon="off"\n')
    dev = tmp_path / 'dev'
    dev.mkdir()
    (dev / 'tpm0').write_text('')
    (dev / 'tpmrm0').write_text('')
    # the TPM 2.0 of the recorded lab host (swtpm): sysfs, ACPI, Debian's kernel with its TPM drivers built in
    tpm_root = tmp_path / 'root'
    tpm_tree(tpm_root)
    sysfs = tpm_root / 'sys' / 'class' / 'tpm'
    monkeypatch.setattr(xen_facts, 'PROC_CAPABILITIES', str(caps))
    monkeypatch.setattr(xen_facts, 'SYS_HYPERVISOR_TYPE', str(hyp))
    monkeypatch.setattr(xen_facts, 'TPM_DEV_GLOBS', (str(dev / 'tpm[0-9]*'), str(dev / 'tpmrm[0-9]*')))
    monkeypatch.setattr(xen_facts, 'TPM_SYSFS_GLOB', str(sysfs / 'tpm[0-9]*'))
    monkeypatch.setattr(xen_facts, 'TPM_ROOT', str(tpm_root))
    xs_conf = etc / 'oxenstored.conf'
    xs_conf.write_text(fixture('xenstored/oxenstored.conf.xen-4.17-default.txt'))
    proc = fake_proc(tmp_path / 'proc', {
        1: ('/usr/lib/systemd/systemd', 'systemd', ['/sbin/init']),
        612: (OXENSTORED, 'oxenstored', [OXENSTORED, '--config-file', str(xs_conf), '--no-fork']),
        700: (None, 'kworker/0:1', []),
    })
    monkeypatch.setattr(xen_facts, 'PROC', str(proc))
    ipv6 = fake_ipv6_conf(tmp_path / 'ipv6-conf', 'dom0-network/ipv6-conf.bridge-with-dom0-address.txt')
    monkeypatch.setattr(xen_facts, 'PROC_IPV6_CONF', str(ipv6))
    monkeypatch.setattr(xen_facts, 'SYS_PCI_DEVICES', str(fake_sysfs_pci(tmp_path / 'sys-bus-pci', 'sysfs-pci-dom0.json')))
    # GRUB and dpkg as on the lab hosts: xen.cfg as the lab image has it, GRUB installed, intel-microcode
    # installed (recorded with its architecture suffix, as dpkg may name it), amd64-microcode not
    grub_d = tmp_path / 'default-grub.d'
    grub_d.mkdir()
    (grub_d / 'xen.cfg').write_text(fixture(D12 + 'etc-default-grub.d-xen.cfg.lab.txt'))
    grub = tmp_path / 'grub'
    grub.mkdir()
    for name in ('grub.cfg', 'update-grub'):
        (grub / name).write_text('')
    monkeypatch.setattr(xen_facts, 'GRUB_FILES', (str(grub / 'grub.cfg'), str(grub / 'update-grub'),
                                                  str(grub / '20_linux_xen')))
    dpkg = tmp_path / 'dpkg-info'
    dpkg.mkdir()
    (dpkg / 'intel-microcode:amd64.list').write_text('/.\n')
    (dpkg / 'amd64-microcode.md5sums').write_text('')
    monkeypatch.setattr(xen_facts, 'DPKG_INFO', str(dpkg))
    # dpkg's status file and os-release of a hardened lab host; no record of the collection's yet
    monkeypatch.setattr(xen_facts, 'DPKG_STATUS', fixture_path(D12 + 'var-lib-dpkg-status.lab-hardened-excerpt.txt'))
    monkeypatch.setattr(xen_facts, 'OS_RELEASE', fixture_path(D12 + 'etc-os-release.txt'))
    records = tmp_path / 'var-lib-xenguard'
    records.mkdir()
    monkeypatch.setattr(xen_facts, 'BOOT_IMAGE_RECORD', str(records / 'boot-image.json'))
    monkeypatch.setattr(xen_facts, 'STUBDOM_IMAGE_RECORD', str(records / 'stubdom-image.json'))
    return {'records': records, 'grub_d': grub_d, 'caps': caps, 'hyp': hyp, 'etc': etc, 'dev': dev, 'sysfs': sysfs, 'proc': proc,
            'xs_conf': xs_conf}


def run(capsys, monkeypatch, host, args=None, check_mode=False):
    """xen_facts run once on args, the commands it runs answered by host (a Host, or None to leave them be)."""
    if host is not None:
        monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, *a, **k: host.get_bin_path(*a, **k))
        monkeypatch.setattr(AnsibleModule, 'run_command', lambda self, *a, **k: host.run_command(*a, **k))
    return run_module(xen_facts, capsys, args, check_mode=check_mode)


def etc_args(dom0):
    return {'config_paths': [str(dom0['etc'])], 'xl_conf_path': str(dom0['etc'] / 'xl.conf'),
            'xen_cfg_path': str(dom0['grub_d'] / 'xen.cfg')}


@pytest.mark.parametrize('name', sorted(HOSTS), ids=sorted(HOSTS))
def test_facts_of_recorded_hosts(capsys, monkeypatch, dom0, name):
    host = Host(HOSTS[name])
    result = run(capsys, monkeypatch, host, etc_args(dom0))
    assert result['changed'] is False
    xen = result['ansible_facts']['xen']
    expected_keys = {'is_dom0', 'reason', 'version', 'info', 'cmdline', 'dmesg', 'flask', 'domains',
                     'backends', 'tpm', 'guest_configs', 'xl_conf', 'controls', 'controls_summary',
                     'xsm', 'cpu', 'toolstack_env', 'xenstored', 'network', 'boot', 'pci', 'errors'}
    assert set(xen) == expected_keys
    nic = [d for d in xen['pci']['devices'] if d['address'] == '0000:00:02.0'][0]
    assert nic == {'address': '0000:00:02.0', 'class': '0x020000', 'network': True, 'driver': 'e1000',
                   'net': ['eth1'], 'assignable': False}
    assert xen['errors'] == {}
    assert xen['is_dom0'] is True and xen['reason'] == ''
    assert xen['cmdline'][0] == 'console=com1' and 'placeholder' not in xen['cmdline']
    assert xen['tpm'] == {
        'present': True, 'devices': [str(dom0['dev'] / 'tpm0'), str(dom0['dev'] / 'tpmrm0')], 'version': '2.0',
        'chips': [{'name': 'tpm0', 'version': '2.0', 'driver': 'tpm_tis'}],
        'firmware': {'acpi_tables': ['TPM2'], 'acpi_devices': ['MSFT0101:00']},
        'dom0_driver': {'bound': ['tpm0'], 'loaded': [], 'builtin': ['tpm', 'tpm_tis_core', 'tpm_tis', 'tpm_crb'],
                        'blacklisted': []}}
    cfg = xen['guest_configs']
    assert sorted(os.path.basename(p) for p in cfg) == ['broken.cfg', 'test-pv-long.cfg']
    guest = cfg[str(dom0['etc'] / 'test-pv-long.cfg')]
    assert guest['error'] is None
    assert guest['keys']['memory'] == 128 and guest['keys']['vif'] == ['mac=00:16:3e:00:00:01,bridge=xenbr1']
    broken = cfg[str(dom0['etc'] / 'broken.cfg')]
    assert broken['keys'] == {} and ':2:' in broken['error']
    assert xen['xl_conf']['keys'] == {'autoballoon': 'off'} and xen['xl_conf']['error'] is None
    assert xen['domains'][0]['name'] == 'Domain-0'
    # one call, read-only: exactly these commands, each once
    assert sorted(host.ran) == sorted(host.answers)
    # controls were evaluated over these facts
    assert len(xen['controls']) > 0
    assert sum(xen['controls_summary'].values()) == len(xen['controls'])
    for control in xen['controls']:
        assert control['status'] in ('pass', 'fail', 'unknown', 'not_applicable')
        assert control['id'] and control['title']


def test_vtd_host_details(capsys, monkeypatch, dom0):
    xen = run(capsys, monkeypatch, Host(HOSTS['bookworm-vtd-intremap-with-guest']), etc_args(dom0))
    xen = xen['ansible_facts']['xen']
    assert xen['version'] == '4.17.5'
    assert 'hvm_directio' in xen['info']['virt_caps_list']
    iommu = xen['dmesg']['iommu']
    assert (iommu['vendor'], iommu['enabled'], iommu['interrupt_remapping'], iommu['queued_invalidation']) == \
        ('intel', True, True, True)
    assert xen['flask'] == {'mode': 'disabled'}
    assert xen['cmdline'][-1] == 'iommu=1,verbose'
    assert [(d['domid'], d['name']) for d in xen['domains']] == [(0, 'Domain-0'), (4, 'test-pv-long')]
    assert xen['backends']['vif'] == [{'frontend_domid': 4, 'devid': 0, 'backend_domid': 0, 'state': 2,
                                       'type': 'vif', 'path': '/local/domain/0/backend/vif/4/0'}]
    assert [b['devid'] for b in xen['backends']['vbd']] == [51712]


def test_flask_and_trixie_hosts(capsys, monkeypatch, dom0):
    flask = run(capsys, monkeypatch, Host(HOSTS['bookworm-flask-via-grub']), etc_args(dom0))['ansible_facts']['xen']
    assert flask['flask'] == {'mode': 'enforcing'}
    assert (flask['dmesg']['xsm']['framework'], flask['dmesg']['xsm']['flask_param_unknown']) == ('flask', False)
    assert flask['cmdline'][-1] == 'flask=enforcing'
    assert flask['backends'] == {'vif': [], 'vbd': [], 'vtpm': []}
    trixie = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), etc_args(dom0))['ansible_facts']['xen']
    assert trixie['version'] == '4.20.5-pre'
    assert trixie['dmesg']['iommu']['vendor'] == 'none' and trixie['dmesg']['iommu']['enabled'] is False
    assert 'shadow' not in trixie['info']['virt_caps_list']


def test_check_mode_reads_the_same(capsys, monkeypatch, dom0):
    normal_host = Host(HOSTS['trixie-stock'])
    normal = run(capsys, monkeypatch, normal_host, etc_args(dom0))
    check_host = Host(HOSTS['trixie-stock'])
    checked = run(capsys, monkeypatch, check_host, etc_args(dom0), check_mode=True)
    assert checked['ansible_facts'] == normal['ansible_facts']
    assert checked['changed'] is False
    # the same commands (the two reading lanes may interleave differently)
    assert sorted(check_host.ran) == sorted(normal_host.ran)


def test_gather_only_some_parts(capsys, monkeypatch, dom0):
    host = Host(HOSTS['bookworm-vtd-intremap-with-guest'])
    args = dict(etc_args(dom0), gather=['dmesg', 'tpm'])
    xen = run(capsys, monkeypatch, host, args)['ansible_facts']['xen']
    assert xen['dmesg']['iommu']['vendor'] == 'intel'
    assert xen['tpm']['present'] is True
    for part in ('flask', 'domains', 'backends', 'guest_configs', 'xl_conf', 'controls', 'controls_summary'):
        assert xen[part] is None
    assert sorted(host.ran) == [('xl', 'dmesg'), ('xl', 'info')]


def test_no_tpm_and_missing_xl_conf(capsys, monkeypatch, dom0, tmp_path):
    for node in dom0['dev'].iterdir():
        node.unlink()
    monkeypatch.setattr(xen_facts, 'TPM_ROOT', str(tmp_path / 'empty-root'))
    monkeypatch.setattr(xen_facts, 'TPM_SYSFS_GLOB', str(tmp_path / 'empty-root' / 'tpm[0-9]*'))
    args = {'config_paths': [str(dom0['etc'] / 'test-pv-long.cfg'), str(dom0['etc'] / 'nothing*.cfg')],
            'xl_conf_path': str(dom0['etc'] / 'missing.conf'), 'gather': ['tpm', 'guest_configs', 'xl_conf']}
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), args)['ansible_facts']['xen']
    assert xen['tpm']['present'] is False and xen['tpm']['version'] is None and xen['tpm']['devices'] == []
    assert xen['tpm']['dom0_driver'] == {'bound': [], 'loaded': [], 'builtin': [], 'blacklisted': []}
    assert list(xen['guest_configs']) == [str(dom0['etc'] / 'test-pv-long.cfg')]
    assert xen['xl_conf'] == {'path': str(dom0['etc'] / 'missing.conf'), 'keys': {}, 'error': None}


def test_a_tpm_kept_off_dom0_still_counts(capsys, monkeypatch, dom0, tmp_path):
    # the recorded host with its chip unbound (no /sys/class/tpm/tpm0, no device nodes) and tpm_tis blacklisted:
    # ACPI still describes the TPM 2.0
    for node in dom0['dev'].iterdir():
        node.unlink()
    root = tmp_path / 'unbound'
    tpm_tree(root, bound=False)
    (root / 'etc' / 'modprobe.d').mkdir(parents=True)
    (root / 'etc' / 'modprobe.d' / 'xenguard-vtpm.conf').write_text('# vtpm\nblacklist tpm_tis\nblacklist tpm-crb\n')
    monkeypatch.setattr(xen_facts, 'TPM_ROOT', str(root))
    monkeypatch.setattr(xen_facts, 'TPM_SYSFS_GLOB', str(root / 'sys' / 'class' / 'tpm' / 'tpm[0-9]*'))
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), dict(etc_args(dom0), gather=['tpm']))
    tpm = xen['ansible_facts']['xen']['tpm']
    assert (tpm['present'], tpm['version'], tpm['chips'], tpm['devices']) == (True, '2.0', [], [])
    assert tpm['dom0_driver']['bound'] == [] and tpm['dom0_driver']['blacklisted'] == ['tpm_crb', 'tpm_tis']


def test_unreadable_config_is_reported_not_fatal(capsys, monkeypatch, dom0):
    unreadable = dom0['etc'] / 'dangling.cfg'
    unreadable.symlink_to(dom0['etc'] / 'does-not-exist')
    args = {'config_paths': [str(unreadable)], 'gather': ['guest_configs']}
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), args)['ansible_facts']['xen']
    # a dangling link named in config_paths names nothing: reported (the guest controls say unknown)
    assert xen['guest_configs'] == {str(unreadable): {
        'keys': {}, 'error': 'config_paths entry names nothing: it is a symbolic link to %s, which does not exist'
        % (dom0['etc'] / 'does-not-exist')}}
    # a directory that looks like a config file cannot be read: reported, not fatal
    (dom0['etc'] / 'odd.cfg').mkdir()
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']),
              {'config_paths': [str(dom0['etc'])], 'gather': ['guest_configs']})['ansible_facts']['xen']
    assert xen['guest_configs'][str(dom0['etc'] / 'odd.cfg')] == {'keys': {}, 'error': 'cannot read the file'}
    assert xen['guest_configs'][str(dom0['etc'] / 'test-pv-long.cfg')]['error'] is None


@pytest.mark.parametrize('caps,hyp,reason', [
    (None, None, 'not running on the Xen hypervisor'),
    (None, 'xen\n', 'xenfs is not mounted'),
    ('', 'xen\n', 'this is a Xen guest, not dom0'),
], ids=['bare-metal', 'xenfs-not-mounted', 'domU'])
def test_not_a_dom0(capsys, monkeypatch, dom0, caps, hyp, reason):
    for path, content in ((dom0['caps'], caps), (dom0['hyp'], hyp)):
        if content is None:
            path.unlink()
        else:
            path.write_text(content)
    host = Host(HOSTS['trixie-stock'])
    result = run(capsys, monkeypatch, host, etc_args(dom0))
    xen = result['ansible_facts']['xen']
    assert result['changed'] is False and 'failed' not in result
    assert xen['is_dom0'] is False
    assert reason in xen['reason']
    assert xen['controls'] == []
    assert xen['controls_summary'] == {'pass': 0, 'fail': 0, 'unknown': 0, 'not_applicable': 0}
    assert host.ran == []


def test_dom0_without_xl(capsys, monkeypatch, dom0):
    host = Host(HOSTS['trixie-stock'])
    host.binaries = ()
    xen = run(capsys, monkeypatch, host, etc_args(dom0))['ansible_facts']['xen']
    assert xen['is_dom0'] is False
    assert 'xl command is missing' in xen['reason'] and 'xen-utils' in xen['reason']
    assert host.ran == []


def test_xl_failing_fails_with_its_stderr(capsys, monkeypatch, dom0):
    stderr = ('xencall: error: Could not obtain handle on privileged command interface: Permission denied\n'
              'libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: Permission denied\n')
    host = Host(HOSTS['trixie-stock'], xl_info_answer=(1, '', stderr))
    result = run(capsys, monkeypatch, host, etc_args(dom0))
    assert result['failed'] is True
    assert 'Could not obtain handle on privileged command interface' in result['msg']
    assert result['rc'] == 1 and result['stderr'] == stderr
    assert 'Traceback' not in json.dumps(result)


def test_missing_xenstore_ls_names_the_package(capsys, monkeypatch, dom0):
    host = Host(HOSTS['trixie-stock'])
    host.binaries = ('xl',)
    result = run(capsys, monkeypatch, host, dict(etc_args(dom0), gather=['backends']))
    assert 'failed' not in result
    xen = result['ansible_facts']['xen']
    assert xen['backends'] is None
    assert 'xenstore-ls' in xen['errors']['backends'] and 'xenstore-utils' in xen['errors']['backends']
    assert 'could not read backends' in json.dumps(result['warnings'])


def test_boot_part_xen_cfg_grub_and_microcode(capsys, monkeypatch, dom0):
    host = Host(HOSTS['bookworm-vtd-intremap-with-guest'])
    xen = run(capsys, monkeypatch, host, dict(etc_args(dom0), gather=['boot']))['ansible_facts']['xen']
    boot = xen['boot']
    assert boot['xen_cfg'] == {'path': str(dom0['grub_d'] / 'xen.cfg'), 'exists': True, 'error': None,
                               'cmdline': ['console=com1', 'com1=115200,8n1', 'smap=0', 'xsave=0', 'dom0_mem=1024M,max:1024M',
                                           'conring_size=512k', 'loglvl=all', 'guest_loglvl=all'],
                               'cmdline_xen': []}
    grub = [boot['grub_files'][p] for p in xen_facts.GRUB_FILES]
    assert grub == [True, True, False]
    assert boot['packages'] == {'intel-microcode': True, 'amd64-microcode': False}
    assert xen['network'] is None and xen['errors'] == {}


def test_boot_part_installed_packages_distribution_and_records(capsys, monkeypatch, dom0, tmp_path):
    host = Host(HOSTS['bookworm-vtd-intremap-with-guest'])
    boot = run(capsys, monkeypatch, host, dict(etc_args(dom0), gather=['boot']))['ansible_facts']['xen']['boot']
    assert boot['installed']['xen-hypervisor-4.17-amd64']['source_version'] == '4.17.5+72-g01140da4e8-1'
    assert boot['installed']['qemu-system-xen']['version'] == '1:7.2+dfsg-7+deb12u18+b3'
    assert 'libc6' not in boot['installed']
    assert boot['os'] == {'id': 'debian', 'version_id': '12', 'version_codename': 'bookworm'}
    assert boot['kernel_release'] == os.uname()[2]
    assert boot['boot_image'] is None and boot['stubdom_image']['recorded'] is False

    # images recorded by xen_stubdom_image: current while the packages of the key are installed at the
    # recorded versions and the images keep their size and time
    dest = tmp_path / 'xen-boot'
    dest.mkdir()
    for name, data in (('qemu-stubdom-linux-kernel', b'kernel'), ('qemu-stubdom-linux-rootfs', b'rootfs!')):
        (dest / name).write_bytes(data)
    stat = dict((what, [os.stat(str(dest / name)).st_size, os.stat(str(dest / name)).st_mtime_ns])
                for what, name in (('kernel', 'qemu-stubdom-linux-kernel'), ('rootfs', 'qemu-stubdom-linux-rootfs')))
    record = {'key': {'builder': 1, 'files': {}, 'init_sha256': '0' * 64,
                      'packages': {'qemu-system-xen': '1:7.2+dfsg-7+deb12u18+b3', 'libc6': '2.36-9+deb12u14'}},
              'sha256': {}, 'dest': str(dest), 'kernel': '/boot/vmlinuz-6.1.0-50-amd64', 'stat': stat}
    (dom0['records'] / 'stubdom-image.json').write_text(json.dumps(record))
    (dom0['records'] / 'boot-image.json').write_text('{"hypervisor": "/boot/xenguard/ab/xen-xsm.gz"}')
    boot = run(capsys, monkeypatch, host, dict(etc_args(dom0), gather=['boot']))['ansible_facts']['xen']['boot']
    assert boot['stubdom_image'] == {'recorded': True, 'dest': str(dest), 'kernel': '/boot/vmlinuz-6.1.0-50-amd64',
                                     'current': True, 'why': ''}
    assert boot['boot_image'] == {'hypervisor': '/boot/xenguard/ab/xen-xsm.gz'}
    (dest / 'qemu-stubdom-linux-rootfs').write_bytes(b'rootfs?!')
    boot = run(capsys, monkeypatch, host, dict(etc_args(dom0), gather=['boot']))['ansible_facts']['xen']['boot']
    assert boot['stubdom_image']['current'] is False
    assert boot['stubdom_image']['why'] == 'not the size and time recorded: rootfs'


def test_boot_part_asks_apt_for_the_microcode_packages_not_installed(capsys, monkeypatch, dom0, tmp_path):
    host = Host(HOSTS['bookworm-vtd-intremap-with-guest'])
    # no apt-cache: nothing asked, the candidates unknown
    boot = run(capsys, monkeypatch, host, dict(etc_args(dom0), gather=['boot']))['ansible_facts']['xen']['boot']
    assert boot['microcode_candidates'] is None
    # amd64-microcode is not installed on this host (intel-microcode is): only it is asked about
    host.binaries += ('apt-cache',)
    host.answers[('apt-cache', 'policy', 'amd64-microcode')] = (
        0, fixture('apt/apt-cache-policy.microcode.bookworm-lab.txt'), '')
    boot = run(capsys, monkeypatch, host, dict(etc_args(dom0), gather=['boot']))['ansible_facts']['xen']['boot']
    assert boot['microcode_candidates'] == {'amd64-microcode': None}
    assert ('apt-cache', 'policy', 'amd64-microcode') in host.ran
    # nothing missing: apt-cache is not run
    (tmp_path / 'dpkg-info' / 'amd64-microcode.list').write_text('/.\n')
    host.ran = []
    boot = run(capsys, monkeypatch, host, dict(etc_args(dom0), gather=['boot']))['ansible_facts']['xen']['boot']
    assert boot['microcode_candidates'] is None and not [c for c in host.ran if c[0] == 'apt-cache']
    # a part not asked for runs no apt-cache either
    host.ran = []
    run(capsys, monkeypatch, host, dict(etc_args(dom0), gather=['dmesg']))
    assert not [c for c in host.ran if c[0] == 'apt-cache']


@pytest.mark.parametrize('text, error', [
    ('GRUB_CMDLINE_XEN_DEFAULT="smt=0\n', 'unterminated quote in the assignment (line 1)'),
    (b'# caf\xe9\nGRUB_CMDLINE_XEN_DEFAULT="smt=0"\n', 'is not UTF-8: byte 0xE9 at offset 5 (line 1)'),
], ids=['unterminated', 'latin1'])
def test_boot_part_xen_cfg_that_cannot_be_judged(capsys, monkeypatch, dom0, text, error):
    path = dom0['grub_d'] / 'xen.cfg'
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    host = Host(HOSTS['bookworm-vtd-intremap-with-guest'])
    cfg = run(capsys, monkeypatch, host, dict(etc_args(dom0), gather=['boot']))['ansible_facts']['xen']['boot']['xen_cfg']
    assert cfg['cmdline'] is None and cfg['exists'] is True
    assert error in cfg['error']


def test_boot_part_without_xen_cfg(capsys, monkeypatch, dom0):
    host = Host(HOSTS['bookworm-vtd-intremap-with-guest'])
    args = dict(etc_args(dom0), gather=['boot'], xen_cfg_path=str(dom0['grub_d'] / 'absent.cfg'))
    cfg = run(capsys, monkeypatch, host, args)['ansible_facts']['xen']['boot']['xen_cfg']
    # no file: nothing configured yet (xen_boot_options creates it), not an error
    assert cfg == {'path': args['xen_cfg_path'], 'exists': False, 'cmdline': [], 'cmdline_xen': [], 'error': None}


def test_a_binary_that_cannot_start_is_a_part_error_not_a_second_result(capsys, monkeypatch, dom0):
    # run_command is told not to end the module itself (handle_exceptions=False): the reading thread's
    # OSError becomes that part's error and the module still returns one result
    host = Host(HOSTS['trixie-stock'])
    answer = host.run_command

    def run_command(args, **kwargs):
        assert kwargs['handle_exceptions'] is False
        if os.path.basename(args[0]) == 'ip':
            raise OSError(8, 'Exec format error')
        return answer(args, **kwargs)

    host.run_command = run_command
    result = run(capsys, monkeypatch, host, etc_args(dom0))
    xen = result['ansible_facts']['xen']
    assert xen['network'] is None
    assert xen['errors']['network'].startswith('Cannot run /usr/sbin/ip -j -d addr show: Exec format error')
    assert xen['backends'] is not None and xen['domains'] != []


def test_xl_and_the_other_reads_run_side_by_side(capsys, monkeypatch, dom0):
    # `xl list -l` answers only once xenstore-ls has started: read one after the other, xl list -l (read
    # before xenstore-ls) would wait in vain and the part would fail
    host = Host(HOSTS['trixie-stock'])
    answer = host.run_command
    started = threading.Event()

    def run_command(args, **kwargs):
        name = os.path.basename(args[0])
        if name == 'xenstore-ls':
            started.set()
        elif args[1:] == ['list', '-l'] and not started.wait(10):
            return 1, '', 'xenstore-ls had not started'
        return answer(args, **kwargs)

    host.run_command = run_command
    xen = run(capsys, monkeypatch, host, etc_args(dom0))['ansible_facts']['xen']
    assert xen['errors'] == {}
    assert [d['name'] for d in xen['domains']][0] == 'Domain-0'
    # xl's own commands still run one after the other, xl info first
    xl_ran = [key[1:] for key in host.ran if key[0] == 'xl']
    assert xl_ran == [('info',), ('dmesg',), ('getenforce',), ('list', '-l'), ('pci-assignable-list',)]


def test_controls_get_the_facts(capsys, monkeypatch, dom0):
    seen = {}

    def evaluate(facts):
        seen.update(facts)
        return [{'id': 'T-1', 'title': 't', 'status': 'pass'}, {'id': 'T-2', 'title': 't', 'status': 'fail'},
                {'id': 'T-3', 'title': 't', 'status': 'fail'}]
    monkeypatch.setattr(assembly, 'evaluate', evaluate)
    xen = run(capsys, monkeypatch, Host(HOSTS['bookworm-flask-via-grub']), etc_args(dom0))['ansible_facts']['xen']
    assert xen['controls_summary'] == {'pass': 1, 'fail': 2, 'unknown': 0, 'not_applicable': 0}
    assert seen['flask'] == {'mode': 'enforcing'} and seen['is_dom0'] is True
    assert seen['dmesg']['xsm']['framework'] == 'flask'


def test_xsm_cpu_and_toolstack_environment(capsys, monkeypatch, dom0, tmp_path):
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text('processor\t: 0\nvendor_id\t: GenuineIntel\n')
    defaults = tmp_path / 'xendomains'
    defaults.write_text('XENDOMAINS_SAVE=/var/lib/xen/save\nexport LIBXL_BOOTLOADER_RESTRICT=1\n')
    monkeypatch.setattr(xen_facts, 'PROC_CPUINFO', str(cpuinfo))
    monkeypatch.setattr(xen_facts, 'XENDOMAINS_DEFAULTS', str(defaults))
    xen = run(capsys, monkeypatch, Host(HOSTS['bookworm-flask-via-grub']), etc_args(dom0))['ansible_facts']['xen']
    assert xen['cpu'] == {'vendor': 'intel'}
    assert xen['xsm']['framework'] == 'flask' and xen['xsm']['mode'] == 'enforcing'
    assert 'xl getenforce: enforcing' in xen['xsm']['evidence']
    assert xen['toolstack_env'] == {'path': str(defaults), 'exported': {'LIBXL_BOOTLOADER_RESTRICT': '1'}}
    assert all('problem' in control for control in xen['controls'])
    # no /proc/cpuinfo: the vendor Xen logged ("CPU Vendor: AMD" in the recording); only some parts
    cpuinfo.unlink()
    defaults.unlink()
    args = dict(etc_args(dom0), gather=['dmesg', 'xl_conf'])
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), args)['ansible_facts']['xen']
    assert xen['cpu'] == {'vendor': 'amd'}
    assert xen['xsm']['framework'] == 'dummy' and xen['xsm']['mode'] is None
    assert xen['toolstack_env'] == {'path': str(defaults), 'exported': {}}
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), dict(etc_args(dom0), gather=['tpm']))
    xen = xen['ansible_facts']['xen']
    assert xen['xsm'] is None and xen['toolstack_env'] is None and xen['cpu'] == {'vendor': None}


# --------------------------------------------------------------------------- odd input, failing parts

def _by_check(xen):
    """Control results keyed by the name of their check."""
    from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
    check_of = dict((c['id'], c['check']) for c in CONTROLS)
    return dict((check_of[c['id']], c) for c in xen['controls'])


def _valid_utf8(result):
    json.dumps(result, ensure_ascii=False).encode('utf-8')  # raises on a lone surrogate


def test_latin1_guest_config_is_reported_not_fatal_and_its_controls_say_unknown(capsys, monkeypatch, dom0):
    (dom0['etc'] / 'broken.cfg').unlink()
    (dom0['etc'] / 'test-pv-long.cfg').unlink()
    odd = dom0['etc'] / 'caf.cfg'
    odd.write_bytes(b'# caf\xe9\nname = "cafe"\nbootloader = "pygrub"\n')
    result = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), etc_args(dom0))
    assert 'failed' not in result
    _valid_utf8(result)
    xen = result['ansible_facts']['xen']
    assert xen['guest_configs'] == {str(odd): {'keys': {}, 'error': (
        '%s is not UTF-8: byte 0xE9 at offset 5 (line 1); the collection judges only UTF-8 configuration files, '
        'fix or remove that byte' % odd)}}
    pygrub = _by_check(xen)['no_pygrub']
    assert pygrub['status'] == 'unknown' and str(odd) in pygrub['detail']


def test_non_utf8_bytes_in_xl_info_are_returned_as_escapes(capsys, monkeypatch, dom0):
    """run_command hands undecodable output over as surrogate escapes; the facts must still be valid UTF-8."""
    info = fixture('debian13-xen-4.20/xl-info.trixie-xen-4.20.txt')
    raw = info.encode('utf-8').replace(b'xen_extra              : ', b'xen_extra              : \xe9', 1)
    assert raw != info.encode('utf-8')
    host = Host(HOSTS['trixie-stock'], xl_info_answer=(0, raw.decode('utf-8', 'surrogateescape'), ''))
    result = run(capsys, monkeypatch, host, etc_args(dom0))
    assert 'failed' not in result
    _valid_utf8(result)
    xen = result['ansible_facts']['xen']
    assert xen['info']['xen_extra'].startswith('\\xe9')


def test_config_path_that_does_not_exist_warns_and_makes_guest_controls_unknown(capsys, monkeypatch, dom0):
    mistyped = str(dom0['etc']) + '-typo'
    result = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']),
                 {'config_paths': [mistyped], 'xl_conf_path': str(dom0['etc'] / 'xl.conf')})
    xen = result['ansible_facts']['xen']
    assert xen['guest_configs'] == {mistyped: {'keys': {}, 'error': 'config_paths entry names nothing: it does '
                                                                    'not exist'}}
    assert ('config_paths entry %s names no guest configuration: it does not exist; the controls over guest '
            'configurations say unknown until it is fixed' % mistyped) in json.dumps(result['warnings'])
    pygrub = _by_check(xen)['no_pygrub']
    assert pygrub['status'] == 'unknown' and mistyped in pygrub['detail']
    # a pattern in a directory that does not exist is a typo too; one matching nothing in a real one is not
    pattern = os.path.join(mistyped, '*.cfg')
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']),
              {'config_paths': [pattern], 'gather': ['guest_configs']})['ansible_facts']['xen']
    assert xen['guest_configs'][pattern]['error'] == ('config_paths entry names nothing: the directory %s of the '
                                                      'pattern does not exist' % mistyped)


def test_a_failing_part_is_reported_and_only_its_controls_say_unknown(capsys, monkeypatch, dom0):
    host = Host(HOSTS['bookworm-vtd-intremap-with-guest'])
    host.answers[('xl', 'dmesg')] = (1, '', 'libxl: error: cannot read the console ring\n')
    result = run(capsys, monkeypatch, host, etc_args(dom0))
    assert 'failed' not in result
    _valid_utf8(result)
    xen = result['ansible_facts']['xen']
    assert xen['dmesg'] is None
    assert list(xen['errors']) == ['dmesg']
    assert 'cannot read the console ring' in xen['errors']['dmesg']
    assert 'xen_facts could not read dmesg: ' in json.dumps(result['warnings'])
    # the other parts were read
    assert xen['flask'] == {'mode': 'disabled'} and xen['domains'][1]['name'] == 'test-pv-long'
    checks = _by_check(xen)
    remap = checks['interrupt_remapping']
    assert remap['status'] == 'unknown'
    assert 'dmesg could not be read: ' in remap['detail'] and 'cannot read the console ring' in remap['detail']
    # a control that reads the hypervisor log, even for its detail, says unknown rather than judge without it
    flask = checks['flask_active']
    assert flask['status'] == 'unknown' and 'dmesg could not be read' in flask['detail']
    # controls that do not read it are judged as usual
    assert checks['tpm_present']['status'] == 'pass'
    assert checks['pv_linear_pt_off']['status'] in ('pass', 'fail')
    assert 'dmesg' not in checks['pv_linear_pt_off']['detail']


def _control(xen, cid):
    return [c for c in xen['controls'] if c['id'] == cid][0]


def test_xenstored_and_network_parts(capsys, monkeypatch, dom0):
    xen = run(capsys, monkeypatch, Host(HOSTS['bookworm-vtd-intremap-with-guest']),
              etc_args(dom0))['ansible_facts']['xen']
    daemon = xen['xenstored']
    assert (daemon['found'], daemon['pid'], daemon['implementation'], daemon['release']) == \
        (True, 612, 'oxenstored', [4, 17])
    assert daemon['argv'] == [OXENSTORED, '--config-file', str(dom0['xs_conf']), '--no-fork']
    assert daemon['config_path'] == str(dom0['xs_conf']) and daemon['config_error'] is None
    assert daemon['state']['quotas']['quota-activate'] is True and daemon['state']['off'] == []
    assert _control(xen, 'XG-XS-01')['status'] == 'pass'
    ifaces = dict((i['name'], i) for i in xen['network']['interfaces'])
    assert ifaces['xenbr0']['kind'] == 'bridge' and ifaces['eth1']['master'] == 'xenbr0'
    assert ifaces['xenbr0']['ipv6'] == {'accept_ra': 1, 'autoconf': 1, 'forwarding': 0, 'disable_ipv6': 0}
    assert ifaces['peer0']['ipv6'] is None  # not in the recorded /proc/sys/net/ipv6/conf
    net = _control(xen, 'XG-NET-01')
    assert net['status'] == 'fail' and 'xenbr0 has 198.51.100.1/24' in net['detail']


def test_xenstored_not_running_and_oxenstored_conf_missing(capsys, monkeypatch, dom0, tmp_path):
    monkeypatch.setattr(xen_facts, 'PROC', str(fake_proc(tmp_path / 'proc2', {
        1: ('/usr/lib/systemd/systemd', 'systemd', ['/sbin/init'])})))
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), etc_args(dom0))['ansible_facts']['xen']
    assert xen['xenstored']['found'] is False and xen['errors'] == {}
    result = _control(xen, 'XG-XS-01')
    assert result['status'] == 'unknown'
    assert 'no xenstored or oxenstored process runs in dom0' in result['detail']
    assert 'XENSTORETYPE=domain' in result['detail']
    # a C xenstored started as Xen's launch-xenstore starts it, with -K in XENSTORED_ARGS
    monkeypatch.setattr(xen_facts, 'PROC', str(fake_proc(tmp_path / 'proc3', {
        431: ('/usr/lib/xen-4.20/bin/xenstored', 'xenstored',
              ['/usr/lib/xen-4.20/bin/xenstored', '--pid-file', '/var/run/xen/xenstored.pid', '-K'])})))
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), etc_args(dom0))['ansible_facts']['xen']
    assert xen['xenstored']['state']['keep_orphans'] is True
    assert _control(xen, 'XG-XS-01')['status'] == 'fail'
    # oxenstored reading /etc/xen/oxenstored.conf that is not there: Xen's defaults
    monkeypatch.setattr(xen_facts, 'PROC', str(fake_proc(tmp_path / 'proc4', {
        612: (None, 'oxenstored', ['oxenstored', '--config-file', str(tmp_path / 'absent.conf')])})))
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), etc_args(dom0))['ansible_facts']['xen']
    assert 'does not exist' in _control(xen, 'XG-XS-01')['detail']
    assert _control(xen, 'XG-XS-01')['status'] == 'pass'
    # /proc cannot be listed
    monkeypatch.setattr(xen_facts, 'PROC', str(tmp_path / 'no-proc'))
    xen = run(capsys, monkeypatch, Host(HOSTS['trixie-stock']), etc_args(dom0))['ansible_facts']['xen']
    assert 'cannot list the processes in' in _control(xen, 'XG-XS-01')['detail']


def test_a_failing_ip_makes_only_the_network_control_unknown(capsys, monkeypatch, dom0):
    host = Host(HOSTS['bookworm-vtd-intremap-with-guest'])
    host.answers[('ip', '-j', '-d', 'addr', 'show')] = (255, '', 'Option "-j" is unknown, try "ip -help".\n')
    xen = run(capsys, monkeypatch, host, etc_args(dom0))['ansible_facts']['xen']
    assert xen['network'] is None and list(xen['errors']) == ['network']
    assert 'Option "-j" is unknown' in xen['errors']['network']
    net = _control(xen, 'XG-NET-01')
    assert net['status'] == 'unknown' and 'network could not be read' in net['detail']
    assert _control(xen, 'XG-XS-01')['status'] == 'pass'
    # without the ip command: the package to install is named
    host = Host(HOSTS['bookworm-vtd-intremap-with-guest'])
    host.binaries = ('xl', 'xenstore-ls')
    xen = run(capsys, monkeypatch, host, etc_args(dom0))['ansible_facts']['xen']
    assert 'install the package iproute2' in xen['errors']['network']
    # a kernel without IPv6: no /proc/sys/net/ipv6/conf
    monkeypatch.setattr(xen_facts, 'PROC_IPV6_CONF', str(dom0['proc'] / 'sys-net-ipv6-conf-absent'))
    xen = run(capsys, monkeypatch, Host(HOSTS['bookworm-vtd-intremap-with-guest']),
              etc_args(dom0))['ansible_facts']['xen']
    assert set(i['ipv6'] for i in xen['network']['interfaces']) == {None}


@pytest.mark.parametrize('text', [None, '', '{"key": ', '[1, 2]', '{"dest": ""}', '{"dest": 5}'],
                         ids=['absent', 'empty', 'cut-off', 'a-list', 'empty-dest', 'number-dest'])
def test_stubdom_image_stat_of_records_naming_no_directory(text):
    assert xen_facts.stubdom_image_stat(text) is None


def test_stubdom_image_stat_of_images_that_are_gone(tmp_path):
    assert xen_facts.stubdom_image_stat(json.dumps({'dest': str(tmp_path / 'gone')})) == {'kernel': None, 'rootfs': None}
