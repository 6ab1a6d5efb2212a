# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FLASK type of each guest configuration, from xl.cfg text read as xen_facts reads it.

What is expected comes from Xen's default policy (tools/flask/policy/modules at 4.17 and 4.20): domU.te's
make_device_model(dom0_t, dm_dom_t, domU_t) lets a dm_dom_t stub domain serve domU_t guests only; the guest
types are domU_t, isolated_domU_t, prot_domU_t and nomigrate_t; there is no vTPM type. A label is
user:role:type (xl.cfg(5), seclabel)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import flasklabel
from ansible_collections.xenguard.hardening.plugins.module_utils.facts import config_file

PREFIX = 'system_u:system_r:'
DM_LABEL = PREFIX + 'dm_dom_t'
# the flask role's own table (roles/flask/vars/main.yml), written out
KIND_TYPES = {'ordinary': 'domU_t', 'isolated': 'isolated_domU_t', 'protected': 'prot_domU_t',
              'nomigrate': 'nomigrate_t', 'driver': 'domU_t'}
OPTIONS = {'guest_types': {}, 'default_kind': 'isolated', 'kind_types': KIND_TYPES, 'prefix': PREFIX,
           'dm_label': DM_LABEL, 'dm_serves': {'dm_dom_t': ['domU_t']}, 'stub_planned': []}


def configs(**texts):
    """{path: what xen_facts reads} of xl.cfg texts given by file name."""
    return dict(('/etc/xen/%s.cfg' % name, config_file('/etc/xen/%s.cfg' % name, text.encode('utf-8')))
                for name, text in texts.items())


def plan(found, **options):
    return flasklabel.plan_guests(found, dict(OPTIONS, **options))


def one(text, **options):
    result = plan(configs(g=text), **options)
    assert len(result) == 1
    return result[0]


def test_a_pv_guest_unnamed_gets_the_default_kind_and_is_pending_until_labelled():
    guest = one('name = "web"\nkernel = "/usr/lib/grub-xen/grub-x86_64-xen.bin"\nmemory = 512\n')
    assert guest == {'path': '/etc/xen/g.cfg', 'name': 'web', 'type': 'isolated_domU_t', 'why': '',
                     'settings': {'seclabel': PREFIX + 'isolated_domU_t'}, 'stub': False, 'named': False,
                     'refused': '', 'pending': True}
    labelled = one('name = "web"\nseclabel = "system_u:system_r:isolated_domU_t"\n')
    assert labelled['pending'] is False


def test_another_label_in_the_file_is_pending():
    assert one('name = "web"\nseclabel = "system_u:system_r:domU_t"\n')['pending'] is True


@pytest.mark.parametrize('kind, expected', [
    ('ordinary', 'domU_t'), ('isolated', 'isolated_domU_t'), ('protected', 'prot_domU_t'),
    ('nomigrate', 'nomigrate_t'), ('driver', 'domU_t'),
    ('my_own_t', 'my_own_t'),  # a kind the table does not know is a type of the user's policy
])
def test_a_named_guest_gets_its_kinds_type(kind, expected):
    guest = one('name = "web"\n', guest_types={'web': kind})
    assert (guest['type'], guest['named'], guest['settings']) == (expected, True, {'seclabel': PREFIX + expected})


def test_the_default_kind_is_the_users():
    assert one('name = "web"\n', default_kind='ordinary')['type'] == 'domU_t'
    assert one('name = "web"\n', default_kind='nomigrate')['type'] == 'nomigrate_t'


@pytest.mark.parametrize('setting, driver', [
    ('driver_domain = 1', True), ('driver_domain = "1"', True), ('driver_domain = 0', False),
    ('driver_domain = "true"', False),  # xl reads a number only: it warns and ignores the word
    ('driver_domain = 0x1', True), ('', False),
])
def test_a_driver_domain_is_kind_driver_unless_named(setting, driver):
    guest = one('name = "net"\n%s\n' % setting, default_kind='isolated')
    assert guest['type'] == ('domU_t' if driver else 'isolated_domU_t')
    assert one('name = "net"\n%s\n' % setting, guest_types={'net': 'protected'})['type'] == 'prot_domU_t'


@pytest.mark.parametrize('kernel, left_out', [
    ('/usr/lib/xen-4.17/boot/vtpm-stubdom.gz', True),
    ('/usr/lib/xen-4.17/boot/vtpmmgr-stubdom.gz', True),
    ('/srv/vtpm/kernel.gz', False),  # only the file's own name counts
    ('/usr/lib/grub-xen/grub-x86_64-xen.bin', False),
])
def test_vtpm_stub_domains_are_left_out_unless_named(kernel, left_out):
    found = configs(v='name = "vtpm-web"\nkernel = "%s"\n' % kernel)
    assert (plan(found) == []) is left_out
    named = plan(found, guest_types={'vtpm-web': 'ordinary'})
    assert [g['type'] for g in named] == ['domU_t']


def test_an_hvm_guest_labels_its_stub_domain_too_and_builder_counts_when_type_is_absent():
    for text in ('name = "win"\ntype = "hvm"\n', 'name = "win"\nbuilder = "hvm"\n'):
        guest = one(text)
        assert guest['settings'] == {'seclabel': PREFIX + 'isolated_domU_t', 'device_model_stubdomain_seclabel': DM_LABEL}
        assert guest['stub'] is False and guest['why'] == ''
    # type wins over builder
    assert 'device_model_stubdomain_seclabel' not in one('name = "p"\ntype = "pvh"\nbuilder = "hvm"\n')['settings']
    assert 'device_model_stubdomain_seclabel' not in one('name = "p"\ntype = "pv"\n')['settings']


def test_a_guest_with_a_stub_domain_takes_a_type_the_stub_domain_may_serve():
    guest = one('name = "win"\ntype = "hvm"\ndevice_model_stubdomain_override = 1\n')
    assert guest['stub'] is True and guest['type'] == 'domU_t' and guest['refused'] == ''
    assert guest['why'] == "its QEMU runs in a stub domain (dm_dom_t), which Xen's policy lets serve domU_t only"
    assert guest['settings']['seclabel'] == PREFIX + 'domU_t'


def test_a_guest_the_stubdom_role_moves_counts_as_one_with_a_stub_domain():
    found = configs(win='name = "win"\ntype = "hvm"\n', other='name = "other"\ntype = "hvm"\n')
    result = dict((g['name'], g) for g in plan(found, stub_planned=['/etc/xen/win.cfg']))
    assert (result['win']['stub'], result['win']['type']) == (True, 'domU_t')
    assert (result['other']['stub'], result['other']['type']) == (False, 'isolated_domU_t')


def test_a_pv_guest_is_never_a_stub_domain_guest():
    guest = one('name = "pv"\ndevice_model_stubdomain_override = 1\n', stub_planned=['/etc/xen/g.cfg'])
    assert (guest['stub'], guest['type'], guest['why']) == (False, 'isolated_domU_t', '')


def test_a_named_guest_with_a_stub_domain_that_may_not_serve_it_is_refused_and_keeps_its_type():
    text = 'name = "win"\ntype = "hvm"\ndevice_model_stubdomain_override = 1\n'
    guest = one(text, guest_types={'win': 'isolated'})
    assert (guest['type'], guest['why']) == ('isolated_domU_t', '')
    assert guest['refused'] == ("win runs QEMU in a stub domain of type dm_dom_t, which Xen's default policy lets "
                                "serve domU_t guests only (domU.te: make_device_model), but "
                                "xenguard_flask_guest_types gives it isolated_domU_t")
    served = one(text, guest_types={'win': 'ordinary'})
    assert (served['type'], served['refused']) == ('domU_t', '')


def test_a_stub_domain_type_the_table_does_not_know_changes_no_type():
    text = 'name = "win"\ntype = "hvm"\ndevice_model_stubdomain_override = 1\n'
    guest = one(text, dm_label=PREFIX + 'my_dm_t')
    assert (guest['type'], guest['why'], guest['refused']) == ('isolated_domU_t', '', '')
    assert guest['settings']['device_model_stubdomain_seclabel'] == PREFIX + 'my_dm_t'
    assert one(text, dm_label=PREFIX + 'my_dm_t', guest_types={'win': 'isolated'})['refused'] == ''


def test_a_stub_domain_may_serve_several_types():
    text = 'name = "win"\ntype = "hvm"\ndevice_model_stubdomain_override = 1\n'
    serves = {'dm_dom_t': ['domU_t', 'isolated_domU_t']}
    assert one(text, dm_serves=serves)['type'] == 'isolated_domU_t'
    guest = one(text, dm_serves=serves, default_kind='protected')
    assert guest['type'] == 'domU_t'
    assert guest['why'] == ("its QEMU runs in a stub domain (dm_dom_t), which Xen's policy lets serve "
                            "domU_t, isolated_domU_t only")


def test_labels_without_a_type_part():
    assert flasklabel.label_type('system_u:system_r:dm_dom_t') == 'dm_dom_t'
    assert flasklabel.label_type('system_u:system_r') == ''
    assert flasklabel.label_type('') == ''
    guest = one('name = "win"\ntype = "hvm"\ndevice_model_stubdomain_override = 1\n', dm_label='dm_dom_t')
    assert (guest['type'], guest['why']) == ('isolated_domU_t', '')


def test_unreadable_or_nameless_configurations_are_left_out_and_the_order_is_kept():
    found = configs(a='name = "a"\n', nameless='memory = 512\n', bad='name = "b\n', b='name = "b"\n')
    found['/etc/xen/gone.cfg'] = {'keys': {}, 'error': 'cannot read the file'}
    found['/etc/xen/odd.cfg'] = 'not a mapping'
    found['/etc/xen/odd2.cfg'] = {'keys': ['name']}
    assert [g['path'] for g in plan(found)] == ['/etc/xen/a.cfg', '/etc/xen/b.cfg']
    assert plan({}) == [] and plan(None) == []


def test_missing_options_mean_none_given():
    guest = flasklabel.plan_guests(configs(g='name = "web"\ntype = "hvm"\n'), {})
    assert guest == [{'path': '/etc/xen/g.cfg', 'name': 'web', 'type': None, 'why': '',
                      'settings': {'seclabel': 'None', 'device_model_stubdomain_seclabel': ''},
                      'stub': False, 'named': False, 'refused': '', 'pending': True}]


def test_a_name_that_is_no_text_is_never_named():
    found = {'/etc/xen/l.cfg': {'keys': {'name': ['web']}}}
    assert [g['named'] for g in plan(found, guest_types={'web': 'ordinary'})] == [False]
