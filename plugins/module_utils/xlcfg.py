# -*- coding: utf-8 -*-
# Copyright (c) xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lossless parser and renderer for xl domain configuration files (xl.cfg(5), xl.conf(5)).

The syntax follows the one xl itself accepts:

* a setting is ``KEY = VALUE`` (or ``KEY += VALUE``, which appends to an earlier value);
  a key is a lower-case identifier that may contain ``_`` and ``.`` (``vif.default.backend``);
* a value is a string in single or double quotes (with backslash escapes), a number
  (decimal, octal with a leading ``0``, hexadecimal with ``0x``) or a list ``[ ... ]`` of values
  that may span lines and may end with a comma; lists may nest;
* ``#`` starts a comment that runs to the end of the line;
* settings end at a newline or a ``;``.

An untouched file renders back byte for byte; ``set`` and ``remove`` edit only the text of the
settings they are asked about. Carriage returns before newlines are kept (xl itself refuses
them, so a CRLF file will not pass ``xl create -n``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

KEY_RE = re.compile(r'^[a-z][._0-9a-z]*\Z')
_IDENT_START = 'abcdefghijklmnopqrstuvwxyz'
_IDENT_CHARS = _IDENT_START + '0123456789_.'
_NUMBER_CHARS = '0123456789abcdefx'
_PYTHON_HINT_CHARS = '+-.():*/%{}'

_ESCAPES_IN = {
    '"': '"', "'": "'", '\\': '\\', 'a': '\a', 'b': '\b', 'f': '\f',
    'n': '\n', 'r': '\r', 't': '\t', 'v': '\v',
}
_ESCAPES_OUT = {
    '\\': '\\\\', '\a': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n',
    '\r': '\\r', '\t': '\\t', '\v': '\\v',
}


class XlConfigSyntaxError(ValueError):
    """A configuration text that xl would not accept. Carries ``source``, ``line`` and ``column``."""

    def __init__(self, message, line, column, source=None):
        self.reason = message
        self.line = line
        self.column = column
        self.source = source or '<config>'
        super(XlConfigSyntaxError, self).__init__(
            '%s:%d:%d: %s' % (self.source, line, column, message))


def valid_key(key):
    """True when ``key`` is an identifier xl accepts as a setting name."""
    return isinstance(key, str) and KEY_RE.match(key) is not None


# ---------------------------------------------------------------------------------------------
# lexer

class _Token:
    __slots__ = ('kind', 'text', 'start', 'end', 'line', 'column', 'value')

    def __init__(self, kind, text, start, end, line, column, value=None):
        self.kind = kind      # ident number string = += ; , [ ] newline eof
        self.text = text
        self.start = start
        self.end = end
        self.line = line
        self.column = column
        self.value = value

    def describe(self):
        if self.kind == 'newline':
            return 'end of line'
        if self.kind == 'eof':
            return 'end of file'
        return repr(self.text)


def _number_value(text):
    """xl reads numbers with strtol(base 0): 0x hexadecimal, leading 0 octal, else decimal."""
    try:
        if text[:2] in ('0x', '0X'):
            return int(text[2:], 16)
        if len(text) > 1 and text[0] == '0':
            return int(text[1:], 8)
        return int(text, 10)
    except ValueError:
        return text


def _decode_string(body, source, line, column):
    out = []
    i = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c != '\\':
            out.append(c)
            i += 1
            continue
        nc = body[i + 1]
        if nc in _ESCAPES_IN:
            out.append(_ESCAPES_IN[nc])
            i += 2
        elif nc == 'x':
            digits = body[i + 2:i + 4]
            if len(digits) != 2 or not all(d in '0123456789abcdefABCDEF' for d in digits):
                raise XlConfigSyntaxError('invalid hex escape in quoted string', line, column + i, source)
            out.append(chr(int(digits, 16)))
            i += 4
        elif nc in '01234567':
            j = i + 1
            while j < n and j < i + 4 and body[j] in '01234567':
                j += 1
            out.append(chr(int(body[i + 1:j], 8)))
            i = j
        else:
            raise XlConfigSyntaxError(
                'invalid character after backslash in quoted string: %r' % nc, line, column + i, source)
    return ''.join(out)


def _tokenize(text, source):
    tokens = []
    i = 0
    n = len(text)
    line = 1
    line_start = 0
    while i < n:
        c = text[i]
        col = i - line_start + 1
        if c in ' \t\r':
            i += 1
        elif c == '\n' or c == '#':
            start = i
            if c == '#':
                while i < n and text[i] != '\n':
                    i += 1
            if i < n:
                i += 1  # the newline itself
            tokens.append(_Token('newline', text[start:i], start, i, line, col))
            line += 1
            line_start = i
        elif c in _IDENT_START:
            j = i + 1
            while j < n and text[j] in _IDENT_CHARS:
                j += 1
            tokens.append(_Token('ident', text[i:j], i, j, line, col))
            i = j
        elif c in '0123456789':
            j = i + 1
            while j < n and text[j] in _NUMBER_CHARS:
                j += 1
            word = text[i:j]
            tokens.append(_Token('number', word, i, j, line, col, _number_value(word)))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                if text[j] == '\\':
                    if j + 1 >= n or text[j + 1] == '\n':
                        break
                    j += 2
                else:
                    j += 1
            if j >= n or text[j] != c:
                raise XlConfigSyntaxError('unterminated quoted string', line, col, source)
            body = text[i + 1:j]
            value = _decode_string(body, source, line, col + 1)
            tokens.append(_Token('string', text[i:j + 1], i, j + 1, line, col, value))
            i = j + 1
        elif c == '+' and text[i + 1:i + 2] == '=':
            tokens.append(_Token('+=', '+=', i, i + 2, line, col))
            i += 2
        elif c in '=;,[]':
            tokens.append(_Token(c, c, i, i + 1, line, col))
            i += 1
        else:
            j = i
            while j < n and text[j] not in ' \t\r\n':
                j += 1
            msg = 'lexical error near %r' % text[i:j]
            if c in _PYTHON_HINT_CHARS:
                msg += ' (the file looks like Python; xl configuration files take literal values only)'
            elif c.isalpha():
                msg += ' (keys are lower-case identifiers)'
            raise XlConfigSyntaxError(msg, line, col, source)
    tokens.append(_Token('eof', '', n, n, line, n - line_start + 1))
    return tokens


# ---------------------------------------------------------------------------------------------
# parser

class _Value:
    """A parsed value: an atom (string/number token) or a list of values."""
    __slots__ = ('kind', 'start', 'end', 'token', 'items', 'line', 'column', 'close')

    def __init__(self, kind, start, end, line, column, token=None, items=None, close=None):
        self.kind = kind  # 'string' | 'number' | 'list'
        self.start = start
        self.end = end
        self.line = line
        self.column = column
        self.token = token
        self.items = items
        self.close = close  # token of the closing bracket

    def python(self):
        if self.kind == 'list':
            return [item.python() for item in self.items]
        return self.token.value

    def first_string(self):
        if self.kind == 'string':
            return self.token
        if self.kind == 'list':
            for item in self.items:
                found = item.first_string()
                if found is not None:
                    return found
        return None


class _Setting:
    __slots__ = ('key', 'op', 'key_token', 'op_token', 'value', 'line')

    def __init__(self, key_token, op_token, value):
        self.key = key_token.text
        self.key_token = key_token
        self.op = op_token.kind
        self.op_token = op_token
        self.value = value
        self.line = key_token.line


class _Parser:
    def __init__(self, tokens, source):
        self.tokens = tokens
        self.pos = 0
        self.source = source

    def peek(self):
        return self.tokens[self.pos]

    def take(self):
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def error(self, msg, tok):
        return XlConfigSyntaxError(msg, tok.line, tok.column, self.source)

    def skip_newlines(self):
        while self.peek().kind == 'newline':
            self.pos += 1

    def parse_file(self):
        settings = []
        while True:
            tok = self.take()
            if tok.kind == 'eof':
                return settings
            if tok.kind in ('newline', ';'):
                continue
            if tok.kind != 'ident':
                raise self.error('expected a setting name, found %s' % tok.describe(), tok)
            op = self.take()
            if op.kind not in ('=', '+='):
                raise self.error("expected '=' after %r, found %s" % (tok.text, op.describe()), op)
            value = self.parse_value()
            settings.append(_Setting(tok, op, value))
            end = self.peek()
            if end.kind not in ('newline', ';', 'eof'):
                raise self.error('expected end of line or \';\' after the value of %r, found %s'
                                 % (tok.text, end.describe()), end)

    def parse_value(self):
        tok = self.take()
        if tok.kind in ('string', 'number'):
            return _Value(tok.kind, tok.start, tok.end, tok.line, tok.column, token=tok)
        if tok.kind == '[':
            return self.parse_list(tok)
        raise self.error('expected a value (a quoted string, a number or a list), found %s' % tok.describe(), tok)

    def parse_list(self, open_tok):
        items = []
        self.skip_newlines()
        while True:
            tok = self.peek()
            if tok.kind == ']':
                self.pos += 1
                return _Value('list', open_tok.start, tok.end, open_tok.line, open_tok.column,
                              items=items, close=tok)
            if tok.kind == 'eof':
                raise self.error('list opened at line %d column %d is not closed'
                                 % (open_tok.line, open_tok.column), tok)
            items.append(self.parse_value())
            self.skip_newlines()
            sep = self.peek()
            if sep.kind == ',':
                self.pos += 1
                self.skip_newlines()
            elif sep.kind != ']':
                if sep.kind == 'eof':
                    raise self.error('list opened at line %d column %d is not closed'
                                     % (open_tok.line, open_tok.column), sep)
                raise self.error("expected ',' or ']' in list, found %s" % sep.describe(), sep)


def _combine(settings, source):
    """The value xl sees for each key: the last ``=`` wins, ``+=`` appends to the value before."""
    values = {}
    for st in settings:
        new = st.value.python()
        if st.op == '+=' and st.key in values:
            old = values[st.key]
            if isinstance(old, list) != isinstance(new, list):
                raise XlConfigSyntaxError("can't add [list] to \"string\" or vice versa (key %r)" % st.key,
                                          st.op_token.line, st.op_token.column, source)
            if isinstance(old, list):
                new = old + new
            else:
                new = '%s%s' % (old, new)
        values[st.key] = new
    return values


# ---------------------------------------------------------------------------------------------
# reading settings as xl does (tools/libs/util/libxlu_cfg.c, tools/xl/xl_parse.c; 4.17 and 4.20 alike)

# C's strtol with base 0 over the whole value: leading white space, a sign, 0x hexadecimal, a leading 0 octal
_STRTOL_RE = re.compile(r'[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z')


def xl_number(value):
    """The number xl reads from a setting (xlu_cfg_get_long: strtol with base 0, and nothing may follow the
    number), or None where xl warns and ignores the setting (not a number, or a list). libxlu keeps every
    single value as text, so "1" and 1 are the same setting."""
    if isinstance(value, int):
        return int(value)
    if not isinstance(value, str):
        return None
    found = _STRTOL_RE.match(value)
    if not found:
        return None
    sign, digits = found.groups()
    if digits[:2] in ('0x', '0X'):
        number = int(digits[2:], 16)
    else:
        number = int(digits, 8 if digits[0] == '0' else 10)
    number = -number if sign == '-' else number
    # outside a 64-bit long strtol sets ERANGE, and xl warns and ignores the setting
    return number if -(1 << 63) <= number < (1 << 63) else None


def xl_true(value):
    """A boolean setting as xl reads it (xlu_cfg_get_defbool): a number other than 0. Anything else (true,
    yes, a list) xl warns about and ignores, so the setting keeps its default: false here."""
    return bool(xl_number(value))


def domain_type(keys):
    """The type xl gives a guest configuration (xl_parse.c): 'hvm', 'pv' or 'pvh', or None where xl refuses
    the file. type= is taken as a prefix of hvm, pv and pvh, tried in that order (strncmp over its own
    length: "" and "h" are hvm); builder= (deprecated since Xen 4.10) of hvm or generic (pv), and must agree
    with type=; a list is ignored (xl warns). Neither: pv (x86)."""
    def word(key):
        value = keys.get(key)
        return None if value is None or isinstance(value, list) else str(value)

    kind = None
    text = word('type')
    if text is not None:
        kind = next((name for name in ('hvm', 'pv', 'pvh') if name.startswith(text)), None)
        if kind is None:
            return None
    text = word('builder')
    if text is not None:
        builder = next((name for word_, name in (('hvm', 'hvm'), ('generic', 'pv')) if word_.startswith(text)), None)
        if builder is None or kind not in (None, builder):
            return None
        kind = builder
    return kind or 'pv'


def is_hvm(keys):
    """An HVM guest configuration, as xl reads it."""
    return domain_type(keys) == 'hvm'


def is_vtpm_stub(keys):
    """A vTPM or vTPM manager stub domain: its kernel's file name holds vtpm (vtpm-stubdom.gz,
    vtpmmgr-stubdom.gz)."""
    kernel = keys.get('kernel')
    return isinstance(kernel, str) and 'vtpm' in kernel.rsplit('/', 1)[-1]


def unmet_settings(keys, settings):
    """The keys of SETTINGS that KEYS (a configuration's values as parsed) lacks or holds with another value.

    Values are compared as text, as xl reads them: 1 and "1" are the same setting."""
    return [key for key, value in settings.items() if key not in keys or str(keys[key]) != str(value)]


# ---------------------------------------------------------------------------------------------
# rendering

def check_value(value, nested=False):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if value < 0:
            raise ValueError('negative number %d cannot be written bare in xl syntax; give it as a string'
                             % value)
        return
    if isinstance(value, str):
        if '\x00' in value:
            raise ValueError('a string value cannot contain a NUL character')
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            check_value(item, nested=True)
        return
    raise ValueError('unsupported value type %s%s (use a string, an integer or a list of them)'
                     % (type(value).__name__, ' in a list' if nested else ''))


def quote(value, quote_char='"'):
    """``value`` as an xl quoted string."""
    out = [quote_char]
    for ch in value:
        if ch in _ESCAPES_OUT:
            out.append(_ESCAPES_OUT[ch])
        elif ch == quote_char:
            out.append('\\' + ch)
        else:
            out.append(ch)
    out.append(quote_char)
    return ''.join(out)


class _Multiline:
    """Layout of a list that spans lines, learnt from the list it replaces."""

    def __init__(self, first_on_open_line, open_inner, indent, trailing, close_own_line, close_indent, nl):
        self.first_on_open_line = first_on_open_line
        self.open_inner = open_inner
        self.indent = indent
        self.trailing = trailing
        self.close_own_line = close_own_line
        self.close_indent = close_indent
        self.nl = nl


class _Style:
    """How values are laid out: quote character, list spacing, multi-line lists."""

    def __init__(self, scalar_quote='"', list_quote="'", inner=' ', sep=', ', multiline=None):
        self.scalar_quote = scalar_quote
        self.list_quote = list_quote
        self.inner = inner          # between '[' and the first item, and before ']'
        self.sep = sep              # between items on one line
        self.multiline = multiline  # None or a _Multiline


def _render_atom(value, quote_char):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return str(value)
    return quote(value, quote_char)


def _render(value, style, scalar=True):
    if not isinstance(value, (list, tuple)):
        return _render_atom(value, style.scalar_quote if scalar else style.list_quote)
    items = [_render(item, style, scalar=False) if not isinstance(item, (list, tuple))
             else _render(item, _Style(list_quote=style.list_quote, inner=style.inner, sep=style.sep), False)
             for item in value]
    if not items:
        return '[]'
    ml = style.multiline
    if ml is not None:
        if ml.first_on_open_line:
            out = '[' + ml.open_inner + items[0]
        else:
            out = '[' + ml.nl + ml.indent + items[0]
        for item in items[1:]:
            out += ',' + ml.nl + ml.indent + item
        if ml.trailing:
            out += ','
        if ml.close_own_line:
            return out + ml.nl + ml.close_indent + ']'
        return out + (ml.open_inner if ml.first_on_open_line else '') + ']'
    return '[' + style.inner + style.sep.join(items) + style.inner + ']'


def _line_start(text, pos):
    return text.rfind('\n', 0, pos) + 1


def _line_end(text, pos):
    """Offset just past the newline that ends the line containing ``pos`` (or len(text))."""
    nl = text.find('\n', pos)
    return len(text) if nl < 0 else nl + 1


class XlConfig:
    """A parsed xl configuration file that remembers its text."""

    def __init__(self, text, source, settings):
        self._text = text
        self.source = source
        self._settings = settings
        self._values = _combine(settings, source)

    @classmethod
    def parse(cls, text, source=None):
        if not isinstance(text, str):
            raise TypeError('XlConfig.parse wants text (str)')
        tokens = _tokenize(text, source)
        settings = _Parser(tokens, source).parse_file()
        return cls(text, source, settings)

    # reading -------------------------------------------------------------------------------
    def keys(self):
        seen = []
        for st in self._settings:
            if st.key not in seen:
                seen.append(st.key)
        return seen

    def __contains__(self, key):
        return key in self._values

    def get(self, key, default=None):
        """The value xl would use: str, int, or a list (of str/int/lists); ``default`` if unset."""
        return self._values.get(key, default)

    def as_dict(self):
        return dict(self._values)

    def line_of(self, key):
        """Line number of the last setting of ``key`` (None when unset)."""
        found = [st.line for st in self._settings if st.key == key]
        return found[-1] if found else None

    def render(self):
        return self._text

    # editing -------------------------------------------------------------------------------
    def _reparse(self, text):
        new = XlConfig.parse(text, self.source)
        self._text = new._text
        self._settings = new._settings
        self._values = new._values

    def _newline(self):
        return '\r\n' if '\r\n' in self._text else '\n'

    def _file_style(self):
        style = _Style()
        for st in self._settings:
            if st.value.kind == 'list' and st.value.items:
                first = st.value.first_string()
                if first is not None:
                    style.list_quote = first.text[0]
                one = self._single_line_style(st.value)
                if one is not None:
                    style.inner, style.sep = one
                break
        return style

    def _single_line_style(self, value):
        """(inner spacing, separator) of a non-empty list written on one line, else None."""
        if value.line != value.close.line:
            return None
        first = value.items[0]
        inner = self._text[value.start + 1:first.start]
        sep = ', '
        if len(value.items) > 1:
            sep = self._text[value.items[0].end:value.items[1].start]
        return inner, sep

    def _value_style(self, old):
        style = self._file_style()
        first = old.first_string()
        if first is not None:
            style.scalar_quote = style.list_quote = first.text[0]
        if old.kind == 'list' and old.items:
            one = self._single_line_style(old)
            if one is not None:
                style.inner, style.sep = one
            elif old.line != old.close.line:
                style.multiline = self._multiline_style(old)
        return style

    def _multiline_style(self, old):
        text = self._text
        items = old.items
        first = items[0]
        first_on_open_line = first.line == old.line
        open_inner = text[old.start + 1:first.start] if first_on_open_line else ''
        if first_on_open_line:
            indent = ''.join(ch if ch == '\t' else ' '
                             for ch in text[_line_start(text, first.start):first.start])
        else:
            indent = '    '
        for item in items:
            if item.line != old.line:
                prefix = text[_line_start(text, item.start):item.start]
                if not prefix.strip():
                    indent = prefix
                break
        between = re.sub(r'#[^\n]*', '', text[items[-1].end:old.close.start])
        close_own_line = '\n' in between
        close_indent = ''
        if close_own_line:
            close_indent = text[_line_start(text, old.close.start):old.close.start]
            if close_indent.strip():
                close_indent = ''
        return _Multiline(first_on_open_line, open_inner, indent, ',' in between, close_own_line,
                          close_indent, self._newline())

    def set(self, key, value):
        """Set ``key`` to ``value``; returns True when the text changed.

        The last setting of the key gets the new value in place (a ``+=`` becomes ``=``); a new key
        is appended at the end of the file.
        """
        if not valid_key(key):
            raise ValueError('%r is not a valid xl setting name (lower-case letters, digits, _ and ., '
                             'starting with a letter)' % (key,))
        check_value(value)
        if isinstance(value, tuple):
            value = list(value)
        if key in self._values and self._same(self._values[key], value):
            last = [st for st in self._settings if st.key == key][-1]
            if last.op == '=':
                return False
        text = self._text
        matches = [st for st in self._settings if st.key == key]
        if matches:
            st = matches[-1]
            rendered = _render(value, self._value_style(st.value))
            new = ''.join((text[:st.op_token.start], '=', text[st.op_token.end:st.value.start],
                           rendered, text[st.value.end:]))
        else:
            rendered = _render(value, self._file_style())
            between = ' = '
            if self._settings:
                first = self._settings[0]
                between = ''.join((text[first.key_token.end:first.op_token.start], '=',
                                   text[first.op_token.end:first.value.start]))
            nl = self._newline()
            prefix = ''
            if text and not text.endswith('\n'):
                prefix = nl
            new = text + prefix + key + between + rendered + ('' if prefix else nl)
        self._reparse(new)
        return new != text

    @staticmethod
    def _same(old, new):
        if isinstance(new, bool):
            new = int(new)
        if isinstance(old, list) or isinstance(new, list):
            if not (isinstance(old, list) and isinstance(new, list)) or len(old) != len(new):
                return False
            return all(XlConfig._same(a, b) for a, b in zip(old, new))
        return type(old) is type(new) and old == new

    def remove(self, key):
        """Remove every setting of ``key`` (the whole line when it holds nothing else)."""
        changed = False
        while True:
            matches = [st for st in self._settings if st.key == key]
            if not matches:
                return changed
            self._reparse(self._remove_one(matches[-1]))
            changed = True

    def _remove_one(self, st):
        text = self._text
        start = st.key_token.start
        end = st.value.end
        ls = _line_start(text, start)
        # what follows the value on its line: spaces, then ';' / comment / newline
        j = end
        while j < len(text) and text[j] in ' \t':
            j += 1
        term_semicolon = j < len(text) and text[j] == ';'
        if term_semicolon:
            j += 1
            while j < len(text) and text[j] in ' \t':
                j += 1
        rest = text[j:_line_end(text, j)]
        rest_blank = rest.strip() == '' or rest.lstrip().startswith('#')
        before_blank = text[ls:start].strip() == ''
        if before_blank and rest_blank:
            return text[:ls] + text[_line_end(text, j):]
        if term_semicolon and not rest_blank:
            # "a=1; b=2; c=3": drop "b=2; "
            return text[:start] + text[j:]
        # the setting ends its line but something precedes it: drop "; b=2" keeping the rest
        k = start
        while k > ls and text[k - 1] in ' \t':
            k -= 1
        if k > ls and text[k - 1] == ';':
            k -= 1
        return text[:k] + text[end:]
