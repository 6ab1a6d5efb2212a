# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""facts.assemble: the xen fact from the raw output of real hosts (tests/unit/fixtures), and its error paths.

The expected values are read from the recorded text itself (the xl info keys, the "(XEN)" lines quoted in
the comments), not from the parsers.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import facts
from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, fixture_bytes, recorded

BOOKWORM = 'debian12-xen-4.17'
TRIXIE = 'debian13-xen-4.20'
NET = 'dom0-network'


def raw_of(dist, variant, **more):
    raw = {'xl_info': fixture(dist, 'xl-info.%s.txt' % variant), 'dmesg': fixture(dist, 'xl-dmesg.%s.txt' % variant)}
    raw.update(more)
    return raw


def xen_of(*args, **kwargs):
    """The facts of facts.assemble, without its warnings."""
    return facts.assemble(*args, **kwargs)[0]


def control(xen, cid):
    return [c for c in xen['controls'] if c['id'] == cid][0]


def ipv6_conf(name):
    """The recorded /proc/sys/net/ipv6/conf values: {interface: {key: text}} (one "interface key value" a line)."""
    conf = {}
    for line in fixture(NET, name).splitlines():
        iface, key, value = line.split()
        conf.setdefault(iface, {})[key] = value + '\n'
    return conf


# ------------------------------------------------------------------ recorded hosts

# (dist, variant): version (xen_major.xen_minor + xen_extra), last booted token, the IOMMU as the log says it
# (vendor, enabled, interrupt remapping, queued invalidation), CPU vendor ("CPU Vendor:" line)
RECORDED = [
    # "Intel VT-d Queued Invalidation enabled.", "I/O virtualisation enabled", "Interrupt remapping enabled";
    # the lab's emulated VT-d runs on an AMD CPU: "CPU Vendor: AMD, Family 15"
    (BOOKWORM, 'q35-vtd-intremap', '4.17.5', 'iommu=1,verbose', ('intel', True, True, True), 'amd'),
    # "Interrupt remapping disabled"
    (BOOKWORM, 'q35-vtd-no-intremap', '4.17.5', 'iommu=1,verbose', ('intel', True, False, True), 'amd'),
    # "AMD-Vi: IOMMU 0 Enabled.", "I/O virtualisation enabled", "Interrupt remapping enabled"
    (BOOKWORM, 'q35-amd-vi', '4.17.5', 'iommu=1,verbose', ('amd', True, True, None), 'amd'),
    # "I/O virtualisation disabled"
    (BOOKWORM, 'pc-noiommu', '4.17.5', 'smap=0', ('none', False, False, None), 'amd'),
    # at the default loglvl the "CPU Vendor:" line (an INFO line) is not in the log, and there is no cpuinfo
    (BOOKWORM, 'q35-vtd-intremap-default-loglvl', '4.17.5', 'dom0_mem=1024M,max:1024M',
     ('intel', True, True, True), None),
    # xen_extra ".5-pre"; GRUB's "placeholder" is the first word of xen_commandline
    (TRIXIE, 'trixie-xen-4.20', '4.20.5-pre', 'smap=0', ('none', False, False, None), 'amd'),
    (TRIXIE, 'q35-vtd-intremap-default-loglvl', '4.20.5-pre', 'dom0_mem=1024M,max:1024M',
     ('intel', True, True, True), 'amd'),
]


@pytest.mark.parametrize('dist,variant,version,last,iommu,cpu', RECORDED,
                         ids=['%s/%s' % (r[0], r[1]) for r in RECORDED])
def test_recorded_hosts(dist, variant, version, last, iommu, cpu):
    xen, warnings = facts.assemble(raw_of(dist, variant))
    assert warnings == [] and xen['errors'] == {}
    assert xen['is_dom0'] is True and xen['reason'] == ''
    assert xen['version'] == version
    assert xen['cmdline'][0] == 'console=com1' and xen['cmdline'][-1] == last  # placeholder dropped
    got = xen['dmesg']['iommu']
    assert (got['vendor'], got['enabled'], got['interrupt_remapping'], got['queued_invalidation']) == iommu
    assert xen['cpu'] == {'vendor': cpu}
    assert 'hvm' in xen['info']['virt_caps_list']
    # no XSM Framework line: a Xen built without XSM; xl getenforce not read
    assert xen['flask'] is None and xen['xsm']['framework'] == 'dummy'
    # every control judged, once, and the summary counts them
    assert [c['id'] for c in xen['controls']] == [c['id'] for c in CONTROLS]
    assert sum(xen['controls_summary'].values()) == len(CONTROLS)
    assert control(xen, 'XG-IOMMU-01')['status'] == ('pass' if iommu[1] else 'fail')


def test_cpuinfo_decides_the_cpu_vendor_before_the_log():
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', cpuinfo='processor\t: 0\nvendor_id\t: GenuineIntel\n'))
    assert xen['cpu'] == {'vendor': 'intel'}


def test_flask_host_booted_through_grub():
    # "Flask:  Starting in enforcing mode."; xl getenforce printed "Enforcing" and exited 1
    rc, output = recorded('grub-boot', 'xl-getenforce.bookworm-flask-via-grub.txt')
    xen, warnings = facts.assemble(raw_of('grub-boot', 'bookworm-flask-via-grub',
                                          getenforce={'rc': rc, 'stdout': output}))
    assert warnings == [] and (rc, xen['flask']) == (1, {'mode': 'enforcing'})
    assert xen['xsm']['framework'] == 'flask' and xen['xsm']['mode'] == 'enforcing'
    assert 'booted command line has flask=enforcing' in xen['xsm']['evidence']
    assert 'dom0_mem=768M,max:768M' in xen['cmdline']
    assert control(xen, 'XG-FLASK-01')['status'] == 'pass'


def test_a_log_without_xl_info_gives_the_logged_command_line():
    # "(XEN) Command line: console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M smap=0 flask=enforcing"
    xen = xen_of({'dmesg': fixture(BOOKWORM, 'xl-dmesg.flask-enforcing-loglvl-default.txt')},
                 ('dmesg',))
    assert xen['cmdline'] == ['console=com1', 'com1=115200,8n1', 'dom0_mem=1024M,max:1024M', 'smap=0',
                              'flask=enforcing']
    assert xen['info'] == {} and xen['version'] is None
    # xl info without a command line: none, as xen_facts reads it (the log's is not taken for the host's)
    xen = xen_of({'xl_info': 'xen_major : 4\nxen_minor : 17\n',
                  'dmesg': fixture(BOOKWORM, 'xl-dmesg.flask-enforcing-loglvl-default.txt')}, ('dmesg',))
    assert xen['cmdline'] == [] and xen['version'] == '4.17'


def test_the_log_is_read_with_the_command_line_xl_info_gives():
    # xl info's xen_commandline is what booted; the log's own "Command line:" is only the fallback without xl info
    info = fixture(BOOKWORM, 'xl-info.q35-vtd-intremap.txt').replace('iommu=1,verbose', 'iommu=1,verbose smt=0 xpti=0')
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', xl_info=info), ('dmesg',))
    assert xen['cmdline'][-2:] == ['smt=0', 'xpti=0']
    assert xen['dmesg']['smt']['enabled'] is False and xen['dmesg']['spec_ctrl']['disabled'] is True
    log_only = xen_of({'dmesg': fixture(BOOKWORM, 'xl-dmesg.q35-vtd-intremap.txt')}, ('dmesg',))
    assert log_only['dmesg']['smt']['enabled'] is None and log_only['dmesg']['spec_ctrl']['disabled'] is False


def test_domains_backends_configs_and_evaluated_on():
    raw = raw_of(BOOKWORM, 'q35-vtd-intremap',
                 xl_list_long=fixture(BOOKWORM, 'xl-list-l.dom0-plus-pv-domu.json'),
                 xenstore_ls=fixture(BOOKWORM, 'xenstore-ls-f.dom0-plus-pv-domu.txt'),
                 guest_configs={'files': {'/etc/xen/guest.cfg': fixture_bytes('xlcfg', 'pygrub-guest.cfg')}})
    xen, warnings = facts.assemble(raw, evaluated_on='2026-11-26')
    assert warnings == [] and xen['evaluated_on'] == '2026-11-26'
    assert [d['name'] for d in xen['domains']] == ['Domain-0', 'test-pv-long']
    # "/local/domain/0/backend/vif/4/0", "/local/domain/0/backend/vbd/4/51712"
    assert [(b['frontend_domid'], b['devid']) for b in xen['backends']['vif']] == [(4, 0)]
    assert [(b['frontend_domid'], b['devid']) for b in xen['backends']['vbd']] == [(4, 51712)]
    assert xen['guest_configs']['/etc/xen/guest.cfg']['keys']['bootloader'] == 'pygrub'
    assert control(xen, 'XG-PVBOOT-01')['status'] == 'fail'


# ------------------------------------------------------------------ what a part says when it fails

def test_a_part_that_could_not_be_read_is_unknown_and_the_others_are_intact():
    raw = raw_of(BOOKWORM, 'q35-vtd-intremap', xl_list_long=fixture(BOOKWORM, 'xl-list-l.dom0-plus-pv-domu.json'))
    del raw['dmesg']
    raw['errors'] = {'dmesg': '/usr/sbin/xl dmesg failed (rc=1): libxl: error: cannot read the console ring'}
    xen, warnings = facts.assemble(raw)
    assert xen['dmesg'] is None
    assert xen['errors'] == {'dmesg': '/usr/sbin/xl dmesg failed (rc=1): libxl: error: cannot read the console ring'}
    assert warnings == ['xen_facts could not read dmesg: /usr/sbin/xl dmesg failed (rc=1): libxl: error: cannot '
                        'read the console ring; the controls that need it say unknown']
    # the others: xl info, the domains; no log, so no CPU vendor
    assert xen['version'] == '4.17.5' and xen['domains'][1]['name'] == 'test-pv-long'
    assert xen['cpu'] == {'vendor': None} and xen['xsm'] is None
    iommu = control(xen, 'XG-IOMMU-01')
    assert iommu['status'] == 'unknown' and 'dmesg could not be read: /usr/sbin/xl dmesg failed' in iommu['detail']
    # a control over the command line alone is judged
    assert control(xen, 'XG-XEN-03')['status'] in ('pass', 'fail')
    assert 'dmesg' not in control(xen, 'XG-XEN-03')['detail']


@pytest.mark.parametrize('key,text,part,words', [
    ('xl_list_long', '(domain (domid 0))', 'domains', 'xl list -l printed SXP, not JSON'),
    ('xl_list_long', '[{"domid": 0,', 'domains', 'Cannot parse the JSON printed by xl list -l'),
    # an error that is not the collection's own is named with its type
    ('network', {'ip_addr': 'not json'}, 'network', 'NetworkParseError: ip -j addr show printed no JSON ('),
])
def test_output_that_cannot_be_parsed_fails_its_part_only(key, text, part, words):
    xen, warnings = facts.assemble(raw_of(BOOKWORM, 'q35-vtd-intremap', **{key: text}))
    assert xen[part] is None and list(xen['errors']) == [part] and xen['errors'][part].startswith(words)
    assert warnings == ['xen_facts could not read %s: %s; the controls that need it say unknown'
                        % (part, xen['errors'][part])]
    assert xen['dmesg']['iommu']['enabled'] is True


def test_getenforce_answers():
    # "Flask XSM Disabled" with exit status 255 (the recorded answer of a Xen without FLASK)
    rc, output = recorded(BOOKWORM, 'xl-getenforce.no-xsm.txt')
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', getenforce={'rc': rc, 'stdout': output}))
    assert rc == 255 and xen['flask'] == {'mode': 'disabled'}
    # an answer xl never gives for a mode: the part fails naming the command, what it said and its status
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', getenforce={
        'rc': 255, 'stdout': '', 'stderr': 'Failed to get enforcing mode\n', 'cmd': ['/usr/sbin/xl', 'getenforce']}))
    assert xen['flask'] is None
    assert xen['errors'] == {'flask': '/usr/sbin/xl getenforce failed (rc=255): Failed to get enforcing mode'}
    # nothing said at all
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', getenforce={'rc': 1, 'stdout': '', 'stderr': ''}))
    assert xen['errors'] == {'flask': 'xl getenforce failed (rc=1) without saying why'}
    # the answer on stdout, no command given
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', getenforce={'rc': 3, 'stdout': 'huh\n'}))
    assert xen['errors'] == {'flask': 'xl getenforce failed (rc=3): huh'}


def test_parts_not_asked_for_or_not_read_are_none():
    xen, warnings = facts.assemble(raw_of(BOOKWORM, 'q35-vtd-intremap'), ('tpm',))
    assert warnings == [] and xen['errors'] == {}
    for part in ('dmesg', 'flask', 'domains', 'backends', 'tpm', 'guest_configs', 'xl_conf', 'xenstored', 'network',
                 'controls', 'controls_summary', 'xsm', 'toolstack_env'):
        assert xen[part] is None, part
    assert xen['version'] == '4.17.5' and xen['cpu'] == {'vendor': 'amd'}  # the log was read, so it is used


@pytest.mark.parametrize('part', ['dmesg', 'domains'])
def test_a_part_that_could_not_be_read_refuses_every_look(part):
    gone = facts.unavailable(part, 'xl said no')
    looks = [iter, len, bool, lambda p: p[0], lambda p: 'x' in p]
    if part != 'domains':
        looks += [lambda p: p.get('x'), lambda p: p.keys(), lambda p: p.items(), lambda p: p.values()]
    for look in looks:
        with pytest.raises(facts.PartUnavailable) as err:
            look(gone)
        assert str(err.value) == '%s could not be read: xl said no' % part
    assert isinstance(gone, list if part == 'domains' else dict)


def test_empty_facts_of_a_host_that_is_not_dom0():
    xen = facts.empty_facts('not running on the Xen hypervisor')
    # every key of the module's RETURN, nothing read
    assert xen == {
        'is_dom0': False, 'reason': 'not running on the Xen hypervisor', 'version': None, 'info': {}, 'cmdline': [],
        'dmesg': None, 'flask': None, 'domains': [], 'backends': {'vif': [], 'vbd': [], 'vtpm': []}, 'tpm': None, 'boot': None,
        'guest_configs': {}, 'xl_conf': None, 'controls': [], 'xsm': None, 'cpu': None, 'toolstack_env': None,
        'xenstored': None, 'network': None, 'pci': None,
        'controls_summary': {'pass': 0, 'fail': 0, 'unknown': 0, 'not_applicable': 0},
        'errors': {}}


# ------------------------------------------------------------------ files

def test_guest_configs_and_their_errors():
    files = {
        '/etc/xen/hardened.cfg': fixture_bytes('xlcfg', 'hardened-guest.cfg'),
        '/etc/xen/latin1.cfg': b'name = "caf\xe9"\n',
        '/etc/xen/gone.cfg': None,
        '/etc/xen/broken.cfg': b'name = "unterminated\n',
    }
    xen, warnings = facts.assemble(raw_of(BOOKWORM, 'q35-vtd-intremap', guest_configs={
        'files': files, 'missing': {'/etc/xne': 'it does not exist'}}), ('guest_configs',))
    configs = xen['guest_configs']
    assert configs['/etc/xen/hardened.cfg']['error'] is None and configs['/etc/xen/hardened.cfg']['keys']
    assert configs['/etc/xen/latin1.cfg'] == {'keys': {}, 'error': (
        '/etc/xen/latin1.cfg is not UTF-8: byte 0xE9 at offset 11 (line 1); the collection judges only UTF-8 '
        'configuration files, fix or remove that byte')}
    assert configs['/etc/xen/gone.cfg'] == {'keys': {}, 'error': 'cannot read the file'}
    broken = configs['/etc/xen/broken.cfg']
    assert broken['keys'] == {} and broken['error'].startswith('/etc/xen/broken.cfg')
    assert configs['/etc/xne'] == {'keys': {}, 'error': 'config_paths entry names nothing: it does not exist'}
    assert warnings == ['config_paths entry /etc/xne names no guest configuration: it does not exist; the controls '
                        'over guest configurations say unknown until it is fixed']
    assert xen['errors'] == {}


def test_xl_conf_and_the_toolstack_environment():
    raw = raw_of(BOOKWORM, 'q35-vtd-intremap',
                 xl_conf={'path': '/etc/xen/xl.conf', 'exists': True, 'data': fixture_bytes('xlcfg', 'xl.conf')},
                 xendomains={'path': '/etc/default/xendomains',
                             'text': 'LIBXL_BOOTLOADER_USER=nobody\nexport LIBXL_BOOTLOADER_RESTRICT=1\n'})
    xen = xen_of(raw, ('xl_conf',))
    assert xen['xl_conf']['path'] == '/etc/xen/xl.conf' and xen['xl_conf']['error'] is None
    assert xen['xl_conf']['keys']
    assert xen['toolstack_env'] == {'path': '/etc/default/xendomains',
                                    'exported': {'LIBXL_BOOTLOADER_RESTRICT': '1'}}
    # no xl.conf: xl's defaults, no error
    raw['xl_conf'] = {'path': '/etc/xen/xl.conf', 'exists': False, 'data': None}
    xen = xen_of(raw, ('xl_conf',))
    assert xen['xl_conf'] == {'path': '/etc/xen/xl.conf', 'keys': {}, 'error': None}
    # one that exists but cannot be read
    raw['xl_conf'] = {'path': '/etc/xen/xl.conf', 'exists': True, 'data': None}
    xen = xen_of(raw, ('xl_conf',))
    assert xen['xl_conf']['error'] == 'cannot read the file'


def test_tpm():
    # an older reader's raw output (device nodes and sysfs only): what they say
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', tpm={
        'devices': ['/dev/tpmrm0', '/dev/tpm0', '/dev/tpm0'], 'sysfs': ['/sys/class/tpm/tpm0']}), ('tpm',))
    assert (xen['tpm']['present'], xen['tpm']['devices']) == (True, ['/dev/tpm0', '/dev/tpmrm0'])
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', tpm={'devices': [], 'sysfs': []}), ('tpm',))
    assert xen['tpm']['present'] is False and xen['tpm']['dom0_driver'] is None
    # what the reader read on the lab host with a TPM 2.0 (swtpm)
    recorded_tpm = json.loads(fixture('tpm', 'read-tpm.bookworm-swtpm2.json'))
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', tpm=recorded_tpm), ('tpm', 'controls'))
    assert xen['tpm']['version'] == '2.0' and xen['tpm']['dom0_driver']['bound'] == ['tpm0']
    assert control(xen, 'XG-VTPM-01')['status'] == 'pass'


def test_xenstored():
    oxen = '/usr/lib/xen-4.17/bin/oxenstored'
    conf = '/etc/xen/oxenstored.conf'
    recorded_conf = fixture('xenstored', 'oxenstored.conf.xen-4.17-default.txt')
    daemon = {'pid': 612, 'exe': oxen, 'comm': 'oxenstored', 'argv': [oxen, '--no-fork'],
              'configs': {conf: (recorded_conf.replace('quota-maxentity = 1000', 'quota-maxentity = 500'), None)}}
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', xenstored=daemon))
    got = xen['xenstored']
    assert (got['found'], got['pid'], got['implementation'], got['release'], got['config_path']) == \
        (True, 612, 'oxenstored', [4, 17], conf)
    # the configuration read is the one that is used ("quota-maxentity = 1000" in the recorded default, made 500)
    assert got['state']['quotas']['quota-maxentity'] == 500
    assert control(xen, 'XG-XS-01')['status'] == 'pass'
    # the daemon's own path decides whose rules apply, before the hypervisor's version
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', xenstored=dict(daemon, exe='/usr/lib/xen-4.20/bin/oxenstored')))
    assert xen['xenstored']['release'] == [4, 20]
    # without the executable's link, the process name tells the implementation
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', xenstored=dict(daemon, exe=None, argv=['xenstored'],
                                                                     comm='xenstored')))
    assert xen['xenstored']['implementation'] == 'xenstored'
    # the configuration file was not there: Xen's compiled-in defaults
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', xenstored=dict(daemon, configs={})))
    assert '%s does not exist' % conf in ' '.join(xen['xenstored']['state']['notes'])
    assert xen['xenstored']['state']['quotas']['quota-maxentity'] == 1000
    xen = xen_of(raw_of(BOOKWORM, 'q35-vtd-intremap', xenstored={'not_found': 'no xenstored runs'}))
    assert xen['xenstored']['found'] is False and xen['xenstored']['reason'] == 'no xenstored runs'
    assert control(xen, 'XG-XS-01')['status'] == 'unknown'


def test_network():
    raw = raw_of(BOOKWORM, 'q35-vtd-intremap', network={
        'ip_addr': fixture(NET, 'ip-j-d-addr-show.bridge-with-dom0-address.json'),
        'ipv6_conf': ipv6_conf('ipv6-conf.bridge-with-dom0-address.txt')})
    xen = xen_of(raw)
    ifaces = dict((i['name'], i) for i in xen['network']['interfaces'])
    assert ifaces['xenbr0']['kind'] == 'bridge' and ifaces['eth1']['master'] == 'xenbr0'
    assert ifaces['xenbr0']['ipv6'] == {'accept_ra': 1, 'autoconf': 1, 'forwarding': 0, 'disable_ipv6': 0}
    assert ifaces['peer0']['ipv6'] is None  # not in the recorded /proc/sys/net/ipv6/conf
    net = control(xen, 'XG-NET-01')
    assert net['status'] == 'fail' and 'xenbr0 has 198.51.100.1/24' in net['detail']


# dpkg's status file of a hardened Debian 12 lab host (the stanzas of the packages the roles use, as dpkg wrote
# them) and that host's /etc/os-release
DPKG_STATUS = fixture_bytes(BOOKWORM, 'var-lib-dpkg-status.lab-hardened-excerpt.txt')


def test_dpkg_status_versions_and_source_versions():
    found = facts.parse_dpkg_status(DPKG_STATUS, ['qemu-system-xen', 'busybox-static', 'grub-xen-host',
                                                  'xenstore-utils', 'intel-microcode'], ['xen-hypervisor-'])
    assert sorted(found) == ['busybox-static', 'grub-xen-host', 'qemu-system-xen', 'xen-hypervisor-4.17-amd64',
                             'xen-hypervisor-common', 'xenstore-utils']
    # a binNMU: the binary's version has +b3, `dpkg-query -f ${source:Version}` prints the Source field's
    assert found['qemu-system-xen'] == {'version': '1:7.2+dfsg-7+deb12u18+b3',
                                        'source_version': '1:7.2+dfsg-7+deb12u18', 'architecture': 'amd64'}
    # Source without a version: the source version is the package's own
    assert found['xen-hypervisor-4.17-amd64']['source_version'] == '4.17.5+72-g01140da4e8-1'
    assert found['grub-xen-host']['version'] == '2.06-13+deb12u2'
    # intel-microcode is not in this host's status file: not installed
    assert 'intel-microcode' not in found


def test_dpkg_status_only_installed_packages_count():
    text = DPKG_STATUS.decode()
    # the same stanza after `apt remove` (the configuration files left) and in the middle of an upgrade
    removed = text.replace('Package: xenstore-utils\nStatus: install ok installed',
                           'Package: xenstore-utils\nStatus: deinstall ok config-files')
    unpacked = text.replace('Package: grub-xen-host\nStatus: install ok installed',
                            'Package: grub-xen-host\nStatus: install ok unpacked')
    assert 'xenstore-utils' not in facts.parse_dpkg_status(removed, ['xenstore-utils'])
    assert 'grub-xen-host' not in facts.parse_dpkg_status(unpacked, ['grub-xen-host'])
    # held packages are installed
    held = text.replace('Package: busybox-static\nStatus: install ok installed',
                        'Package: busybox-static\nStatus: hold ok installed')
    assert facts.parse_dpkg_status(held, ['busybox-static'])['busybox-static']['version'] == '1:1.35.0-4+deb12u1+b1'
    assert facts.parse_dpkg_status(b'', ['busybox-static']) == {}


def test_os_release_of_the_lab_host():
    assert facts.parse_os_release(fixture(BOOKWORM, 'etc-os-release.txt')) == {
        'id': 'debian', 'version_id': '12', 'version_codename': 'bookworm'}
    assert facts.parse_os_release("ID='debian'\n") == {'id': 'debian', 'version_id': None, 'version_codename': None}


def _boot_raw(**more):
    boot = {'xen_cfg': {'path': '/etc/default/grub.d/xen.cfg', 'exists': False, 'data': b''}, 'grub_files': {},
            'packages': {'intel-microcode': False, 'amd64-microcode': False}}
    boot.update(more)
    return raw_of(BOOKWORM, 'q35-vtd-intremap', boot=boot)


def test_boot_part_installed_os_and_records():
    xen, warnings = facts.assemble(_boot_raw(dpkg_status=DPKG_STATUS, os_release=fixture(BOOKWORM, 'etc-os-release.txt'),
                                             kernel_release='6.1.0-50-amd64',
                                             boot_image_record='{"hypervisor": "/boot/xenguard/x/xen-xsm.gz", '
                                                               '"key": "bookworm-4.17.5_72-g01140da4e8-1-abc"}'),
                                   parts=['boot'])
    boot = xen['boot']
    assert warnings == []
    # only the packages the roles use: libc6 and xen-utils-common of the same file are not reported
    assert sorted(boot['installed']) == ['busybox-static', 'grub-xen-bin', 'grub-xen-host', 'qemu-system-xen',
                                         'xen-hypervisor-4.17-amd64', 'xen-hypervisor-common', 'xenstore-utils']
    assert boot['os'] == {'id': 'debian', 'version_id': '12', 'version_codename': 'bookworm'}
    assert boot['kernel_release'] == '6.1.0-50-amd64'
    assert boot['boot_image']['key'] == 'bookworm-4.17.5_72-g01140da4e8-1-abc'
    assert boot['stubdom_image'] == {'recorded': False, 'dest': None, 'kernel': None, 'current': False,
                                     'why': 'no image built by this collection is recorded'}


def test_boot_part_unreadable_reads_are_none_and_bad_records_warn():
    xen, warnings = facts.assemble(_boot_raw(boot_image_record='{"hypervisor": ', stubdom_image_record='[1]'),
                                   parts=['boot'])
    boot = xen['boot']
    # no dpkg status (older reader, or the file could not be read): the roles ask the host themselves
    assert boot['installed'] is None and boot['stubdom_image'] is None and boot['os'] is None
    assert boot['boot_image'] is None
    assert len(warnings) == 2 and 'is not JSON' in warnings[1] and 'not a JSON object' in warnings[0]


def test_apt_policy_candidates():
    lab = fixture('apt', 'apt-cache-policy.microcode.bookworm-lab.txt')
    assert facts.parse_apt_policy(lab, ['intel-microcode', 'amd64-microcode']) == {
        'intel-microcode': None, 'amd64-microcode': None}
    build = fixture('apt', 'apt-cache-policy.busybox-static-intel-microcode.txt')
    # the version table's lines ("500 http://...") are not packages; a package apt does not print is None
    assert facts.parse_apt_policy(build, ['busybox-static', 'intel-microcode', 'amd64-microcode']) == {
        'busybox-static': '1:1.35.0-4+deb12u1+b1', 'intel-microcode': None, 'amd64-microcode': None}


def test_boot_part_microcode_candidates_only_from_a_policy_that_answered():
    policy = {'packages': ['intel-microcode', 'amd64-microcode'], 'rc': 0, 'stderr': '',
              'stdout': fixture('apt', 'apt-cache-policy.microcode.bookworm-lab.txt')}
    boot = xen_of(_boot_raw(microcode_policy=policy), parts=['boot'])['boot']
    assert boot['microcode_candidates'] == {'intel-microcode': None, 'amd64-microcode': None}
    # apt-cache failed (a broken cache): unknown, the role asks apt-cache itself
    failed = dict(policy, rc=100, stdout='', stderr='E: The package cache file is corrupted')
    assert xen_of(_boot_raw(microcode_policy=failed), parts=['boot'])['boot']['microcode_candidates'] is None
    assert xen_of(_boot_raw(), parts=['boot'])['boot']['microcode_candidates'] is None
