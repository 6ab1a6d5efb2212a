# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_report's module file documents the controller action; run on a host it says so and fails."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.xenguard.hardening.plugins.modules import xen_report
from ansible_collections.xenguard.hardening.tests.unit.helpers import run_module


def test_the_module_on_a_host_says_it_is_an_action(capsys):
    result = run_module(xen_report, capsys, {'hosts': ['a']})
    assert result['failed'] is True
    assert result['msg'] == 'xen_report runs on the controller as an action plugin; this module file only documents it'
