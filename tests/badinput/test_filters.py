# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters the roles decide with, and the one-shot GRUB script rendered with hostile values.

Here and not in tests/unit: these tests load Ansible's controller side (errors, templating), which changes
how modules run in-process by tests/unit report their warnings.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.xenguard.hardening.plugins.filter import xenguard as f
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = os.path.join(COLLECTION, 'roles')


def defaults(role):
    with open(os.path.join(ROLES, role, 'defaults', 'main.yml')) as handle:
        return yaml.safe_load(handle)


# ---------------------------------------------------------------- planned command line and the catalogue

def test_planned_cmdline_writes_yaml_booleans_as_the_module_does():
    planned = f.xen_planned_cmdline(['console=com1', 'smt=1'], {'smt': 0, 'pv-linear-pt': False})
    assert planned == ['console=com1', 'smt=0', 'pv-linear-pt=0']
    # a YAML boolean for an option that takes words is refused, as xen_boot_options refuses it
    for option, value in (('spec-ctrl', False), ('tsx', True)):
        with pytest.raises(AnsibleFilterError, match='YAML boolean'):
            f.xen_planned_cmdline(['console=com1'], {option: value})
    # xpti takes a boolean: it is written (xpti=0) and the role's XG-XEN-02 guard refuses it
    assert f.xen_planned_cmdline([], {'xpti': False}) == ['xpti=0']


def test_planned_cmdline_refuses_what_the_module_refuses():
    with pytest.raises(AnsibleFilterError, match='unsafe'):
        f.xen_planned_cmdline([], {'console': 'com1; reboot'})
    with pytest.raises(AnsibleFilterError, match='list of tokens'):
        f.xen_planned_cmdline('smt=0', {})


def test_control_judges_the_planned_line_not_the_booted_one():
    facts = {'is_dom0': True, 'cmdline': ['spec-ctrl=no'], 'dmesg': {'spec_ctrl': {'disabled': True}}}
    assert f.xen_control(facts, 'XG-XEN-02')['status'] == 'fail'
    planned = f.xen_control(facts, 'XG-XEN-02', cmdline=['smt=0'])
    assert planned['status'] == 'pass' and planned['id'] == 'XG-XEN-02'
    bad = f.xen_control({'is_dom0': True, 'cmdline': []}, 'XG-XEN-02',
                        cmdline=f.xen_planned_cmdline([], {'spec-ctrl': 'no-xen', 'tsx': '1'}))
    assert bad['status'] == 'fail' and 'spec-ctrl=no-xen' in bad['detail'] and 'tsx=1' in bad['detail']


def test_control_unknown_id():
    with pytest.raises(AnsibleFilterError, match='no control'):
        f.xen_control({'is_dom0': True}, 'XG-NOPE-99')


def test_offenders_are_the_tokens_that_fail_on_their_own():
    tokens = ['console=com1', 'spec-ctrl=no', 'smt=0', 'spec-ctrl=no', 'spec-ctrl=ibpb-entry']
    assert f.xen_control_offenders(tokens, 'XG-XEN-02') == ['spec-ctrl=no']
    assert f.xen_control_offenders([], 'XG-XEN-02') == []


# ---------------------------------------------------------------- role inputs

@pytest.mark.parametrize('role, entry', [('hypervisor', 'hypervisor'), ('iommu', 'iommu'), ('reboot', 'reboot'),
                                         ('stubdom', 'stubdom'), ('vtpm', 'vtpm'),
                                         ('pvgrub', 'pvgrub'), ('driver_domain', 'driver_domain')])
def test_the_defaults_are_usable(role, entry):
    assert f.xenguard_input_problems(defaults(role), entry) == []


def test_versions_read_as_numbers_say_so():
    problems = f.xenguard_input_problems({'xenguard_hypervisor_supported_versions': [4.17, 4.20]}, 'hypervisor')
    assert len(problems) == 2
    assert 'the number 4.2' in problems[1] and 'quote' in problems[1]
    assert f.xenguard_input_problems({'xenguard_hypervisor_supported_versions': '4.17'}, 'hypervisor')


def test_microcode_string_is_refused_with_the_list_to_write():
    problems = f.xenguard_input_problems({'xenguard_hypervisor_microcode_packages': 'intel-microcode'}, 'hypervisor')
    assert problems and '[intel-microcode]' in problems[0]
    assert f.xenguard_input_problems({'xenguard_hypervisor_microcode_packages': ['amd64-microcode']}, 'hypervisor') == []


@pytest.mark.parametrize('value', ["x'; touch PWNED; : '", "bob's-trial", '', 'a b', '$(id)', 'a/b', '-x', 'x' * 65,
                                   'a\nb', True, None, ['a']])
def test_entry_id_must_be_a_plain_menu_id(value):
    problems = f.xenguard_input_problems({'xenguard_reboot_entry_id': value}, 'reboot')
    assert problems and 'xenguard_reboot_entry_id' in problems[0]


@pytest.mark.parametrize('value, ok', [(-1, False), (0, False), ('-5', False), ('soon', False), (True, False),
                                       (10 ** 6, False), (1, True), ('300', True), (86400, True)])
def test_timeouts(value, ok):
    problems = f.xenguard_input_problems({'xenguard_reboot_timeout': value}, 'reboot')
    assert (problems == []) is ok, problems


def test_pending_changes_are_checked_entry_by_entry():
    bad = [{'change': 'x', 'options': {'smt': 0}}, 3, {'options': {'a b': 1}}]
    problems = f.xenguard_input_problems({'xenguard_pending_boot_changes': bad}, 'reboot')
    text = ' '.join(problems)
    assert 'xenguard_pending_boot_changes[1]: is the number 3' in text
    assert 'xenguard_pending_boot_changes[2]: has no change' in text
    assert 'not a valid Xen option name' in text
    assert 'xenguard_pending_boot_changes[0]' not in text


def test_plan_role_names_as_the_scenarios_use_them():
    values = {'xenguard_reboot_plan_role': 'fallback-test', 'xenguard_reboot_plan_change': 'x',
              'xenguard_reboot_plan_options': {'dom0_mem': '64M'}}
    assert f.xenguard_input_problems(values, 'reboot_plan') == []
    values['xenguard_reboot_plan_role'] = 'Bad Role'
    assert 'role name' in f.xenguard_input_problems(values, 'reboot_plan')[0]


def test_plan_without_its_variables():
    problems = f.xenguard_input_problems({'xenguard_reboot_plan_role': None}, 'reboot_plan')
    assert len(problems) == 3 and all('tasks_from: plan needs' in p for p in problems)


def test_extra_options_yaml_keys_and_managed_names():
    assert 'quote the option name' in f.xenguard_input_problems(
        {'xenguard_hypervisor_extra_options': {True: 1}}, 'hypervisor')[0]
    assert 'repeats smt' in f.xenguard_input_problems({'xenguard_hypervisor_extra_options': {'no-smt': True}},
                                                      'hypervisor')[0]
    assert 'noreboot' in f.xenguard_input_problems({'xenguard_hypervisor_extra_options': {'noreboot': True}},
                                                   'hypervisor')[0]


def test_unknown_entry_point():
    with pytest.raises(AnsibleFilterError):
        f.xenguard_input_problems({}, 'nope')


# ---------------------------------------------------------------- unknown variables

def test_unknown_variables_are_the_typos():
    names = ['xenguard_hypervisor_smt_of', 'xenguard_reboot_ok', 'xenguard_pending_boot_changes', 'xenguard_iommu_chek',
             'xen_unrelated_thing', 'other', 'xenguard_hosts', 'xenguard_serial', 'xenguard_max_fail_percentage',
             'xenguard_waivers', 'xenguard_report_dir']
    assert f.xenguard_unknown_variables(names, warn=False) == ['xenguard_hypervisor_smt_of', 'xenguard_iommu_chek']


def test_old_role_variable_names_are_warned_with_their_new_name(monkeypatch):
    said = []

    class FakeDisplay(object):
        def warning(self, msg):
            said.append(msg)

    import ansible.utils.display
    monkeypatch.setattr(ansible.utils.display, 'Display', FakeDisplay)
    assert f.xenguard_unknown_variables(['xen_hypervisor_smt_off', 'xen_iommu_chek', 'xenguard_reboot_ok']) == [
        'xen_hypervisor_smt_off', 'xen_iommu_chek']
    assert 'the collection names it xenguard_hypervisor_smt_off now' in said[0]
    assert 'check its spelling (did you mean xenguard_iommu_check?)' in said[1]
    assert f._renamed('xen_iommu_required', f.known_variables()[1]) == 'xenguard_iommu_required'
    assert f._renamed('xen_unrelated', f.known_variables()[1]) is None


def test_every_declared_variable_has_a_default_or_is_required():
    prefixes, known = f.known_variables()
    assert 'xenguard_reboot_entry_id' in known and 'xenguard_iommu_pin_required' in known
    assert 'xen_hypervisor_' in prefixes
    for role in ('iommu', 'hypervisor', 'reboot'):
        assert set(defaults(role)) <= known


# ---------------------------------------------------------------- the one-shot GRUB script

FAKE_20_LINUX_XEN = '''#!/bin/sh
cat <<'MENU'
menuentry 'Debian GNU/Linux, with Xen hypervisor' --class debian $menuentry_id_option 'xen-gnulinux-simple-1' {
    multiboot2 /boot/xen.gz placeholder XEN_CMDLINE
}
MENU
'''


def render_trial(entry_id, cmdline, **extra):
    with open(os.path.join(ROLES, 'reboot', 'templates', 'etc', 'grub.d', '42_xenguard_trial.j2')) as handle:
        source = handle.read()
    variables = {'ansible_managed': 'Managed by xenguard.hardening', 'xenguard_reboot_entry_id': entry_id,
                 '__xenguard_reboot_plan': {'cmdline': cmdline}}
    variables.update(extra)
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(source))


# The Xen entry Debian 12's 20_linux_xen wrote on the lab host (tests/unit/fixtures/grub-boot), as its output.
DEBIAN_XEN_ENTRY = ("menuentry 'Debian GNU/Linux, with Xen hypervisor' --class debian --class gnu-linux --class gnu "
                    "--class os --class xen $menuentry_id_option 'xen-gnulinux-simple-0ad205c7' {\n" + '''\tinsmod part_msdos
\tinsmod ext2
\tsearch --no-floppy --fs-uuid --set=root 0ad205c7
\techo\t'Loading Xen 4.17-amd64 ...'
\tmultiboot2\t/boot/xen-4.17-amd64.gz placeholder  console=com1 smap=0 ${xen_rm_opts}
\techo\t'Loading Linux 6.1.0-50-amd64 ...'
\tmodule2\t/boot/vmlinuz-6.1.0-50-amd64 placeholder root=UUID=0ad205c7 ro console=hvc0
\techo\t'Loading initial ramdisk ...'
\tmodule2\t--nounzip   /boot/initrd.img-6.1.0-50-amd64
}
submenu 'Advanced options for Debian GNU/Linux (with Xen hypervisor)' $menuentry_id_option 'gnulinux-advanced' {
}
''')
IMAGE = {'hypervisor': '/boot/xsm/62294c7784f21e4a/xen-xsm.gz', 'modules': ['/boot/xsm/62294c7784f21e4a/xenpolicy'],
         'title': 'Xen 4.17 with XSM FLASK'}


def _generated(tmp_path, script_text, entry):
    fake = tmp_path / '20_linux_xen'
    fake.write_text("#!/bin/sh\ncat <<'MENU'\n%sMENU\n" % entry)
    fake.chmod(0o755)
    script = tmp_path / 'entry'
    script.write_text(script_text.replace('/etc/grub.d/20_linux_xen', str(fake)))
    assert subprocess.run(['sh', '-n', str(script)], check=False).returncode == 0
    out = subprocess.run(['sh', str(script)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_trial_entry_with_an_xsm_image(tmp_path):
    menu = _generated(tmp_path, render_trial('xenguard-trial', ['console=com1', 'xsm=flask', 'flask=permissive'],
                                             __xenguard_reboot_image=IMAGE), DEBIAN_XEN_ENTRY)
    lines = menu.splitlines()
    assert lines[0].endswith("$menuentry_id_option 'xenguard-trial' {")
    assert '\tmultiboot2\t/boot/xsm/62294c7784f21e4a/xen-xsm.gz placeholder  console=com1 smap=0 ${xen_rm_opts}' in lines
    # the policy comes last, after the dom0 kernel and the initrd, as a module of the same protocol
    assert lines[-3:] == ['\tmodule2\t--nounzip   /boot/initrd.img-6.1.0-50-amd64',
                          '\tmodule2 /boot/xsm/62294c7784f21e4a/xenpolicy', '}']
    assert 'submenu' not in menu and '/boot/xen-4.17-amd64.gz' not in menu


def test_trial_entry_on_a_separate_boot_partition(tmp_path):
    # 20_linux_xen writes paths relative to the /boot file system when /boot is a partition of its own
    entry = DEBIAN_XEN_ENTRY.replace('/boot/', '/')
    menu = _generated(tmp_path, render_trial('xenguard-trial', ['xsm=flask'], __xenguard_reboot_image=IMAGE), entry)
    assert '\tmultiboot2\t/xsm/62294c7784f21e4a/xen-xsm.gz placeholder' in menu
    assert '\tmodule2 /xsm/62294c7784f21e4a/xenpolicy\n}' in menu


def test_default_entry_of_an_xsm_image(tmp_path):
    (tmp_path / 'xsm').mkdir()
    hypervisor = tmp_path / 'xsm' / 'xen-xsm.gz'
    image = dict(IMAGE, hypervisor=str(hypervisor))
    text = render_trial('xenguard-trial', [], __xenguard_reboot_image=image, __xenguard_reboot_entry_mode='default',
                        __xenguard_reboot_default_id='xenguard-boot')
    # the hypervisor is not there (yet): no entry, the distribution's stays the default
    assert _generated(tmp_path, text, DEBIAN_XEN_ENTRY) == ''
    hypervisor.write_bytes(b'x')
    menu = _generated(tmp_path, text, DEBIAN_XEN_ENTRY)
    assert menu.splitlines()[0] == ("menuentry 'xenguard: Xen 4.17 with XSM FLASK' --class debian --class gnu-linux "
                                    "--class gnu --class os --class xen $menuentry_id_option 'xenguard-boot' {")
    assert 'GRUB_CMDLINE_XEN_DEFAULT=' not in text  # the default entry takes update-grub's own
    assert menu.endswith('}\nif [ -z "${boot_once}" ]; then\n  set default="xenguard-boot"\nfi\n')


HOSTILE_IDS = ["x'; touch PWNED; : '", "bob's-trial", 'a&b/c\\d|e', '$(touch PWNED)', '`touch PWNED`',
               'a"b', 'two words', 'new\nline', '; touch PWNED #', 'xenguard-trial']


@pytest.mark.parametrize('entry_id', HOSTILE_IDS)
def test_trial_script_quotes_hostile_values(entry_id, tmp_path):
    fake = tmp_path / '20_linux_xen'
    fake.write_text(FAKE_20_LINUX_XEN)
    fake.chmod(0o755)
    cmdline = ["console=com1'", 'smt=0', '$(touch PWNED)']
    script = tmp_path / '42_xenguard_trial'
    script.write_text(render_trial(entry_id, cmdline).replace('/etc/grub.d/20_linux_xen', str(fake)))
    assert subprocess.run(['sh', '-n', str(script)], check=False).returncode == 0
    out = subprocess.run(['sh', '-c', '. "$1" > "$2"; printf "%s|%s" "$XENGUARD_ID" "$GRUB_CMDLINE_XEN_DEFAULT"',
                          '_', str(script), str(tmp_path / 'menu')], cwd=str(tmp_path), capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == '%s|%s' % (entry_id, ' '.join(cmdline))
    assert not (tmp_path / 'PWNED').exists()
    first = (tmp_path / 'menu').read_text().splitlines()[0]
    if '\n' not in entry_id:
        assert first.endswith("$menuentry_id_option '%s' {" % entry_id)
    assert first.startswith("menuentry 'xenguard trial: Xen with new options (one-shot)'")


def test_the_lab_xen_cfg_parses_as_the_module_reads_it():
    # the recorded xen.cfg the bad-input suite uses holds the tokens the planned-line filter starts from
    assert 'GRUB_CMDLINE_XEN_DEFAULT="console=com1' in fixture('debian12-xen-4.17/etc-default-grub.d-xen.cfg.lab.txt')


# ---------------------------------------------------------------- xl_list (the reboot role's guest list)

def test_xl_list_reads_recorded_output_with_the_collections_parser():
    domains = f.xl_list(fixture('debian12-xen-4.17/xl-list-v.dom0-plus-pv-domu.txt'))
    assert [(d['name'], d['domid']) for d in domains][0] == ('Domain-0', 0)
    guests = [d['name'] for d in domains if d['domid'] != 0]
    assert guests == ['test-pv-long']
    # a name with spaces survives (the old role split each line at white space and kept the first word)
    spaced = 'Name                                        ID   Mem VCPUs\tState\tTime(s)\n' \
             'Domain-0                                     0  1024     2     r-----      10.0\n' \
             'web server 1                                 3   512     1     -b----       1.5\n'
    assert [d['name'] for d in f.xl_list(spaced)] == ['Domain-0', 'web server 1']


@pytest.mark.parametrize('bad, says', [
    ('libxl: error: cannot connect\n', 'no "Name ... ID" header'),
    ('Name ID Mem VCPUs State Time(s)\nDomain-0 0 x\n', 'Cannot parse xl list line'),
    (None, 'expected the text xl list printed'),
])
def test_xl_list_refuses_what_is_not_an_xl_list_table(bad, says):
    with pytest.raises(AnsibleFilterError) as err:
        f.xl_list(bad)
    assert says in str(err.value)


# ---------------------------------------------------------------- apt-cache policy (the hypervisor role's custom microcode packages)

def test_apt_candidates_read_recorded_output_as_the_facts_do():
    text = fixture('apt/apt-cache-policy.busybox-static-intel-microcode.txt')
    # a package apt printed nothing for (it does not know it) has no candidate either
    assert f.xen_apt_candidates(text, ['busybox-static', 'intel-microcode', 'no-such-package']) == {
        'busybox-static': '1:1.35.0-4+deb12u1+b1', 'intel-microcode': None, 'no-such-package': None}
    # packages not asked about are left out; apt's stderr-only answer (an unknown package) holds no candidate
    assert f.xen_apt_candidates(text, ['busybox-static']) == {'busybox-static': '1:1.35.0-4+deb12u1+b1'}
    assert f.xen_apt_candidates('', ['custom-ucode']) == {'custom-ucode': None}


@pytest.mark.parametrize('text, packages, says', [
    (None, ['intel-microcode'], 'expected the text apt-cache policy printed, got NoneType'),
    (['intel-microcode:'], ['intel-microcode'], 'expected the text apt-cache policy printed, got list'),
    ('', 'intel-microcode', "the packages must be a list of package names, got 'intel-microcode'"),
    ('', [None], 'the packages must be a list of package names, got [None]'),
    ('', {'intel-microcode': 1}, 'the packages must be a list of package names'),
])
def test_apt_candidates_refuse_what_is_not_policy_text_and_names(text, packages, says):
    with pytest.raises(AnsibleFilterError) as err:
        f.xen_apt_candidates(text, packages)
    assert says in str(err.value)


# ---------------------------------------------------------------- dom0_mem and iommu= read as Xen reads them

@pytest.mark.parametrize('tokens, expected', [
    (['console=com1'], {}),
    (['dom0_mem=1024M,max:1024M'], {'size': '1024M', 'min': None, 'max': '1024M'}),
    # every occurrence counts, item by item (dom0_build.c parse_dom0_mem): the later size wins, max stays
    (['dom0_mem=1G,max:2G', 'dom0_mem=512M'], {'size': '512M', 'min': None, 'max': '2G'}),
    (['dom0_mem=max:2G'], {'size': None, 'min': None, 'max': '2G'}),
    (['dom0_mem=lots'], {}),
])
def test_dom0_mem_is_read_as_xen_reads_it(tokens, expected):
    assert f.xen_dom0_mem(tokens) == expected


@pytest.mark.parametrize('tokens, expected', [
    ([], 'required'),
    (['iommu=1,verbose'], 'required,verbose'),
    (['iommu=no-intremap', 'iommu=on,verbose,force'], 'required,no-intremap,verbose'),
    (['iommu=required,debug', 'iommu=debug'], 'required,debug'),
    (['iommu=verbose,'], 'required,verbose'),
])
def test_iommu_pinned_keeps_the_booted_sub_options(tokens, expected):
    assert f.xen_iommu_pinned(tokens) == expected


def test_command_line_filters_want_tokens():
    for func in (f.xen_dom0_mem, f.xen_iommu_pinned):
        with pytest.raises(AnsibleFilterError, match='list of tokens'):
            func('iommu=1')


# ---------------------------------------------------------------- list options the hypervisor role adds items to

ENTRY = ['ibpb-entry', 'bhb-entry', 'lock-harden']


@pytest.mark.parametrize('tokens, option, wanted, version, expected', [
    # nothing there: the wanted items, as far as the release has them (bhb-entry, lock-harden: 4.17.4+)
    ([], 'spec-ctrl', ENTRY, '4.17.5', ENTRY),
    ([], 'spec-ctrl', ENTRY, '4.17.3', ['ibpb-entry']),
    ([], 'spec-ctrl', ENTRY, '4.20.5-pre', ENTRY),
    # the user's items stay, first, in order, once each, from every occurrence
    (['spec-ctrl=unpriv-mmio', 'console=com1', 'spec-ctrl=ibpb-entry,unpriv-mmio'], 'spec-ctrl', ENTRY, '4.17.5',
     ['unpriv-mmio', 'ibpb-entry', 'bhb-entry', 'lock-harden']),
    # already on (also when set over two tokens): nothing to write, so a hardened line is left alone
    (['spec-ctrl=ibpb-entry,bhb-entry', 'spec-ctrl=lock-harden'], 'spec-ctrl', ENTRY, '4.20.1', None),
    # switched off for dom0 only: added again after it (Xen reads the later item last)
    (['spec-ctrl=ibpb-entry=pv'], 'spec-ctrl', ['ibpb-entry'], '4.20.1', ['ibpb-entry=pv', 'ibpb-entry']),
    (['spec-ctrl=ibpb-entry=0'], 'spec-ctrl', ['ibpb-entry'], '4.20.1', ['ibpb-entry=0', 'ibpb-entry']),
    (['dom0-iommu=map-reserved'], 'dom0-iommu', ['strict'], None, ['map-reserved', 'strict']),
    (['dom0-iommu=strict,map-reserved'], 'dom0-iommu', ['strict'], None, None),
])
def test_option_with_keeps_items_and_adds_the_missing(tokens, option, wanted, version, expected):
    assert f.xen_option_with(tokens, option, wanted, version) == expected


@pytest.mark.parametrize('version, cmdline', [
    ('4.17.5', ['console=com1', 'spec-ctrl=unpriv-mmio', 'dom0-iommu=map-reserved']),
    ('4.17.5', ['spec-ctrl=ibpb-entry=0,bhb-entry=0']),
    ('4.20.5-pre', []),
])
def test_what_the_role_writes_passes_the_catalogue(version, cmdline):
    # The value written as one token makes XG-XEN-13, -14 and -16 pass where they failed: judged by the
    # catalogue from the planned command line, not by this test's own idea of spec-ctrl.
    major, minor, extra = version.split('.', 2)
    info = {'xen_major': major, 'xen_minor': minor, 'xen_extra': '.' + extra}
    facts = {'is_dom0': True, 'version': version, 'info': info}
    controls = ('XG-XEN-13', 'XG-XEN-14', 'XG-XEN-16')
    before = dict((c, f.xen_control(facts, c, cmdline=cmdline)['status']) for c in controls)
    assert set(before.values()) == {'fail'}
    options = {'spec-ctrl': f.xen_option_with(cmdline, 'spec-ctrl', ENTRY, version),
               'dom0-iommu': f.xen_option_with(cmdline, 'dom0-iommu', ['strict'])}
    planned = f.xen_planned_cmdline(cmdline, options)
    for control in controls:
        assert f.xen_control(facts, control, cmdline=planned)['status'] == 'pass', (control, planned)
    assert f.xen_option_with(planned, 'spec-ctrl', ENTRY, version) is None
    assert f.xen_option_with(planned, 'dom0-iommu', ['strict']) is None


def test_option_with_refuses_what_it_cannot_read():
    with pytest.raises(AnsibleFilterError, match='list of tokens'):
        f.xen_option_with('spec-ctrl=no', 'spec-ctrl', ['ibpb-entry'])
    with pytest.raises(AnsibleFilterError, match='option name'):
        f.xen_option_with([], '', ['ibpb-entry'])
    with pytest.raises(AnsibleFilterError, match='list of words'):
        f.xen_option_with([], 'spec-ctrl', 'ibpb-entry')


# ---------------------------------------------------------------- pvgrub (issue 9)

def test_pvgrub_plan_wants_the_facts():
    with pytest.raises(AnsibleFilterError, match='guest_configs'):
        f.xen_pvgrub_plan(None)


@pytest.mark.parametrize('name,value,fragment', [
    ('xenguard_pvgrub_guests', 'web1', 'list of guest names'),
    ('xenguard_pvgrub_guests', [''], 'list of guest names'),
    ('xenguard_pvgrub_exclude', [3], 'list of guest names'),
    ('xenguard_pvgrub_packages', ['a b'], 'Debian package names'),
    ('xenguard_pvgrub_image_dir', 'rel/dir', 'absolute path'),
    ('xenguard_pvgrub_convert_kernel', 'maybe', 'not a boolean'),
])
def test_pvgrub_input_problems(name, value, fragment):
    problems = f.xenguard_input_problems({name: value}, 'pvgrub')
    assert len(problems) == 1 and name in problems[0] and fragment in problems[0]


def test_pvgrub_input_defaults_are_fine():
    assert f.xenguard_input_problems({'xenguard_pvgrub_guests': [], 'xenguard_pvgrub_exclude': ['web1'],
                                      'xenguard_pvgrub_packages': ['grub-xen-host'],
                                      'xenguard_pvgrub_image_dir': '/usr/lib/grub-xen',
                                      'xenguard_pvgrub_install': True}, 'pvgrub') == []


def test_the_default_entry_the_lab_host_booted():
    # grub.cfg of a Debian 12 lab host after site.yml: the generator's entry in default mode, as update-grub
    # wrote it, which the host then booted (xl getenforce: Permissive)
    recorded = fixture('grub-boot/grub.cfg.bookworm-xenguard-boot-entry.txt').splitlines()
    assert recorded[1].endswith("$menuentry_id_option 'xenguard-boot' {")
    xen = [line for line in recorded if line.startswith('\tmultiboot2')]
    assert len(xen) == 1 and xen[0].split()[1].startswith('/boot/xsm/') and 'xsm=flask' in xen[0].split()
    assert recorded[-7:-4] == ['\tmodule2\t--nounzip   /boot/initrd.img-6.1.0-50-amd64',
                               '\tmodule2 /boot/xsm/cc7fbc1bd1c116ac/xenpolicy', '}']
    assert recorded[-3] == '  set default="xenguard-boot"'


# ---------------------------------------------------------------- the stubdom role

def test_stubdom_defaults_are_usable():
    assert f.xenguard_input_problems(defaults('stubdom'), 'stubdom') == []


@pytest.mark.parametrize('values, says', [
    ({'xenguard_stubdom_mode': 'qemu'}, 'xenguard_stubdom_mode: is the string'),
    ({'xenguard_stubdom_images': True}, 'use one of build, supplied, none'),
    ({'xenguard_stubdom_dm_user_mode': 'shared'}, 'per_guest, range'),
    ({'xenguard_stubdom_kernel': 'boot/vmlinuz'}, 'absolute path'),
    ({'xenguard_stubdom_firmware_dir': '/usr/lib/../x'}, 'absolute path'),
    ({'xenguard_stubdom_images': 'supplied', 'xenguard_stubdom_kernel': '', 'xenguard_stubdom_rootfs': '/r',
      'xenguard_stubdom_rootfs_sha256': 'a' * 64, 'xenguard_stubdom_kernel_sha256': 'a' * 64},
     'xenguard_stubdom_kernel: is empty'),
    ({'xenguard_stubdom_images': 'supplied', 'xenguard_stubdom_kernel': '/k', 'xenguard_stubdom_rootfs': '/r',
      'xenguard_stubdom_rootfs_sha256': 'a' * 64, 'xenguard_stubdom_kernel_sha256': 'md5'},
     'xenguard_stubdom_kernel_sha256: is the string'),
    ({'xenguard_stubdom_build_packages': 'busybox'}, 'list of Debian package names'),
    ({'xenguard_stubdom_memory': 32}, 'from 64 to 4096'),
    ({'xenguard_stubdom_memory': True}, 'from 64 to 4096'),
    ({'xenguard_stubdom_dm_user_range_base': 0}, 'free range of 32752 UIDs'),
    ({'xenguard_stubdom_seclabel': 'dm_dom_t'}, 'user:role:type'),
    ({'xenguard_stubdom_guests': 'web1'}, 'list of guest names'),
    ({'xenguard_stubdom_exclude': ['']}, 'list of guest names'),
    ({'xenguard_stubdom_backup': 'maybe'}, 'not a boolean'),
])
def test_stubdom_inputs_refused(values, says):
    problems = f.xenguard_input_problems(dict(defaults('stubdom'), **values), 'stubdom')
    assert len(problems) == 1 and says in problems[0], problems


def test_stubdom_inputs_accepted():
    from ansible_collections.xenguard.hardening.plugins.filter import stubdom as s
    ok = dict(defaults('stubdom'), xenguard_stubdom_memory='256', xenguard_stubdom_seclabel='',
              xenguard_stubdom_images='supplied', xenguard_stubdom_mode='restrict', xenguard_stubdom_backup='no')
    assert f.xenguard_input_problems(ok, 'stubdom') == []
    with pytest.raises(AnsibleFilterError, match='mapping'):
        f.xenguard_input_problems(['x'], 'stubdom')
    from ansible_collections.xenguard.hardening.plugins.filter import stubdom as s
    with pytest.raises(AnsibleFilterError, match='xen facts'):
        s.xen_stubdom_plan([], {})
    plan = s.xen_stubdom_plan({'guest_configs': {}}, {'mode': 'auto'})
    assert plan == {'problems': [], 'guests': [], 'untouched': []}


@pytest.mark.parametrize('configs, options', [
    (None, {}), ('/etc/xen/web.cfg', {}), (['/etc/xen/web.cfg'], {}), ({}, None), ({}, 'isolated'), ({}, ['isolated']),
])
def test_flask_guest_plan_refuses_what_is_not_configurations_and_options(configs, options):
    from ansible_collections.xenguard.hardening.plugins.filter.flask import xen_flask_guest_plan
    with pytest.raises(AnsibleFilterError) as err:
        xen_flask_guest_plan(configs, options)
    assert 'give the guest configurations xen_facts read (ansible_facts.xen.guest_configs)' in str(err.value)


def test_flask_guest_plan_takes_hostile_configuration_values_as_xl_would():
    from ansible_collections.xenguard.hardening.plugins.filter.flask import xen_flask_guest_plan
    configs = {'/etc/xen/a.cfg': {'keys': {'name': '$(reboot)', 'type': 'HVM', 'driver_domain': 'yes; rm -rf /'}},
               '/etc/xen/b.cfg': {'keys': {'name': ['list'], 'kernel': 7}}, '/etc/xen/c.cfg': None}
    plan = xen_flask_guest_plan(configs, {'default_kind': 'isolated', 'kind_types': {'isolated': 'isolated_domU_t'},
                                          'prefix': 'system_u:system_r:', 'guest_types': {'$(reboot)': 'ordinary'}})
    found = [(g['name'], g['type'], g['named']) for g in plan]
    assert found == [('$(reboot)', 'ordinary', True), (['list'], 'isolated_domU_t', False)]
    assert plan[0]['settings'] == {'seclabel': 'system_u:system_r:ordinary'}  # type="HVM": xl refuses it, no stub label
