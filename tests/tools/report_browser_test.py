# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report page in a real headless browser (make report-browser-test).

Builds a report of a small fleet (dom0s passing, failing, waived and with an expired waiver, one
not a dom0, one unreachable, a host name full of markup, a previous report to compare with), opens
report.html from file:// in Debian's chromium, and checks the DOM after the page's script ran:
the matrix is there with the right cells, the status filter and the host-name filter (set through
the page address, as a link to a filtered view would) hide the right rows, sorting by a control
column orders the rows by status, and the hostile host name stayed text. Saves a screenshot of the
page (build/report-screenshot.png) for the test run to keep.

Run from the collection's copy (make report-browser-test does that)."""

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

from ansible_collections.xenguard.hardening.plugins.module_utils import report as rp
from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS

HOSTILE = '<img src=x onerror=alert(1)>&"evil"'
TODAY = datetime.date(2026, 11, 29)


def dom0(fail=(), unknown=(), na=()):
    controls = []
    for control in CONTROLS:
        cid = control['id']
        status = 'fail' if cid in fail else 'unknown' if cid in unknown else 'not_applicable' if cid in na else 'pass'
        controls.append({'id': cid, 'title': control['title'], 'section': control['section'],
                         'severity': control['severity'], 'role': control['role'], 'reboot': control['reboot'],
                         'status': status, 'detail': '%s on this host: (XEN) evidence line for %s' % (status, cid)})
    return {'changed': False, 'ansible_facts': {'xen': {'is_dom0': True, 'version': '4.17.6',
                                                        'cmdline': ['console=com1', 'iommu=1', 'smt=0'],
                                                        'controls': controls}}}


def fleet(before):
    ids = [control['id'] for control in CONTROLS]
    waiver = [{'control': ids[0], 'reason': 'board replacement ordered', 'expires': '2027-01-31'}]
    expired = [{'control': ids[1], 'reason': 'was to be fixed in October', 'expires': '2026-10-31'}]
    hosts = [
        rp.host_input('xen-a01', dom0()),
        rp.host_input('xen-a02', dom0(fail=ids[:1] if before else ())),
        rp.host_input('xen-b01', dom0(fail=ids[:3], unknown=ids[-1:]), waiver),
        rp.host_input('xen-b02', dom0(fail=ids[1:2], na=ids[4:6]), expired),
        rp.host_input(HOSTILE, dom0(unknown=ids[5:7])),
        rp.host_input('build-box', {'changed': False, 'ansible_facts': {'xen': {
            'is_dom0': False, 'reason': 'not running on the Xen hypervisor (/proc/xen/capabilities does not exist)'}}}),
        rp.host_input('xen-c09', {'unreachable': True, 'msg': 'ssh: connect to host xen-c09 port 22: No route to host'}),
    ]
    if not before:
        hosts[3] = rp.host_input('xen-b02', dom0(fail=ids[1:3], na=ids[4:6]), expired)
    return hosts


class Dom(HTMLParser):
    """The matrix rows (host name, classes, data-state, cell statuses) and a few ids' text."""

    def __init__(self):
        HTMLParser.__init__(self)
        self.rows, self.texts, self.body = [], {}, {}
        self._in_tbody = False
        self._cell = None
        self._row = None
        self._id = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'body':
            self.body = attrs
        if tag == 'table' and attrs.get('id') == 'matrix':
            self._in_matrix = True
        if tag == 'tbody' and getattr(self, '_in_matrix', False):
            self._in_tbody = True
        if self._in_tbody and tag == 'tr':
            self._row = {'classes': (attrs.get('class') or '').split(), 'state': attrs.get('data-state'), 'cells': []}
            self.rows.append(self._row)
        if self._in_tbody and tag == 'td' and self._row is not None:
            self._row['cells'].append({'s': attrs.get('data-s'), 'v': attrs.get('data-v'),
                                       'classes': (attrs.get('class') or '').split()})
        if attrs.get('id') in ('f-count', 't-hosts', 't-fail', 't-waived'):
            self._id = attrs['id']
            self.texts[self._id] = ''
        if tag == 'img' and self._in_tbody:
            raise AssertionError('an <img> element in the matrix: a host name was not escaped')

    def handle_endtag(self, tag):
        if tag == 'tbody':
            self._in_tbody = False
            self._in_matrix = False
        if self._id and tag in ('span', 'b'):
            self._id = None

    def handle_data(self, data):
        if self._id:
            self.texts[self._id] += data


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit('no chromium found: install it (apt-get install chromium) or run make report-browser-test as root')


def run_browser(browser, args, timeout=60):
    profile = tempfile.mkdtemp(prefix='xenguard-chromium-')
    cmd = [browser, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
           '--no-first-run', '--user-data-dir=' + profile, '--virtual-time-budget=5000'] + args
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                              check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0:
        raise AssertionError('chromium failed (exit %d): %s' % (proc.returncode, proc.stderr.decode('utf-8', 'replace')[-2000:]))
    return proc.stdout.decode('utf-8')


def dom(browser, url):
    parsed = Dom()
    parsed.feed(run_browser(browser, ['--dump-dom', url]))
    if parsed.body.get('data-ready') != '1':
        raise AssertionError('the page script did not finish (no data-ready on <body>) for %s' % url)
    return parsed


def visible(rows):
    return [row['cells'][0]['v'] for row in rows if 'hidden' not in row['classes']]


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print('ok   ' + message)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--out', default='build/report-browser', help='where the report is written')
    parser.add_argument('--screenshot', default='build/report-screenshot.png')
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    previous = rp.to_json(rp.build_report(fleet(True), CONTROLS, TODAY, '2026-11-28T06:00:00Z'))
    report = rp.build_report(fleet(False), CONTROLS, TODAY, '2026-11-29T06:00:00Z', previous=previous)
    page = os.path.join(out, 'report.html')
    with open(page, 'w', encoding='utf-8') as handle:
        handle.write(rp.to_html(report))
    url = 'file://' + page
    browser = chromium()
    names = [host['name'] for host in report['hosts']]

    full = dom(browser, url)
    check(visible(full.rows) == names, 'the matrix lists every host in inventory order: %s' % names)
    check(all(len(row['cells']) == 2 + len(CONTROLS) for row in full.rows if row['state'] == 'audited'),
          'each audited host has a cell per control (%d)' % len(CONTROLS))
    b01 = full.rows[names.index('xen-b01')]['cells'][2:]
    check([cell['s'] for cell in b01[:3]] == ['waived', 'fail', 'fail'] and b01[-1]['s'] == 'unknown',
          'xen-b01: first control waived, next two failed, last unknown')
    b02 = full.rows[names.index('xen-b02')]['cells'][2:]
    check(b02[1]['s'] == 'fail', 'xen-b02: the control with an expired waiver is a failure')
    check(full.rows[names.index('build-box')]['cells'][2]['classes'] == ['state-bad'],
          'build-box (not a dom0) has one cell saying why')
    check(full.texts.get('f-count') == '7 of 7 hosts shown', 'the filter count says 7 of 7 (%r)' % full.texts.get('f-count'))
    check(HOSTILE in names, 'the host name with markup is shown as text')

    failing = dom(browser, url + '#?status=fail')
    expected = [report['hosts'][i]['name'] for i in range(len(names)) if report['hosts'][i]['summary']['fail']]
    check(visible(failing.rows) == expected, 'status filter "fail" shows only %s' % expected)
    check(failing.texts.get('f-count') == '%d of 7 hosts shown' % len(expected), 'and the count says so')

    by_name = dom(browser, url + '#?host=xen-b')
    check(visible(by_name.rows) == ['xen-b01', 'xen-b02'], 'host filter "xen-b" shows xen-b01 and xen-b02')

    third = CONTROLS[2]['id']
    ordered = dom(browser, url + '#?sort=' + third)
    statuses = [row['cells'][4]['s'] for row in ordered.rows if row['state'] == 'audited']
    rank = {'fail': 0, 'unknown': 1, 'waived': 2, 'pass': 3, 'not_applicable': 4}
    check(statuses == sorted(statuses, key=lambda s: rank[s]) and statuses[0] == 'fail',
          'sorting by %s puts its failures first: %s' % (third, statuses))

    shot = os.path.abspath(args.screenshot)
    os.makedirs(os.path.dirname(shot), exist_ok=True)
    if os.path.exists(shot):
        os.unlink(shot)
    run_browser(browser, ['--screenshot=' + shot, '--window-size=1400,1100', '--hide-scrollbars', url])
    with open(shot, 'rb') as handle:
        magic = handle.read(8)
    check(magic == b'\x89PNG\r\n\x1a\n' and os.path.getsize(shot) > 10000, 'screenshot saved: %s (%d bytes)'
          % (shot, os.path.getsize(shot)))
    print('report page: %s' % page)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except AssertionError as exc:
        print('FAIL ' + str(exc))
        sys.exit(1)
