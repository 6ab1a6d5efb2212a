# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import random

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import (
    XlConfig,
    XlConfigSyntaxError,
    check_value,
    quote,
    domain_type,
    is_hvm,
    is_vtpm_stub,
    unmet_settings,
    valid_key,
    xl_number,
    xl_true,
)
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, fixture_files

CONFIG_FILES = fixture_files(subdir='xlcfg') + ['debian12-xen-4.17/etc-xen-xl.conf.debian.txt']


def _variants(text):
    """The file as it is, with CRLF line ends, without its last newline, and indented by tabs."""
    yield 'as-is', text
    yield 'crlf', text.replace('\n', '\r\n')
    yield 'no-final-newline', text.rstrip('\n')
    yield 'trailing-blank-lines', text + '\n\n'


CASES = [(os.path.basename(path), name, variant)
         for path in CONFIG_FILES for name, variant in _variants(fixture(path))]
IDS = ['%s-%s' % (c[0], c[1]) for c in CASES]


@pytest.mark.parametrize('fname,variant,text', CASES, ids=IDS)
def test_untouched_file_renders_byte_for_byte(fname, variant, text):
    cfg = XlConfig.parse(text, source=fname)
    assert cfg.render() == text
    # parsing what we render gives the same values
    assert XlConfig.parse(cfg.render()).as_dict() == cfg.as_dict()


@pytest.mark.parametrize('fname,variant,text', CASES, ids=IDS)
def test_setting_the_same_value_changes_nothing(fname, variant, text):
    cfg = XlConfig.parse(text)
    for key in cfg.keys():
        if cfg._settings[[s.key for s in cfg._settings].index(key)].op == '+=':
            continue
        last_op = [s.op for s in cfg._settings if s.key == key][-1]
        changed = cfg.set(key, cfg.get(key))
        assert changed is (last_op == '+=')
    if not any(s.op == '+=' for s in XlConfig.parse(text)._settings):
        assert cfg.render() == text


def _other_value(value):
    if isinstance(value, list):
        return ['changed-a', 'changed-b']
    if isinstance(value, int):
        return value + 12345
    return value + '-changed "x"'


@pytest.mark.parametrize('fname,variant,text', CASES, ids=IDS)
def test_set_changes_only_the_asked_key(fname, variant, text):
    original = XlConfig.parse(text)
    for key in original.keys():
        cfg = XlConfig.parse(text)
        last = [s for s in cfg._settings if s.key == key][-1]
        new_value = _other_value(cfg.get(key))
        assert cfg.set(key, new_value) is True
        out = cfg.render()
        # the text before the operator and after the value is untouched
        assert out.startswith(text[:last.op_token.start])
        assert out.endswith(text[last.value.end:])
        again = XlConfig.parse(out)
        assert again.get(key) == new_value
        for other in original.keys():
            if other != key:
                assert again.get(other) == original.get(other), other
        assert again.keys() == original.keys()


@pytest.mark.parametrize('fname,variant,text', CASES, ids=IDS)
def test_remove_drops_the_key_and_keeps_the_rest(fname, variant, text):
    original = XlConfig.parse(text)
    for key in original.keys():
        cfg = XlConfig.parse(text)
        assert cfg.remove(key) is True
        assert cfg.remove(key) is False
        out = cfg.render()
        again = XlConfig.parse(out)
        assert key not in again
        assert again.get(key) is None
        assert again.keys() == [k for k in original.keys() if k != key]
        for other in again.keys():
            assert again.get(other) == original.get(other)
        # every comment line outside the removed settings is still there
        inside = set()
        for st in original._settings:
            if st.key == key:
                inside.update(range(st.key_token.line, st.value.close.line + 1 if st.value.close else st.line + 1))
        comments = [line for no, line in enumerate(text.splitlines(), 1)
                    if line.lstrip().startswith('#') and no not in inside]
        kept = out.splitlines()
        assert all(line in kept for line in comments)


@pytest.mark.parametrize('fname,variant,text', CASES, ids=IDS)
def test_new_key_is_appended_at_the_end(fname, variant, text):
    cfg = XlConfig.parse(text)
    assert cfg.set('xenguard_test', ['a', 'b']) is True
    out = cfg.render()
    assert out.startswith(text)
    nl = '\r\n' if '\r\n' in text else '\n'
    tail = out[len(text):]
    assert 'xenguard_test' in tail
    if text.endswith('\n') or not text:
        assert tail.endswith(nl)
    else:
        assert tail.startswith(nl) and not tail.endswith('\n')
    assert XlConfig.parse(out).get('xenguard_test') == ['a', 'b']


# ---------------------------------------------------------------------------------------------
# values

def test_values_of_a_real_shaped_guest():
    cfg = XlConfig.parse(fixture('xlcfg', 'pv-direct-kernel.cfg'))
    assert cfg.get('name') == 'web1'
    assert cfg.get('memory') == 1024
    assert cfg.get('extra') == 'root=/dev/xvda1 console=hvc0 # not a comment'
    assert cfg.get('disk') == ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/web1-disk',
                               'format=raw, vdev=xvdb, access=rw, target=/dev/vg0/web1-swap']
    assert cfg.get('nothing') is None
    assert cfg.get('nothing', 'x') == 'x'
    assert cfg.line_of('memory') == 12
    assert cfg.line_of('nothing') is None


def test_numbers_lists_appends_and_escapes():
    cfg = XlConfig.parse(fixture('xlcfg', 'lists-and-appends.cfg'))
    assert cfg.get('numbers') == [1, 16, 15]
    assert cfg.get('empty') == []
    assert cfg.get('nested')[1] == ['pnode=1', 'size=512', 'vcpus=2-3']
    assert cfg.get('extra') == 'console=hvc0 quiet'
    assert cfg.get('disk') == ['phy:/dev/vg0/a,xvda,w', 'phy:/dev/vg0/b,xvdb,w']
    assert cfg.get('escapes') == 'tab\there "quoted" back\\slash \'single\''
    assert cfg.get('single') == "it's # not a comment"


def test_hvm_file_with_semicolons_tabs_and_hex():
    cfg = XlConfig.parse(fixture('xlcfg', 'hvm-weird-spacing.cfg'))
    assert cfg.get('vcpus') == 4
    assert cfg.get('maxvcpus') == 8
    assert cfg.get('vncpasswd') == ''
    assert cfg.get('viridian') == ['base', 'freq', 'apic_assist']
    assert cfg.get('usbdevice') == ['tablet']


def test_dotted_keys_of_xl_conf():
    cfg = XlConfig.parse(fixture('xlcfg', 'xl.conf'))
    assert cfg.get('vif.default.backend') == 'netdd'
    assert cfg.get('autoballoon') == 'off'
    assert cfg.set('autoballoon', 'off') is False


@pytest.mark.parametrize('text,value', [
    ('a = 0', 0), ('a = 10', 10), ('a = 0x1f', 31), ('a = 010', 8), ('a = 1abc', '1abc'), ('a = 0x', '0x'),
    ('a = "\\x41\\101\\a\\b\\f\\v\\r"', 'AA\a\b\f\v\r'),
])
def test_number_and_escape_forms(text, value):
    assert XlConfig.parse(text).get('a') == value


def test_last_setting_wins_and_set_replaces_it():
    text = 'memory = 256\nmemory = 512\n'
    cfg = XlConfig.parse(text)
    assert cfg.get('memory') == 512
    assert cfg.set('memory', 1024)
    assert cfg.render() == 'memory = 256\nmemory = 1024\n'


def test_set_on_an_append_turns_it_into_an_assignment():
    cfg = XlConfig.parse('extra = "a"\nextra += " b"\n')
    assert cfg.set('extra', 'c') is True
    assert cfg.render() == 'extra = "a"\nextra = "c"\n'
    assert cfg.get('extra') == 'c'


def test_append_without_earlier_value():
    assert XlConfig.parse('extra += "x"').get('extra') == 'x'


# ---------------------------------------------------------------------------------------------
# rendering style

def test_multiline_list_keeps_its_layout():
    text = "disk = [\n    'a',\n    'b',\n]\nname = \"x\"\n"
    cfg = XlConfig.parse(text)
    cfg.set('disk', ['c', 'd', 'e'])
    assert cfg.render() == "disk = [\n    'c',\n    'd',\n    'e',\n]\nname = \"x\"\n"


def test_hanging_multiline_list_keeps_its_layout():
    text = "disk = [ 'a',\n         'b' ]\n"
    cfg = XlConfig.parse(text)
    cfg.set('disk', ['c', 'd'])
    assert cfg.render() == "disk = [ 'c',\n         'd' ]\n"


def test_multiline_list_with_first_item_on_the_bracket_line_and_no_indent_hint():
    cfg = XlConfig.parse("disk = ['a', 'b'\n]\n")
    cfg.set('disk', ['c', 'd'])
    assert cfg.render() == "disk = ['c',\n        'd'\n]\n"


def test_multiline_list_crlf():
    text = "disk = [\r\n  \"a\",\r\n]\r\n"
    cfg = XlConfig.parse(text)
    cfg.set('disk', ['b', 'c'])
    assert cfg.render() == "disk = [\r\n  \"b\",\r\n  \"c\",\r\n]\r\n"


def test_single_line_list_spacing_and_quotes_are_kept():
    cfg = XlConfig.parse('vif=["bridge=xenbr0"]\n')
    cfg.set('vif', ['bridge=xenbr1', 'bridge=xenbr2'])
    assert cfg.render() == 'vif=["bridge=xenbr1", "bridge=xenbr2"]\n'


def test_scalar_quote_is_kept_and_escaped():
    cfg = XlConfig.parse("kernel = '/boot/vmlinuz'\n")
    cfg.set('kernel', "/boot/it's")
    assert cfg.render() == "kernel = '/boot/it\\'s'\n"
    assert XlConfig.parse(cfg.render()).get('kernel') == "/boot/it's"


def test_new_values_follow_the_file_style():
    cfg = XlConfig.parse('name="a"\ndisk=["x"]\n')
    cfg.set('vif', ['bridge=xenbr1'])
    cfg.set('kernel', 'k')
    cfg.set('vcpus', 2)
    cfg.set('pvshim', True)
    cfg.set('nested', [['a', 1], []])
    assert cfg.render() == ('name="a"\ndisk=["x"]\nvif=["bridge=xenbr1"]\nkernel="k"\nvcpus=2\npvshim=1\n'
                            'nested=[["a", 1], []]\n')


def test_new_values_in_an_empty_file_use_the_default_style():
    cfg = XlConfig.parse('')
    cfg.set('disk', ('a', 'b'))
    cfg.set('name', 'x')
    cfg.set('empty', [])
    assert cfg.render() == "disk = [ 'a', 'b' ]\nname = \"x\"\nempty = []\n"


def test_replacing_a_list_by_a_string_and_back():
    cfg = XlConfig.parse("cpus = [ '1', '2' ]\n")
    cfg.set('cpus', '1-2')
    assert cfg.render() == "cpus = '1-2'\n"
    cfg.set('cpus', ['3'])
    assert cfg.render() == "cpus = [ '3' ]\n"


def test_quote_escapes_everything_xl_needs():
    value = 'a"b\\c\nd\te\rf\ag\bh\fi\vj\'k'
    rendered = quote(value)
    assert '\n' not in rendered
    assert XlConfig.parse('x = %s' % rendered).get('x') == value
    assert XlConfig.parse('x = %s' % quote(value, "'")).get('x') == value


# ---------------------------------------------------------------------------------------------
# remove

@pytest.mark.parametrize('text,key,expected', [
    ('a=1\nb=2\nc=3\n', 'b', 'a=1\nc=3\n'),
    ('a=1; b=2\n', 'a', 'b=2\n'),
    ('a=1; b=2\n', 'b', 'a=1\n'),
    ('a=1; b=2; c=3\n', 'b', 'a=1; c=3\n'),
    ('a=1; b=2; # note\n', 'b', 'a=1; # note\n'),
    ('a=1;\nb=2\n', 'a', 'b=2\n'),
    ('# keep\nb = [\n  "x",\n  "y",\n] # gone\nc=1\n', 'b', '# keep\nc=1\n'),
    ('a=1\nb=2', 'b', 'a=1\n'),
    ('b=2', 'b', ''),
    ('b=1\r\na=1\r\nb=2\r\n', 'b', 'a=1\r\n'),
    ('x = "a"\nx += "b"\n', 'x', ''),
    # a file that starts with an empty line keeps it
    ('\nb=2\n', 'b', '\n'),
    ('\n\nb=2\nc=3\n', 'b', '\n\nc=3\n'),
])
def test_remove_cases(text, key, expected):
    cfg = XlConfig.parse(text)
    assert cfg.remove(key) is True
    assert cfg.render() == expected


def test_remove_absent_key():
    cfg = XlConfig.parse('a=1\n')
    assert cfg.remove('b') is False
    assert cfg.render() == 'a=1\n'


# ---------------------------------------------------------------------------------------------
# errors

# Where xl would refuse the file, the whole message and its place. A quoted string never spans a newline, and a
# backslash as the last character of the file leaves it open (libxlu_cfg_l.l); '+=' is named as it is written; a list
# the end of the file leaves open, right after '[' or after an item; '+=' of a list to a string (libxlu_cfg.c: "can't
# add [list] to \"string\" or vice versa").
@pytest.mark.parametrize('text,line,column,reason', [
    ('memory = 512 * 2\n', 1, 14, "lexical error near '*' (the file looks like Python; xl configuration files take literal "
     "values only)"),
    ('name = "x"\nMemory = 1\n', 2, 1, "lexical error near 'Memory' (keys are lower-case identifiers)"),
    ('name = "x\n', 1, 8, 'unterminated quoted string'),
    ("name = 'x\\\n'", 1, 8, 'unterminated quoted string'),
    ('a = "x\ny"\n', 1, 5, 'unterminated quoted string'),
    ('a = "x\\', 1, 5, 'unterminated quoted string'),
    ("a = 'x\\", 1, 5, 'unterminated quoted string'),
    ('disk = [ "a",\n "b"\n', 3, 1, 'list opened at line 1 column 8 is not closed'),
    ('disk = [ "a"', 1, 13, 'list opened at line 1 column 8 is not closed'),
    ('disk = [', 1, 9, 'list opened at line 1 column 8 is not closed'),
    ('disk = [ "a" "b" ]\n', 1, 14, 'expected \',\' or \']\' in list, found \'"b"\''),
    ('memory 512\n', 1, 8, "expected '=' after 'memory', found '512'"),
    ('a', 1, 2, "expected '=' after 'a', found end of file"),
    ('name = "x"\nmemory', 2, 7, "expected '=' after 'memory', found end of file"),
    ('memory =\n', 1, 9, 'expected a value (a quoted string, a number or a list), found end of line'),
    ('memory = 512 1024\n', 1, 14, "expected end of line or ';' after the value of 'memory', found '1024'"),
    ('a = 1 += 2\n', 1, 7, "expected end of line or ';' after the value of 'a', found '+='"),
    ('= 1\n', 1, 1, "expected a setting name, found '='"),
    ('a = "\\q"\n', 1, 6, "invalid character after backslash in quoted string: 'q'"),
    ('a = "\\xZZ"\n', 1, 6, 'invalid hex escape in quoted string'),
    ('a = "x"\n\n  b = @\n', 3, 7, "lexical error near '@'"),
    ('a = [ , ]\n', 1, 7, "expected a value (a quoted string, a number or a list), found ','"),
    ('x = "a"\nx += ["b"]\n', 2, 3, 'can\'t add [list] to "string" or vice versa (key \'x\')'),
])
def test_syntax_errors_say_where(text, line, column, reason):
    with pytest.raises(XlConfigSyntaxError) as err:
        XlConfig.parse(text, source='/etc/xen/bad.cfg')
    assert (err.value.line, err.value.column, err.value.reason) == (line, column, reason)
    assert str(err.value) == '/etc/xen/bad.cfg:%d:%d: %s' % (line, column, reason)
    assert str(err.value).startswith('/etc/xen/bad.cfg:%d:%d: ' % (line, column))


def test_error_without_source_names_the_config():
    with pytest.raises(XlConfigSyntaxError) as err:
        XlConfig.parse('a = ?')
    assert str(err.value).startswith('<config>:1:5:')


def test_parse_wants_text():
    with pytest.raises(TypeError):
        XlConfig.parse(b'a = 1')


@pytest.mark.parametrize('key', ['Name', '1abc', '', 'a-b', 'a b', '_x', None, 'a=b'])
def test_invalid_keys_are_refused(key):
    assert not valid_key(key)
    with pytest.raises(ValueError):
        XlConfig.parse('').set(key, 'x')


@pytest.mark.parametrize('value,words', [
    (1.5, 'float'), (None, 'NoneType'), ({'a': 1}, 'dict'), (-1, 'negative'), ('a\x00b', 'NUL'),
    (['a', 2.0], 'float in a list'),
])
def test_unsupported_values_are_refused(value, words):
    with pytest.raises(ValueError) as err:
        check_value(value)
    assert words in str(err.value)
    cfg = XlConfig.parse('a = 1\n')
    with pytest.raises(ValueError):
        cfg.set('a', value)
    assert cfg.render() == 'a = 1\n'


def test_valid_keys():
    for key in ('name', 'vif.default.backend', 'device_model_stubdomain_override', 'a1'):
        assert valid_key(key)


# ---------------------------------------------------------------------------------------------
# randomised round trips: files generated with random spacing, comments and separators

_WORDS = ['a', 'phy:/dev/vg0/x,xvda,w', 'bridge=xenbr1', "it's", 'say "hi"', 'tab\there', '#hash', '', 'x;y',
          'back\\slash', 'caf\u00e9']


def _random_atom(rng):
    if rng.random() < 0.3:
        number = rng.randrange(0, 5000)
        form = rng.choice(['%d', '0x%x', '0%o'])
        text = form % number
        if form == '0%o' and number == 0:
            text = '0'
        return number, text
    word = rng.choice(_WORDS)
    return word, quote(word, rng.choice('"\''))


_LIST_SPACES = ['', ' ', '  ', '\t', '\n', ' # c\n', '\n    ']


def _random_value(rng, depth=0):
    if depth < 2 and rng.random() < 0.35:
        items = [_random_value(rng, depth + 1) for dummy in range(rng.randrange(0, 4))]
        parts = ['[', rng.choice(_LIST_SPACES)]
        for idx, item in enumerate(items):
            parts.append(item[1])
            parts.append(rng.choice(['', ' ', '\n']))
            if idx < len(items) - 1 or rng.random() < 0.4:
                parts.append(',')
                parts.append(rng.choice(_LIST_SPACES))
        parts.append(']')
        return [item[0] for item in items], ''.join(parts)
    return _random_atom(rng)


def _random_file(rng):
    model = {}
    out = []
    for dummy in range(rng.randrange(0, 12)):
        roll = rng.random()
        if roll < 0.15:
            out.append(rng.choice(['# comment\n', '\n', '   \n', '#\n', '  # indented = "x"\n']))
            continue
        key = rng.choice(['name', 'memory', 'disk', 'vif', 'vif.default.backend', 'extra', 'k_2'])
        value, text = _random_value(rng)
        out.append('%s%s%s%s%s' % (rng.choice(['', ' ', '\t']), key, rng.choice(['=', ' = ', '\t=  ']),
                                   text, rng.choice(['', ' ', '\t'])))
        model[key] = value
        out.append(rng.choice(['\n', ';', '; ', ' # trailing\n', ';\n']))
    text = ''.join(out)
    if rng.random() < 0.2:
        text = text.replace('\n', '\r\n')
    return model, text


@pytest.mark.parametrize('seed', range(40))
def test_random_files_round_trip_and_edit(seed):
    rng = random.Random(seed)
    for dummy in range(25):
        model, text = _random_file(rng)
        cfg = XlConfig.parse(text)
        assert cfg.render() == text
        assert cfg.as_dict() == model
        # a random edit keeps the model in step
        if model and rng.random() < 0.5:
            key = rng.choice(sorted(model))
            cfg.remove(key)
            del model[key]
        else:
            key = rng.choice(['memory', 'disk', 'new.key'])
            model[key] = rng.choice([['x', 'y'], 'z', 7, []])
            cfg.set(key, model[key])
        assert XlConfig.parse(cfg.render()).as_dict() == model


def test_new_key_spacing_comes_from_the_first_setting_even_an_append():
    cfg = XlConfig.parse('extra  +=  "a"\n')
    cfg.set('name', 'x')
    assert cfg.render() == 'extra  +=  "a"\nname  =  "x"\n'


def test_new_list_after_a_multiline_list_uses_the_default_spacing():
    cfg = XlConfig.parse('disk = [\n  "a",\n]\n')
    cfg.set('vif', ['b'])
    assert cfg.render().endswith('vif = [ "b" ]\n')


def test_booleans_are_numbers():
    cfg = XlConfig.parse('pvshim = 1\nhap = 0\n')
    assert cfg.set('pvshim', True) is False
    assert cfg.set('hap', False) is False
    assert cfg.set('hap', True) is True
    assert cfg.render() == 'pvshim = 1\nhap = 1\n'


def test_a_number_is_not_the_same_as_a_string():
    cfg = XlConfig.parse('memory = "512"\n')
    assert cfg.set('memory', 512) is True
    assert cfg.render() == 'memory = 512\n'


def test_value_at_end_of_file_is_missing():
    with pytest.raises(XlConfigSyntaxError) as err:
        XlConfig.parse('memory =')
    assert 'found end of file' in str(err.value)


# ---------------------------------------------------------------------------------------------
# the lexer's character classes (tools/libs/util/libxlu_cfg_l.l: identifiers [a-z][._0-9a-z]*, numbers
# [0-9][0-9a-fx]*, [+-.():] flagged as "likely Python"); each was a surviving mutant of make mutation

@pytest.mark.parametrize('text,message', [
    ('X = 1', "lexical error near 'X' (keys are lower-case identifiers)"),
    ('aX = 1', "lexical error near 'X' (keys are lower-case identifiers)"),
    ('a = 0X1f', "lexical error near 'X1f' (keys are lower-case identifiers)"),
    ('a = 1 + 2', "lexical error near '+' (the file looks like Python; xl configuration files take literal "
                  "values only)"),
    ('a = {}', "lexical error near '{}' (the file looks like Python; xl configuration files take literal "
               "values only)"),
    ('a = "\\xZZ"', 'invalid hex escape in quoted string'),
    ('a = "\\X"', "invalid character after backslash in quoted string: 'X'"),
])
def test_lexer_refusals(text, message):
    with pytest.raises(XlConfigSyntaxError) as err:
        XlConfig.parse(text, source='/etc/xen/a.cfg')
    assert err.value.reason == message
    assert str(err.value).startswith('/etc/xen/a.cfg:1:') and str(err.value).endswith(': ' + message)


def test_escape_positions_and_invalid_octal_numbers():
    # the column of a bad escape is where it is in the line
    with pytest.raises(XlConfigSyntaxError) as err:
        XlConfig.parse('a = "ab\\xZZ"')
    assert (err.value.line, err.value.column) == (1, 8)
    # decoding goes on after a hex escape
    assert XlConfig.parse('a = "a\\x41b\\x42"').get('a') == 'aAbB'
    # 08 is no octal number: kept as written
    assert XlConfig.parse('a = 08').get('a') == '08'
    assert XlConfig.parse('a = 07').get('a') == 7


def test_a_missing_value_names_the_end_of_the_line():
    with pytest.raises(XlConfigSyntaxError) as err:
        XlConfig.parse('a =\nb = 1\n')
    assert 'end of line' in err.value.reason


def test_quote_writes_escapes_not_control_characters():
    assert quote('\a\b\f\r\t\v\\') == '"\\a\\b\\f\\r\\t\\v\\\\"'


@pytest.mark.parametrize('keys, settings, unmet', [
    ({'a': 1}, {'a': 1}, []),
    ({'a': 1}, {'a': '1'}, []),        # xl reads 1 and "1" alike
    ({'a': '1'}, {'a': 1}, []),
    ({'a': 0}, {'a': 1}, ['a']),
    ({}, {'a': ''}, ['a']),             # absent is not the empty text
    ({'a': 1, 'b': 'x'}, {'b': 'y', 'a': 1, 'c': 2}, ['b', 'c']),
    ({'a': 1}, {}, []),
])
def test_unmet_settings(keys, settings, unmet):
    assert unmet_settings(keys, settings) == unmet


# xlu_cfg_get_long (tools/libs/util/libxlu_cfg.c): strtol(value, &ep, 0), and *ep must be the end; every single
# value is text to libxlu, so a quoted number is a number; a list is refused with a warning.
@pytest.mark.parametrize('value, number', [
    (1, 1), (0, 0), (-1, -1), (True, 1), (False, 0),
    ('1', 1), ('0', 0), ('-3', -3), ('+3', 3), ('  7', 7), ('\t\n7', 7),
    ('0x10', 16), ('0X1f', 31), ('010', 8), ('00', 0), ('0', 0),
    ('08', None),      # 8 is no octal digit: strtol stops at it
    ('0x', None),      # strtol reads the 0 and stops at x
    ('7 ', None), ('1.5', None), ('', None), (' ', None), ('yes', None), ('true', None), ('True', None),
    ('--1', None), ('0x-1', None), (None, None), (['1'], None), ({'a': 1}, None),
    # a long is 64 bits on amd64: beyond it strtol sets ERANGE and xl warns and ignores the setting
    ('9223372036854775807', (1 << 63) - 1), ('-9223372036854775808', -(1 << 63)), ('0x7fffffffffffffff', (1 << 63) - 1),
    ('9223372036854775808', None), ('-9223372036854775809', None), ('99999999999999999999', None),
])
def test_xl_number_reads_as_strtol_base_0(value, number):
    assert xl_number(value) == number
    assert xl_true(value) is bool(number)


# xl_parse.c (4.17 and 4.20 alike): type= by strncmp over its own length against hvm, then pv, then pvh;
# builder= against hvm and generic; contradicting type and builder, or an unknown word: xl exits.
@pytest.mark.parametrize('keys, kind', [
    ({}, 'pv'),
    ({'type': 'hvm'}, 'hvm'), ({'type': 'pv'}, 'pv'), ({'type': 'pvh'}, 'pvh'),
    ({'type': 'h'}, 'hvm'), ({'type': 'hv'}, 'hvm'), ({'type': ''}, 'hvm'), ({'type': 'p'}, 'pv'),
    ({'type': 'HVM'}, None), ({'type': 'hvm '}, None), ({'type': 'hvmx'}, None), ({'type': 'pvhx'}, None),
    ({'type': 1}, None),
    ({'builder': 'hvm'}, 'hvm'), ({'builder': 'generic'}, 'pv'), ({'builder': 'gen'}, 'pv'), ({'builder': ''}, 'hvm'),
    ({'builder': 'pv'}, None), ({'builder': 'HVM'}, None),
    ({'type': 'hvm', 'builder': 'hvm'}, 'hvm'), ({'type': 'pv', 'builder': 'generic'}, 'pv'),
    ({'type': 'pvh', 'builder': 'generic'}, None), ({'type': 'pv', 'builder': 'hvm'}, None),
    ({'type': 'hvm', 'builder': 'generic'}, None),
    ({'type': ['hvm']}, 'pv'), ({'type': ['hvm'], 'builder': 'hvm'}, 'hvm'),  # a list is ignored
])
def test_domain_type_as_xl_parse_reads_it(keys, kind):
    assert domain_type(keys) == kind
    assert is_hvm(keys) is (kind == 'hvm')


@pytest.mark.parametrize('kernel, stub', [
    ('/usr/lib/xen-4.17/boot/vtpm-stubdom.gz', True), ('/usr/lib/xen-4.20/boot/vtpmmgr-stubdom.gz', True),
    ('vtpm-stubdom.gz', True), ('/srv/vtpm/vmlinuz', False), ('/boot/vmlinuz', False), (None, False), (3, False),
])
def test_a_vtpm_stub_domain_by_its_kernels_file_name(kernel, stub):
    assert is_vtpm_stub({} if kernel is None else {'kernel': kernel}) is stub
