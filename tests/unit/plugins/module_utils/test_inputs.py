# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The words and readings the roles' input checks share: a value in words, booleans and whole numbers read as
Ansible reads them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import inputs

# Ansible's boolean words (ansible.module_utils.parsing.convert_bool), written out here
TRUE_WORDS = ['yes', 'true', 'on', '1', 'y', 't']
FALSE_WORDS = ['no', 'false', 'off', '0', 'n', 'f']


@pytest.mark.parametrize('value, expected', [
    (None, 'null'),
    (True, 'a boolean (True)'),
    (False, 'a boolean (False)'),
    (0, 'the number 0'),
    (1024, 'the number 1024'),
    (1.5, 'the number 1.5'),
    ('', "the string ''"),
    ("it's", 'the string "it\'s"'),
    ({'path': '/srv'}, 'a mapping'),
    ([], 'a list'),
    (('a',), 'a list'),
    ({1}, 'a set'),
    (b'x', 'a bytes'),
])
def test_kind_names_the_value_for_a_message(value, expected):
    assert inputs.kind(value) == expected


@pytest.mark.parametrize('word', TRUE_WORDS + FALSE_WORDS)
def test_every_boolean_word_is_a_boolean_in_any_case(word):
    assert inputs.is_bool(word) is True
    assert inputs.is_bool(word.upper()) is True
    assert inputs.is_bool(word.capitalize()) is True


@pytest.mark.parametrize('value', [None, 1, 0, 1.0, '', 'maybe', 'yess', ' yes', 'enabled', ['yes'], {'yes': 1}])
def test_other_values_are_no_booleans(value):
    assert inputs.is_bool(value) is False


def test_booleans_are_booleans():
    assert inputs.is_bool(True) is True
    assert inputs.is_bool(False) is True


@pytest.mark.parametrize('word', TRUE_WORDS)
def test_true_words_are_true(word):
    assert inputs.truthy(word) is True
    assert inputs.truthy(word.upper()) is True


@pytest.mark.parametrize('value', FALSE_WORDS + [w.upper() for w in FALSE_WORDS] + [False, None, 1, 1.0, '', 'maybe',
                                                                                    ['yes']])
def test_everything_else_is_false(value):
    assert inputs.truthy(value) is False


def test_true_is_true():
    assert inputs.truthy(True) is True


@pytest.mark.parametrize('value, expected', [
    (0, 0), (7, 7), (-3, -3), ('0', 0), ('1024', 1024), (' 64\n', 64), ('007', 7),
    (True, None), (False, None), (None, None), (1.0, None), ('', None), ('-1', None), ('1.5', None), ('0x10', None),
    ('12 MiB', None), ('1 2', None), ([1], None),
])
def test_as_int_reads_whole_numbers_only(value, expected):
    got = inputs.as_int(value)
    assert got == expected
    assert type(got) is type(expected)
