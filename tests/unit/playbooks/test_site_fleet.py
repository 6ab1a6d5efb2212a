# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/site.yml across a fleet of 50 hosts, all of them aliases of this machine (local connection).

- The waves: the real site.yml runs against stand-in roles of the same names (a collection in a temporary
  directory) whose one task calls `xl info`; `xl` on PATH is a fake that prints the recorded output of a
  Debian 12 / Xen 4.17 dom0 (tests/unit/fixtures) and logs role, host and the hosts of its wave. The log shows
  the waves (1 canary, 10 %, the rest), the role order in each wave, and that a failing canary (or any failing
  host of a wave, with max_fail_percentage 0) keeps every later wave from starting.
- The real roles: site.yml with the collection's own roles, in check mode, on the same 50 aliases. This machine
  is no Xen dom0, so the canary fails in the roles' preflight, and no other alias is touched.
- The tags: one per role and one per control, as the control catalogue says (which role carries a control,
  whether it needs the reboot), and every role of the collection is in site.yml with the reboot last.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import sys

import yaml

from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
from ansible_collections.xenguard.hardening.tests.unit.helpers import COLLECTIONS, run_playbook

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SITE = os.path.join(ROOT, 'playbooks', 'site.yml')
XL_INFO = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'debian12-xen-4.17', 'xl-info.q35-vtd-intremap.txt')
HOSTS = ['xen%02d' % i for i in range(1, 51)]
ROLES = ['iommu', 'hypervisor', 'network_split', 'driver_domain', 'pvgrub', 'stubdom', 'vtpm', 'flask', 'reboot']

FAKE_XL = """#!/bin/sh
# A stand-in for xl: `xl info` of a recorded Debian 12 / Xen 4.17 dom0, and a log line per call.
printf '%%s %%s %%s\\n' "$FLEET_ROLE" "$FLEET_HOST" "$FLEET_BATCH" >> "%(log)s"
case " $FLEET_NOT_DOM0 " in
  *" $FLEET_HOST "*) echo "xl: $FLEET_HOST plays a host booted without Xen (no /proc/xen/privcmd)" >&2; exit 1 ;;
esac
[ "$*" = info ] && exec cat "%(xl_info)s"
echo "xl: unexpected call: $*" >&2
exit 1
"""

STAND_IN_ROLE = """---
- name: "%(role)s | the host is a Xen dom0 (xl info)"
  ansible.builtin.raw: >-
    FLEET_ROLE=%(role)s FLEET_HOST={{ inventory_hostname }} FLEET_BATCH={{ ansible_play_batch | join(',') }} xl info
  changed_when: false
"""


def inventory(tmp_path):
    path = tmp_path / 'inventory.json'
    hosts = dict((h, {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}) for h in HOSTS)
    path.write_text(json.dumps({'all': {'children': {'xen_hosts': {'hosts': hosts}}}}))
    return str(path)


def playbook(tmp_path, site, collections, *extra, **env_extra):
    proc = run_playbook(tmp_path, '-i', inventory(tmp_path), site, '-e', 'ansible_become=false', *extra,
                        collections=collections, timeout=240, ANSIBLE_FORKS='10', **env_extra)
    return proc.returncode, proc.stdout


def stand_in_fleet(tmp_path):
    """site.yml (a copy, so that its own collection is not found next to it) and stand-in roles."""
    coll = tmp_path / 'collections'
    for role in ROLES:
        tasks = coll / 'ansible_collections' / 'xenguard' / 'hardening' / 'roles' / role / 'tasks'
        tasks.mkdir(parents=True)
        (tasks / 'main.yml').write_text(STAND_IN_ROLE % {'role': role})
    fakebin = tmp_path / 'bin'
    fakebin.mkdir()
    (fakebin / 'xl').write_text(FAKE_XL % {'log': tmp_path / 'xl.log', 'xl_info': XL_INFO})
    os.chmod(str(fakebin / 'xl'), 0o755)
    shutil.copy(SITE, str(tmp_path / 'site.yml'))
    return str(tmp_path / 'site.yml'), str(coll), str(fakebin) + os.pathsep + os.environ['PATH']


def waves(tmp_path):
    """The log of the fake xl as [(hosts of the wave, [(role, host), ...]), ...] in the order of the calls."""
    out = []
    for line in (tmp_path / 'xl.log').read_text().splitlines():
        role, host, batch = line.split(' ')
        batch = batch.split(',')
        if not out or out[-1][0] != batch:
            out.append((batch, []))
        out[-1][1].append((role, host))
    return out


def test_waves_canary_then_ten_percent_then_the_rest_each_role_in_turn(tmp_path):
    site, coll, path = stand_in_fleet(tmp_path)
    rc, out = playbook(tmp_path, site, coll, PATH=path)
    assert rc == 0, out
    got = waves(tmp_path)
    assert [w[0] for w in got] == [HOSTS[:1], HOSTS[1:6], HOSTS[6:]]
    for batch, calls in got:
        # every role on every host of the wave, a role on all of them before the next role starts
        assert [call[0] for call in calls] == [r for r in ROLES for h in batch], calls
        for role in ROLES:
            assert sorted(h for r, h in calls if r == role) == batch


def test_a_failing_canary_stops_the_fleet(tmp_path):
    site, coll, path = stand_in_fleet(tmp_path)
    rc, out = playbook(tmp_path, site, coll, PATH=path, FLEET_NOT_DOM0='xen01')
    assert rc == 2, out
    assert waves(tmp_path) == [(['xen01'], [('iommu', 'xen01')])]
    assert 'xen01 plays a host booted without Xen' in out
    assert 'NO MORE HOSTS LEFT' in out
    assert not re.search(r'^xen(0[2-9]|[1-5]\d) ', out, re.M), out  # no other host even in the recap


def test_a_failing_host_in_a_wave_stops_the_later_waves(tmp_path):
    site, coll, path = stand_in_fleet(tmp_path)
    rc, out = playbook(tmp_path, site, coll, PATH=path, FLEET_NOT_DOM0='xen04')
    assert rc == 2, out
    got = waves(tmp_path)
    assert [w[0] for w in got[:2]] == [HOSTS[:1], HOSTS[1:6]]
    # the second wave stops with xen04's failure; the third wave never starts
    assert all(set(wave[0]) <= set(HOSTS[1:6]) for wave in got[1:]), got
    calls = [call for wave in got for call in wave[1]]
    assert ('iommu', 'xen04') in calls
    assert ('hypervisor', 'xen04') not in calls
    assert not [call for call in calls if call[1] in HOSTS[6:]], calls


def test_the_waves_and_the_failure_budget_are_variables(tmp_path):
    site, coll, path = stand_in_fleet(tmp_path)
    budget = json.dumps({'xenguard_serial': [2, '50%'], 'xenguard_max_fail_percentage': 50})
    rc, out = playbook(tmp_path, site, coll, '-e', budget, PATH=path, FLEET_NOT_DOM0='xen05')
    assert rc == 2, out  # xen05 failed, but 1 of 25 is within the budget: every wave ran
    batches = [w[0] for w in waves(tmp_path)]
    assert batches[0] == HOSTS[:2]
    assert sorted(set(h for b in batches for h in b)) == HOSTS
    assert HOSTS[2:27] in batches and HOSTS[27:] in batches


def test_the_real_roles_stop_at_the_canary_on_a_machine_that_is_no_dom0(tmp_path):
    shutil.copy(SITE, str(tmp_path / 'site.yml'))
    rc, out = playbook(tmp_path, str(tmp_path / 'site.yml'), COLLECTIONS, '--check')
    assert rc == 2, out
    assert re.search(r'fatal: \[xen01\].*\n?.*This host is not a Xen dom0', out), out
    assert 'NO MORE HOSTS LEFT' in out
    assert re.findall(r'^(xen\d\d) +: ', out, re.M) == ['xen01'], out


def load_site():
    with open(SITE) as f:
        plays = yaml.safe_load(f)
    assert len(plays) == 1
    return plays[0]


def tag(control_id):
    return control_id.lower().replace('-', '_')


def test_every_role_in_a_safe_order_with_its_tags_from_the_catalogue():
    play = load_site()
    roles = [r['role'].rsplit('.', 1)[1] for r in play['roles']]
    assert sorted(roles) == sorted(os.listdir(os.path.join(ROOT, 'roles'))), 'a role of the collection is not in site.yml'
    assert roles[0] == 'iommu' and roles[-1] == 'reboot'  # the platform checks first, the one reboot last
    tags = dict((r['role'].rsplit('.', 1)[1], r['tags']) for r in play['roles'])
    for role in roles[:-1]:
        controls = [tag(c['id']) for c in CONTROLS if c['role'] == role]
        assert tags[role] == [role] + controls
    needs_reboot = [tag(c['id']) for c in CONTROLS if c['role'] in roles and c['reboot']]
    assert tags['reboot'] == ['reboot'] + needs_reboot
    assert play['serial'] == "{{ xenguard_serial | default([1, '10%', '100%']) }}"
    assert play['max_fail_percentage'] == '{{ xenguard_max_fail_percentage | default(0) }}'


def test_a_control_tag_selects_its_role_and_the_reboot(tmp_path):
    shutil.copy(SITE, str(tmp_path / 'site.yml'))
    proc = run_playbook(tmp_path, '-i', inventory(tmp_path), str(tmp_path / 'site.yml'), '--list-tasks',
                        '--tags', 'xg_xen_02')
    out = proc.stdout
    assert proc.returncode == 0, out
    listed = re.findall(r'^ {6}(?:xenguard\.hardening\.(\w+) : )?(.*)\tTAGS: \[(.*)\]$', out, re.M)
    by_role = {}
    for role, name, tags in listed:
        tags = tags.split(', ')
        assert 'xg_xen_02' in tags or 'always' in tags, (name, tags)
        by_role.setdefault(role or 'hypervisor', []).append(tags)
    assert sorted(by_role) == ['driver_domain', 'flask', 'hypervisor', 'iommu', 'network_split', 'pvgrub',
                               'reboot', 'stubdom', 'vtpm'], out
    assert all('always' in t for t in by_role['pvgrub'])  # of the pvgrub role only its checks
    assert all('always' in t for t in by_role['iommu'])  # of the iommu role only its preflight
    assert all('always' in t for t in by_role['network_split'])  # of the network_split role only its checks
    assert all('always' in t for t in by_role['flask'])  # and of the flask role
    assert all('always' in t for t in by_role['stubdom'])  # and of the stubdom role
    assert all('always' in t for t in by_role['driver_domain'])  # nor of the driver_domain role
    assert all('always' in t for t in by_role['vtpm'])  # of the vtpm role only its checks
    assert any('always' not in t for t in by_role['hypervisor'])
    assert any('always' not in t for t in by_role['reboot'])
