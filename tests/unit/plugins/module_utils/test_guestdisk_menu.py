# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""guestdisk's reading of a guest's grub.cfg: the kernels it names, its menu tree and the entry GRUB boots
unattended, on menus written the way update-grub writes them (quoting, ids, functions, submenus)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.xenguard.hardening.plugins.module_utils import guestdisk

# The shape of a Debian grub.cfg (10_linux): a function, an entry with an id, a submenu of two entries.
MENU = """function load_video {
  if [ x$feature_all_video_module = xy ]; then
    insmod all_video
    linux /boot/not-a-kernel
  fi
}
menuentry 'Debian GNU/Linux' --class debian --class os $menuentry_id_option 'gnulinux-simple-u1' {
\tload_video
\tlinux\t/boot/vmlinuz-6.1.0-27-amd64 root=UUID=u1 ro quiet
\tinitrd\t/boot/initrd.img-6.1.0-27-amd64
}
submenu "Advanced options for Debian GNU/Linux" $menuentry_id_option 'gnulinux-advanced-u1' {
\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-27-amd64' --id 'gnulinux-6.1.0-27-amd64-advanced-u1' {
\t\tlinux\t(hd0,msdos1)/boot/vmlinuz-6.1.0-27-amd64 root=UUID=u1 ro
\t\tlinux\t/boot/second-linux-line
\t}
\tmenuentry "Debian GNU/Linux, with Linux 6.1.0-26-amd64 (recovery mode)" {
\t\tlinux16\t'/boot/vmlinuz-6.1.0-26-amd64' root=UUID=u1 ro single
\t}
}
"""


def test_menu_kernels_every_boot_command():
    text = ('linux /a\n  linux16 "/b"\nmultiboot (hd0,gpt2)/c\n\tmultiboot2 /d x\nlinux /a\nlinuxefi /e\n'
            'initrd /f\nlinux (hd0)\nlinux \'\'\nlinux /boot/XEN-X\n')
    assert guestdisk.menu_kernels(text) == ['/a', '/b', '/c', '/d', '/boot/XEN-X']
    assert guestdisk.menu_kernels('') == [] and guestdisk.menu_kernels(None) == []


def test_menu_tree_as_update_grub_writes_it():
    tree = guestdisk.menu_tree(MENU)
    assert tree == [
        {'kind': 'menuentry', 'title': 'Debian GNU/Linux', 'id': 'gnulinux-simple-u1',
         'kernel': '/boot/vmlinuz-6.1.0-27-amd64', 'entries': []},
        {'kind': 'submenu', 'title': 'Advanced options for Debian GNU/Linux', 'id': 'gnulinux-advanced-u1',
         'kernel': None, 'entries': [
             {'kind': 'menuentry', 'title': 'Debian GNU/Linux, with Linux 6.1.0-27-amd64',
              'id': 'gnulinux-6.1.0-27-amd64-advanced-u1', 'kernel': '/boot/vmlinuz-6.1.0-27-amd64', 'entries': []},
             {'kind': 'menuentry', 'title': 'Debian GNU/Linux, with Linux 6.1.0-26-amd64 (recovery mode)',
              'id': None, 'kernel': '/boot/vmlinuz-6.1.0-26-amd64', 'entries': []}]}]
    assert guestdisk.menu_tree('') == [] and guestdisk.menu_tree(None) == []


def test_menu_tree_odd_shapes():
    # a stray closing brace closes nothing; an entry with no words has an empty title; an id option with no
    # value after it gives no id
    text = "}\nmenuentry {\n linux /a\n}\n}\nmenuentry 'b' --id {\n linux /b\n}\nmenuentry c --unrestricted   {  \n}\n"
    assert guestdisk.menu_tree(text) == [
        {'kind': 'menuentry', 'title': '', 'id': None, 'kernel': '/a', 'entries': []},
        {'kind': 'menuentry', 'title': 'b', 'id': None, 'kernel': '/b', 'entries': []},
        {'kind': 'menuentry', 'title': 'c', 'id': None, 'kernel': None, 'entries': []}]
    # an entry after a submenu closed is back at the top; a linux line outside every entry is nobody's
    text = "submenu s {\nmenuentry a {\n}\n}\nlinux /x\nmenuentry b {\nlinux /b\n}\n"
    tree = guestdisk.menu_tree(text)
    assert [e['title'] for e in tree] == ['s', 'b'] and [e['title'] for e in tree[0]['entries']] == ['a']
    assert tree[0]['entries'][0]['kernel'] is None and tree[1]['kernel'] == '/b'
    # a function defined inside a submenu: its closing brace closes the function, not the submenu
    text = "submenu s {\n  function f {\n    true\n  }\n  menuentry a {\n    linux '/boot/X'\n  }\n}\n"
    tree = guestdisk.menu_tree(text)
    assert len(tree) == 1 and tree[0]['entries'][0]['title'] == 'a' and tree[0]['entries'][0]['kernel'] == '/boot/X'


def test_default_entry_by_number_title_id_and_path():
    assert guestdisk.default_entry(MENU) == (guestdisk.menu_tree(MENU)[0], 'the first entry (no default set)')

    def pick(value, quote='"'):
        entry, how = guestdisk.default_entry('set default=%s%s%s\n' % (quote, value, quote) + MENU)
        return entry and entry['title'], how

    assert pick('0') == ('Debian GNU/Linux', 'the default entry (set default="0")')
    assert pick('1>1', "'") == ('Debian GNU/Linux, with Linux 6.1.0-26-amd64 (recovery mode)',
                                'the default entry (set default="1>1")')
    assert pick('1>0', '')[0] == 'Debian GNU/Linux, with Linux 6.1.0-27-amd64'
    assert pick('gnulinux-advanced-u1>gnulinux-6.1.0-27-amd64-advanced-u1')[0] == (
        'Debian GNU/Linux, with Linux 6.1.0-27-amd64')
    assert pick('Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-26-amd64 (recovery mode)')[0] \
        == 'Debian GNU/Linux, with Linux 6.1.0-26-amd64 (recovery mode)'
    assert pick('1') == (None, 'the default "1" is a submenu')
    assert pick('2') == (None, 'the default "2" names no entry of the menu')
    assert pick('1>2') == (None, 'the default "1>2" names no entry of the menu')
    assert pick('0>0') == (None, 'the default "0>0" names no entry of the menu')
    assert pick('nobody') == (None, 'the default "nobody" names no entry of the menu')
    # set default= with nothing: the first entry
    assert pick('') == ('Debian GNU/Linux', 'the default entry (set default="")')


def test_default_entry_which_set_counts():
    # the last set default counts, grub-reboot's next_entry is not the default
    text = 'set default="1>0"\n  set  default=0\nset default="${next_entry}"\n' + MENU
    assert guestdisk.default_entry(text) == (guestdisk.menu_tree(MENU)[0], 'the default entry (set default="0")')
    entry, how = guestdisk.default_entry('set default="${saved_entry}"\n' + MENU)
    assert entry['title'] == 'Debian GNU/Linux'
    assert how == "the first entry (the default is GRUB's saved entry, ${saved_entry}, taken as the first)"
    assert guestdisk.default_entry(None) == (None, 'the default "0" names no entry of the menu')
    assert guestdisk.default_entry('') == (None, 'the default "0" names no entry of the menu')
