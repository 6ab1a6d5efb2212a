# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_boot_options refuses values Xen would not parse as meant (booleans are exact lower-case words in
xen/common/kernel.c parse_bool; a YAML boolean only suits boolean options), and writes nothing then."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.modules import xen_boot_options
from ansible_collections.xenguard.hardening.tests.unit.helpers import run_module

BEFORE = 'GRUB_CMDLINE_XEN_DEFAULT="console=com1 smt=1"\n'


@pytest.mark.parametrize('options,words', [
    ({'smt': 'OFF', 'dom0_mem': '1G,max:1G'}, 'smt=OFF: Xen reads only the exact lower-case boolean words'),
    ({'smt': 'OFF'}, 'write smt=0 instead'),
    ({'dom0_mem': True}, 'Xen would read "dom0_mem"'),
    ({'dom0_mem': False}, 'Xen would read "dom0_mem=0"'),
    ({'sched': True}, 'Xen would read "sched"'),
    ({'foo': [None]}, 'only strings and numbers, not None'),
    ({'spec-ctrl': False, 'tsx': True, 'xpti': False}, 'spec-ctrl: a YAML boolean'),
    ({'ucode': '0'}, 'module index 0, which loads nothing'),
    ({'gnttab': 'max-ver=2'}, 'expects a colon'),
])
def test_values_xen_would_misread_are_refused(capsys, tmp_path, options, words):
    path = tmp_path / 'xen.cfg'
    path.write_text(BEFORE)
    res = run_module(xen_boot_options, capsys, dict(path=str(path), update_grub=False, options=options))
    assert res['failed'] is True, res
    assert words in res['msg'] and res['msg'].endswith('nothing was changed.')
    assert path.read_text() == BEFORE


def test_exact_words_are_written(capsys, tmp_path):
    path = tmp_path / 'xen.cfg'
    path.write_text(BEFORE)
    res = run_module(xen_boot_options, capsys, dict(path=str(path), update_grub=False,
                                                    options={'smt': False, 'scrub-domheap': True, 'xpti': True}))
    assert res['changed'] is True
    assert path.read_text() == 'GRUB_CMDLINE_XEN_DEFAULT="console=com1 smt=0 scrub-domheap xpti"\n'
