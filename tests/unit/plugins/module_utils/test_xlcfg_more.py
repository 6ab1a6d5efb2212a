# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""More exact tests of the xl configuration reader and editor: whole error messages and whole edited texts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import XlConfig, XlConfigSyntaxError


# Texts xl refuses (tools/libs/util/libxlu_cfg_l.l, libxlu_cfg_y.y, libxlu_cfg.c, 4.17 and 4.20 alike), with the whole
# message xlcfg gives and where: a key alone at the end of the file (the identifier runs to the end of the text); a
# quoted string never spans a newline, even when a quote follows on the next line; a backslash as the last character
# of the file leaves the string open; '+=' named as it is written; a list that the end of the file leaves open, right
# after '[' and after an item; '+=' of a list to a string (libxlu_cfg.c: "can't add [list] to \"string\" or vice versa").
@pytest.mark.parametrize('text, line, column, reason', [
    ('a', 1, 2, "expected '=' after 'a', found end of file"),
    ('name = "x"\nmemory', 2, 7, "expected '=' after 'memory', found end of file"),
    ('a = "x\ny"\n', 1, 5, 'unterminated quoted string'),
    ('a = "x\\', 1, 5, 'unterminated quoted string'),
    ("a = 'x\\", 1, 5, 'unterminated quoted string'),
    ('a = 1 += 2\n', 1, 7, "expected end of line or ';' after the value of 'a', found '+='"),
    ('disk = [', 1, 9, 'list opened at line 1 column 8 is not closed'),
    ('disk = [ "a"', 1, 13, 'list opened at line 1 column 8 is not closed'),
    ('x = "a"\nx += ["b"]\n', 2, 3, 'can\'t add [list] to "string" or vice versa (key \'x\')'),
])
def test_refused_texts_give_the_whole_message(text, line, column, reason):
    with pytest.raises(XlConfigSyntaxError) as err:
        XlConfig.parse(text, source='/etc/xen/t.cfg')
    assert (err.value.line, err.value.column, err.value.reason) == (line, column, reason)
    assert str(err.value) == '/etc/xen/t.cfg:%d:%d: %s' % (line, column, reason)


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


# remove() drops the whole line of a setting alone on its line, also when the file starts with an empty line (that
# line stays).
@pytest.mark.parametrize('text, key, expected', [
    ('\nb=2\n', 'b', '\n'),
    ('\n\nb=2\nc=3\n', 'b', '\n\nc=3\n'),
])
def test_remove_keeps_the_text_around(text, key, expected):
    cfg = XlConfig.parse(text)
    assert cfg.remove(key) is True
    assert cfg.render() == expected
