# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad-input suite: every row of cases.yml is one bad or odd input to a module or role entry point.

Each row says what it calls (``module:<name>`` or ``role:<name>[:<tasks_from>]``), the input, what must
happen (``refused``: the call fails with a message holding every fragment of ``msg``; ``accepted``: it
does not refuse the input) and, optionally, ``fixed_by: <branch>`` for rows whose fix is made on another
branch. Every row also asserts that no file of the fake root changed and that no write command ran:
``xl``, ``xenstore-*``, ``update-grub``, ``grub-reboot``, ``systemctl``, ``reboot``, ``apt-get``... are
fakes (fakebin.sh) that print recorded output for reads and log every other call.

Module rows run the module's main() in this process (as tests/unit does); role rows run in one
ansible-playbook per role, in check mode, one block with a rescue per row.

BADINPUT_PENDING=h3 (comma-separated) turns the rows marked ``fixed_by: h3`` into expected failures
(xfail, not strict); unset, they must pass like every other row.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(COLLECTION, 'tests', 'unit', 'fixtures')
D12 = os.path.join(FIXTURES, 'debian12-xen-4.17')
FAKE_TOOLS = ('xl', 'xenstore-ls', 'xenstore-read', 'xenstore-write', 'xenstore-rm', 'xenstore-chmod',
              'xenstore-exists', 'xenstore-list', 'update-grub', 'grub-mkconfig', 'grub-reboot', 'grub-editenv',
              'grub-set-default', 'systemctl', 'reboot', 'shutdown', 'apt-get', 'apt-cache', 'apt', 'dpkg',
              'findmnt')
PENDING = set(filter(None, os.environ.get('BADINPUT_PENDING', '').split(',')))
ROLE_ORDER = ('iommu', 'hypervisor', 'network_split', 'driver_domain', 'pvgrub', 'stubdom', 'vtpm', 'flask', 'reboot')
# other hosts a role row may run on (facts: <name>): the recorded xl info (and its xl dmesg) of that host
FACT_HOSTS = {'noiommu': 'xl-info.pc-noiommu.txt'}

with open(os.path.join(HERE, 'cases.yml')) as _handle:
    CASES = yaml.safe_load(_handle)['cases']


# ---------------------------------------------------------------- the fake host

def _make_root(root):
    """The files the rows point at: Debian's xen.cfg, xl.conf, a GRUB menu, guest configs (one linked)."""
    def put(rel, data):
        path = os.path.join(root, rel)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, 'wb') as handle:
            handle.write(data)

    def fix(*parts):
        with open(os.path.join(FIXTURES, *parts), 'rb') as handle:
            return handle.read()

    put('etc/default/grub.d/xen.cfg', fix('debian12-xen-4.17', 'etc-default-grub.d-xen.cfg.lab.txt'))
    put('etc/default/grub', b'GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n')
    put('etc/xen/xl.conf', fix('debian12-xen-4.17', 'etc-xen-xl.conf.debian.txt'))
    put('etc/xen/guest.cfg', fix('xlcfg', 'hardened-guest.cfg'))
    put('etc/xen/pv.cfg', fix('xlcfg', 'pv-direct-kernel.cfg'))
    put('etc/xen/latin1.cfg', b'# caf\xe9\nmemory = 512\nname = "latin1"\n')
    put('etc/xen/unparsable.cfg', b'name = "unparsable"\nbootloader = "pygrub"\ndisk = [ "/srv/u.img,raw,xvda,w"\n')
    put('etc/xen/pygrub.cfg', fix('xlcfg', 'pygrub-guest.cfg'))
    put('etc/xen/broken.cfg', b'name = "broken"\ntype = "hvm"\nmemory = = 512\n')
    # the Xen firmware directory (stub domain images go there) and images a user supplies
    put('usr/lib/xen-4.17/boot/hvmloader', b'hvmloader')
    put('srv/stubdom/kernel', b'user kernel')
    put('srv/stubdom/rootfs', b'user rootfs')
    put('boot/grub/grub.cfg', b'menuentry "Debian GNU/Linux, with Xen hypervisor" {\n}\n')
    put('boot/grub/grubenv', b'# GRUB Environment Block\n' + b'#' * 995)
    put('proc/xen/capabilities', b'control_d\n')
    put('var/lib/xenguard/.keep', b'')
    # the vtpm role's rows: placeholder stub-domain images on the "controller" (their sha256 are in cases.yml)
    # and a file at a disk path that is not a vTPM disk of the collection
    put('srv/images/vtpmmgr-stubdom.gz', b'vtpmmgr-stubdom placeholder (not a Mini-OS image)\n')
    put('srv/images/vtpm-stubdom.gz', b'vtpm-stubdom placeholder (not a Mini-OS image)\n')
    put('srv/disks/someone-elses.img', b'not a vTPM disk\n')
    os.makedirs(os.path.join(root, 'etc', 'xen', 'auto'))
    os.symlink('../guest.cfg', os.path.join(root, 'etc', 'xen', 'auto', 'guest.cfg'))


def tree_state(root):
    """path -> sha256 of the content (or 'link -> target') of everything under root."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                state[rel] = 'link -> ' + os.readlink(path)
            elif os.path.isfile(path):
                with open(path, 'rb') as handle:
                    state[rel] = hashlib.sha256(handle.read()).hexdigest()
                state[rel] += ' %o' % (os.stat(path).st_mode & 0o7777)
            else:
                state[rel] = 'dir'
    return state


@pytest.fixture(scope='session')
def fakehost(tmp_path_factory):
    base = str(tmp_path_factory.mktemp('badinput'))
    bindir = os.path.join(base, 'bin')
    logdir = os.path.join(base, 'log')
    template = os.path.join(base, 'template')
    os.makedirs(bindir)
    os.makedirs(logdir)
    _make_root(template)
    for tool in FAKE_TOOLS:
        os.symlink(os.path.join(HERE, 'fakebin.sh'), os.path.join(bindir, tool))
    env = {'PATH': bindir + os.pathsep + os.environ.get('PATH', ''), 'BADINPUT_LOG': logdir,
           'BADINPUT_FIXTURES': FIXTURES}
    return {'base': base, 'bin': bindir, 'log': logdir, 'template': template, 'env': env}


def writes(logdir, case_id):
    path = os.path.join(logdir, 'writes.log')
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [line.strip() for line in handle if line.split(' ', 1)[0] == case_id]


def substitute(value, root):
    if isinstance(value, str):
        return value.replace('{root}', root)
    if isinstance(value, list):
        return [substitute(v, root) for v in value]
    if isinstance(value, dict):
        return dict((substitute(k, root), substitute(v, root)) for k, v in value.items())
    return value


def _mark(case):
    marks = []
    if case.get('fixed_by') and case['fixed_by'] in PENDING:
        marks.append(pytest.mark.xfail(reason='fixed on branch %s (BADINPUT_PENDING=%s)'
                                       % (case['fixed_by'], ','.join(sorted(PENDING))), strict=False))
    return marks


def _params(kind):
    return [pytest.param(case, id=case['id'], marks=_mark(case))
            for case in CASES if case['call'].split(':')[0] == kind]


def check_outcome(case, failed, msg):
    text = (msg or '').lower()
    if case['expect'] == 'refused':
        assert failed, 'the input was accepted; expected a refusal saying: %s' % case.get('msg')
        for fragment in case.get('msg') or []:
            assert str(fragment).lower() in text, 'message lacks %r: %s' % (fragment, msg)
    else:
        assert not failed or case.get('may_fail_after'), 'the input was refused: %s' % msg
        if failed:
            # accepted, and the run went on to a later check of the host (this machine is no real dom0)
            assert str(case['may_fail_after']).lower() in text, 'failed, but not where expected: %s' % msg
        for fragment in case.get('msg') or []:
            assert str(fragment).lower() in text, 'message lacks %r: %s' % (fragment, msg)


# ---------------------------------------------------------------- module rows

def _module(name):
    return __import__('ansible_collections.xenguard.hardening.plugins.modules.' + name, fromlist=['main'])


@pytest.mark.parametrize('case', _params('module'))
def test_module_row(case, fakehost, tmp_path, capsys, monkeypatch):
    root = str(tmp_path / 'root')
    shutil.copytree(fakehost['template'], root, symlinks=True)
    module = _module(case['call'].split(':')[1])
    for key, value in fakehost['env'].items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv('BADINPUT_CASE', case['id'])
    if hasattr(module, 'PROC_CAPABILITIES'):
        monkeypatch.setattr(module, 'PROC_CAPABILITIES', os.path.join(root, 'proc/xen/capabilities'))
    args = substitute(case.get('args') or {}, root)
    if case.get('check_mode', case['expect'] != 'refused'):
        args['_ansible_check_mode'] = True
    before = tree_state(root)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    result = json.loads(capsys.readouterr().out)
    check_outcome(case, result.get('failed', False), result.get('msg'))
    assert tree_state(root) == before, 'a file of the fake root changed'
    assert writes(fakehost['log'], case['id']) == [], 'a write command ran'


# ---------------------------------------------------------------- role rows

def _sys_pci(base):
    """/sys/bus/pci/devices of the lab's dom0 before its guest NIC was hidden (the e1000 eth1, 0000:00:02.0)."""
    top = os.path.join(base, 'sys-bus-pci')
    if os.path.isdir(top):
        return os.path.join(top, 'devices')
    with open(os.path.join(FIXTURES, 'driver-domain', 'sysfs-pci-dom0.json')) as handle:
        devices = json.load(handle)
    for address, dev in devices.items():
        node = os.path.join(top, 'devices', address)
        os.makedirs(os.path.join(node, 'net'))
        with open(os.path.join(node, 'class'), 'w') as handle:
            handle.write(dev['class'] + '\n')
        for name in dev['net']:
            os.makedirs(os.path.join(node, 'net', name))
        if dev['driver']:
            target = os.path.join(top, 'drivers', dev['driver'])
            if not os.path.isdir(target):
                os.makedirs(target)
            os.symlink(target, os.path.join(node, 'driver'))
    return os.path.join(top, 'devices')


def _facts(fakehost, root, host=None):
    """ansible_facts.xen as xen_facts gathers it from the recorded host (fake xl on PATH)."""
    from ansible_collections.xenguard.hardening.plugins.modules import xen_facts
    old = dict(os.environ)
    saved = (xen_facts.PROC_CAPABILITIES, xen_facts.SYS_PCI_DEVICES, xen_facts.TPM_ROOT, xen_facts.TPM_DEV_GLOBS,
             xen_facts.TPM_SYSFS_GLOB)
    try:
        os.environ.update(fakehost['env'])
        os.environ['BADINPUT_CASE'] = 'facts'
        if host:
            os.environ['BADINPUT_HOST'] = FACT_HOSTS[host]
        xen_facts.PROC_CAPABILITIES = os.path.join(root, 'proc/xen/capabilities')
        xen_facts.SYS_PCI_DEVICES = _sys_pci(fakehost['base'])
        # the recorded host has no TPM: the fake root has none either (not this test machine's)
        xen_facts.TPM_ROOT = root
        xen_facts.TPM_DEV_GLOBS = (os.path.join(root, 'dev/tpm[0-9]*'),)
        xen_facts.TPM_SYSFS_GLOB = os.path.join(root, 'sys/class/tpm/tpm[0-9]*')
        args = {'config_paths': [os.path.join(root, 'etc/xen/%s' % name) for name in ('guest.cfg', 'pv.cfg', 'broken.cfg')],
                'xl_conf_path': os.path.join(root, 'etc/xen/xl.conf'), '_ansible_check_mode': True}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            with patch_module_args(args):
                with pytest.raises(SystemExit):
                    xen_facts.main()
        return json.loads(out.getvalue())['ansible_facts']['xen']
    finally:
        (xen_facts.PROC_CAPABILITIES, xen_facts.SYS_PCI_DEVICES, xen_facts.TPM_ROOT, xen_facts.TPM_DEV_GLOBS,
         xen_facts.TPM_SYSFS_GLOB) = saved
        os.environ.clear()
        os.environ.update(old)


def _listing(root):
    """What the playbook records after each row (see _role_playbook): the same listing, taken here."""
    return subprocess.run(['sh', os.path.join(HERE, 'listing.sh'), root], capture_output=True, text=True,
                          check=True).stdout


def _role_playbook(cases, root, facts_file):
    tasks = [{'name': 'facts of the recorded host', 'xen_facts_fixture': {'path': facts_file}}]
    for case in cases:
        parts = case['call'].split(':')
        include = {'name': 'xenguard.hardening.' + parts[1]}
        if len(parts) > 2:
            include['tasks_from'] = parts[2]
        variables = dict(substitute(case.get('vars') or {}, root))
        record_ok = {'ansible.builtin.set_fact': {'__bi_results': '{{ __bi_results | default({}) | combine({%s: '
                                                  '{"failed": false, "msg": ""}}) }}' % json.dumps(case['id'])}}
        record_fail = {'ansible.builtin.set_fact': {'__bi_results': (
            '{{ __bi_results | default({}) | combine({%s: {"failed": true, "task": ansible_failed_task.name, '
            '"msg": ansible_failed_result.msg | default("") | string}}) }}' % json.dumps(case['id']))}}
        # a controller-side listing (no module run per row): modes, types, link targets and content hashes
        listing = "lookup('ansible.builtin.pipe', 'sh %s %s')" % (os.path.join(HERE, 'listing.sh'), root)
        record_hash = {'ansible.builtin.set_fact': {'__bi_hashes': '{{ __bi_hashes | default({}) | combine({%s: %s}) }}'
                                                    % (json.dumps(case['id']), listing)}}
        # a row on another recorded host (facts: <name>) has that host's facts, then the default ones again
        other = [{'xen_facts_fixture': {'path': facts_file.replace('.json', '-%s.json' % case['facts'])}}] \
            if case.get('facts') else []
        back = [{'xen_facts_fixture': {'path': facts_file}}] if case.get('facts') else []
        tasks.append({
            'name': 'case ' + case['id'],
            'environment': {'BADINPUT_CASE': case['id']},
            'block': other + [{'ansible.builtin.include_role': include, 'vars': variables}, record_ok],
            'rescue': [record_fail],
            'always': back + [record_hash],
        })
    tasks.append({'ansible.builtin.copy': {'content': '{{ {"results": __bi_results, "hashes": __bi_hashes} '
                                                      '| to_json }}', 'dest': '{{ __bi_out }}'},
                  'check_mode': False})
    # a play variable (not an extra var), so that a row can still set its own value
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks,
             'vars': {'xenguard_reboot_xen_cfg': os.path.join(root, 'etc/default/grub.d/xen.cfg')}}]


@pytest.fixture(scope='session', autouse=True)
def role_runs(fakehost):
    """Starts the role rows at the beginning of the session (one ansible-playbook per role, side by side),
    so that they run while the module rows run in this process."""
    base = fakehost['base']
    root = os.path.join(base, 'roleroot')
    shutil.copytree(fakehost['template'], root, symlinks=True)
    facts_file = os.path.join(base, 'facts.json')
    with open(facts_file, 'w') as handle:
        json.dump(_facts(fakehost, root), handle)
    for host in FACT_HOSTS:
        with open(facts_file.replace('.json', '-%s.json' % host), 'w') as handle:
            json.dump(_facts(fakehost, root, host), handle)
    before = _listing(root)
    env = dict(os.environ, **fakehost['env'])
    env.update({'ANSIBLE_LIBRARY': os.path.join(HERE, 'library'), 'ANSIBLE_NOCOLOR': '1',
                'ANSIBLE_RETRY_FILES_ENABLED': '0', 'ANSIBLE_LOCALHOST_WARNING': '0',
                'ANSIBLE_INVENTORY_UNPARSED_WARNING': '0', 'ANSIBLE_PYTHON_INTERPRETER': sys.executable})
    procs = {}
    for role in ROLE_ORDER:
        cases = [c for c in CASES if c['call'].split(':')[0] == 'role' and c['call'].split(':')[1] == role]
        if not cases:
            continue
        book = os.path.join(base, 'role-%s.yml' % role)
        out = os.path.join(base, 'role-%s.json' % role)
        with open(book, 'w') as handle:
            yaml.safe_dump(_role_playbook(cases, root, facts_file), handle, sort_keys=False)
        log = open(os.path.join(base, 'role-%s.log' % role), 'w')
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
               '--check', book, '-e', '__bi_out=' + out]
        procs[role] = (subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT), out, log)
    yield {'procs': procs, 'before': before}
    for proc, out, log in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope='session')
def role_results(role_runs):
    """Per role row: {failed, msg, task, hash_before, hash_after, log} once its playbook has ended."""
    results = {}
    for role, (proc, out, log) in role_runs['procs'].items():
        proc.wait()
        log.flush()
        with open(log.name) as handle:
            text = handle.read()
        if not os.path.exists(out):
            pytest.fail('ansible-playbook for role %s did not finish:\n%s' % (role, text[-4000:]))
        with open(out) as handle:
            data = json.load(handle)
        for case_id, outcome in data['results'].items():
            outcome['hash_before'] = role_runs['before']
            outcome['hash_after'] = data['hashes'].get(case_id)
            outcome['log'] = text
            results[case_id] = outcome
    return results


@pytest.mark.parametrize('case', _params('role'))
def test_role_row(case, role_results, fakehost):
    outcome = role_results.get(case['id'])
    assert outcome is not None, 'the row did not run'
    check_outcome(case, outcome['failed'], outcome['msg'])
    if case['expect'] == 'refused':
        assert 'usable' in outcome.get('task', '') or 'arg spec' in outcome.get('task', '') \
            or case.get('refused_by', '\0') in outcome.get('task', ''), \
            'refused by %r, not by the checks before any change' % outcome.get('task')
    for fragment in case.get('warns') or []:
        assert fragment in outcome['log'], 'no warning saying %r' % fragment
    assert outcome['hash_after'].strip() == outcome['hash_before'].strip(), 'a file of the fake root changed'
    assert writes(fakehost['log'], case['id']) == [], 'a write command ran'


# ---------------------------------------------------------------- action rows (run on the controller)

def _registered(kind, facts):
    """What audit.yml registers for xen_facts on a host of the row: the recorded dom0, or an odd host."""
    return {
        'dom0': {'changed': False, 'ansible_facts': {'xen': facts}},
        'not_dom0': {'changed': False, 'ansible_facts': {'xen': {'is_dom0': False, 'reason': 'not running on the '
                                                                 'Xen hypervisor (/proc/xen/capabilities does not '
                                                                 'exist)'}}},
        'failed': {'failed': True, 'msg': 'xl info failed: libxl: error: cannot connect'},
        'unreachable': {'unreachable': True, 'msg': 'ssh: connect to host port 22: Connection refused'},
    }[kind]


def _action_playbook(cases, base, facts):
    """One play on localhost, a block per row; the row's hosts are inventory hosts named <row>--<host>."""
    inventory = {'all': {'hosts': {}}}
    tasks = []
    for case in cases:
        dest = os.path.join(base, 'reports', case['id'])
        os.makedirs(dest)
        if 'previous' in case:
            with open(os.path.join(dest, 'report.json'), 'w') as handle:
                handle.write(case['previous'])
        names = []
        for host, spec in (case.get('hosts') or {}).items():
            name = '%s--%s' % (case['id'], host)
            names.append(name)
            hostvars = {'ansible_connection': 'local'}
            if spec.get('audit'):
                hostvars['xenguard_audit'] = _registered(spec['audit'], facts)
            if 'waivers' in spec:
                hostvars['xenguard_waivers'] = spec['waivers']
            inventory['all']['hosts'][name] = hostvars
        action = case['call'].split(':')[1]
        # the report action writes to the row's directory; other actions take only the row's args
        args = dict({'hosts': names, 'dest': dest} if action == 'xen_report' else {}, **(case.get('args') or {}))
        record_ok = {'ansible.builtin.set_fact': {'__bi_results': (
            '{{ __bi_results | default({}) | combine({%s: {"failed": false, '
            '"msg": __bi_out.problems | default([]) | join(" | ")}}) }}' % json.dumps(case['id']))}}
        record_fail = {'ansible.builtin.set_fact': {'__bi_results': (
            '{{ __bi_results | default({}) | combine({%s: {"failed": true, '
            '"msg": ansible_failed_result.msg | default("") | string}}) }}' % json.dumps(case['id']))}}
        tasks.append({'name': 'case ' + case['id'],
                      'block': [{'xenguard.hardening.' + action: args, 'register': '__bi_out'}, record_ok],
                      'rescue': [record_fail]})
    tasks.append({'ansible.builtin.copy': {'content': '{{ __bi_results | to_json }}', 'dest': '{{ __bi_file }}'},
                  'check_mode': False})
    return inventory, [{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]


@pytest.fixture(scope='session')
def action_results(fakehost):
    """Per action row: {failed, msg} (msg: the problems the report names, or the failure) and the listing of
    the report directories before and after."""
    cases = [c for c in CASES if c['call'].split(':')[0] == 'action']
    base = os.path.join(fakehost['base'], 'actions')
    root = os.path.join(base, 'root')
    shutil.copytree(fakehost['template'], root, symlinks=True)
    inventory, book = _action_playbook(cases, base, _facts(fakehost, root))
    paths = dict((name, os.path.join(base, name)) for name in ('inventory.yml', 'actions.yml'))
    for name, data in (('inventory.yml', inventory), ('actions.yml', book)):
        with open(paths[name], 'w') as handle:
            yaml.safe_dump(data, handle, sort_keys=False)
    reports = os.path.join(base, 'reports')
    before = _listing(reports)
    out = os.path.join(base, 'actions.json')
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_LOCALHOST_WARNING='0',
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i',
                          paths['inventory.yml'], '-c', 'local', '--check', paths['actions.yml'], '-e',
                          '__bi_file=' + out], env=env, capture_output=True, text=True, check=False)
    if not os.path.exists(out):
        pytest.fail('ansible-playbook for the action rows did not finish:\n%s' % (run.stdout + run.stderr)[-4000:])
    with open(out) as handle:
        results = json.load(handle)
    return {'results': results, 'before': before, 'after': _listing(reports)}


@pytest.mark.parametrize('case', _params('action'))
def test_action_row(case, action_results):
    outcome = action_results['results'].get(case['id'])
    assert outcome is not None, 'the row did not run'
    check_outcome(case, outcome['failed'], outcome['msg'])
    if case['expect'] == 'accepted' and not case.get('msg'):
        assert outcome['msg'] == '', 'the report names problems: %s' % outcome['msg']
    assert action_results['after'] == action_results['before'], 'a file of a report directory changed'


def test_table_is_sound():
    ids = [case['id'] for case in CASES]
    assert len(ids) == len(set(ids)), 'duplicate row ids'
    assert len(CASES) >= 150
    for case in CASES:
        assert case['expect'] in ('refused', 'accepted'), case['id']
        assert case['call'].split(':')[0] in ('module', 'role', 'action'), case['id']
        if case['expect'] == 'refused':
            assert case.get('msg'), '%s: a refusal row must name the message fragments' % case['id']
