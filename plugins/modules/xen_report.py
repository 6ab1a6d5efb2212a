#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: xen_report
short_description: Write the fleet report (JSON, JUnit XML, HTML) of an audit on the controller
version_added: 0.1.0
description:
  - Runs on the Ansible controller (an action plugin). For each host of O(hosts) it reads the
    result the audit registered for M(xenguard.hardening.xen_facts) and the host's waivers from
    its variables, and writes three files to O(dest) - C(report.json) (schema in
    C(docs/report-schema.json)), C(report.xml) (JUnit, a test case per host and control) and
    C(report.html) (a self-contained page, no external assets).
  - A host that was unreachable, where xen_facts failed, or that is not a Xen dom0 is in the
    report with what happened to it; the report is written for the rest.
  - A waiver (C({control, reason, expires})) shows a failing or unknown control as waived until
    its expiry date; an expired waiver counts as a failure. A waiver for an unknown control, or
    whose expiry is not a date, is left out and listed under the report's problems.
  - The C(report.json) already in O(dest) becomes C(report.previous.json); the new report lists
    what got better or worse since then.
  - When the results are the same as in the C(report.json) already there, nothing is written and
    the task reports no change. In check mode nothing is written.
  - See C(docs/report.md) for the files and the schema.
author: xenguard maintainers (@xenguard)
options:
  hosts:
    description:
      - The inventory names of the audited hosts, in the order the report lists them (the audit
        playbook passes C(ansible_play_hosts_all) of its audit play).
    type: list
    elements: str
    required: true
  dest:
    description:
      - The directory the report is written to, made when missing. A relative path is relative to
        the directory C(ansible-playbook) runs in.
    type: path
    default: xenguard-report
  result_var:
    description:
      - The host variable with the registered result of the audit's M(xenguard.hardening.xen_facts) task.
    type: str
    default: xenguard_audit
  waivers_var:
    description:
      - The host variable with the host's waivers, a list of C({control, reason, expires}), with
        C(expires) a date C(YYYY-MM-DD). Set it for a group or a host (a host's list replaces its
        groups' list, as Ansible's variable precedence does).
    type: str
    default: xenguard_waivers
  today:
    description:
      - The date waivers are compared with (C(YYYY-MM-DD)); today's date when not given.
    type: str
attributes:
  check_mode:
    support: full
    description: In check mode nothing is written; the task says whether the report would change.
  diff_mode:
    support: none
    description: The report files are not shown as a diff.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
notes:
  - Only as an action on the controller; the module itself does nothing on a host.
seealso:
  - module: xenguard.hardening.xen_facts
'''

EXAMPLES = r'''
- name: Write the fleet report of the hosts the audit play ran on
  xenguard.hardening.xen_report:
    hosts: "{{ hostvars['localhost'].xenguard_audited_hosts }}"
    dest: ./xenguard-report
'''

RETURN = r'''
dest:
  description: The directory the report is in.
  returned: always
  type: str
files:
  description: The paths of report.json, report.xml and report.html.
  returned: always
  type: list
  elements: str
totals:
  description: Hosts per audit state, host-control results per status, and how many hosts neither fail nor have an unknown control.
  returned: always
  type: dict
  sample:
    hosts: 2
    compliant_hosts: 0
    by_state: {audited: 1, not_dom0: 1, unreachable: 0, failed: 0, not_audited: 0}
    by_status: {pass: 12, fail: 6, unknown: 2, not_applicable: 2, waived: 1}
problems:
  description:
    - What is wrong in the input (a waiver for an unknown control, an expiry that is not a date, a previous
      report of another schema, no hosts); each says what to do.
  returned: always
  type: list
  elements: str
changes:
  description: What got better or worse since the previous report (null when there is none to compare with).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xenguard.hardening.plugins.module_utils.report import ARGUMENT_SPEC


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='xen_report runs on the controller as an action plugin; this module file only documents it')


if __name__ == '__main__':
    main()
