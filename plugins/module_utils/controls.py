# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The control catalogue evaluated over the facts of one host (ansible_facts.xen): the engine.

``evaluate(facts)`` returns one result per control of catalogue.py:
``{id, title, section, severity, role, reboot, status, detail, problem}`` with status ``pass``,
``fail``, ``unknown`` (the facts do not tell) or ``not_applicable``; ``problem`` is a short code a
role can act on (e.g. ``no_iommu``, ``intremap_insecure``) or None. A check returns
``(status, detail)`` or ``(status, detail, problem)``. The catalogue (catalogue.py) is data, each
control citing the Xen document section it rests on (``reference``);
the checks it names live in checks.py, registered by name in verdicts.CHECKS.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
# Importing checks registers every check function in CHECKS.
from ansible_collections.xenguard.hardening.plugins.module_utils import checks as _checks  # noqa: F401 pylint: disable=unused-import
from ansible_collections.xenguard.hardening.plugins.module_utils import checks_driver_domain as _dd  # noqa: F401 pylint: disable=unused-import
from ansible_collections.xenguard.hardening.plugins.module_utils.verdicts import (  # noqa: F401 pylint: disable=unused-import
    CHECKS,
    FAIL,
    NA,
    PASS,
    STATUSES,
    UNKNOWN,
)

SEVERITIES = ('high', 'medium', 'low')
SECTIONS = ('Platform', 'Networks', 'Driver domain', 'PV boot', 'Device model', 'Hypervisor (XSM/FLASK)',
            'Keys (vTPM)', 'Beyond the guide')
ROLES = ('iommu', 'hypervisor', 'network_split', 'driver_domain', 'pvgrub', 'stubdom', 'flask', 'vtpm')
RESULT_FIELDS = ('id', 'title', 'section', 'severity', 'role', 'reboot')


# ---------------------------------------------------------------------------------------------
# evaluation

def catalogue_by_id():
    return dict((control['id'], control) for control in CONTROLS)


def _result(control, status, detail, problem=None):
    result = dict((field, control[field]) for field in RESULT_FIELDS)
    result['status'] = status
    result['detail'] = detail
    result['problem'] = problem
    return result


def evaluate(facts, controls=None):
    """Evaluate every control of the catalogue over ``facts`` (the xen facts of one host)."""
    controls = CONTROLS if controls is None else controls
    if not isinstance(facts, dict) or not facts.get('is_dom0'):
        reason = facts.get('reason') if isinstance(facts, dict) else None
        detail = 'not a Xen dom0%s' % (': %s' % reason if reason else '')
        return [_result(control, NA, detail) for control in controls]
    results = []
    for control in controls:
        func = CHECKS.get(control['check'])
        if func is None:
            results.append(_result(control, UNKNOWN, 'no check named %r in this collection' % control['check']))
            continue
        try:
            answer = tuple(func(facts, control.get('params') or {}))
            status, detail = answer[:2]
            problem = answer[2] if len(answer) > 2 else None
        except Exception as exc:  # a check must never break the facts call; say what went wrong
            status, detail = UNKNOWN, 'the check could not read these facts: %s: %s' % (type(exc).__name__, exc)
            problem = None
        results.append(_result(control, status, detail, problem))
    return results


def summarise(results):
    """Counts per status: {pass: N, fail: N, unknown: N, not_applicable: N}."""
    summary = dict((status, 0) for status in STATUSES)
    for result in results:
        summary[result['status']] = summary.get(result['status'], 0) + 1
    return summary


def catalogue_problems(controls=None):
    """What is wrong with the catalogue (an empty list when it is sound)."""
    controls = CONTROLS if controls is None else controls
    problems = []
    seen = set()
    for control in controls:
        cid = control.get('id')
        for field in ('id', 'title', 'section', 'severity', 'role', 'reboot', 'check', 'remediation', 'reference'):
            if field not in control:
                problems.append('%s: no %s' % (cid, field))
        if cid in seen:
            problems.append('%s: id used twice' % cid)
        seen.add(cid)
        if control.get('section') not in SECTIONS:
            problems.append('%s: unknown section %r' % (cid, control.get('section')))
        if control.get('severity') not in SEVERITIES:
            problems.append('%s: unknown severity %r' % (cid, control.get('severity')))
        if control.get('role') not in ROLES:
            problems.append('%s: unknown role %r' % (cid, control.get('role')))
        if not isinstance(control.get('reboot'), bool):
            problems.append('%s: reboot is not a bool' % cid)
        if control.get('check') not in CHECKS:
            problems.append('%s: no check function %r' % (cid, control.get('check')))
        reference = control.get('reference')
        if 'reference' in control and (not isinstance(reference, str) or not reference.strip()):
            problems.append('%s: reference is not the name of a Xen document section' % cid)
        if not isinstance(control.get('params', {}), dict):
            problems.append('%s: params is not a dict' % cid)
    return problems
