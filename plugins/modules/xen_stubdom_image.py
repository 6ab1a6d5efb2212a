#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: xen_stubdom_image
short_description: Install the Linux device-model stub domain images where libxl looks for them
version_added: 0.2.0
description:
  - Puts C(qemu-stubdom-linux-kernel) and C(qemu-stubdom-linux-rootfs) into O(dest), the directory libxl
    boots a Linux device-model stub domain from (C(device_model_stubdomain_override=1) with
    C(device_model_version="qemu-xen"); Debian - C(/usr/lib/xen-<release>/boot)).
  - With O(source=build) the images are built on the host from the distribution's own packages, without a
    compiler or a network - the kernel is O(kernel) (a Debian C(vmlinuz)), the rootfs an initramfs (gzip'd
    cpio) holding busybox, the distribution's Xen QEMU (O(qemu), kept at its own path so that it finds its
    data files), the libraries they need (from C(ldd)), C(xenstore-read)/C(xenstore-list), Xen's
    C(vchan-socket-proxy) (QMP to the toolstack), the Xen kernel modules of that kernel and an init of the
    collection that follows Xen's protocol (C(docs/misc/stubdom.txt) - QEMU's arguments from
    C(/vm/<uuid>/image/dm-argv), C(privcmd) loaded with C(unrestricted=1)).
  - The build is keyed on what goes in - the versions of the packages owning every file, the hashes of files
    no package owns, and the init. The images are rebuilt when the key changes (a kernel, QEMU, Xen or
    library update) or when the installed files are not the ones recorded; otherwise nothing happens. The
    key is recorded in O(state_file), with O(dest), the kernel and the images' size and modification time, so
    that M(xenguard.hardening.xen_facts) can tell that the images are current without building anything (a
    record that lacks these gets them, reported as a change, once).
  - With O(source=supplied) the images are the user's (O(kernel), O(rootfs)); their SHA-256 must be
    O(kernel_sha256) and O(rootfs_sha256), or nothing is installed.
  - Files are written to a temporary file beside the target and renamed over it.
  - Linux device-model stub domains are a I(Tech Preview) in Xen's C(SUPPORT.md) (4.17 and 4.20).
author: xenguard maintainers (@xenguard)
options:
  dest:
    description: The directory libxl loads the stub domain images from (it must exist).
    type: path
    required: true
  source:
    description: Build the images here (V(build)) or install the user's (V(supplied)).
    type: str
    choices: [build, supplied]
    default: build
  kernel:
    description:
      - With O(source=build) - the distribution kernel to build from; its modules must be in
        C(/lib/modules/<version>) (the version is the part after C(vmlinuz-)). Default - the running kernel's
        C(/boot/vmlinuz-<uname -r>).
      - With O(source=supplied) - the user's stub domain kernel (required).
    type: path
  rootfs:
    description: With O(source=supplied) - the user's stub domain rootfs (initramfs) (required).
    type: path
  kernel_sha256:
    description: With O(source=supplied) - the SHA-256 (64 hex digits) O(kernel) must have.
    type: str
  rootfs_sha256:
    description: With O(source=supplied) - the SHA-256 (64 hex digits) O(rootfs) must have.
    type: str
  qemu:
    description: With O(source=build) - the Xen QEMU of the distribution (Debian - package C(qemu-system-xen)).
    type: path
    default: /usr/libexec/xen-qemu-system-i386
  qemu_data:
    description:
      - With O(source=build) - QEMU's data files to put in the rootfs, as shell patterns relative to QEMU's
        data directory (C(../share/qemu) from O(qemu)); a pattern that matches nothing is skipped.
    type: list
    elements: str
    default: [vgabios-stdvga.bin, vgabios-cirrus.bin, efi-e1000.rom, efi-rtl8139.rom, pxe-e1000.rom, pxe-rtl8139.rom,
              keymaps/en-us, keymaps/common, keymaps/modifiers]
  vchan_proxy:
    description:
      - With O(source=build) - Xen's C(vchan-socket-proxy), put in the rootfs as the QMP server. Default - the
        one in C(<dest>/../bin/).
    type: path
  busybox:
    description: With O(source=build) - the busybox binary (Debian - package C(busybox)).
    type: path
    default: /bin/busybox
  xenstore_tools:
    description: With O(source=build) - the directory holding C(xenstore-read) and C(xenstore-list).
    type: path
    default: /usr/bin
  modules_root:
    description: With O(source=build) - where the kernels' module directories are (C(<modules_root>/<version>)).
    type: path
    default: /lib/modules
  state_file:
    description: Where the build key and the hashes of the installed images are recorded.
    type: path
    default: /var/lib/xenguard/stubdom-image.json
attributes:
  check_mode:
    support: full
    description: Reads and decides (the build key, the hashes); builds and writes nothing.
  diff_mode:
    support: full
    description: The recorded build key before and after, and what changed in it.
notes:
  - The stub domain has no graphics output (VNC/SDL/Spice), no save/restore of the guest through QMP file
    descriptor sets and at most one network interface (Xen's C(docs/misc/stubdom.txt), Limitations).
seealso:
  - name: Xen docs/misc/stubdom.txt
    description: The toolstack to Linux stub domain protocol.
    link: https://xenbits.xen.org/docs/unstable/misc/stubdom.txt
'''

EXAMPLES = r'''
- name: Build the stub domain images from Debian's packages
  xenguard.hardening.xen_stubdom_image:
    dest: /usr/lib/xen-4.17/boot

- name: Install images built elsewhere
  xenguard.hardening.xen_stubdom_image:
    dest: /usr/lib/xen-4.17/boot
    source: supplied
    kernel: /srv/stubdom/vmlinuz
    kernel_sha256: 5e3d6f0b8c0a1f6f0b6c5ed1cbf3e8b5bd1c2a0b1e6f5a4d3c2b1a0f9e8d7c6b
    rootfs: /srv/stubdom/rootfs.cpio.gz
    rootfs_sha256: 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
'''

RETURN = r'''
kernel:
  description: The installed stub domain kernel.
  returned: always
  type: str
  sample: /usr/lib/xen-4.17/boot/qemu-stubdom-linux-kernel
rootfs:
  description: The installed stub domain rootfs.
  returned: always
  type: str
  sample: /usr/lib/xen-4.17/boot/qemu-stubdom-linux-rootfs
key:
  description: What the images are built from (O(source=build)) - builder version, C(packages) (name to
    version), C(files) (unowned file to SHA-256), C(init_sha256); for O(source=supplied) the two hashes.
  returned: always
  type: dict
reasons:
  description: Why the images are (or would be) installed, in words; empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: ["qemu-system-xen 1:7.2+dfsg-7+deb12u5 -> 1:7.2+dfsg-7+deb12u6"]
sha256:
  description: The SHA-256 of the installed C(kernel) and C(rootfs) (of the ones that would be built are not
    known in check mode - V(null) then).
  returned: always
  type: dict
rootfs_files:
  description: How many files the built rootfs holds (O(source=build), when built).
  returned: when built
  type: int
'''

import glob
import gzip
import hashlib
import json
import os
import posixpath
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.xenguard.hardening.plugins.module_utils import stubdom
from ansible_collections.xenguard.hardening.plugins.module_utils.safefile import sha256_file
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import CommandRunner, XenGuardError, describe_failure

HEX64 = frozenset('0123456789abcdef')


def read_text(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')
    except (IOError, OSError):
        return None


def read_state(path):
    text = read_text(path)
    if text is None:
        return None
    try:
        state = json.loads(text)
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def write_atomic(module, path, data, mode=0o644):
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def image_stats(targets):
    """{kernel|rootfs: [size, mtime_ns]} of the installed images (None for one that is missing)."""
    stats = {}
    for name, path in targets.items():
        try:
            st = os.stat(path)
        except (IOError, OSError):
            stats[name] = None
            continue
        stats[name] = [st.st_size, st.st_mtime_ns]
    return stats


def need_file(path, what, fix):
    if not path or not os.path.isfile(path):
        raise XenGuardError('%s %s is missing: %s. Nothing was changed.' % (what, path, fix), path=path)


class Builder(object):
    """Collects the files of the rootfs and the inputs of the build key."""

    def __init__(self, module, params):
        self.module = module
        self.params = params
        self.files = {}      # path in the rootfs (absolute) -> source path in dom0
        self.links = {}      # path in the rootfs -> link target
        self.datas = {}      # path in the rootfs -> (mode, bytes)
        self.sources = set()

    def run(self, argv):
        runner = CommandRunner(self.module, argv[0])
        return runner.run(argv[1:], check=False)

    def add_binary(self, path, as_path=None):
        self.files[as_path or path] = path
        self.sources.add(path)
        result = self.run(['ldd', path])
        if result.rc != 0 and 'not a dynamic executable' not in (result.stdout + result.stderr):
            raise XenGuardError('cannot list the libraries of %s: %s' % (path, describe_failure(result, 'ldd')))
        try:
            libs = stubdom.parse_ldd(result.stdout)
        except stubdom.StubdomError as exc:
            raise XenGuardError('%s: %s. Nothing was changed.' % (path, exc))
        for lib in libs:
            self.files[lib] = lib
            self.sources.add(lib)

    def collect(self, kernel, dest):
        params = self.params
        need_file(kernel, 'the kernel', 'install linux-image-amd64 or set kernel to a Debian vmlinuz')
        base = os.path.basename(kernel)
        if not base.startswith('vmlinuz-'):
            raise XenGuardError('the kernel %s is not named vmlinuz-<version>, so its modules cannot be found; '
                                'give a distribution kernel from /boot' % kernel)
        moddir = os.path.join(params['modules_root'], base[len('vmlinuz-'):])
        dep_text = read_text(moddir + '/modules.dep')
        if dep_text is None:
            raise XenGuardError('%s/modules.dep is missing: the kernel %s has no modules installed; install its '
                                'linux-image package or run depmod -a. Nothing was changed.' % (moddir, kernel))
        builtin = stubdom.parse_modules_builtin(read_text(moddir + '/modules.builtin') or '')
        try:
            order = stubdom.module_load_order(stubdom.parse_modules_dep(dep_text), builtin)
        except stubdom.StubdomError as exc:
            raise XenGuardError('%s. Nothing was changed.' % exc)
        self.modules = []
        for rel in order:
            src = posixpath.join(moddir, rel)
            need_file(src, 'the kernel module', 'reinstall the kernel package')
            self.sources.add(src)
            name = stubdom.module_name(rel)
            self.modules.append((src, '/lib/modules/%s.ko' % name, stubdom.MODULE_PARAMS.get(name, '')))
        self.sources.add(kernel)

        need_file(params['qemu'], 'QEMU', 'install qemu-system-xen (the Xen QEMU of the distribution)')
        self.add_binary(params['qemu'])
        busybox = params['busybox']
        need_file(busybox, 'busybox', 'install busybox')
        self.add_binary(busybox, '/bin/busybox')
        for applet in stubdom.APPLETS:
            self.links['/bin/' + applet] = 'busybox'
        for tool in ('xenstore-read', 'xenstore-list'):
            path = os.path.join(params['xenstore_tools'], tool)
            need_file(path, tool, 'install xenstore-utils')
            self.add_binary(os.path.realpath(path), '/bin/' + tool)
        proxy = params['vchan_proxy'] or os.path.normpath(os.path.join(dest, '..', 'bin', 'vchan-socket-proxy'))
        need_file(proxy, "Xen's vchan-socket-proxy", 'install the Xen tools (xen-utils) or set vchan_proxy')
        self.add_binary(proxy, '/bin/vchan-socket-proxy')
        datadir = os.path.normpath(os.path.join(os.path.dirname(params['qemu']), '..', 'share', 'qemu'))
        for pattern in params['qemu_data']:
            for path in sorted(glob.glob(os.path.join(datadir, pattern))):
                if os.path.isfile(path):
                    self.files[path] = os.path.realpath(path)
                    self.sources.add(os.path.realpath(path))
        self.init = stubdom.init_script(params['qemu'], [(inside, args) for _src, inside, args in self.modules])

    def key(self):
        paths = sorted(self.sources)

        def names(path):
            """The names dpkg may know a file by (its own, its target's; merged /usr: with and without /usr)."""
            found = []
            for name in (path, os.path.realpath(path)):
                for other in (name, name[4:] if name.startswith('/usr/') else '/usr' + name):
                    if other not in found:
                        found.append(other)
            return found

        queried = sorted(set(name for path in paths for name in names(path)))
        # dpkg-query -S exits 1 when one of the names is unknown, and still prints the others
        known = stubdom.parse_dpkg_search(self.run(['dpkg-query', '-S'] + queried).stdout)
        owners = {}
        for path in paths:
            for name in names(path):
                if name in known:
                    owners[path] = known[name]
                    break
        packages = sorted(set(owners.values()))
        versions = {}
        if packages:
            answer = self.run(['dpkg-query', '-W', '-f', '${Package}\t${Version}\n'] + packages)
            versions = stubdom.parse_dpkg_versions(answer.stdout)
        unowned = dict((p, sha256_file(p)) for p in paths if p not in owners)
        return stubdom.build_key(versions, unowned, self.init)

    def entries(self):
        contents = {}
        for inside, src in self.files.items():
            with open(src, 'rb') as handle:
                contents[inside] = (os.stat(src).st_mode & 0o777, handle.read())
        for src, inside, _args in self.modules:
            with open(src, 'rb') as handle:
                data = handle.read()
            if src.endswith('.xz'):
                import lzma
                data = lzma.decompress(data)
            elif src.endswith('.gz'):
                data = gzip.decompress(data)
            elif src.endswith('.zst'):
                raise XenGuardError('the kernel module %s is zstd-compressed, which the builder cannot unpack; '
                                    'supply the images (source=supplied)' % src)
            contents[inside] = (0o644, data)
        contents['/init'] = (0o755, self.init.encode('utf-8'))
        links = dict((name, target) for name, target in self.links.items() if name not in contents)
        dirs = set(['dev', 'proc', 'sys', 'run', 'tmp'])
        names = list(contents) + list(links)
        for name in names:
            parts = name.strip('/').split('/')[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add('/'.join(parts[:i]))
        entries = [(d, 'dir', None) for d in sorted(dirs, key=lambda d: (d.count('/'), d))]
        entries += [(name.lstrip('/'), 'file', contents[name]) for name in sorted(contents)]
        entries += [(name.lstrip('/'), 'link', links[name]) for name in sorted(links)]
        return entries


def check_supplied(params):
    for name in ('kernel', 'rootfs', 'kernel_sha256', 'rootfs_sha256'):
        if not params[name]:
            raise XenGuardError('source=supplied needs %s (kernel, rootfs and the SHA-256 of each); nothing was '
                                'changed' % name)
    hashes = {}
    for name in ('kernel', 'rootfs'):
        want = params[name + '_sha256'].strip().lower()
        if len(want) != 64 or not set(want) <= HEX64:
            raise XenGuardError('%s_sha256 is %r, not a SHA-256 (64 hex digits): give the output of sha256sum '
                                '%s. Nothing was changed.' % (name, params[name + '_sha256'], params[name]))
        need_file(params[name], 'the supplied %s' % name, 'copy the image to the host first')
        got = sha256_file(params[name])
        if got != want:
            raise XenGuardError('the supplied %s %s has SHA-256 %s, not %s: it is not the image you meant '
                                '(damaged or replaced); nothing was installed' % (name, params[name], got, want))
        hashes[name] = want
    return hashes


def run(module):
    params = module.params
    dest = params['dest']
    if not os.path.isdir(dest):
        raise XenGuardError('dest %s is not a directory: it must be the firmware directory of the installed Xen '
                            '(Debian: /usr/lib/xen-<release>/boot). Nothing was changed.' % dest)
    targets = dict(kernel=os.path.join(dest, stubdom.KERNEL_NAME), rootfs=os.path.join(dest, stubdom.ROOTFS_NAME))
    installed = dict((name, sha256_file(path)) for name, path in targets.items())
    state = read_state(params['state_file'])
    result = dict(changed=False, kernel=targets['kernel'], rootfs=targets['rootfs'], reasons=[])
    record_only = []

    if params['source'] == 'supplied':
        hashes = check_supplied(params)
        result['key'] = {'source': 'supplied', 'sha256': hashes}
        for name in ('kernel', 'rootfs'):
            if installed[name] != hashes[name]:
                result['reasons'].append('%s %s differs from the supplied %s' % (name, targets[name], params[name]))
        result['sha256'] = hashes
        new_state = {'key': result['key'], 'sha256': hashes}
        if result['reasons'] and not module.check_mode:
            for name in ('kernel', 'rootfs'):
                if installed[name] != hashes[name]:
                    with open(params[name], 'rb') as handle:
                        write_atomic(module, targets[name], handle.read())
    else:
        kernel = params['kernel'] or '/boot/vmlinuz-%s' % os.uname()[2]
        builder = Builder(module, params)
        builder.collect(kernel, dest)
        key = builder.key()
        result['key'] = key
        old_key = (state or {}).get('key')
        result['reasons'] = stubdom.key_changes(old_key, key)
        recorded = (state or {}).get('sha256') or {}
        for name in ('kernel', 'rootfs'):
            if not result['reasons'] and installed[name] != recorded.get(name):
                result['reasons'].append('%s %s is not the image recorded in %s' % (
                    name, targets[name], params['state_file']))
        result['sha256'] = dict(recorded) if not result['reasons'] else dict(kernel=None, rootfs=None)
        # dest, kernel and the images' size and time let xen_facts tell a current image without building
        new_state = {'key': key, 'sha256': result['sha256'], 'dest': dest, 'kernel': kernel,
                     'stat': image_stats(targets)}
        if not result['reasons'] and any(new_state[k] != (state or {}).get(k) for k in ('dest', 'kernel', 'stat')):
            record_only = ['the record %s gets the directory, kernel and image sizes and times (the images are '
                           'the ones recorded)' % params['state_file']]
        if result['reasons'] and not module.check_mode:
            entries = builder.entries()
            rootfs = gzip.compress(stubdom.cpio_newc(entries), 9)
            with open(kernel, 'rb') as handle:
                kernel_data = handle.read()
            write_atomic(module, targets['kernel'], kernel_data)
            write_atomic(module, targets['rootfs'], rootfs)
            result['sha256'] = dict(kernel=hashlib.sha256(kernel_data).hexdigest(),
                                    rootfs=hashlib.sha256(rootfs).hexdigest())
            result['rootfs_files'] = sum(1 for e in entries if e[1] != 'dir')
            new_state['sha256'] = result['sha256']
            new_state['stat'] = image_stats(targets)

    result['reasons'] += record_only
    result['changed'] = bool(result['reasons'])
    if module._diff:
        result['diff'] = dict(before=json.dumps(state, indent=1, sort_keys=True) + '\n' if state else '',
                              after=json.dumps(new_state, indent=1, sort_keys=True) + '\n',
                              before_header=params['state_file'], after_header=params['state_file'])
    if result['changed'] and not module.check_mode:
        state_dir = os.path.dirname(params['state_file'])
        if not os.path.isdir(state_dir):
            os.makedirs(state_dir, 0o755)
        write_atomic(module, params['state_file'], (json.dumps(new_state, indent=1, sort_keys=True) + '\n').encode())
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type='path', required=True),
            source=dict(type='str', choices=['build', 'supplied'], default='build'),
            kernel=dict(type='path'),
            rootfs=dict(type='path'),
            kernel_sha256=dict(type='str', no_log=False),
            rootfs_sha256=dict(type='str', no_log=False),
            qemu=dict(type='path', default='/usr/libexec/xen-qemu-system-i386'),
            qemu_data=dict(type='list', elements='str',
                           default=['vgabios-stdvga.bin', 'vgabios-cirrus.bin', 'efi-e1000.rom', 'efi-rtl8139.rom',
                                    'pxe-e1000.rom', 'pxe-rtl8139.rom', 'keymaps/en-us', 'keymaps/common',
                                    'keymaps/modifiers']),
            vchan_proxy=dict(type='path'),
            busybox=dict(type='path', default='/bin/busybox'),
            xenstore_tools=dict(type='path', default='/usr/bin'),
            modules_root=dict(type='path', default='/lib/modules'),
            state_file=dict(type='path', default='/var/lib/xenguard/stubdom-image.json'),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except XenGuardError as exc:
        module.fail_json(**exc.to_fail_kwargs())
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot install the stub domain images: %s' % to_native(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
