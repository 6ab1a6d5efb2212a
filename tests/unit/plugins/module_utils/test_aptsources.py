# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import aptsources
from ansible_collections.xenguard.hardening.plugins.modules import xen_flask_build
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

# The shape Debian 12's installer and cloud images write (deb822), with a snapshot comment and a disabled
# third-party stanza that also has a "main" component.
DEB822 = """Types: deb deb-src
# http://snapshot.mirror.example/archive/debian/20250520T000000Z
URIs: http://deb.mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: https://vendor.example/apt
Suites: nodistro
Components: main
Enabled: no
"""

ONE_LINE = """# deb cdrom:[Debian GNU/Linux 12]/ bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/vendor.gpg] https://vendor.example/apt stable-vendor main
deb http://ftp.mirror.example/debian trixie main non-free-firmware   # the release
deb-src http://ftp.mirror.example/debian trixie main
deb http://ftp.mirror.example/debian-security/ trixie-security main
"""


def _root(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / 'etc/apt' / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


def test_deb822_sources_of_the_same_release(tmp_path):
    entries = aptsources.read_entries(_root(tmp_path, {'sources.list.d/debian.sources': DEB822}))
    assert len(entries) == 2  # the disabled stanza is skipped
    assert aptsources.mirrors(entries, 'bookworm') == ('http://deb.mirror.example/debian',
                                                       'http://deb.mirror.example/debian-security')


def test_another_release_of_the_same_archive_serves_the_target(tmp_path):
    # a Debian 12 build host (its recorded sources, a third-party source first) building for Debian 13: the
    # archive and security archive of its own release
    entries = aptsources.read_entries(_root(tmp_path, {
        'sources.list.d/debian.sources': fixture('apt', 'debian12-build-host.sources'),
        'sources.list.d/a-nodesource.sources': fixture('apt', 'nodesource.sources')}))
    assert aptsources.mirrors(entries, 'trixie') == ('http://deb.mirror.example/debian',
                                                     'http://deb.mirror.example/debian-security')


def test_one_line_format_options_comments_and_order(tmp_path):
    root = _root(tmp_path, {'sources.list': ONE_LINE, 'sources.list.d/other.list': 'deb http://late.example/debian trixie main\n'})
    entries = aptsources.read_entries(root)
    # the vendor entry's options are dropped, the cdrom line is a comment; sources.list comes before .d
    assert [e['uris'][0] for e in entries][:2] == ['https://vendor.example/apt', 'http://ftp.mirror.example/debian']
    assert entries[-1]['uris'] == ['http://late.example/debian']
    assert aptsources.mirrors(entries, 'trixie') == ('http://ftp.mirror.example/debian',
                                                     'http://ftp.mirror.example/debian-security')
    # the vendor's "stable-vendor main" is no Debian release: bookworm gets the trixie archive, not the vendor's
    assert aptsources.mirrors(entries, 'bookworm')[0] == 'http://ftp.mirror.example/debian'


def test_no_debian_source(tmp_path):
    entries = aptsources.read_entries(_root(tmp_path, {'sources.list': 'deb https://vendor.example/apt nodistro main\n'}))
    assert aptsources.mirrors(entries, 'bookworm') == (None, None)
    assert aptsources.read_entries(str(tmp_path / 'nothing')) == []


PARAMS = {'distribution': 'bookworm', 'mirror': '', 'security_mirror': ''}


@pytest.mark.parametrize('given, expected', [
    ({}, {'mirror': 'http://deb.mirror.example/debian', 'security_mirror': 'http://deb.mirror.example/debian-security',
          'source': 'apt sources'}),
    ({'security_mirror': 'none'}, {'mirror': 'http://deb.mirror.example/debian', 'security_mirror': None,
                                   'source': 'apt sources'}),
    ({'mirror': 'http://m.example/debian', 'security_mirror': 'http://m.example/debian-security'},
     {'mirror': 'http://m.example/debian', 'security_mirror': 'http://m.example/debian-security',
      'source': 'parameters'}),
])
def test_the_module_takes_what_is_not_given_from_apt(given, expected):
    entries = aptsources.parse_deb822(DEB822)
    assert xen_flask_build.pick_mirrors(dict(PARAMS, **given), lambda: entries) == expected


def test_both_given_reads_no_apt_source():
    def unread():
        raise AssertionError('apt sources read although both mirrors were given')
    picked = xen_flask_build.pick_mirrors(dict(PARAMS, mirror='https://m.example/debian', security_mirror='none'), unread)
    assert picked == {'mirror': 'https://m.example/debian', 'security_mirror': None, 'source': 'parameters'}


@pytest.mark.parametrize('given, words', [
    ({}, ['name no http(s) Debian mirror for bookworm', 'xenguard_flask_mirror', 'nothing was built']),
    ({'mirror': 'http://m.example/debian\ndeb http://evil.example/ bookworm main'}, ['mirror is', 'not an http(s) URL']),
    ({'mirror': 'http://m.example/debian', 'security_mirror': 'ftp://m.example/x'}, ['security_mirror is']),
])
def test_unusable_mirrors_are_refused(given, words):
    with pytest.raises(XenGuardError) as exc:
        xen_flask_build.pick_mirrors(dict(PARAMS, **given), lambda: [])
    assert all(word in str(exc.value) for word in words), str(exc.value)


# ----------------------------------------------------------------------------- what make mutation showed unheld

@pytest.mark.parametrize('suite', ['buster', 'bullseye', 'bookworm', 'trixie', 'forky', 'duke', 'oldoldstable',
                                   'oldstable', 'stable', 'testing', 'unstable', 'sid', 'bookworm-updates',
                                   'trixie-backports', 'bookworm-proposed-updates'])
def test_every_debian_suite_and_pocket_serves_another_release(suite):
    entries = [{'types': ['deb'], 'uris': ['http://a.example/debian/'], 'suites': [suite], 'components': ['main']}]
    assert aptsources.mirrors(entries, 'trixie') == ('http://a.example/debian', None)


@pytest.mark.parametrize('suite', ['stable-vendor', 'nodistro', 'bookworm-security-extra', 'focal'])
def test_other_suites_do_not(suite):
    entries = [{'types': ['deb'], 'uris': ['http://a.example/x'], 'suites': [suite], 'components': ['main']}]
    assert aptsources.mirrors(entries, 'trixie') == (None, None)


def test_the_distribution_itself_comes_before_another_release():
    entries = [{'types': ['deb'], 'uris': ['http://other.example/debian'], 'suites': ['sid'], 'components': ['main']},
               {'types': ['deb-src'], 'uris': ['http://own.example/debian'], 'suites': ['trixie'],
                'components': ['main']},
               {'types': ['deb'], 'uris': ['http://sec2.example/s'], 'suites': ['bookworm-security'],
                'components': ['main']},
               {'types': ['deb'], 'uris': ['http://sec.example/s'], 'suites': ['trixie-security'], 'components': ['main']}]
    assert aptsources.mirrors(entries, 'trixie') == ('http://own.example/debian', 'http://sec.example/s')
    # an entry whose types are not deb or deb-src is passed over, the next one is still read
    odd = [{'types': ['rpm'], 'uris': ['http://x.example/debian'], 'suites': ['trixie'], 'components': ['main']}]
    assert aptsources.mirrors(odd + entries, 'trixie')[0] == 'http://own.example/debian'


def test_one_line_details():
    text = ('deb http://a.example/debian trixie main # a comment with # in it\n'
            'deb http://b.example/debian\n'            # too short: passed over, the next line still read
            'deb-src http://c.example/debian trixie\n'  # three words are enough
            'rpm http://d.example/x trixie main\n')
    assert aptsources.parse_one_line(text) == [
        {'types': ['deb'], 'uris': ['http://a.example/debian'], 'suites': ['trixie'], 'components': ['main']},
        {'types': ['deb-src'], 'uris': ['http://c.example/debian'], 'suites': ['trixie'], 'components': []}]


def test_deb822_details():
    text = ('Types: deb\nURIs: http://a.example/debian\n  http://b.example/debian\n  # http://old.example/debian\n'
            '\tftp://c.example/debian\n'
            '# URIs: http://commented.example/debian\nnot a field\nSuites: trixie\nComponents: main\n\n'
            'Types: deb\nURIs: http://x.example/debian\nSuites: trixie\nEnabled: No\n\n'
            'URIs: http://no-suites.example/debian\n\n'
            'Suites: trixie\nURIs: http://no-types.example/debian\n')
    assert aptsources.parse_deb822(text) == [
        {'types': ['deb'], 'uris': ['http://a.example/debian', 'http://b.example/debian', 'ftp://c.example/debian'],
         'suites': ['trixie'], 'components': ['main']},
        {'types': [], 'uris': ['http://no-types.example/debian'], 'suites': ['trixie'], 'components': []}]


def test_read_entries_from_the_root_and_past_a_directory(tmp_path):
    root = _root(tmp_path, {'sources.list.d/a.sources': 'Types: deb\nURIs: http://a.example/debian\nSuites: trixie\n'
                                                        'Components: main\n',
                            'sources.list.d/b.list': 'deb http://b.example/debian trixie main\n'})
    (tmp_path / 'etc/apt/sources.list.d/0-dir.list').mkdir()
    assert [e['uris'][0] for e in aptsources.read_entries(root)] == ['http://a.example/debian',
                                                                     'http://b.example/debian']
    assert aptsources.read_entries.__defaults__ == ('/',)
