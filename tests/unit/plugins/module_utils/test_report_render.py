# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a reader of the fleet report sees, pinned to the exact text: the JUnit XML's counts,
test case names and messages, the HTML page's sections (totals, problems, the matrix, the changes,
each host's evidence, the controls table), and the control list and totals behind them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import xml.etree.ElementTree as ET

from ansible_collections.xenguard.hardening.plugins.module_utils import report as rp
from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
from ansible_collections.xenguard.hardening.tests.unit.plugins.module_utils.test_report import (
    NOT_DOM0, TODAY, UNREACHABLE, build, host, registered, result_of)

TITLE = dict((control['id'], control['title']) for control in CONTROLS)
DETAIL = 'evidence: xl dmesg says so'
NEW_CONTROL = {'id': 'XG-NEW-01', 'status': 'fail', 'detail': 'from a newer xen_facts'}


def mixed_report():
    """A dom0 with two failures, an unknown, a not applicable and a waived control, and a host that
    is not a dom0."""
    reg = registered({'XG-IOMMU-01': 'fail', 'XG-IOMMU-02': 'fail', 'XG-XEN-01': 'unknown',
                      'XG-NET-01': 'not_applicable', 'XG-XEN-02': 'unknown'})
    waivers = [{'control': 'XG-XEN-02', 'reason': 'still measuring', 'expires': '2027-01-01'}]
    return build([host('h', reg, waivers), host('x', NOT_DOM0)])


def with_new_control(reference=None):
    """A dom0 that also reports a control this collection's catalogue does not have."""
    reg = registered()
    extra = dict(NEW_CONTROL, reference=reference) if reference else dict(NEW_CONTROL)
    reg['ansible_facts']['xen']['controls'].append(extra)
    return build([host('h', reg)])


def section(page, start, end):
    """The part of the page from ``start`` up to (not including) the next ``end``."""
    begin = page.index(start)
    return page[begin:page.index(end, begin)]


# ---------------------------------------------------------------------------------------------
# JUnit XML

def test_junit_counts_per_suite_and_in_total():
    """Each failure, unknown (error), not applicable and waived (skipped) control is counted once, per
    host and over the fleet; a host that could not be audited is one test with an error."""
    junit = ET.fromstring(rp.to_junit(mixed_report()))
    counts = ('tests', 'failures', 'errors', 'skipped')
    n = len(CONTROLS)
    assert [junit.get(key) for key in counts] == [str(n + 1), '2', '2', '2']
    suites = junit.findall('testsuite')
    assert [[suite.get(key) for key in ('name',) + counts] for suite in suites] == [
        ['h', str(n), '2', '1', '2'], ['x', '1', '0', '1', '0']]


def test_junit_test_cases_name_the_control_and_say_why():
    """docs/report.md: classname xenguard.<host>, name "<id> <title>"; fail is a <failure> of type fail
    with the evidence, unknown an <error type="unknown">, not applicable and waived a <skipped> with the
    reason, pass the evidence in <system-out>."""
    junit = ET.fromstring(rp.to_junit(mixed_report()))
    cases = dict((case.get('name'), case) for case in junit.findall('testsuite')[0].findall('testcase'))
    assert sorted(cases) == sorted('%s %s' % (cid, TITLE[cid]) for cid in TITLE)
    assert set(case.get('classname') for case in cases.values()) == {'xenguard.h'}

    def only_child(cid):
        case = cases['%s %s' % (cid, TITLE[cid])]
        children = list(case)
        assert len(children) == 1 and case.text is None and children[0].tail is None
        return children[0]

    failure = only_child('XG-IOMMU-01')
    assert (failure.tag, failure.get('type'), failure.get('message')) == ('failure', 'fail', DETAIL)
    error = only_child('XG-XEN-01')
    assert (error.tag, error.attrib, error.text) == ('error', {'type': 'unknown', 'message': DETAIL}, None)
    skipped = only_child('XG-NET-01')
    assert (skipped.tag, skipped.attrib) == ('skipped', {'message': 'not applicable: ' + DETAIL})
    waived = only_child('XG-XEN-02')
    assert (waived.tag, waived.attrib) == ('skipped', {'message': 'waived until 2027-01-01: still measuring (%s)' % DETAIL})
    passed = only_child('XG-IOMMU-03')
    assert (passed.tag, passed.text) == ('system-out', DETAIL)
    audit = junit.findall('testsuite')[1].findall('testcase')
    assert [(case.get('classname'), case.get('name')) for case in audit] == [('xenguard.x', 'audit')]
    assert audit[0].find('error').attrib == {
        'type': 'not_dom0',
        'message': 'not a Xen dom0: not running on the Xen hypervisor (/proc/xen/capabilities does not exist)'}


def test_junit_unknown_is_one_empty_error_element_in_the_raw_text():
    """The unknown control's test case holds exactly one self-closed <error>, nothing around it."""
    raw = rp.to_junit(mixed_report())
    line = '  <testcase classname="xenguard.h" name="XG-XEN-01 %s"><error type="unknown" message="%s"/></testcase>' % (
        rp.xml_attr(TITLE['XG-XEN-01']), DETAIL)
    assert line in raw.splitlines()


def test_xml_attr_escapes_quotes_and_whitespace_that_attributes_would_lose():
    """Attribute values: markup characters, both quotes, and newline, CR and tab as character references
    (a parser would normalise them to spaces otherwise)."""
    assert rp.xml_attr(u'a"b\'c\nd\re\tf<g>&h') == u'a&quot;b&apos;c&#10;d&#13;e&#9;f&lt;g&gt;&amp;h'
    assert rp.xml_text(u'x\ny\tz"\'') == u'x\ny\tz"\''


def test_multi_line_evidence_keeps_its_line_breaks_in_junit_attributes():
    """A parser reads back the evidence as it was, line breaks and tabs included."""
    detail = 'line one\n\tline two\r\nend'
    report = build([host('h', registered({'XG-XEN-01': 'unknown', 'XG-NET-01': 'not_applicable'}, detail=detail))])
    junit = ET.fromstring(rp.to_junit(report))
    assert junit.find('.//error').get('message') == detail
    assert junit.find('.//skipped').get('message') == 'not applicable: ' + detail


# ---------------------------------------------------------------------------------------------
# the control list and the totals behind the report

def test_a_control_the_catalogue_does_not_know_gets_placeholder_fields():
    """A result for a control outside the catalogue is listed (last) with a title that says so and
    empty section, severity and remediation."""
    report = with_new_control()
    assert report['controls'][-1] == {'id': 'XG-NEW-01', 'title': "(not in this collection's catalogue)",
                                      'section': '', 'severity': '', 'remediation': ''}
    assert report['controls'][:-1] == rp.catalogue_controls(CONTROLS)


def test_a_reference_given_only_by_a_result_is_copied_to_the_control():
    report = with_new_control(reference='xen-command-line.pandoc: ### new')
    assert report['controls'][-1]['reference'] == 'xen-command-line.pandoc: ### new'
    assert result_of(report, 'h', 'XG-NEW-01')['reference'] == 'xen-command-line.pandoc: ### new'


def test_compliant_hosts_are_audited_hosts_without_fail_or_unknown():
    """docs/report.md: compliant is no failed and no unknown control; a waived control counts as met."""
    waiver = [{'control': 'XG-XEN-01', 'reason': 'r', 'expires': '2099-01-01'}]
    report = build([host('a', registered()), host('b', registered({'XG-XEN-01': 'fail'}), waiver),
                    host('c', registered({'XG-XEN-01': 'fail'})), host('d', registered({'XG-XEN-01': 'unknown'})),
                    host('e', registered(default='not_applicable')), host('f', UNREACHABLE)])
    assert report['totals']['compliant_hosts'] == 3
    assert u'<div class="tot">compliant<b id="t-compliant">3</b></div>' in rp.to_html(report).split('\n')


def test_a_host_named_twice_does_not_hide_the_hosts_after_it():
    report = build([host('h', registered()), host('h', NOT_DOM0), host('k', UNREACHABLE)])
    assert [(h['name'], h['state']) for h in report['hosts']] == [('h', 'audited'), ('k', 'unreachable')]


# ---------------------------------------------------------------------------------------------
# the HTML page

def test_the_page_head_names_the_generator_the_time_and_the_schema():
    page = rp.to_html(build([host('h', registered())]))
    assert (u'<h1>Xen fleet report</h1><p class="meta">xenguard.hardening.xen_report &middot; generated '
            u'2026-11-29T01:00:00Z &middot; schema 1</p>') in page.split('\n')
    # the style sheet is CSS only, from its first rule to the last one's brace
    style = section(page, '<style>', '</style>')[len('<style>'):].strip()
    assert (style[:5], style[-1]) == ('body{', '}')


def test_the_totals_boxes_per_host_state_and_per_status():
    """Hosts, compliant hosts, a box per state of hosts that could not be audited (only those that
    occur), and the results per status."""
    report = build([host('a', registered({'XG-XEN-01': 'fail'})), host('b', UNREACHABLE), host('c', UNREACHABLE),
                    host('d', NOT_DOM0)])
    page = rp.to_html(report)
    n = len(CONTROLS)
    assert section(page, '<div class="totals"', '\n</div>').split('\n') == [
        u'<div class="totals" id="totals">',
        u'<div class="tot">hosts<b id="t-hosts">4</b></div>',
        u'<div class="tot">compliant<b id="t-compliant">0</b></div>',
        u'<div class="tot state-bad">not a dom0<b>1</b></div>',
        u'<div class="tot state-bad">unreachable<b>2</b></div>',
        u'<div class="tot pass">pass<b id="t-pass">%d</b></div>' % (n - 1),
        u'<div class="tot fail">fail<b id="t-fail">1</b></div>',
        u'<div class="tot unknown">unknown<b id="t-unknown">0</b></div>',
        u'<div class="tot not_applicable">not applicable<b id="t-not_applicable">0</b></div>',
        u'<div class="tot waived">waived<b id="t-waived">0</b></div>']


def test_problems_name_their_host_and_control_when_they_have_one():
    report = build([host('h', registered()), host('u', UNREACHABLE)])
    report['problems'] = [{'host': 'h', 'control': 'XG-XEN-01', 'message': 'a <bad> waiver'},
                          {'host': 'u', 'control': None, 'message': 'host only'},
                          {'host': None, 'control': None, 'message': 'fleet wide'}]
    lines = rp.to_html(report).split('\n')
    start = lines.index(u'<h2>Problems (3)</h2><ul class="problems" id="problems">')
    assert lines[start + 1:start + 5] == [u'<li><b>h XG-XEN-01</b>: a &lt;bad&gt; waiver</li>',
                                          u'<li><b>u</b>: host only</li>', u'<li>fleet wide</li>', u'</ul>']


def test_the_legend_and_the_filters():
    """The legend shows each status's symbol: ✓ pass, ✗ fail, ? unknown, – not applicable, W waived
    (docs/report.md); the filters are by host, by control and by status."""
    lines = rp.to_html(build([host('h', registered())])).split('\n')
    assert (u'<h2>Hosts &times; controls</h2><p class="legend"><span class="pass">\u2713 pass</span>'
            u'<span class="fail">\u2717 fail</span><span class="unknown">? unknown</span>'
            u'<span class="not_applicable">\u2013 not applicable</span><span class="waived">W waived</span></p>') in lines
    assert (u'<div class="filters"><label>host <input id="f-host" type="search" placeholder="name contains"></label>'
            u'<label>control <input id="f-control" type="search" placeholder="id or title"></label>'
            u'<label>show hosts with <select id="f-status"><option value="">anything</option>'
            u'<option value="pass">pass</option><option value="fail">fail</option><option value="unknown">unknown</option>'
            u'<option value="not_applicable">not applicable</option><option value="waived">waived</option>'
            u'<option value="state-bad">no audit (unreachable, not a dom0)</option></select></label>'
            u'<span id="f-count"></span></div>') in lines


def test_the_matrix_column_heads_and_a_row_of_every_status():
    reg = registered({'XG-IOMMU-01': 'fail', 'XG-IOMMU-02': 'unknown', 'XG-IOMMU-03': 'not_applicable',
                      'XG-IOMMU-04': 'fail'}, detail='seen')
    del reg['ansible_facts']['xen']['controls'][4]  # XG-NET-01: not evaluated on this host
    waiver = [{'control': 'XG-IOMMU-04', 'reason': 'r', 'expires': '2099-01-01'}]
    page = rp.to_html(build([host('h', reg, waiver)]))
    heads = section(page, '<table id="matrix">', '\n</tr></thead>').split('\n')
    assert heads[0] == (u'<table id="matrix"><thead><tr><th class="sortable" data-kind="name">host</th>'
                        u'<th class="sortable" data-kind="num" title="failed controls">fail</th>')
    assert heads[1:3] == [
        u'<th class="c" data-kind="status" data-control="XG-IOMMU-01" title="XG-IOMMU-01 %s">XG-IOMMU-01</th>'
        % TITLE['XG-IOMMU-01'],
        u'<th class="c" data-kind="status" data-control="XG-IOMMU-02" title="XG-IOMMU-02 %s">XG-IOMMU-02</th>'
        % TITLE['XG-IOMMU-02']]
    assert len(heads) == 1 + len(CONTROLS)
    row = section(page, '<tr data-state="audited">', '<td class="s pass" data-s="pass" title="XG-NET-02')
    assert row == (u'<tr data-state="audited"><td data-v="h"><a href="#h0">h</a></td><td data-v="1">1</td>'
                   u'<td class="s fail" data-s="fail" title="XG-IOMMU-01 fail: seen">\u2717</td>'
                   u'<td class="s unknown" data-s="unknown" title="XG-IOMMU-02 unknown: seen">?</td>'
                   u'<td class="s not_applicable" data-s="not_applicable" title="XG-IOMMU-03 not applicable: seen">\u2013</td>'
                   u'<td class="s waived" data-s="waived" title="XG-IOMMU-04 waived: seen">W</td>'
                   u'<td class="s" data-s="" title="not evaluated on this host"></td>')
    assert u'<td class="s pass" data-s="pass" title="XG-NET-02 pass: seen">\u2713</td>' in page


def test_a_host_that_was_not_audited_spans_the_control_columns_with_its_reason():
    message = 'unreachable: Failed to connect to the host via ssh: Connection refused'
    page = rp.to_html(build([host('u', UNREACHABLE)]))
    assert (u'<tr data-state="unreachable"><td data-v="u"><a href="#h0">u</a></td><td data-v="0">0</td>'
            u'<td class="state-bad" colspan="%d" data-s="">%s</td></tr>' % (len(CONTROLS), message)) in page.split('\n')
    one = rp.build_report([host('u', UNREACHABLE)], CONTROLS[:1], TODAY, '2026-11-29T01:00:00Z')
    assert (u'<tr data-state="unreachable"><td data-v="u"><a href="#h0">u</a></td><td data-v="0">0</td>'
            u'<td class="state-bad" colspan="1" data-s="">%s</td></tr>' % message) in rp.to_html(one).split('\n')
    # and in the hosts section
    assert (u'<details id="h0"><summary><b>u</b> &mdash; unreachable</summary>\n<p>%s</p></details>' % message) in page


def test_since_the_last_report_nothing_changed():
    before = build([host('h', registered())])
    page = rp.to_html(build([host('h', registered())], previous=rp.to_json(before)))
    assert (u'<h2>Since the last report</h2><div id="changes"><p class="meta">Compared with the report of '
            u'2026-11-29T01:00:00Z.</p>\n<p>No change since then.</p></div>') in page


def test_since_the_last_report_new_hosts_and_hosts_no_longer_in_it():
    before = build([host('h', registered()), host('old', registered())])
    page = rp.to_html(build([host('h', registered()), host('new', registered()), host('newer', UNREACHABLE)],
                            previous=rp.to_json(before)))
    assert (u'<div id="changes"><p class="meta">Compared with the report of 2026-11-29T01:00:00Z.</p>\n'
            u'<p>New hosts: new, newer</p>\n<p>Hosts no longer in the report: old</p></div>') in page


def test_a_previous_report_without_a_date_is_compared_with_a_question_mark():
    page = rp.to_html(build([host('h', registered())], previous='{"schema_version": 1, "hosts": []}'))
    assert u'<div id="changes"><p class="meta">Compared with the report of ?.</p>\n<p>New hosts: h</p></div>' in page


def test_a_host_shows_its_xen_version_and_command_line_or_fallbacks():
    bare = registered()
    bare['ansible_facts']['xen'].update(version=None, cmdline=[])
    lines = rp.to_html(build([host('a', registered()), host('b', bare)])).split('\n')
    assert u'<p>Xen 4.17.6; booted Xen command line: <code>console=com1 iommu=1</code></p>' in lines
    assert u'<p>Xen ?; booted Xen command line: <code>(empty)</code></p>' in lines


def test_facts_that_could_not_be_read_are_listed_in_order():
    reg = registered()
    reg['ansible_facts']['xen']['errors'] = {'flask': 'xl getenforce failed', 'dmesg': 'xl dmesg <denied>'}
    lines = rp.to_html(build([host('h', reg)])).split('\n')
    assert (u'<p class="problems">Facts that could not be read (the controls that need them say unknown): '
            u'<b>dmesg</b>: xl dmesg &lt;denied&gt;; <b>flask</b>: xl getenforce failed</p>') in lines


def test_a_host_table_shows_the_waiver_and_whether_it_expired():
    waivers = [{'control': 'XG-IOMMU-01', 'reason': 'old board', 'expires': '2027-01-31'},
               {'control': 'XG-XEN-01', 'reason': 'build farm', 'expires': datetime.date(2026, 11, 28)}]
    lines = rp.to_html(build([host('h', registered({'XG-IOMMU-01': 'fail', 'XG-XEN-01': 'fail'}), waivers)])).split('\n')
    assert (u'<tr><td><a href="#c-XG-IOMMU-01">XG-IOMMU-01</a> %s</td><td class="waived">waived</td>'
            u'<td class="detail">%s<br><i>waiver until 2027-01-31: old board</i></td></tr>' % (TITLE['XG-IOMMU-01'], DETAIL)) in lines
    assert (u'<tr><td><a href="#c-XG-XEN-01">XG-XEN-01</a> %s</td><td class="fail">fail</td>'
            u'<td class="detail">%s<br><i>waiver EXPIRED until 2026-11-28: build farm</i></td></tr>'
            % (TITLE['XG-XEN-01'], DETAIL)) in lines


def test_the_controls_table_shows_how_the_fleet_fares_and_the_remediation():
    report = build([host('a', registered({'XG-IOMMU-01': 'fail'})), host('b', registered()), host('c', registered())])
    lines = rp.to_html(report).split('\n')
    control = CONTROLS[0]
    assert (u'<h2>Controls</h2><table id="controls"><tr><th>control</th><th>severity</th><th>fleet</th>'
            u'<th>Xen documentation</th><th>remediation</th></tr>') in lines
    assert (u'<tr id="c-XG-IOMMU-01"><td><b>XG-IOMMU-01</b> %s<br><small>%s</small></td><td>%s</td>'
            u'<td>1 fail, 2 pass</td><td>%s</td><td class="detail">%s</td></tr>'
            % (rp.esc(control['title']), rp.esc(control['section']), control['severity'], rp.esc(control['reference']),
               rp.esc(control['remediation']))) in lines


def test_a_control_without_a_reference_says_not_given():
    lines = rp.to_html(with_new_control()).split('\n')
    assert (u'<tr id="c-XG-NEW-01"><td><b>XG-NEW-01</b> (not in this collection&#x27;s catalogue)<br><small></small>'
            u'</td><td></td><td>1 fail</td><td>(not given)</td><td class="detail"></td></tr>') in lines
