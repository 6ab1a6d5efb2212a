# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Linux device-model stub domain: what goes into it and how its parts are read.

libxl (tools/libs/light/libxl_create.c, Xen 4.17 and 4.20) starts an HVM guest's device model in a stub
domain when ``device_model_stubdomain_override=1``; with ``device_model_version="qemu-xen"`` it boots
``qemu-stubdom-linux-kernel`` with ``qemu-stubdom-linux-rootfs`` as its initrd, both from the firmware
directory (Debian: /usr/lib/xen-<release>/boot). The toolstack's side of the protocol is in Xen's
docs/misc/stubdom.txt ("Toolstack to Linux ioemu stubdomain protocol"): QEMU's arguments one per key under
/vm/<uuid>/image/dm-argv/NNN, the target domain in /local/domain/<stub>/target, QMP over a vchan at
/local/domain/<stub>/device-model/<target>/qmp-vchan, QEMU writing "running" to .../state.

This file holds the pure parts (parsers, the init, the cpio writer, the build key) so that they are tested
on recorded output; the module xen_stubdom_image does the reading and writing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import posixpath
import re

from ansible_collections.xenguard.hardening.plugins.module_utils.inputs import (
    PACKAGE_RE, SECLABEL_RE, SHA256_RE, as_int as _int, is_bool, is_safe_path, kind as _kind)
from ansible_collections.xenguard.hardening.plugins.module_utils.xl import virt_caps
from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import is_hvm, is_vtpm_stub, unmet_settings, xl_true

KERNEL_NAME = 'qemu-stubdom-linux-kernel'
ROOTFS_NAME = 'qemu-stubdom-linux-rootfs'

# Bump when the layout of the rootfs or the init changes: images built by an older builder are rebuilt.
# xen_facts trusts a recorded image whose builder is this one without looking at the init again.
BUILDER_VERSION = 1

# Where xen_stubdom_image records the build key, the images' hashes and (for xen_facts) their size and time.
STATE_FILE = '/var/lib/xenguard/stubdom-image.json'

# Kernel modules the stub domain needs (names as modules.dep spells them, '-' and '_' alike). privcmd gets
# unrestricted=1: Linux restricts /dev/xen/privcmd in a domU unless told otherwise, and QEMU cannot map the
# ioreq server pages through a restricted one ("failed to map ioreq server resources: error 2").
MODULES = ('xen-evtchn', 'xen-gntdev', 'xen-gntalloc', 'xen-privcmd', 'xenfs', 'xen-blkfront', 'xen-netfront')
MODULE_PARAMS = {'xen_privcmd': 'unrestricted=1'}

# busybox applets the init uses (links in /bin).
APPLETS = ('sh', 'mount', 'mkdir', 'insmod', 'sleep', 'cat', 'sort', 'ls', 'poweroff', 'echo', 'wc', 'grep')

QMP_SOCKET = '/run/xenguard-qmp'

_LDD_ARROW = re.compile(r'^\s*(\S+)\s+=>\s+(\S+)\s+\(0x[0-9a-fA-F]+\)\s*$')
_LDD_PLAIN = re.compile(r'^\s*(/\S+)\s+\(0x[0-9a-fA-F]+\)\s*$')


class StubdomError(Exception):
    """Something the stub domain image cannot be built or installed without; the message says what to do."""


def parse_ldd(text):
    """The absolute paths of the shared objects ``ldd`` lists (the dynamic loader included), in order.

    "statically linked" / "not a dynamic executable" give no paths; "libfoo.so => not found" raises:
    the binary could not run in the stub domain either.
    """
    paths = []
    for line in text.splitlines():
        if '=> not found' in line:
            raise StubdomError('a library is missing on this host: %s; reinstall the package of the binary'
                               % line.strip())
        match = _LDD_ARROW.match(line)
        if match:
            if match.group(2).startswith('/'):
                paths.append(match.group(2))
            continue
        match = _LDD_PLAIN.match(line)
        if match:
            paths.append(match.group(1))
            continue
        # linux-vdso.so.1 (0x...): the kernel's, nothing to copy; "statically linked": nothing at all
    seen = set()
    return [p for p in paths if not (p in seen or seen.add(p))]


def module_name(path):
    """The name of a kernel module from its file (kernel/drivers/xen/xen-privcmd.ko.xz -> xen_privcmd)."""
    base = re.sub(r'\.ko(\.(xz|zst|gz))?$', '', posixpath.basename(path))
    return base.replace('-', '_')


def parse_modules_dep(text):
    """{module name: (file, [files it depends on])} from a modules.dep (paths relative to the module dir)."""
    deps = {}
    for line in text.splitlines():
        if ':' not in line:
            continue
        path, _sep, rest = line.partition(':')
        path = path.strip()
        if not path:
            continue
        deps[module_name(path)] = (path, rest.split())
    return deps


def parse_modules_builtin(text):
    """The names of the modules built into the kernel (modules.builtin)."""
    return set(module_name(line.strip()) for line in text.splitlines() if line.strip())


def module_load_order(deps, builtin, wanted=MODULES):
    """The module files to load, every one after those it depends on; built-in modules are skipped.

    Raises StubdomError naming a wanted module this kernel has neither built in nor as a file.
    """
    by_path = dict((path, name) for name, (path, _d) in deps.items())
    order = []

    def visit(path, trail):
        if path in order:
            return
        if path in trail:
            raise StubdomError('modules.dep has a dependency loop through %s; run depmod -a' % path)
        name = by_path.get(path)
        for dep in (deps.get(name, (path, []))[1] if name else []):
            visit(dep, trail + [path])
        order.append(path)

    for wanted_name in wanted:
        name = wanted_name.replace('-', '_')
        if name in builtin:
            continue
        if name not in deps:
            raise StubdomError('the kernel has no module %s (neither built in nor in modules.dep); the stub '
                               'domain needs it: use a Debian kernel (linux-image-amd64) or run depmod -a'
                               % wanted_name)
        visit(deps[name][0], [])
    return order


def init_script(qemu, modules):
    """The stub domain's /init: load the Xen drivers, read QEMU's arguments from xenstore, run QEMU.

    qemu: QEMU's path inside the rootfs (as in dom0: QEMU finds its data files relative to itself);
    modules: [(file inside the rootfs, parameters)] in load order.
    """
    loads = '\n'.join('insmod %s %s' % (path, params) if params else 'insmod %s' % path
                      for path, params in modules)
    return '''#!/bin/sh
# xenguard.hardening: init of the Linux device-model stub domain.
# Protocol: Xen docs/misc/stubdom.txt, "Toolstack to Linux ioemu stubdomain protocol".
export PATH=/bin:/usr/bin:/sbin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /run /tmp /proc/xen
%(loads)s
mount -t xenfs xenfs /proc/xen
fail() {
    echo "xenguard stub domain: $*"
    poweroff -f
}
self=$(xenstore-read domid) || fail "cannot read the own domid from xenstore"
target=$(xenstore-read "/local/domain/$self/target") || fail "no target domain in xenstore"
vm=$(xenstore-read "/local/domain/$target/vm") || fail "no vm path of domain $target"
dm="/local/domain/$self/device-model/$target"
echo "xenguard stub domain $self: device model of domain $target"
# the disks libxl connected to the stub domain: wait (at most 20 s) until each is a block device
want=$(xenstore-list device/vbd 2>/dev/null | wc -l)
n=0
while [ "$(ls /dev | grep -c '^xvd[a-z]*$')" -lt "$want" ] && [ "$n" -lt 20 ]; do
    sleep 1
    n=$((n + 1))
done
set --
for key in $(xenstore-list "$vm/image/dm-argv" | sort -n); do
    arg=$(xenstore-read "$vm/image/dm-argv/$key") || fail "cannot read argument $key"
    if [ "$arg" = '$STUBDOM_RESTORE_INCOMING_ARG' ]; then
        exec 3</dev/hvc2
        arg=fd:3
    fi
    set -- "$@" "$arg"
done
[ "$#" -gt 0 ] || fail "no device-model arguments under $vm/image/dm-argv"
vchan-socket-proxy --mode=server 0 "$dm/qmp-vchan" %(qmp)s &
%(qemu)s "$@" -chardev socket,id=xenguard-qmp,path=%(qmp)s,server=on,wait=off \\
    -mon chardev=xenguard-qmp,mode=control
fail "QEMU exited with status $?"
''' % dict(loads=loads, qemu=qemu, qmp=QMP_SOCKET)


def _cpio_header(ino, mode, nlink, size, name_len):
    fields = (ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, name_len, 0)
    return b'070701' + b''.join(b'%08X' % value for value in fields)


def _pad(length):
    return b'\0' * ((4 - length % 4) % 4)


def cpio_newc(entries):
    """An uncompressed cpio archive in the "newc" format the Linux kernel unpacks as an initramfs.

    entries: [(name, kind, payload)] with kind 'dir' (payload None), 'file' ((mode, bytes)) or 'link'
    (target); names without a leading slash. Parents must come before their children.
    """
    out = []
    ino = 1
    for name, kind, payload in entries:
        if kind == 'dir':
            mode, data, nlink = 0o40755, b'', 2
        elif kind == 'link':
            mode, data, nlink = 0o120777, payload.encode('utf-8'), 1
        elif kind == 'file':
            mode, data, nlink = 0o100000 | (payload[0] & 0o7777), payload[1], 1
        else:
            raise ValueError('unknown cpio entry kind %r' % kind)
        bname = name.encode('utf-8') + b'\0'
        header = _cpio_header(ino, mode, nlink, len(data), len(bname))
        out.append(header + bname + _pad(len(header) + len(bname)))
        out.append(data + _pad(len(data)))
        ino += 1
    trailer = b'TRAILER!!!\0'
    header = _cpio_header(0, 0, 1, 0, len(trailer))
    out.append(header + trailer + _pad(len(header) + len(trailer)))
    return b''.join(out)


def parse_dpkg_search(text):
    """{path: package} from ``dpkg-query -S PATH...`` ("pkg[:arch][, pkg2]: /path" lines)."""
    owners = {}
    for line in text.splitlines():
        if ': /' not in line or line.startswith('diversion '):
            continue
        pkgs, _sep, path = line.partition(': /')
        first = pkgs.split(',')[0].strip()
        owners['/' + path.strip()] = first.split(':')[0]
    return owners


def parse_dpkg_versions(text):
    """{package: version} from ``dpkg-query -W -f '${Package}\\t${Version}\\n' PKG...``."""
    versions = {}
    for line in text.splitlines():
        if '\t' in line:
            name, _sep, version = line.partition('\t')
            versions[name.split(':')[0].strip()] = version.strip()
    return versions


def build_key(versions, unowned, init_text):
    """What the image is built from: package versions, the hashes of files no package owns, our init."""
    return {
        'builder': BUILDER_VERSION,
        'packages': dict(versions),
        'files': dict(unowned),
        'init_sha256': hashlib.sha256(init_text.encode('utf-8')).hexdigest(),
    }


def key_changes(old, new):
    """The differences between two build keys in words (empty when equal)."""
    if not isinstance(old, dict):
        return ['no image built by this collection is recorded']
    changes = []
    if old.get('builder') != new.get('builder'):
        changes.append('builder %s -> %s' % (old.get('builder'), new.get('builder')))
    for what in ('packages', 'files'):
        before, after = old.get(what) or {}, new.get(what) or {}
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                changes.append('%s %s -> %s' % (name, before.get(name, '(none)'), after.get(name, '(none)')))
    if old.get('init_sha256') != new.get('init_sha256'):
        changes.append('init changed')
    return changes


def recorded_image(record, versions, stat):
    """Whether the images xen_stubdom_image recorded are still the ones it would build, judged without
    building anything: {recorded, dest, kernel, current, why}.

    record: the module's state file (a dict, None when absent); versions: {package: installed version} of
    dpkg's status file, covering the record's packages; stat: {kernel|rootfs: [size, mtime_ns] or None} of the
    images in the record's dest, as read now. current is true only when the record is this builder's, names no
    file outside a package (those only the module can hash), every package of its key is installed at the
    recorded version and both images have the size and time recorded when they were written or checked.
    dest and kernel say which directory and which kernel the record is for (the role compares them with its
    own)."""
    out = {'recorded': isinstance(record, dict), 'dest': None, 'kernel': None, 'current': False, 'why': ''}
    if not out['recorded']:
        out['why'] = 'no image built by this collection is recorded'
        return out
    out['dest'], out['kernel'] = record.get('dest'), record.get('kernel')
    key = record.get('key') if isinstance(record.get('key'), dict) else {}
    packages = key.get('packages') if isinstance(key.get('packages'), dict) else {}
    recorded_stat = record.get('stat') if isinstance(record.get('stat'), dict) else None
    if key.get('source') == 'supplied':
        out['why'] = 'supplied images are checked by their SHA-256'
    elif key.get('builder') != BUILDER_VERSION:
        out['why'] = 'built by builder %s, this is %s' % (key.get('builder'), BUILDER_VERSION)
    elif key.get('files'):
        out['why'] = 'files no package owns are built in (only xen_stubdom_image hashes them)'
    elif not packages or not out['dest'] or not out['kernel'] or not recorded_stat:
        out['why'] = 'the record does not name the packages, directory, kernel and image sizes and times'
    else:
        changed = sorted(name for name, version in packages.items() if (versions or {}).get(name) != version)
        stat = stat or {}
        moved = [name for name in ('kernel', 'rootfs')
                 if not stat.get(name) or list(stat[name]) != list(recorded_stat.get(name) or [])]
        if changed:
            out['why'] = 'installed now in another version (or not at all): %s' % ', '.join(changed)
        elif moved:
            out['why'] = 'not the size and time recorded: %s' % ', '.join(moved)
        else:
            out['current'] = True
    return out


_USER_BAD = re.compile(r'[^a-z0-9_-]+')


def dm_user_for(guest_name, prefix='xen-qemuuser-'):
    """The per-guest device-model user of qemu-deprivilege.pandoc ("xen-qemuuser-<guest>"), as a
    Debian user name (lower case, letters, digits, _ and -, at most 32 characters)."""
    name = _USER_BAD.sub('-', str(guest_name).lower()).strip('-')
    if not name:
        return None
    return (prefix + name)[:32]


# ---------------------------------------------------------------------------------------------
# which guests get what: the plan the stubdom role acts on

GRAPHICS_KEYS = ('vnc', 'sdl', 'spice')


def _is_helper(keys):
    """Driver domains and vTPM stub domains are no guests of this role."""
    return xl_true(keys.get('driver_domain')) or is_vtpm_stub(keys)


def host_has_hvm(facts):
    """xl info's virt_caps lists hvm (the role's vars read the same fact, virt_caps_list)."""
    return 'hvm' in (virt_caps(facts.get('info') or {}) or [])


def flask_on(facts):
    return ((facts.get('xsm') or {}).get('framework')) == 'flask'


def _graphics(keys):
    on = [k for k in GRAPHICS_KEYS if xl_true(keys.get(k))]
    if keys.get('vfb'):
        on.append('vfb')
    return on


def plan_guests(facts, options):
    """What the stubdom role does to each HVM guest configuration, decided before anything changes.

    options: mode (auto|stubdomain|restrict), images (bool: stub domain images are or will be installed),
    memory (MiB), seclabel, user_mode (per_guest|range), guests (paths or names; empty: every HVM guest),
    exclude (paths or names). Returns {problems: [sentences], guests: [{path, name, how, why, settings,
    remove, user, pending}], untouched: [{path, name, why}]}. pending is False where the configuration already
    has every setting and none of the keys to remove (a re-run: nothing to change, nothing to probe).
    """
    configs = facts.get('guest_configs')
    problems, planned, untouched = [], [], []
    if not isinstance(configs, dict):
        return {'problems': ['the facts have no guest configurations (xen_facts guest_configs)'],
                'guests': [], 'untouched': []}
    wanted = [str(g) for g in options.get('guests') or []]
    exclude = set(str(g) for g in options.get('exclude') or [])
    seen = set()
    mode = options.get('mode', 'auto')
    hvm_host = host_has_hvm(facts)
    users = {}
    for path in sorted(configs):
        entry = configs[path] if isinstance(configs[path], dict) else {}
        keys = entry.get('keys') or {}
        name = str(keys.get('name') or posixpath.basename(path).rsplit('.', 1)[0])
        named = path in wanted or name in wanted
        if named:
            seen.update([path, name])
        if path in exclude or name in exclude or (wanted and not named):
            continue
        if entry.get('error'):
            problems.append('the guest configuration %s cannot be read: %s; fix it (xl create -n %s shows the '
                            'problem) or leave it out with xenguard_stubdom_exclude' % (path, entry['error'], path))
            continue
        if _is_helper(keys):
            continue
        if not is_hvm(keys):
            if named:
                problems.append('%s (%s) is not an HVM guest (type=%s): only HVM guests have a device model; '
                                'remove it from xenguard_stubdom_guests' % (name, path, keys.get('type') or 'pv'))
            continue
        if str(keys.get('device_model_version') or '') == 'qemu-xen-traditional':
            untouched.append({'path': path, 'name': name, 'why': 'device_model_version="qemu-xen-traditional" '
                              '(neither the Linux stub domain nor dm_restrict supports it); move it to qemu-xen'})
            continue
        graphics = _graphics(keys)
        if mode == 'restrict':
            how, why = 'restrict', 'xenguard_stubdom_mode=restrict'
        elif not options.get('images'):
            how, why = 'restrict', 'no stub domain images on this host'
        elif not hvm_host:
            how, why = 'restrict', 'the host has no HVM support (virt_caps)'
        elif graphics:
            how, why = 'restrict', 'graphics output (%s) is not available from a Linux stub domain' % ', '.join(graphics)
        else:
            how, why = 'stubdomain', 'stub domain images installed'
        if how == 'restrict' and mode == 'stubdomain':
            problems.append('%s (%s) cannot get a stub domain: %s; set xenguard_stubdom_mode=auto to restrict its '
                            'QEMU in dom0 instead' % (name, path, why))
            continue
        item = {'path': path, 'name': name, 'how': how, 'why': why, 'user': None}
        if how == 'stubdomain':
            settings = {'device_model_stubdomain_override': 1, 'device_model_version': 'qemu-xen',
                        'stubdomain_memory': int(options.get('memory') or 256)}
            remove = ['dm_restrict', 'device_model_user']
            # The label is written under FLASK and never removed: the flask role labels every HVM guest's
            # device model with the same value, and libxl reads it only for a stub domain (without XSM it
            # warns "XSM Disabled: device_model_stubdomain_seclabel not supported" and goes on).
            if flask_on(facts) and options.get('seclabel'):
                settings['device_model_stubdomain_seclabel'] = options['seclabel']
        else:
            settings = {'dm_restrict': 1}
            remove = ['device_model_stubdomain_override', 'stubdomain_memory']
            if options.get('user_mode', 'per_guest') == 'per_guest':
                user = str(keys.get('device_model_user') or '') or dm_user_for(name)
                if not user:
                    problems.append('%s has a guest name (%r) no device-model user name can be made of; set '
                                    'device_model_user in it' % (path, name))
                    continue
                if user in users:
                    problems.append('%s and %s would share the device-model user %s; each guest needs its own '
                                    '(qemu-deprivilege.pandoc): set device_model_user in one of them'
                                    % (users[user], path, user))
                    continue
                users[user] = path
                settings['device_model_user'] = user
                item['user'] = user
        item['settings'] = settings
        item['remove'] = remove
        item['pending'] = bool(unmet_settings(keys, settings)) or any(key in keys for key in remove)
        planned.append(item)
    for guest in wanted:
        if guest not in seen:
            problems.append('xenguard_stubdom_guests names %s, which is no guest configuration xen_facts read '
                            '(give a path under the config_paths, or a guest name)' % guest)
    return {'problems': problems, 'guests': planned, 'untouched': untouched}


# ---------------------------------------------------------------- the role's inputs

def input_problems(values):
    """The problems of the stubdom role's variables (name -> value), as sentences; empty when usable."""
    problems = []

    def bad(name, text):
        problems.append('%s: %s.' % (name, text))

    def choice(name, choices):
        if name in values and values[name] not in choices:
            bad(name, 'is %s; use one of %s' % (_kind(values[name]), ', '.join(choices)))

    choice('xenguard_stubdom_mode', ('auto', 'stubdomain', 'restrict'))
    choice('xenguard_stubdom_images', ('build', 'supplied', 'none'))
    choice('xenguard_stubdom_dm_user_mode', ('per_guest', 'range'))
    for name in ('xenguard_stubdom_kernel', 'xenguard_stubdom_rootfs', 'xenguard_stubdom_firmware_dir'):
        value = values.get(name, '')
        if value in ('', None):
            continue
        if not is_safe_path(value):
            bad(name, 'is %s; give an absolute path of letters, digits and _ . + @ / - only' % _kind(value))
    if values.get('xenguard_stubdom_images') == 'supplied' and values.get('xenguard_stubdom_mode') != 'restrict':
        for name in ('xenguard_stubdom_kernel', 'xenguard_stubdom_rootfs'):
            if not values.get(name):
                bad(name, 'is empty, but xenguard_stubdom_images=supplied needs the image (and its SHA-256 in '
                          '%s_sha256); or set xenguard_stubdom_images=build to build it here' % name)
            sha = values.get(name + '_sha256')
            if not isinstance(sha, str) or not SHA256_RE.match(sha):
                bad(name + '_sha256', 'is %s, not a SHA-256 (64 hex digits); give the output of sha256sum for %s'
                    % (_kind(sha), name))
    packages = values.get('xenguard_stubdom_build_packages', [])
    names_ok = isinstance(packages, (list, tuple)) and all(isinstance(p, str) and PACKAGE_RE.match(p) for p in packages)
    if not names_ok:
        bad('xenguard_stubdom_build_packages', 'is %s; give a list of Debian package names' % _kind(packages))
    busybox = values.get('xenguard_stubdom_busybox_package', 'busybox-static')
    if not isinstance(busybox, str) or not PACKAGE_RE.match(busybox):
        bad('xenguard_stubdom_busybox_package', 'is %s; give a Debian package name, for example busybox-static'
            % _kind(busybox))
    memory = _int(values.get('xenguard_stubdom_memory', 128))
    if memory is None or not 64 <= memory <= 4096:
        bad('xenguard_stubdom_memory', 'is %s; give the stub domain memory in MiB, from 64 to 4096 (libxl\'s '
                                       'default is 128)' % _kind(values.get('xenguard_stubdom_memory')))
    base = _int(values.get('xenguard_stubdom_dm_user_range_base', 131072))
    if base is None or base < 1000 or base + 32752 > 2 ** 31:
        bad('xenguard_stubdom_dm_user_range_base', 'is %s; give the first UID of a free range of 32752 UIDs, for '
            'example 131072 (qemu-deprivilege.pandoc)' % _kind(values.get('xenguard_stubdom_dm_user_range_base')))
    label = values.get('xenguard_stubdom_seclabel', '')
    if label not in ('', None) and (not isinstance(label, str) or not SECLABEL_RE.match(label)):
        bad('xenguard_stubdom_seclabel', 'is %s; give a FLASK label user:role:type, for example '
                                         'system_u:system_r:dm_dom_t' % _kind(label))
    for name in ('xenguard_stubdom_guests', 'xenguard_stubdom_exclude'):
        value = values.get(name, [])
        if not isinstance(value, (list, tuple)) or not all(isinstance(g, str) and g for g in value):
            bad(name, 'is %s; give a list of guest names or configuration paths' % _kind(value))
    backup = values.get('xenguard_stubdom_backup', True)
    if not is_bool(backup):
        bad('xenguard_stubdom_backup', 'is %s, not a boolean; use true or false' % _kind(backup))
    return problems
