# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's pure functions: report.json (checked against docs/report-schema.json), JUnit
XML and HTML, waivers, hosts that could not be audited, previous reports of other schemas, and
hostile host names and evidence."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import html
import json
import os
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import jsonschema  # tests/unit/requirements.txt for ansible-test; the lane venvs have it with ansible-lint
import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import report as rp
from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
from ansible_collections.xenguard.hardening.plugins.module_utils.controls import evaluate

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
SCHEMA = os.path.join(ROOT, 'docs', 'report-schema.json')
TODAY = datetime.date(2026, 11, 29)
IDS = [control['id'] for control in CONTROLS]
HOSTILE = u'<script>alert("x")</script> & \'quoted\' ]]> --> \x00\x1b end'


def registered(statuses=None, default='pass', detail='evidence: xl dmesg says so', **extra_fields):
    """A registered xen_facts result of a dom0 whose controls have the given statuses."""
    statuses = statuses or {}
    controls = []
    for control in CONTROLS:
        result = dict((field, control[field]) for field in ('id', 'title', 'section', 'severity', 'role', 'reboot'))
        result.update(status=statuses.get(control['id'], default), detail=detail)
        result.update(extra_fields.get(control['id'], {}))
        controls.append(result)
    return {'changed': False, 'failed': False, 'ansible_facts': {'xen': {
        'is_dom0': True, 'reason': '', 'version': '4.17.6', 'cmdline': ['console=com1', 'iommu=1'],
        'controls': controls}}}


NOT_DOM0 = {'changed': False, 'ansible_facts': {'xen': {
    'is_dom0': False, 'reason': 'not running on the Xen hypervisor (/proc/xen/capabilities does not exist)',
    'controls': []}}}
UNREACHABLE = {'unreachable': True, 'changed': False,
               'msg': 'Failed to connect to the host via ssh: Connection refused'}
FAILED = {'failed': True, 'msg': 'xl info failed (exit 1): cannot open /dev/xen/privcmd'}


def build(hosts, previous=None, today=TODAY):
    return rp.build_report(hosts, CONTROLS, today, '2026-11-29T01:00:00Z', previous=previous)


def host(name, reg, waivers=None):
    return rp.host_input(name, reg, waivers)


def validate(report):
    with open(SCHEMA) as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    # what is validated is what would be written: the JSON text read back
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        json.loads(rp.to_json(report)))


def result_of(report, name, cid):
    hosts = dict((h['name'], h) for h in report['hosts'])
    return dict((r['id'], r) for r in hosts[name]['results'])[cid]


def messages(report):
    return [p['message'] for p in report['problems']]


class Tags(HTMLParser):
    """Counts start tags, and the text inside <script>."""

    def __init__(self):
        HTMLParser.__init__(self)
        self.tags = {}
        self.script = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self._in_script = tag == 'script'

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script.append(data)


def parse_html(text):
    parser = Tags()
    parser.feed(text)
    parser.close()
    return parser


# ---------------------------------------------------------------------------------------------
# the JSON and its schema

def test_a_mixed_fleet_matches_the_schema_and_counts_right():
    hosts = [
        host('good', registered()),
        host('bad', registered({'XG-IOMMU-01': 'fail', 'XG-XEN-01': 'unknown', 'XG-NET-01': 'not_applicable'})),
        host('plain-linux', NOT_DOM0),
        host('gone', UNREACHABLE),
        host('broken', FAILED),
        host('never-ran', None),
    ]
    report = build(hosts)
    validate(report)
    assert report['schema_version'] == rp.SCHEMA_VERSION == 1
    assert [h['state'] for h in report['hosts']] == [
        'audited', 'audited', 'not_dom0', 'unreachable', 'failed', 'not_audited']
    totals = report['totals']
    n = len(CONTROLS)
    assert totals['hosts'] == 6 and totals['compliant_hosts'] == 1
    assert totals['by_status'] == {'pass': 2 * n - 3, 'fail': 1, 'unknown': 1, 'not_applicable': 1, 'waived': 0}
    assert totals['by_state'] == {'audited': 2, 'not_dom0': 1, 'unreachable': 1, 'failed': 1, 'not_audited': 1}
    hosts_by_name = dict((h['name'], h) for h in report['hosts'])
    assert hosts_by_name['plain-linux']['message'].startswith('not a Xen dom0: not running on the Xen hypervisor')
    assert hosts_by_name['gone']['message'] == 'unreachable: Failed to connect to the host via ssh: Connection refused'
    assert 'cannot open /dev/xen/privcmd' in hosts_by_name['broken']['message']
    assert hosts_by_name['good']['xen_version'] == '4.17.6' and hosts_by_name['good']['cmdline'] == 'console=com1 iommu=1'
    assert [c['id'] for c in report['controls']] == IDS
    assert all(c['remediation'] for c in report['controls'])
    assert report['problems'] == [] and report['changes'] is None


def test_results_of_the_real_engine_are_read_as_they_are():
    """What controls.evaluate returns (on facts that tell nothing) goes into the report unchanged."""
    results = evaluate({'is_dom0': True, 'reason': '', 'info': {}, 'cmdline': [], 'dmesg': None})
    reg = {'changed': False, 'ansible_facts': {'xen': {'is_dom0': True, 'version': None, 'cmdline': [],
                                                       'controls': results}}}
    report = build([host('dom0', reg)])
    validate(report)
    assert [(r['id'], r['status'], r['detail']) for r in report['hosts'][0]['results']] == \
        [(r['id'], r['status'], r['detail']) for r in results]


def test_facts_that_could_not_be_read_are_shown_with_the_host():
    reg = registered({'XG-FLASK-01': 'unknown'})
    reg['ansible_facts']['xen']['errors'] = {'flask': 'xl getenforce failed (exit 1): <permission denied>'}
    report = build([host('h', reg), host('ok', registered())])
    validate(report)
    assert report['hosts'][0]['fact_errors'] == {'flask': 'xl getenforce failed (exit 1): <permission denied>'}
    assert report['hosts'][1]['fact_errors'] == {}
    page = rp.to_html(report)
    assert '<b>flask</b>: xl getenforce failed (exit 1): &lt;permission denied&gt;' in page
    assert page.count('Facts that could not be read') == 1


def test_optional_problem_and_reference_fields_are_kept_and_shown():
    extra = {'XG-IOMMU-01': {'problem': 'iommu_disabled_in_firmware',
                             'reference': 'xen-command-line: iommu'}}
    report = build([host('h', registered({'XG-IOMMU-01': 'fail'}, **extra))])
    validate(report)
    result = result_of(report, 'h', 'XG-IOMMU-01')
    assert result['problem'] == 'iommu_disabled_in_firmware'
    control = [c for c in report['controls'] if c['id'] == 'XG-IOMMU-01'][0]
    # the catalogue's own reference wins over one a result carries
    catalogued = [c for c in CONTROLS if c['id'] == 'XG-IOMMU-01'][0]['reference']
    assert control['reference'] == catalogued
    page = rp.to_html(report)
    assert html.escape(catalogued, quote=True) in page and 'problem: <code>iommu_disabled_in_firmware</code>' in page
    assert ET.fromstring(rp.to_junit(report)).find('.//failure').get('type') == 'iommu_disabled_in_firmware'
    assert 'problem' not in result_of(report, 'h', 'XG-IOMMU-02')


# ---------------------------------------------------------------------------------------------
# waivers

def test_a_waiver_shows_a_failing_control_as_waived_until_it_expires():
    waivers = [{'control': 'XG-IOMMU-01', 'reason': 'old board, replaced in Q1', 'expires': '2027-01-31'},
               {'control': 'XG-XEN-01', 'reason': 'SMT needed for the build farm', 'expires': '2026-11-28'},
               {'control': 'XG-IOMMU-02', 'reason': 'fine already', 'expires': datetime.date(2027, 1, 1)},
               {'control': 'XG-XEN-02', 'reason': 'still being measured', 'expires': '2026-11-29'}]
    reg = registered({'XG-IOMMU-01': 'fail', 'XG-XEN-01': 'fail', 'XG-XEN-02': 'unknown'})
    report = build([host('h', reg, waivers)])
    validate(report)
    waived = result_of(report, 'h', 'XG-IOMMU-01')
    assert waived['status'] == 'waived' and waived['audit_status'] == 'fail'
    assert waived['waiver'] == {'reason': 'old board, replaced in Q1', 'expires': '2027-01-31', 'expired': False}
    expired = result_of(report, 'h', 'XG-XEN-01')
    assert expired['status'] == 'fail' and expired['waiver']['expired'] is True
    # a waiver on a control that passes changes nothing; one expiring today still holds today
    assert result_of(report, 'h', 'XG-IOMMU-02')['status'] == 'pass'
    assert result_of(report, 'h', 'XG-XEN-02')['status'] == 'waived'
    assert report['hosts'][0]['summary']['waived'] == 2 and report['hosts'][0]['summary']['fail'] == 1
    assert report['problems'] == []
    # the expired waiver is a failure in JUnit too, and says so
    junit = ET.fromstring(rp.to_junit(report))
    failures = junit.findall('.//failure')
    assert len(failures) == 1 and 'waiver expired on 2026-11-28' in failures[0].text
    assert junit.get('skipped') == '2'


@pytest.mark.parametrize('waivers, control, expected', [
    ([{'control': 'XG-NOPE-99', 'reason': 'r', 'expires': '2027-01-31'}], 'XG-NOPE-99',
     'waiver #1 names the unknown control XG-NOPE-99: no control of the catalogue has this id'),
    ([{'control': 'XG-IOMMU-01', 'reason': 'r', 'expires': 'next spring'}], 'XG-IOMMU-01',
     "expires 'next spring' is not a date; write it as YYYY-MM-DD"),
    ([{'control': 'XG-IOMMU-01', 'reason': 'r', 'expires': '2027-02-30'}], 'XG-IOMMU-01',
     "expires '2027-02-30' is not a date"),
    ([{'control': 'XG-IOMMU-01', 'reason': 'r', 'expires': 20270131}], 'XG-IOMMU-01',
     'expires 20270131 is not a date'),
    ([{'control': 'XG-IOMMU-01', 'reason': 'r'}], 'XG-IOMMU-01', 'expires None is not a date'),
    ([{'control': 'XG-IOMMU-01', 'reason': ' ', 'expires': '2027-01-31'}], 'XG-IOMMU-01', 'has no reason'),
    ([{'reason': 'r', 'expires': '2027-01-31'}], None, 'waiver #1 has no control'),
    ([{'control': 'XG-IOMMU-01', 'reason': 'r', 'expires': '2027-01-31', 'until': 'x'}], 'XG-IOMMU-01',
     'unknown keys until'),
    (['XG-IOMMU-01'], None, 'waiver #1 is not a mapping'),
    ({'control': 'XG-IOMMU-01'}, None, 'xenguard_waivers is a dict, not a list'),
])
def test_a_bad_waiver_is_a_clear_problem_and_the_control_keeps_its_status(waivers, control, expected):
    reg = registered({'XG-IOMMU-01': 'fail'})
    report = build([host('h', reg, waivers), host('other', registered())])
    validate(report)
    assert len(report['problems']) == 1
    problem = report['problems'][0]
    assert problem['host'] == 'h' and problem['control'] == control
    assert expected in problem['message'], problem['message']
    assert result_of(report, 'h', 'XG-IOMMU-01')['status'] == 'fail'
    assert 'waiver' not in result_of(report, 'h', 'XG-IOMMU-01')
    # the rest of the report is there: the other host, the HTML with the problem in it
    assert result_of(report, 'other', 'XG-IOMMU-01')['status'] == 'pass'
    page = rp.to_html(report)
    assert rp.esc(problem['message']) in page and 'id="matrix"' in page


def test_a_second_waiver_for_the_same_control_is_a_problem_and_the_first_applies():
    waivers = [{'control': 'XG-IOMMU-01', 'reason': 'first', 'expires': '2027-01-31'},
               {'control': 'XG-IOMMU-01', 'reason': 'second', 'expires': '2028-01-31'}]
    report = build([host('h', registered({'XG-IOMMU-01': 'fail'}), waivers)])
    assert messages(report) == ['waiver #2 waives XG-IOMMU-01 a second time: only the first waiver for it applies']
    assert result_of(report, 'h', 'XG-IOMMU-01')['waiver']['reason'] == 'first'


def test_waivers_of_a_host_that_is_not_audited_are_still_checked():
    report = build([host('gone', UNREACHABLE, [{'control': 'XG-BAD', 'reason': 'r', 'expires': '2027-01-01'}])])
    assert report['problems'][0]['host'] == 'gone' and 'unknown control XG-BAD' in report['problems'][0]['message']


# ---------------------------------------------------------------------------------------------
# hosts and inputs that give no results

def test_no_hosts_at_all_says_so_and_still_renders():
    report = build([])
    validate(report)
    assert messages(report) == ['no hosts were audited: the host pattern matched no host of the inventory '
                                '(set xenguard_hosts, or put the Xen hosts in the group xen_hosts)']
    assert report['totals']['hosts'] == 0
    junit = ET.fromstring(rp.to_junit(report))
    assert junit.get('tests') == '0' and junit.findall('testsuite') == []
    page = rp.to_html(report)
    assert 'no hosts were audited' in page and '<tbody></tbody>' in page.replace('\n', '')


def test_a_fleet_without_any_dom0_says_so():
    report = build([host('a', NOT_DOM0), host('b', UNREACHABLE)])
    validate(report)
    assert messages(report) == ['no Xen dom0 among the 2 host(s): none could be audited']
    junit = ET.fromstring(rp.to_junit(report))
    errors = junit.findall('.//error')
    assert [e.get('type') for e in errors] == ['not_dom0', 'unreachable']
    assert errors[0].get('message').startswith('not a Xen dom0: not running on the Xen hypervisor')
    page = rp.to_html(report)
    assert 'not a Xen dom0: not running on the Xen hypervisor (/proc/xen/capabilities does not exist)' in page


def test_a_result_with_a_status_the_report_does_not_know_counts_as_unknown():
    reg = registered({'XG-IOMMU-01': 'maybe'})
    report = build([host('h', reg)])
    validate(report)
    assert result_of(report, 'h', 'XG-IOMMU-01')['status'] == 'unknown'
    assert messages(report) == ["status 'maybe' is not one of pass, fail, unknown, not_applicable: counted as unknown"]


def test_a_control_the_catalogue_does_not_know_is_reported_with_a_problem():
    reg = registered()
    reg['ansible_facts']['xen']['controls'].append({'id': 'XG-NEW-01', 'status': 'fail', 'detail': 'd'})
    reg['ansible_facts']['xen']['controls'].append({'status': 'fail'})
    reg['ansible_facts']['xen']['controls'].append({'id': 'XG-IOMMU-01', 'status': 'fail', 'detail': 'again'})
    reg['ansible_facts']['xen']['version'] = 4.17
    report = build([host('h', reg)])
    validate(report)
    assert report['controls'][-1]['id'] == 'XG-NEW-01'
    assert len(report['problems']) == 3
    assert messages(report)[0].startswith('a control result without an id was left out')
    assert messages(report)[1] == 'control XG-IOMMU-01 has a second result on this host: only the first counts'
    assert 'control XG-NEW-01 is not in this collection\'s catalogue' in messages(report)[2]
    assert result_of(report, 'h', 'XG-IOMMU-01')['status'] == 'pass'
    assert report['hosts'][0]['summary']['pass'] == len(CONTROLS) and report['hosts'][0]['xen_version'] == '4.17'


def test_a_host_named_twice_is_reported_once():
    report = build([host('h', registered()), host('h', NOT_DOM0)])
    assert [h['name'] for h in report['hosts']] == ['h'] and report['hosts'][0]['state'] == 'audited'


def test_today_must_be_a_date():
    with pytest.raises(rp.ReportError, match='today must be a date'):
        build([], today='2026-11-29')


# ---------------------------------------------------------------------------------------------
# the previous report

@pytest.mark.parametrize('previous, expected', [
    ('{"schema_version": 0, "hosts": []}', 'the previous report.json has schema_version 0; this collection '
                                           'reads version 1: no comparison with the last run'),
    ('{"hosts": []}', 'the previous report.json has no schema_version'),
    ('{"schema_version": 1, "hosts": "h"}', 'the previous report.json has no list of hosts'),
    ('<html>', 'the previous report.json is not JSON'),
    ('[1, 2]', 'the previous report.json has no schema_version'),
])
def test_a_previous_report_of_another_schema_is_not_compared_and_says_why(previous, expected):
    report = build([host('h', registered())], previous=previous)
    validate(report)
    assert report['changes'] is None
    assert len(report['problems']) == 1 and report['problems'][0]['message'].startswith(expected)
    assert 'No previous report to compare with' in rp.to_html(report)


def test_the_difference_to_the_previous_report():
    before = build([host('a', registered({'XG-IOMMU-01': 'fail', 'XG-XEN-01': 'fail'})),
                    host('b', registered()), host('c', UNREACHABLE), host('gone-now', registered())])
    after = build([host('a', registered({'XG-IOMMU-01': 'pass', 'XG-XEN-01': 'fail', 'XG-XEN-02': 'unknown'})),
                   host('b', UNREACHABLE), host('c', registered()), host('new', registered())],
                  previous=rp.to_json(before))
    validate(after)
    changes = after['changes']
    assert changes['previous_generated_at'] == '2026-11-29T01:00:00Z'
    assert changes['better'] == [{'host': 'a', 'control': 'XG-IOMMU-01', 'from': 'fail', 'to': 'pass'},
                                 {'host': 'c', 'control': None, 'from': 'unreachable', 'to': 'audited'}]
    assert changes['worse'] == [{'host': 'a', 'control': 'XG-XEN-02', 'from': 'pass', 'to': 'unknown'},
                                {'host': 'b', 'control': None, 'from': 'audited', 'to': 'unreachable'}]
    assert changes['hosts_added'] == ['new'] and changes['hosts_removed'] == ['gone-now']
    page = rp.to_html(after)
    assert 'Worse (2)' in page and 'Better (2)' in page and 'New hosts: new' in page


def test_fingerprint_ignores_when_the_report_was_made_only():
    one = build([host('h', registered())])
    two = rp.build_report([host('h', registered())], CONTROLS, TODAY + datetime.timedelta(days=1),
                          '2027-01-01T00:00:00Z', previous=rp.to_json(one))
    assert rp.fingerprint(one) == rp.fingerprint(two)
    three = build([host('h', registered({'XG-IOMMU-01': 'fail'}))])
    assert rp.fingerprint(one) != rp.fingerprint(three)
    assert rp.fingerprint('not a report') is None


# ---------------------------------------------------------------------------------------------
# JUnit and HTML: counts and escaping

def test_junit_has_one_test_case_per_host_and_control():
    reg = registered({'XG-IOMMU-01': 'fail', 'XG-XEN-01': 'unknown', 'XG-NET-01': 'not_applicable',
                      'XG-XEN-02': 'fail'})
    report = build([host('h', reg, [{'control': 'XG-XEN-02', 'reason': 'r', 'expires': '2027-01-01'}]),
                    host('x', NOT_DOM0)])
    junit = ET.fromstring(rp.to_junit(report))
    suites = junit.findall('testsuite')
    assert [s.get('name') for s in suites] == ['h', 'x']
    cases = suites[0].findall('testcase')
    assert len(cases) == len(CONTROLS)
    assert cases[0].get('name') == 'XG-IOMMU-01 An IOMMU is present and enabled'
    assert cases[0].find('failure').text.startswith('evidence: xl dmesg says so\nremediation: Enable VT-d')
    assert (junit.get('tests'), junit.get('failures'), junit.get('errors'), junit.get('skipped')) == \
        (str(len(CONTROLS) + 1), '1', '2', '2')
    assert (suites[0].get('failures'), suites[0].get('errors'), suites[0].get('skipped')) == ('1', '1', '2')


def test_hostile_names_and_evidence_are_escaped_everywhere():
    name = u'web<1>&"x\'' + HOSTILE
    reg = registered({'XG-IOMMU-01': 'fail'}, detail=HOSTILE)
    waivers = [{'control': 'XG-IOMMU-01', 'reason': HOSTILE, 'expires': '2027-01-01'},
               {'control': HOSTILE, 'reason': 'r', 'expires': '2027-01-01'}]
    report = build([host(name, reg, waivers), host(HOSTILE, dict(UNREACHABLE, msg=HOSTILE))],
                   previous='{"schema_version": 1, "generated_at": "%s", "hosts": []}' % '<b>&'.replace('"', ''))
    validate(report)
    # JSON round trip keeps the text as it was
    assert json.loads(rp.to_json(report))['hosts'][0]['name'] == name
    # JUnit: well formed, the attribute and text values come back (control characters replaced)
    junit = ET.fromstring(rp.to_junit(report).encode('utf-8'))
    suites = junit.findall('testsuite')
    clean = HOSTILE.replace('\x00', u'\ufffd').replace('\x1b', u'\ufffd')
    assert suites[0].get('name') == name.replace('\x00', u'\ufffd').replace('\x1b', u'\ufffd')
    assert suites[1].find('.//error').get('message') == 'unreachable: ' + clean
    assert suites[0].find('.//skipped').get('message').startswith('waived until 2027-01-01: ' + clean)
    # HTML: no markup of ours broken, exactly our one script, the hostile text only escaped
    page = rp.to_html(report)
    parsed = parse_html(page)
    assert parsed.tags.get('script') == 1
    assert '<script>alert' not in page and '</script> &' not in page
    assert '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;' in page
    assert 'alert' not in ''.join(parsed.script)
    assert parsed.tags.get('table') == 3  # the matrix, one host's evidence, the controls


# (make mutation MUTATE=report: each of these was a surviving mutant)

GOOD = {'control': 'XG-IOMMU-01', 'reason': 'no IOMMU on this board', 'expires': '2027-01-31'}
KNOWN = set(c['id'] for c in CONTROLS)


@pytest.mark.parametrize('bad,control,message', [
    ('XG-IOMMU-01', None, 'waiver #1 is not a mapping {control, reason, expires}: ignored'),
    ({'reason': 'r'}, None, 'waiver #1 has no control: give the control id, e.g. XG-XEN-01'),
    ({'control': '', 'reason': 'r'}, None, 'waiver #1 has no control: give the control id, e.g. XG-XEN-01'),
    ({'control': 'XG-NOPE-99'}, 'XG-NOPE-99', 'waiver #1 names the unknown control XG-NOPE-99: no control of the '
                                              'catalogue has this id (see docs/controls.md); the waiver is ignored'),
    (dict(GOOD, control='XG-XEN-01', until='x', by='me'), 'XG-XEN-01',
     'waiver #1 has unknown keys by, until (only control, reason, expires): the waiver is ignored'),
    ({'control': 'XG-XEN-01', 'reason': ' '}, 'XG-XEN-01',
     'waiver #1 for XG-XEN-01 has no reason: say why the control is waived; the waiver is ignored'),
    ({'control': 'XG-XEN-01', 'reason': 'r', 'expires': 'soon'}, 'XG-XEN-01',
     "waiver #1 for XG-XEN-01: expires 'soon' is not a date; write it as YYYY-MM-DD (e.g. 2027-01-31); the "
     "waiver is ignored"),
])
def test_a_bad_waiver_does_not_stop_the_ones_after_it(bad, control, message):
    found, problems = rp.parse_waivers('h', [bad, GOOD], KNOWN)
    assert problems == [{'host': 'h', 'control': control, 'message': message}]
    assert found == {'XG-IOMMU-01': {'reason': 'no IOMMU on this board', 'expires': '2027-01-31'}}


@pytest.mark.parametrize('waivers,kind', [
    ({'control': 'x'}, 'a dict'), (True, 'a boolean ("True")'), (3, 'a number ("3")'),
    ('XG-XEN-01', 'text ("XG-XEN-01")'), (datetime.date(2027, 1, 31), 'a date ("2027-01-31")'),
    (set(), 'a set'),
])
def test_waivers_that_are_not_a_list_say_what_they_are(waivers, kind):
    found, problems = rp.parse_waivers('h', waivers, KNOWN)
    assert found == {} and problems == [{'host': 'h', 'control': None, 'message': (
        'xenguard_waivers is %s, not a list of {control, reason, expires}: no waiver of this host applies' % kind)}]


@pytest.mark.parametrize('reg,state,message', [
    (None, 'not_audited', 'the host did not run the audit (not in the play, or the play stopped before it)'),
    ({'unreachable': True}, 'unreachable', 'unreachable: no message'),
    ({'failed': True, 'ansible_facts': {'xen': {'is_dom0': True}}}, 'failed', 'xen_facts failed: it returned no facts'),
    ({'ansible_facts': {}}, 'failed', 'xen_facts failed: it returned no facts'),
    ({'ansible_facts': {'xen': {'is_dom0': False}}}, 'not_dom0', 'not a Xen dom0: no reason given'),
])
def test_host_states_and_their_messages(reg, state, message):
    report = build([host('h', reg), host('ok', registered())])
    got = [h for h in report['hosts'] if h['name'] == 'h'][0]
    assert (got['state'], got['message']) == (state, message)
    audited = [h for h in report['hosts'] if h['name'] == 'ok'][0]
    assert (audited['state'], audited['message']) == ('audited', '')


# ---------------------------------------------------------------------------------------------
# what the report promises in docs/report.md, pinned field by field

def test_the_action_arguments_and_their_defaults():
    """The arguments of xen_report (the action and its doc module share ARGUMENT_SPEC): hosts is a required
    list of names, the rest default as docs/modules/xen_report.md says."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    validator = ArgumentSpecValidator(rp.ARGUMENT_SPEC)
    result = validator.validate({'hosts': ['xen01', 7]})
    assert result.error_messages == []
    assert result.validated_parameters == {'hosts': ['xen01', '7'], 'dest': 'xenguard-report',
                                           'result_var': 'xenguard_audit', 'waivers_var': 'xenguard_waivers',
                                           'today': None}
    # dest is a path: ~ is the controller user's home
    # today is text (an unquoted YAML number such as 20261130 arrives as text, for the action to refuse)
    result = validator.validate({'hosts': [], 'dest': '~/reports', 'today': 20261130})
    assert result.validated_parameters['dest'] == os.path.expanduser('~/reports')
    assert result.validated_parameters['today'] == '20261130'
    assert validator.validate({}).error_messages == ['missing required arguments: hosts']
    assert sorted(rp.ARGUMENT_SPEC) == ['dest', 'hosts', 'result_var', 'today', 'waivers_var']


def test_the_report_names_its_generator_and_every_catalogue_field():
    report = build([host('a', registered())])
    assert (report['schema_version'], report['generator']) == (1, 'xenguard.hardening.xen_report')
    # docs/report.md: controls[] carry id, title, section, severity, role, reboot, remediation, reference
    fields = ('id', 'title', 'section', 'severity', 'role', 'reboot', 'remediation', 'reference')
    for shown, control in zip(report['controls'], CONTROLS):
        assert shown == dict((f, control[f]) for f in fields if f in control)
        assert set(shown) >= {'role', 'reboot'}


# docs/report.md: "The order is fail < unknown < waived < pass / not applicable."
ORDER = ['fail', 'unknown', 'waived', 'pass', 'not_applicable']
RANK = {'fail': 0, 'unknown': 1, 'waived': 2, 'pass': 3, 'not_applicable': 3}


def _one_control_change(was, now):
    reg_before = registered({'XG-IOMMU-01': was if was != 'waived' else 'fail'})
    reg_after = registered({'XG-IOMMU-01': now if now != 'waived' else 'fail'})
    waiver = [{'control': 'XG-IOMMU-01', 'reason': 'r', 'expires': '2099-01-01'}]
    before = build([host('h', reg_before, waiver if was == 'waived' else None)])
    assert result_of(before, 'h', 'XG-IOMMU-01')['status'] == was
    after = build([host('h', reg_after, waiver if now == 'waived' else None)], previous=rp.to_json(before))
    assert result_of(after, 'h', 'XG-IOMMU-01')['status'] == now
    return after['changes']


@pytest.mark.parametrize('was', ORDER)
@pytest.mark.parametrize('now', ORDER)
def test_every_status_change_is_better_worse_or_neither_in_the_documented_order(was, now):
    changes = _one_control_change(was, now)
    moved = [(key, c) for key in ('better', 'worse', 'other') for c in changes[key]]
    if was == now:
        assert moved == []
        return
    expected = 'better' if RANK[now] > RANK[was] else 'worse' if RANK[now] < RANK[was] else 'other'
    assert moved == [(expected, {'host': 'h', 'control': 'XG-IOMMU-01', 'from': was, 'to': now})]


STATES = {'audited': registered(), 'not_dom0': NOT_DOM0, 'unreachable': UNREACHABLE, 'failed': FAILED,
          'not_audited': None}


@pytest.mark.parametrize('was', sorted(STATES))
@pytest.mark.parametrize('now', sorted(STATES))
def test_a_host_that_can_be_audited_again_is_better_and_one_that_cannot_is_worse(was, now):
    """A host's state: audited is better than every state without results; between those, a change is
    neither better nor worse."""
    before = build([host('h', STATES[was])])
    after = build([host('h', STATES[now])], previous=rp.to_json(before))
    assert after['hosts'][0]['state'] == now
    moved = [(key, c) for key in ('better', 'worse', 'other') for c in after['changes'][key]]
    if was == now:
        assert moved == []
        return
    expected = 'better' if now == 'audited' else 'worse' if was == 'audited' else 'other'
    assert moved == [(expected, {'host': 'h', 'control': None, 'from': was, 'to': now})]


def test_a_status_or_state_the_report_does_not_know_in_the_previous_report():
    """A previous report written by another version may hold words this one does not know: an unknown
    status ranks as unknown, an unknown host state as one without results."""
    before = json.loads(rp.to_json(build([host('h', registered({'XG-IOMMU-01': 'fail', 'XG-XEN-01': 'pass'}))])))
    before['hosts'][0]['state'] = 'rebooting'
    for result in before['hosts'][0]['results']:
        if result['id'] in ('XG-IOMMU-01', 'XG-XEN-01'):
            result['status'] = 'skipped'
    after = build([host('h', registered({'XG-IOMMU-01': 'unknown', 'XG-XEN-01': 'fail'}))], previous=before)
    changes = after['changes']
    assert changes['better'] == [{'host': 'h', 'control': None, 'from': 'rebooting', 'to': 'audited'}]
    assert changes['worse'] == [{'host': 'h', 'control': 'XG-XEN-01', 'from': 'skipped', 'to': 'fail'}]
    assert changes['other'] == [{'host': 'h', 'control': 'XG-IOMMU-01', 'from': 'skipped', 'to': 'unknown'}]


def test_a_waiver_after_a_repeated_one_still_applies():
    waivers = [{'control': 'XG-IOMMU-01', 'reason': 'first', 'expires': '2027-01-31'},
               {'control': 'XG-IOMMU-01', 'reason': 'second', 'expires': '2028-01-31'},
               {'control': 'XG-XEN-01', 'reason': 'third', 'expires': '2027-06-30'}]
    report = build([host('h', registered({'XG-IOMMU-01': 'fail', 'XG-XEN-01': 'fail'}), waivers)])
    assert result_of(report, 'h', 'XG-XEN-01')['status'] == 'waived'
    assert result_of(report, 'h', 'XG-XEN-01')['waiver'] == {'reason': 'third', 'expires': '2027-06-30', 'expired': False}


def test_controls_after_a_result_without_an_id_still_count():
    reg = registered()
    reg['ansible_facts']['xen']['controls'].insert(0, {'status': 'fail'})
    report = build([host('h', reg)])
    assert messages(report) == ["a control result without an id was left out: {'status': 'fail'}"]
    assert report['hosts'][0]['summary']['pass'] == len(CONTROLS)


def test_the_command_line_is_shown_for_audited_hosts_only():
    """A host that is no dom0 may still report a command line in its facts; the report shows none."""
    not_dom0 = {'changed': False, 'ansible_facts': {'xen': dict(NOT_DOM0['ansible_facts']['xen'], cmdline=['quiet'])}}
    report = build([host('a', registered()), host('n', not_dom0), host('u', UNREACHABLE)])
    assert [(h['name'], h['state'], h['cmdline']) for h in report['hosts']] == [
        ('a', 'audited', 'console=com1 iommu=1'), ('n', 'not_dom0', ''), ('u', 'unreachable', '')]
