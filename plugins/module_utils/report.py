# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet report: pure functions from the audited hosts' control results to report.json,
report.xml (JUnit) and report.html. No file access and no clock here: the caller (the xen_report
action plugin) reads the previous report, gives today's date and writes the files.

Schema of report.json: docs/report-schema.json (SCHEMA_VERSION below); docs/report.md explains it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import re

from html import escape as _html_escape

SCHEMA_VERSION = 1
GENERATOR = 'xenguard.hardening.xen_report'

# statuses of one control on one host in the report: the engine's four, and waived
PASS, FAIL, UNKNOWN, NA, WAIVED = 'pass', 'fail', 'unknown', 'not_applicable', 'waived'
STATUSES = (PASS, FAIL, UNKNOWN, NA, WAIVED)
# what happened to a host in the audit
AUDITED, NOT_DOM0, UNREACHABLE, FAILED, NOT_AUDITED = 'audited', 'not_dom0', 'unreachable', 'failed', 'not_audited'
HOST_STATES = (AUDITED, NOT_DOM0, UNREACHABLE, FAILED, NOT_AUDITED)

# better is higher: used for the difference to the previous report
_RANK = {FAIL: 0, UNKNOWN: 1, WAIVED: 2, PASS: 3, NA: 3}
_HOST_RANK = {NOT_AUDITED: 0, UNREACHABLE: 0, FAILED: 0, NOT_DOM0: 0, AUDITED: 1}
_DATE = re.compile(r'^\d{4}-\d{2}-\d{2}$')
_CONTROL_FIELDS = ('id', 'title', 'section', 'severity', 'role', 'reboot', 'remediation', 'reference')

# The action plugin's (and the doc-only module's) arguments, in one place.
ARGUMENT_SPEC = dict(
    hosts=dict(type='list', elements='str', required=True),
    dest=dict(type='path', default='xenguard-report'),
    result_var=dict(type='str', default='xenguard_audit'),
    waivers_var=dict(type='str', default='xenguard_waivers'),
    today=dict(type='str'),
)


class ReportError(Exception):
    """Input the report cannot be made from at all (everything else becomes a problem row)."""


# ---------------------------------------------------------------------------------------------
# input: the audited hosts

def host_input(name, registered, waivers=None):
    """One host as the report reads it, from what the audit play registered for xen_facts
    (``registered``: the task result, or None when the host never ran it) and its waivers."""
    return {'name': name, 'registered': registered, 'waivers': waivers}


def _host_state(registered):
    """(state, message, xen facts or None) from a registered xen_facts result."""
    if not isinstance(registered, dict):
        return NOT_AUDITED, 'the host did not run the audit (not in the play, or the play stopped before it)', None
    if registered.get('unreachable'):
        return UNREACHABLE, 'unreachable: %s' % (registered.get('msg') or 'no message'), None
    xen = (registered.get('ansible_facts') or {}).get('xen')
    if registered.get('failed') or not isinstance(xen, dict):
        return FAILED, 'xen_facts failed: %s' % (registered.get('msg') or 'it returned no facts'), None
    if not xen.get('is_dom0'):
        return NOT_DOM0, 'not a Xen dom0: %s' % (xen.get('reason') or 'no reason given'), xen
    return AUDITED, '', xen


def catalogue_controls(catalogue):
    """The report's view of the catalogue (no check names or parameters)."""
    return [dict((field, control[field]) for field in _CONTROL_FIELDS if field in control)
            for control in catalogue]


def _as_date(value):
    """A datetime.date from a waiver's expiry (a YAML date, or text YYYY-MM-DD), or None."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return datetime.datetime.strptime(value.strip(), '%Y-%m-%d').date()
        except ValueError:
            return None
    return None


def _kind(value):
    """A value's kind for a message (the type name of a templated string is an internal class of Ansible)."""
    if isinstance(value, dict):
        return 'a dict'
    for kinds, word in ((bool, 'a boolean'), ((int, float), 'a number'), (str, 'text'),
                        ((datetime.date, datetime.datetime), 'a date')):
        if isinstance(value, kinds):
            return '%s ("%s")' % (word, value)
    return 'a %s' % type(value).__name__


def parse_waivers(host, waivers, known_ids):
    """({control id: waiver}, [problem]) from a host's waivers variable. Waivers with a problem are
    left out (the control keeps the status the audit gave it) and each problem says what to fix."""
    found, problems = {}, []

    def problem(control, message):
        problems.append({'host': host, 'control': control, 'message': message})

    if waivers is None:
        return found, problems
    if not isinstance(waivers, (list, tuple)):
        problem(None, 'xenguard_waivers is %s, not a list of {control, reason, expires}: no waiver of this '
                      'host applies' % _kind(waivers))
        return found, problems
    for index, waiver in enumerate(waivers):
        where = 'waiver #%d' % (index + 1)
        if not isinstance(waiver, dict):
            problem(None, '%s is not a mapping {control, reason, expires}: ignored' % where)
            continue
        cid = waiver.get('control')
        unknown_keys = sorted(set(str(key) for key in waiver) - set(('control', 'reason', 'expires')))
        if not isinstance(cid, str) or not cid:
            problem(None, '%s has no control: give the control id, e.g. XG-XEN-01' % where)
            continue
        if cid not in known_ids:
            problem(cid, '%s names the unknown control %s: no control of the catalogue has this id '
                         '(see docs/controls.md); the waiver is ignored' % (where, cid))
            continue
        if unknown_keys:
            problem(cid, '%s has unknown keys %s (only control, reason, expires): the waiver is ignored'
                    % (where, ', '.join(unknown_keys)))
            continue
        reason = waiver.get('reason')
        if not isinstance(reason, str) or not reason.strip():
            problem(cid, '%s for %s has no reason: say why the control is waived; the waiver is ignored'
                    % (where, cid))
            continue
        expires = _as_date(waiver.get('expires'))
        if expires is None:
            problem(cid, '%s for %s: expires %r is not a date; write it as YYYY-MM-DD (e.g. 2027-01-31); '
                         'the waiver is ignored' % (where, cid, waiver.get('expires')))
            continue
        if cid in found:
            problem(cid, '%s waives %s a second time: only the first waiver for it applies' % (where, cid))
            continue
        found[cid] = {'reason': reason.strip(), 'expires': expires.isoformat()}
    return found, problems


# ---------------------------------------------------------------------------------------------
# the report (the content of report.json)

def _summary(results):
    summary = dict((status, 0) for status in STATUSES)
    for result in results:
        summary[result['status']] += 1
    return summary


def _host_report(entry, known_ids, today, problems):
    name = entry['name']
    state, message, xen = _host_state(entry.get('registered'))
    waivers, waiver_problems = parse_waivers(name, entry.get('waivers'), known_ids)
    problems.extend(waiver_problems)
    host = {'name': name, 'state': state, 'message': message,
            'xen_version': None,
            'cmdline': ' '.join(str(arg) for arg in ((xen or {}).get('cmdline') or [])) if state == AUDITED else '',
            'fact_errors': {}, 'results': []}
    if state == AUDITED:
        if xen.get('version') is not None:
            host['xen_version'] = str(xen['version'])
        errors = xen.get('errors')
        if isinstance(errors, dict):
            host['fact_errors'] = dict((str(part), str(reason)) for part, reason in errors.items())
        seen = set()
        for control in xen.get('controls') or []:
            if not isinstance(control, dict) or not isinstance(control.get('id'), str):
                problems.append({'host': name, 'control': None,
                                 'message': 'a control result without an id was left out: %r' % (control,)})
                continue
            if control['id'] in seen:
                problems.append({'host': name, 'control': control['id'],
                                 'message': 'control %s has a second result on this host: only the first counts'
                                            % control['id']})
                continue
            seen.add(control['id'])
            status = control.get('status')
            if status not in (PASS, FAIL, UNKNOWN, NA):
                problems.append({'host': name, 'control': control['id'],
                                 'message': 'status %r is not one of pass, fail, unknown, not_applicable: '
                                            'counted as unknown' % (status,)})
                status = UNKNOWN
            result = {'id': control['id'], 'status': status, 'audit_status': status,
                      'detail': str(control.get('detail') or '')}
            for optional in ('problem', 'reference'):
                if control.get(optional):
                    result[optional] = str(control[optional])
            waiver = waivers.get(control['id'])
            if waiver:
                expired = datetime.datetime.strptime(waiver['expires'], '%Y-%m-%d').date() < today
                result['waiver'] = dict(waiver, expired=expired)
                if status in (FAIL, UNKNOWN):
                    result['status'] = FAIL if expired else WAIVED
            host['results'].append(result)
    host['summary'] = _summary(host['results'])
    return host


def _control_list(catalogue, hosts, problems):
    controls = catalogue_controls(catalogue)
    index = dict((control['id'], control) for control in controls)
    for host in hosts:
        for result in host['results']:
            if result['id'] not in index:
                extra = {'id': result['id'], 'title': '(not in this collection\'s catalogue)', 'section': '',
                         'severity': '', 'remediation': ''}
                index[result['id']] = extra
                controls.append(extra)
                problems.append({'host': host['name'], 'control': result['id'],
                                 'message': 'control %s is not in this collection\'s catalogue (the host ran '
                                            'another version of xen_facts?): shown without remediation'
                                            % result['id']})
            if result.get('reference') and not index[result['id']].get('reference'):
                index[result['id']]['reference'] = result['reference']
    return controls


def _totals(hosts):
    by_state = dict((state, 0) for state in HOST_STATES)
    by_status = dict((status, 0) for status in STATUSES)
    compliant = 0
    for host in hosts:
        by_state[host['state']] += 1
        for status in STATUSES:
            by_status[status] += host['summary'][status]
        if host['state'] == AUDITED and not host['summary'][FAIL] and not host['summary'][UNKNOWN]:
            compliant += 1
    return {'hosts': len(hosts), 'by_state': by_state, 'by_status': by_status, 'compliant_hosts': compliant}


def check_previous(previous):
    """(the previous report, or None, and a problem message or None) from report.json's text."""
    if previous is None:
        return None, None
    try:
        data = json.loads(previous) if isinstance(previous, (str, bytes)) else previous
    except ValueError as exc:
        return None, 'the previous report.json is not JSON (%s): no comparison with the last run' % exc
    if not isinstance(data, dict) or 'schema_version' not in data:
        return None, ('the previous report.json has no schema_version (not a report of this collection, or '
                      'from before its schema was versioned): no comparison with the last run')
    if data['schema_version'] != SCHEMA_VERSION:
        return None, ('the previous report.json has schema_version %r; this collection reads version %d: '
                      'no comparison with the last run (the next run compares again)'
                      % (data['schema_version'], SCHEMA_VERSION))
    if not isinstance(data.get('hosts'), list):
        return None, 'the previous report.json has no list of hosts: no comparison with the last run'
    return data, None


def compare(previous, hosts):
    """What got better or worse since ``previous`` (a report dict of this schema)."""
    changes = {'previous_generated_at': previous.get('generated_at'), 'better': [], 'worse': [], 'other': [],
               'hosts_added': [], 'hosts_removed': []}
    before = {}
    for host in previous.get('hosts', []):
        if isinstance(host, dict) and isinstance(host.get('name'), str):
            before[host['name']] = host
    now_names = set()
    for host in hosts:
        now_names.add(host['name'])
        old = before.get(host['name'])
        if old is None:
            changes['hosts_added'].append(host['name'])
            continue
        old_state = old.get('state')
        if old_state != host['state']:
            change = {'host': host['name'], 'control': None, 'from': old_state, 'to': host['state']}
            rank_old, rank_new = _HOST_RANK.get(old_state, 0), _HOST_RANK[host['state']]
            key = 'better' if rank_new > rank_old else 'worse' if rank_new < rank_old else 'other'
            changes[key].append(change)
        old_results = dict((r.get('id'), r.get('status')) for r in old.get('results') or [] if isinstance(r, dict))
        for result in host['results']:
            was = old_results.get(result['id'])
            if was is None or was == result['status']:
                continue
            change = {'host': host['name'], 'control': result['id'], 'from': was, 'to': result['status']}
            rank_old, rank_new = _RANK.get(was, 1), _RANK[result['status']]
            key = 'better' if rank_new > rank_old else 'worse' if rank_new < rank_old else 'other'
            changes[key].append(change)
    changes['hosts_removed'] = sorted(name for name in before if name not in now_names)
    return changes


def build_report(hosts, catalogue, today, generated_at, previous=None, problems=None):
    """The report (a dict of schema SCHEMA_VERSION).

    hosts: host_input() dicts, in inventory order; catalogue: the controls (catalogue.CONTROLS);
    today: a datetime.date (waiver expiry); generated_at: ISO 8601 text; previous: the last
    report.json (text or dict) or None; problems: what the caller found wrong already
    ({host, control, message} each).
    """
    if not isinstance(today, datetime.date):
        raise ReportError('today must be a date, not %r' % (today,))
    problems = list(problems or [])
    known_ids = set(control['id'] for control in catalogue)
    seen = set()
    host_reports = []
    for entry in hosts:
        if entry['name'] in seen:
            continue
        seen.add(entry['name'])
        host_reports.append(_host_report(entry, known_ids, today, problems))
    if not host_reports:
        problems.append({'host': None, 'control': None,
                         'message': 'no hosts were audited: the host pattern matched no host of the inventory '
                                    '(set xenguard_hosts, or put the Xen hosts in the group xen_hosts)'})
    elif not any(host['state'] == AUDITED for host in host_reports):
        problems.append({'host': None, 'control': None,
                         'message': 'no Xen dom0 among the %d host(s): none could be audited' % len(host_reports)})
    controls = _control_list(catalogue, host_reports, problems)
    old, previous_problem = check_previous(previous)
    if previous_problem:
        problems.append({'host': None, 'control': None, 'message': previous_problem})
    return {
        'schema_version': SCHEMA_VERSION,
        'generator': GENERATOR,
        'generated_at': generated_at,
        'today': today.isoformat(),
        'controls': controls,
        'hosts': host_reports,
        'totals': _totals(host_reports),
        'problems': problems,
        'changes': compare(old, host_reports) if old is not None else None,
    }


def fingerprint(report):
    """What decides whether a report differs from another: everything but when it was made and the
    comparison with the one before."""
    if not isinstance(report, dict):
        return None
    core = dict((key, value) for key, value in report.items() if key not in ('generated_at', 'today', 'changes'))
    return json.dumps(core, sort_keys=True, default=str)


def to_json(report):
    return json.dumps(report, indent=1, sort_keys=True, ensure_ascii=False) + '\n'


# ---------------------------------------------------------------------------------------------
# JUnit XML

# Characters XML 1.0 does not allow at all (even escaped): replaced, so a detail with a stray
# control character still gives a well-formed file.
_XML_BAD = re.compile(u'[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def xml_text(value):
    text = _XML_BAD.sub(u'\ufffd', u'%s' % (value,))
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def xml_attr(value):
    return xml_text(value).replace('"', '&quot;').replace("'", '&apos;').replace('\n', '&#10;') \
        .replace('\r', '&#13;').replace('\t', '&#9;')


def to_junit(report):
    """JUnit XML: a test suite per host, a test case per control. fail -> <failure>, unknown -> <error>
    (the audit could not conclude: not a pass, not a failure of the control), not applicable and
    waived -> <skipped>. A host that could not be audited is one test case with an <error>."""
    controls = dict((control['id'], control) for control in report['controls'])
    suites = []
    totals = {'tests': 0, 'failures': 0, 'errors': 0, 'skipped': 0}
    for host in report['hosts']:
        cases = []
        counts = {'tests': 0, 'failures': 0, 'errors': 0, 'skipped': 0}
        classname = xml_attr('xenguard.' + host['name'])
        if host['state'] != AUDITED:
            counts['tests'] += 1
            counts['errors'] += 1
            cases.append('  <testcase classname="%s" name="audit"><error type="%s" message="%s"/></testcase>'
                         % (classname, host['state'], xml_attr(host['message'])))
        for result in host['results']:
            control = controls.get(result['id'], {})
            counts['tests'] += 1
            name = xml_attr('%s %s' % (result['id'], control.get('title', '')))
            status = result['status']
            body = result['detail']
            if status == FAIL:
                counts['failures'] += 1
                text = body
                if result.get('waiver', {}).get('expired'):
                    text = 'waiver expired on %s (%s); %s' % (result['waiver']['expires'], result['waiver']['reason'],
                                                              body)
                if control.get('remediation'):
                    text += '\nremediation: ' + control['remediation']
                inner = '<failure type="%s" message="%s">%s</failure>' % (
                    xml_attr(result.get('problem') or 'fail'), xml_attr(body), xml_text(text))
            elif status == UNKNOWN:
                counts['errors'] += 1
                inner = '<error type="unknown" message="%s"/>' % xml_attr(body)
            elif status == WAIVED:
                counts['skipped'] += 1
                inner = '<skipped message="%s"/>' % xml_attr('waived until %s: %s (%s)' % (
                    result['waiver']['expires'], result['waiver']['reason'], body))
            elif status == NA:
                counts['skipped'] += 1
                inner = '<skipped message="%s"/>' % xml_attr('not applicable: ' + body)
            else:
                inner = '<system-out>%s</system-out>' % xml_text(body) if body else ''
            cases.append('  <testcase classname="%s" name="%s">%s</testcase>' % (classname, name, inner))
        for key in totals:
            totals[key] += counts[key]
        suites.append(' <testsuite name="%s" tests="%d" failures="%d" errors="%d" skipped="%d">\n%s\n </testsuite>'
                      % (xml_attr(host['name']), counts['tests'], counts['failures'], counts['errors'],
                         counts['skipped'], '\n'.join(cases)))
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="xenguard.hardening audit" tests="%d" '
            'failures="%d" errors="%d" skipped="%d" timestamp="%s">'
            % (totals['tests'], totals['failures'], totals['errors'], totals['skipped'],
               xml_attr(report.get('generated_at') or '')))
    return '\n'.join([head] + suites + ['</testsuites>']) + '\n'


# ---------------------------------------------------------------------------------------------
# HTML

def esc(value):
    return _html_escape(u'%s' % (value,), quote=True)


_SYMBOL = {PASS: u'\u2713', FAIL: u'\u2717', UNKNOWN: '?', NA: u'\u2013', WAIVED: 'W'}
_LABEL = {PASS: 'pass', FAIL: 'fail', UNKNOWN: 'unknown', NA: 'not applicable', WAIVED: 'waived'}
_STATE_LABEL = {AUDITED: 'audited', NOT_DOM0: 'not a dom0', UNREACHABLE: 'unreachable', FAILED: 'audit failed',
                NOT_AUDITED: 'not audited'}

_CSS = u'''
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.5em 0 .5em;border-bottom:1px solid #ccc}
.meta{color:#555}.totals{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0}
.tot{border:1px solid #ccc;border-radius:4px;padding:.3em .7em;min-width:6em}.tot b{display:block;font-size:1.4em}
table{border-collapse:collapse}th,td{border:1px solid #ddd;padding:2px 5px;vertical-align:top}
#matrix th.c{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:normal;cursor:pointer}
#matrix th.sortable{cursor:pointer}#matrix th[aria-sort=ascending]::after{content:" \\25B2"}
#matrix th[aria-sort=descending]::after{content:" \\25BC"}
#matrix td.s{text-align:center;min-width:1.4em;font-weight:bold}
.pass{background:#d8f0d8;color:#15571a}.fail{background:#f7d4d4;color:#8a1010}.unknown{background:#fff0c2;color:#6b5300}
.not_applicable{background:#eee;color:#666}.waived{background:#dbe6f7;color:#1d3f7a}
.state-bad{background:#f7d4d4}.problems li{color:#8a1010}.better{color:#15571a}.worse{color:#8a1010}
.filters{margin:.5em 0;display:flex;gap:1em;flex-wrap:wrap;align-items:center}
.detail{max-width:60em;white-space:pre-wrap;word-break:break-word}.hidden{display:none}
details{margin:.3em 0}summary{cursor:pointer}code{background:#f4f4f4;padding:0 3px}
.legend span{display:inline-block;padding:0 .5em;margin-right:.4em;border-radius:3px}
'''

_JS = u'''
(function(){
  var table=document.getElementById('matrix');if(!table)return;
  var body=table.tBodies[0];
  var rank={fail:0,unknown:1,waived:2,pass:3,not_applicable:4,'':5};
  function key(row,col,kind){
    var cell=row.cells[col];
    if(!cell||cell.colSpan>1)return kind==='num'?-1:5;
    if(kind==='name')return cell.getAttribute('data-v');
    if(kind==='num')return parseFloat(cell.getAttribute('data-v'));
    var s=cell.getAttribute('data-s')||'';return rank[s];
  }
  var heads=table.tHead.rows[0].cells;
  for(var i=0;i<heads.length;i++){(function(col){
    var th=heads[col];if(!th.getAttribute('data-kind'))return;
    th.addEventListener('click',function(){
      var asc=th.getAttribute('aria-sort')!=='ascending';
      for(var j=0;j<heads.length;j++)heads[j].removeAttribute('aria-sort');
      th.setAttribute('aria-sort',asc?'ascending':'descending');
      var kind=th.getAttribute('data-kind');
      var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=key(a,col,kind),y=key(b,col,kind);
        var r=x<y?-1:x>y?1:0;if(r===0){r=a.cells[0].getAttribute('data-v')<b.cells[0].getAttribute('data-v')?-1:1;}
        return asc?r:-r;});
      rows.forEach(function(r){body.appendChild(r);});
    });})(i);}
  var text=document.getElementById('f-host'),status=document.getElementById('f-status'),
      ctl=document.getElementById('f-control'),count=document.getElementById('f-count');
  function apply(){
    var t=text.value.toLowerCase(),s=status.value,c=ctl.value.toLowerCase(),shown=0;
    var cols=[];for(var j=0;j<heads.length;j++){var id=heads[j].getAttribute('data-control');
      var hide=!!(id&&c&&id.toLowerCase().indexOf(c)<0&&(heads[j].getAttribute('title')||'').toLowerCase().indexOf(c)<0);
      cols.push(hide);heads[j].classList.toggle('hidden',hide);}
    for(var r=0;r<body.rows.length;r++){var row=body.rows[r],ok=true;
      if(t&&row.cells[0].getAttribute('data-v').toLowerCase().indexOf(t)<0)ok=false;
      if(ok&&s){ok=false;
        if(s==='state-bad')ok=row.getAttribute('data-state')!=='audited';
        else for(var k=0;k<row.cells.length;k++){if(!cols[k]&&row.cells[k].getAttribute('data-s')===s){ok=true;break;}}}
      for(var k2=0;k2<row.cells.length;k2++){if(row.cells[k2].colSpan>1)continue;row.cells[k2].classList.toggle('hidden',cols[k2]);}
      row.classList.toggle('hidden',!ok);if(ok)shown++;}
    count.textContent=shown+' of '+body.rows.length+' hosts shown';
  }
  text.addEventListener('input',apply);status.addEventListener('change',apply);ctl.addEventListener('input',apply);
  var q=new URLSearchParams(location.hash.replace(/^#\\?/,''));
  if(q.get('host'))text.value=q.get('host');if(q.get('status'))status.value=q.get('status');
  if(q.get('control'))ctl.value=q.get('control');
  apply();
  if(q.get('sort')){for(var h=0;h<heads.length;h++){if(heads[h].getAttribute('data-control')===q.get('sort')||
    heads[h].textContent===q.get('sort')){heads[h].click();break;}}}
  document.body.setAttribute('data-ready','1');
})();
'''


def _changes_html(report):
    changes = report.get('changes')
    if changes is None:
        return '<p>No previous report to compare with (or it could not be read: see the problems above).</p>'
    out = ['<p class="meta">Compared with the report of %s.</p>' % esc(changes.get('previous_generated_at') or '?')]
    if not any(changes[key] for key in ('better', 'worse', 'other', 'hosts_added', 'hosts_removed')):
        out.append('<p>No change since then.</p>')
    for key, label in (('worse', 'Worse'), ('better', 'Better'), ('other', 'Changed')):
        if changes[key]:
            out.append('<h3 class="%s">%s (%d)</h3><ul>' % (key, label, len(changes[key])))
            for change in changes[key]:
                out.append('<li><b>%s</b>%s: %s &rarr; %s</li>' % (
                    esc(change['host']), (' ' + esc(change['control'])) if change['control'] else '',
                    esc(change['from']), esc(change['to'])))
            out.append('</ul>')
    for key, label in (('hosts_added', 'New hosts'), ('hosts_removed', 'Hosts no longer in the report')):
        if changes[key]:
            out.append('<p>%s: %s</p>' % (label, ', '.join(esc(name) for name in changes[key])))
    return '\n'.join(out)


def to_html(report):
    """A self-contained page: totals, problems, the hosts x controls matrix (sortable, filterable),
    the changes since the last report, each host's evidence, each control's reference and remediation."""
    controls = report['controls']
    totals = report['totals']
    out = [u'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
           u'<meta name="viewport" content="width=device-width,initial-scale=1">'
           u'<title>xenguard.hardening fleet report</title><style>%s</style></head><body>' % _CSS]
    out.append(u'<h1>Xen fleet report</h1><p class="meta">%s &middot; generated %s &middot; schema %d</p>'
               % (esc(report.get('generator', '')), esc(report.get('generated_at', '')), report['schema_version']))
    out.append(u'<div class="totals" id="totals">')
    out.append(u'<div class="tot">hosts<b id="t-hosts">%d</b></div>' % totals['hosts'])
    out.append(u'<div class="tot">compliant<b id="t-compliant">%d</b></div>' % totals['compliant_hosts'])
    for state in HOST_STATES[1:]:
        if totals['by_state'][state]:
            out.append(u'<div class="tot state-bad">%s<b>%d</b></div>' % (esc(_STATE_LABEL[state]),
                                                                          totals['by_state'][state]))
    for status in STATUSES:
        out.append(u'<div class="tot %s">%s<b id="t-%s">%d</b></div>'
                   % (status, esc(_LABEL[status]), status, totals['by_status'][status]))
    out.append(u'</div>')
    if report['problems']:
        out.append(u'<h2>Problems (%d)</h2><ul class="problems" id="problems">' % len(report['problems']))
        for problem in report['problems']:
            where = ' '.join(esc(part) for part in (problem.get('host'), problem.get('control')) if part)
            out.append(u'<li>%s%s</li>' % (('<b>%s</b>: ' % where) if where else '', esc(problem['message'])))
        out.append(u'</ul>')
    out.append(u'<h2>Hosts &times; controls</h2><p class="legend">%s</p>' % ''.join(
        u'<span class="%s">%s %s</span>' % (status, _SYMBOL[status], esc(_LABEL[status])) for status in STATUSES))
    out.append(u'<div class="filters"><label>host <input id="f-host" type="search" placeholder="name contains">'
               u'</label><label>control <input id="f-control" type="search" placeholder="id or title"></label>'
               u'<label>show hosts with <select id="f-status"><option value="">anything</option>%s'
               u'<option value="state-bad">no audit (unreachable, not a dom0)</option></select></label>'
               u'<span id="f-count"></span></div>'
               % ''.join(u'<option value="%s">%s</option>' % (status, esc(_LABEL[status])) for status in STATUSES))
    out.append(u'<table id="matrix"><thead><tr><th class="sortable" data-kind="name">host</th>'
               u'<th class="sortable" data-kind="num" title="failed controls">fail</th>')
    for control in controls:
        out.append(u'<th class="c" data-kind="status" data-control="%s" title="%s">%s</th>'
                   % (esc(control['id']), esc(control['id'] + ' ' + control.get('title', '')), esc(control['id'])))
    out.append(u'</tr></thead><tbody>')
    for index, host in enumerate(report['hosts']):
        cells = dict((result['id'], result) for result in host['results'])
        row = [u'<tr data-state="%s"><td data-v="%s"><a href="#h%d">%s</a></td><td data-v="%d">%d</td>'
               % (host['state'], esc(host['name']), index, esc(host['name']), host['summary'][FAIL],
                  host['summary'][FAIL])]
        if host['state'] != AUDITED:
            row.append(u'<td class="state-bad" colspan="%d" data-s="">%s</td>'
                       % (max(len(controls), 1), esc(host['message'])))
        else:
            for control in controls:
                result = cells.get(control['id'])
                if result is None:
                    row.append(u'<td class="s" data-s="" title="not evaluated on this host"></td>')
                    continue
                status = result['status']
                row.append(u'<td class="s %s" data-s="%s" title="%s">%s</td>' % (
                    status, status, esc('%s %s: %s' % (control['id'], _LABEL[status], result['detail'])),
                    _SYMBOL[status]))
        row.append(u'</tr>')
        out.append(''.join(row))
    out.append(u'</tbody></table>')
    out.append(u'<h2>Since the last report</h2><div id="changes">%s</div>' % _changes_html(report))
    out.append(u'<h2>Hosts</h2>')
    by_id = dict((control['id'], control) for control in controls)
    for index, host in enumerate(report['hosts']):
        summary = ', '.join('%d %s' % (host['summary'][s], _LABEL[s]) for s in STATUSES if host['summary'][s])
        out.append(u'<details id="h%d"><summary><b>%s</b> &mdash; %s%s</summary>' % (
            index, esc(host['name']), esc(_STATE_LABEL[host['state']]), (' &middot; ' + esc(summary)) if summary else ''))
        if host['state'] != AUDITED:
            out.append(u'<p>%s</p></details>' % esc(host['message']))
            continue
        out.append(u'<p>Xen %s; booted Xen command line: <code>%s</code></p>'
                   % (esc(host.get('xen_version') or '?'), esc(host.get('cmdline') or '(empty)')))
        if host.get('fact_errors'):
            out.append(u'<p class="problems">Facts that could not be read (the controls that need them say '
                       u'unknown): %s</p>' % '; '.join(u'<b>%s</b>: %s' % (esc(part), esc(reason)) for part, reason
                                                       in sorted(host['fact_errors'].items())))
        out.append(u'<table><tr><th>control</th><th>status</th><th>evidence</th></tr>')
        for result in host['results']:
            extra = ''
            if result.get('problem'):
                extra += u'<br><small>problem: <code>%s</code></small>' % esc(result['problem'])
            waiver = result.get('waiver')
            if waiver:
                extra += u'<br><i>waiver%s until %s: %s</i>' % (
                    ' EXPIRED' if waiver['expired'] else '', esc(waiver['expires']), esc(waiver['reason']))
            out.append(u'<tr><td><a href="#c-%s">%s</a> %s</td><td class="%s">%s</td><td class="detail">%s%s</td>'
                       u'</tr>' % (esc(result['id']), esc(result['id']),
                                   esc(by_id.get(result['id'], {}).get('title', '')), result['status'],
                                   esc(_LABEL[result['status']]), esc(result['detail']), extra))
        out.append(u'</table></details>')
    out.append(u'<h2>Controls</h2><table id="controls"><tr><th>control</th><th>severity</th><th>fleet</th>'
               u'<th>Xen documentation</th><th>remediation</th></tr>')
    counts = dict((control['id'], dict((s, 0) for s in STATUSES)) for control in controls)
    for host in report['hosts']:
        for result in host['results']:
            counts[result['id']][result['status']] += 1
    for control in controls:
        fleet = ', '.join('%d %s' % (n, _LABEL[s]) for s, n in sorted(counts[control['id']].items()) if n)
        out.append(u'<tr id="c-%s"><td><b>%s</b> %s<br><small>%s</small></td><td>%s</td><td>%s</td><td>%s</td>'
                   u'<td class="detail">%s</td></tr>' % (
                       esc(control['id']), esc(control['id']), esc(control.get('title', '')),
                       esc(control.get('section', '')), esc(control.get('severity', '')), esc(fleet),
                       esc(control.get('reference') or '(not given)'), esc(control.get('remediation', ''))))
    out.append(u'</table><script>%s</script></body></html>\n' % _JS)
    return u'\n'.join(out)
