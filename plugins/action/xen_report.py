# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_report runs on the controller: it reads what the audit registered for each host (and the
host's waivers) from hostvars, builds the report with module_utils/report.py and writes
report.json, report.xml and report.html. The documentation is in plugins/modules/xen_report.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.xenguard.hardening.plugins.module_utils import report as rp
from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS

FILES = ('report.json', 'report.xml', 'report.html')
PREVIOUS = 'report.previous.json'


def _read(path):
    try:
        with open(path, 'rb') as handle:
            return to_text(handle.read(), errors='surrogate_or_replace')
    except (IOError, OSError):
        return None


def _write(path, text):
    """Write path atomically (a temporary file in the same directory, renamed over it)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.' + os.path.basename(path) + '.')
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(to_bytes(text, errors='surrogate_or_strict'))
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _plain(value):
    """Hostvars as plain Python data (the report is made of dicts, lists, text and dates)."""
    if isinstance(value, dict) or hasattr(value, 'items'):
        return dict((to_text(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, datetime.date)) or value is None:
        return value
    return to_text(value)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=rp.ARGUMENT_SPEC)
        today = datetime.date.today()
        if args['today']:
            try:
                today = datetime.datetime.strptime(args['today'], '%Y-%m-%d').date()
            except ValueError:
                raise AnsibleActionFail('today=%r is not a date: write it as YYYY-MM-DD' % args['today'])
        hostvars = task_vars.get('hostvars', {})
        hosts, problems = [], []
        for name in args['hosts']:
            values = {}
            for var in (args['result_var'], args['waivers_var']):
                try:
                    value = hostvars[name].get(var) if name in hostvars else None
                    values[var] = _plain(value) if value is not None else None
                except Exception as exc:  # e.g. a waiver list that templates an undefined variable
                    values[var] = None
                    problems.append({'host': name, 'control': None,
                                     'message': 'cannot read the variable %s of this host: %s' % (var, exc)})
            hosts.append(rp.host_input(name, values[args['result_var']], values[args['waivers_var']]))

        dest = os.path.abspath(os.path.expanduser(args['dest']))
        paths = dict((name, os.path.join(dest, name)) for name in FILES)
        current = _read(paths['report.json'])
        old, dummy = rp.check_previous(current)
        now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
        report = rp.build_report(hosts, CONTROLS, today, now, previous=current, problems=problems)
        unchanged = old is not None and rp.fingerprint(old) == rp.fingerprint(report) \
            and all(os.path.exists(path) for path in paths.values())

        result.update(
            changed=not unchanged, dest=dest, files=[paths[name] for name in FILES],
            totals=report['totals'], problems=[p['message'] if not p['host'] else '%s: %s' % (p['host'], p['message'])
                                               for p in report['problems']],
            changes=report['changes'])
        if unchanged:
            result['msg'] = 'the fleet is as in the last report (%s): files left as they are' % old.get('generated_at')
            result['changes'] = old.get('changes')
            return result
        if self._task.check_mode:
            result['msg'] = 'check mode: the report would be written to %s' % dest
            return result
        try:
            if not os.path.isdir(dest):
                os.makedirs(dest)
            if current is not None:
                os.rename(paths['report.json'], os.path.join(dest, PREVIOUS))
            _write(paths['report.json'], rp.to_json(report))
            _write(paths['report.xml'], rp.to_junit(report))
            _write(paths['report.html'], rp.to_html(report))
        except (IOError, OSError) as exc:
            raise AnsibleActionFail('could not write the report to %s: %s (set xenguard_report_dir to a '
                                    'writable directory)' % (dest, exc))
        result['msg'] = 'report written to %s' % dest
        return result
