# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""More exact tests of the xl configuration reader and editor: whole error messages and whole edited texts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import XlConfig


# set() refuses a bad key or a value xl syntax cannot hold with the whole message, and leaves the text as it was.
@pytest.mark.parametrize('key, value, message', [
    ('Name', 'x', "'Name' is not a valid xl setting name (lower-case letters, digits, _ and ., starting with a letter)"),
    ('a', 1.5, 'unsupported value type float (use a string, an integer or a list of them)'),
    ('a', ['x', None], 'unsupported value type NoneType in a list (use a string, an integer or a list of them)'),
])
def test_set_refusals_give_the_whole_message(key, value, message):
    cfg = XlConfig.parse('a = 1\n')
    with pytest.raises(ValueError) as err:
        cfg.set(key, value)
    assert str(err.value) == message
    assert cfg.render() == 'a = 1\n'


def test_false_is_written_as_zero():
    """A boolean is written as the number xl reads (xlu_cfg_get_defbool): False as 0, for a setting and a new key."""
    cfg = XlConfig.parse('hap = 1\n')
    assert cfg.set('hap', False) is True
    assert cfg.set('pvshim', False) is True
    assert cfg.render() == 'hap = 0\npvshim = 0\n'
    assert cfg.as_dict() == {'hap': 0, 'pvshim': 0}


# Editing a list keeps its layout: the spaces inside the brackets of a one-line list, and the tabs that indent a
# hanging list whose first item sits on the bracket line (the continuation lines line up under that item).
@pytest.mark.parametrize('text, value, expected', [
    ("cpus = [  '1', '2'  ]\n", ['3', '4', '5'], "cpus = [  '3', '4', '5'  ]\n"),
    ("cpus = [ '1' ]\n", ['3', '4'], "cpus = [ '3', '4' ]\n"),
    ("\tdisk = ['a'\n\t]\n", ['b', 'c'], "\tdisk = ['b',\n\t        'c'\n\t]\n"),
])
def test_set_keeps_the_list_layout(text, value, expected):
    cfg = XlConfig.parse(text)
    assert cfg.set(cfg.keys()[0], value) is True
    assert cfg.render() == expected
