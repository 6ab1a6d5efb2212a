# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inputs of the vtpm role, checked before anything is read or changed on a host.

problems(values) says, one sentence per problem, what is wrong with the role's variables and what to write
instead. Pure: no file is opened (the images are checked on the controller by the role, with their sha256).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.xenguard.hardening.plugins.module_utils.inputs import (
    SECLABEL_RE, SHA256_RE, as_int as _int, is_bool, is_safe_path, kind as _kind, truthy)

UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
# xl domain names as the role writes them into configurations and a shell script: no quotes, spaces or
# shell characters; the vTPM domain of a guest is named vtpm-<guest>.
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,58}$')
EXTRA_WORD_RE = re.compile(r'^[A-Za-z0-9_.:=,+/@-]+$')
GUEST_KEYS = ('name', 'config', 'uuid', 'disk', 'state', 'delete_disk', 'adopt_disk')
IMAGE_HOWTO = {
    'xenguard_vtpm_manager_image': (
        'vtpmmgr-stubdom.gz', 'the vTPM manager stub domain (Xen source: make -C stubdom vtpmmgr-stubdom; '
        'installed as /usr/lib/xen/boot/vtpmmgr-stubdom.gz)'),
    'xenguard_vtpm_vtpm_image': (
        'vtpm-stubdom.gz', 'the vTPM stub domain (Xen source: make -C stubdom vtpm-stubdom; installed as '
        '/usr/lib/xen/boot/vtpm-stubdom.gz)'),
}


class _Problems(object):
    def __init__(self, values):
        self.values = values
        self.list = []

    def bad(self, name, text):
        self.list.append('%s: %s.' % (name, text))

    def has(self, name):
        return name in self.values

    def boolean(self, name):
        if self.has(name) and not is_bool(self.values[name]):
            self.bad(name, 'is %s, not a boolean; use true or false' % _kind(self.values[name]))

    def number(self, name, low, high, what):
        if not self.has(name):
            return None
        value = _int(self.values[name])
        if value is None or not low <= value <= high:
            self.bad(name, 'is %s; give %s, a whole number from %d to %d' % (_kind(self.values[name]), what, low, high))
            return None
        return value

    def path(self, name, value=None, where=None):
        value = self.values.get(name) if value is None else value
        where = where or name
        if not is_safe_path(value):
            self.bad(where, 'is %s; give an absolute path of letters, digits and _ . + @ / - only (no spaces, '
                            'quotes, shell characters or ..)' % _kind(value))


def _image(chk, name, needed):
    file_name, what = IMAGE_HOWTO[name]
    value = chk.values.get(name)
    example = '{path: /srv/xen-images/%s, sha256: <its 64 hex digits, from sha256sum>}' % file_name
    if value in (None, '', {}):
        if needed:
            chk.bad(name, 'is not set, and the role needs %s: build %s from the Xen source of this Xen release '
                          '(Debian does not ship it), put it on the controller and give %s' % (file_name, what, example))
        return
    if not isinstance(value, dict):
        chk.bad(name, 'is %s; give %s' % (_kind(value), example))
        return
    unknown = sorted(set(value) - {'path', 'sha256'})
    if unknown:
        chk.bad(name, 'has the keys %s, which the role does not know; give only path and sha256' % ', '.join(unknown))
    path = value.get('path')
    if isinstance(path, str) and '://' in path:
        chk.bad(name + '.path', 'is the URL %r: the role never downloads images; download %s yourself, check it, '
                'and give its path on the controller' % (path, file_name))
    elif not path or not isinstance(path, str) or not path.startswith('/'):
        chk.bad(name + '.path', 'is %s; give the absolute path of %s on the controller' % (_kind(path), file_name))
    digest = value.get('sha256')
    if not isinstance(digest, str) or not SHA256_RE.match(digest):
        chk.bad(name + '.sha256', 'is %s; give the sha256 of %s (64 hexadecimal digits, as sha256sum prints it): '
                'the role copies no image without it' % (_kind(digest), file_name))


def _guests(chk):
    name = 'xenguard_vtpm_guests'
    if not chk.has(name):
        return []
    guests = chk.values[name]
    if guests is None:
        return []
    if not isinstance(guests, (list, tuple)):
        chk.bad(name, 'is %s; give a list of guests, each {name: web1, config: /etc/xen/web1.cfg}' % _kind(guests))
        return []
    seen = {'name': {}, 'disk': {}, 'uuid': {}}
    good = []
    for index, guest in enumerate(guests):
        where = '%s[%d]' % (name, index)
        if not isinstance(guest, dict):
            chk.bad(where, 'is %s; give a mapping such as {name: web1, config: /etc/xen/web1.cfg}' % _kind(guest))
            continue
        unknown = sorted(str(k) for k in guest if k not in GUEST_KEYS)
        if unknown:
            chk.bad(where, 'has the keys %s, which the role does not know (known: %s)'
                    % (', '.join(unknown), ', '.join(GUEST_KEYS)))
        gname = guest.get('name')
        if not isinstance(gname, str) or not NAME_RE.match(gname):
            chk.bad(where + '.name', 'is %s; give the guest\'s domain name (letters, digits, _ . -, at most 59, '
                    'starting with a letter or digit): its vTPM domain is named vtpm-<name>' % _kind(gname))
        if 'config' not in guest:
            chk.bad(where + '.config', 'is missing; give the path of the guest\'s xl configuration file, for '
                    'example /etc/xen/web1.cfg')
        else:
            chk.path(None, guest['config'], where + '.config')
        uuid = guest.get('uuid')
        if uuid is not None and (not isinstance(uuid, str) or not UUID_RE.match(uuid)):
            chk.bad(where + '.uuid', 'is %s, not a UUID; give one as uuidgen prints it (8-4-4-4-12 hexadecimal '
                    'digits), or leave it out and the role keeps the one it made' % _kind(uuid))
        if guest.get('disk') is not None:
            chk.path(None, guest['disk'], where + '.disk')
        state = guest.get('state', 'present')
        if state not in ('present', 'absent'):
            chk.bad(where + '.state', 'is %s; use present or absent' % _kind(state))
        for flag in ('delete_disk', 'adopt_disk'):
            if flag in guest and not is_bool(guest[flag]):
                chk.bad(where + '.' + flag, 'is %s, not a boolean; use true or false' % _kind(guest[flag]))
        if truthy(guest.get('delete_disk')) and state != 'absent':
            chk.bad(where + '.delete_disk', 'is true while state is %s: a vTPM disk is only deleted when its vTPM '
                    'is removed (state: absent) and delete_disk: true is given as well' % _kind(state))
        for key in ('name', 'disk', 'uuid'):
            value = guest.get(key)
            if isinstance(value, str):
                folded = value.lower() if key == 'uuid' else value
                if folded in seen[key]:
                    chk.bad(where + '.' + key, 'is %r, as in %s: every guest needs its own vTPM %s'
                            % (value, seen[key][folded], key))
                seen[key][folded] = where
        good.append(guest)
    return good


def problems(values):
    """The problems of the vtpm role's variables (name -> value), one sentence each."""
    chk = _Problems(values)
    for name in ('xenguard_vtpm_manage', 'xenguard_vtpm_start', 'xenguard_vtpm_backup'):
        chk.boolean(name)
    mode = values.get('xenguard_vtpm_dom0_tpm', 'locality_split')
    if mode not in ('locality_split', 'blacklist'):
        chk.bad('xenguard_vtpm_dom0_tpm', 'is %s; use locality_split (the manager at its own TPM locality) or '
                'blacklist (dom0 keeps off the TPM)' % _kind(mode))
    locality = chk.number('xenguard_vtpm_manager_locality', 0, 4, 'a TPM locality')
    if locality == 0 and mode == 'locality_split':
        chk.bad('xenguard_vtpm_manager_locality', 'is 0, the locality Linux in dom0 uses: with '
                'xenguard_vtpm_dom0_tpm: locality_split give 2 (Xen\'s recommendation) or 1, 3, 4')
    tpm2 = values.get('xenguard_vtpm_tpm2', 'auto')
    if tpm2 != 'auto' and not is_bool(tpm2):
        chk.bad('xenguard_vtpm_tpm2', 'is %s; use auto (from the host\'s TPM version), true or false' % _kind(tpm2))
    for name, what in (('xenguard_vtpm_manager_memory', 'MiB of memory'), ('xenguard_vtpm_domain_memory', 'MiB of memory'),
                       ('xenguard_vtpm_manager_disk_mib', 'MiB of disk'), ('xenguard_vtpm_disk_mib', 'MiB of disk')):
        chk.number(name, 1, 1024, what)
    for name in ('xenguard_vtpm_state_dir', 'xenguard_vtpm_image_dir', 'xenguard_vtpm_config_dir'):
        if chk.has(name):
            chk.path(name)
    manager = values.get('xenguard_vtpm_manager_name', 'vtpmmgr')
    if not isinstance(manager, str) or not NAME_RE.match(manager):
        chk.bad('xenguard_vtpm_manager_name', 'is %s; give a domain name of letters, digits, _ . - (for example '
                'vtpmmgr)' % _kind(manager))
    for name in ('xenguard_vtpm_manager_seclabel', 'xenguard_vtpm_vtpm_seclabel'):
        value = values.get(name, '')
        if value not in ('', None) and (not isinstance(value, str) or not SECLABEL_RE.match(value)):
            chk.bad(name, 'is %s; give a FLASK label user:role:type of your policy (for example '
                    'system_u:system_r:vtpm_t), or leave it empty' % _kind(value))
    extra = values.get('xenguard_vtpm_manager_extra', [])
    if not isinstance(extra, (list, tuple)) or not all(isinstance(w, str) and EXTRA_WORD_RE.match(w) for w in extra):
        chk.bad('xenguard_vtpm_manager_extra', 'is %s; give a list of vtpmmgr options, one word each without '
                'spaces or quotes (for example ["owner_auth=well-known"])' % _kind(extra))
    else:
        managed = [w for w in extra if w.split('=')[0] in ('tpmlocality', 'tpm2', 'tpmiomem')]
        if managed:
            chk.bad('xenguard_vtpm_manager_extra', 'sets %s, which the role writes itself from '
                    'xenguard_vtpm_manager_locality and xenguard_vtpm_tpm2: remove it' % ', '.join(managed))
    guests = _guests(chk)
    if manager in [g.get('name') for g in guests] or any('vtpm-%s' % g.get('name') == manager for g in guests):
        chk.bad('xenguard_vtpm_guests', 'names the manager domain %s as a guest or a guest\'s vTPM: give the '
                'manager another name' % manager)
    if truthy(values.get('xenguard_vtpm_manage', False)):
        _image(chk, 'xenguard_vtpm_manager_image', True)
        needs_vtpm = any(g.get('state', 'present') == 'present' for g in guests)
        _image(chk, 'xenguard_vtpm_vtpm_image', needs_vtpm)
    else:
        for name in ('xenguard_vtpm_manager_image', 'xenguard_vtpm_vtpm_image'):
            _image(chk, name, False)
    return chk.list


def guest_plan(guests, state_dir, config_dir):
    """The guest entries of xenguard_vtpm_guests (already checked by problems()) with every default filled in:
    {name, config, uuid (None: the role keeps or makes one), disk, state, delete_disk, adopt_disk, vtpm_name,
    vtpm_config}. The vTPM domain of guest NAME is vtpm-NAME, its configuration CONFIG_DIR/vtpm-NAME.cfg and its
    disk STATE_DIR/vtpm-NAME.img unless the entry gives one."""
    plan = []
    for guest in guests or []:
        if not isinstance(guest, dict) or not isinstance(guest.get('name'), str):
            continue
        vtpm_name = 'vtpm-%s' % guest['name']
        plan.append({
            'name': guest['name'],
            'config': guest.get('config'),
            'uuid': guest.get('uuid').lower() if isinstance(guest.get('uuid'), str) else None,
            'disk': guest.get('disk') or '%s/%s.img' % (state_dir.rstrip('/'), vtpm_name),
            'state': guest.get('state', 'present'),
            'delete_disk': truthy(guest.get('delete_disk', False)),
            'adopt_disk': truthy(guest.get('adopt_disk', False)),
            'vtpm_name': vtpm_name,
            'vtpm_config': '%s/%s.cfg' % (config_dir.rstrip('/'), vtpm_name),
        })
    return plan
