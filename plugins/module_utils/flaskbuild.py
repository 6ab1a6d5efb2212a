# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Build a Xen hypervisor with XSM (FLASK and SILO) and the FLASK policy, once per key.

The build runs on the build host in a chroot of the target distribution (debootstrap, cached), from
the distribution's own Xen source for the installed version (a deb-src entry and
``apt-get source xen=<version>``, which applies the distribution's patches), with the distribution's
toolchain. Only the hypervisor (``make -C xen``) and the policy (``tools/flask/policy``) are built.

The artifacts are stored under ``<cache>/artifacts/<key>/`` where the key is a digest of
(distribution, Xen source version, the Kconfig text, the extra patches). A key whose directory holds a
complete manifest is never built again: a second host or a second run compiles nothing.

Every long step is written to ``<cache>/build.log`` as it starts and ends, with its duration, so a
user can follow a cold build (``tail -f``); the steps and their seconds are also returned.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import os
import re
import shutil
import subprocess
import time

from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError
from ansible_collections.xenguard.hardening.plugins.module_utils.safefile import sha256_file

# The distributions this build knows: suite -> (Xen branch, security suite).
DISTRIBUTIONS = {
    'bookworm': {'xen': '4.17', 'security': 'bookworm-security'},
    'trixie': {'xen': '4.20', 'security': 'trixie-security'},
}

# What the hypervisor needs beyond the distribution's own config (xen/common/Kconfig, "XSM").
# The policy is not built into the hypervisor: it is a boot module (and `xl loadpolicy` can replace it).
XSM_KCONFIG = (
    ('CONFIG_XSM', 'y'),
    ('CONFIG_XSM_FLASK', 'y'),
    ('CONFIG_XSM_SILO', 'y'),
    ('CONFIG_XSM_FLASK_POLICY', 'n'),
)

# Packages of the build chroot: the distribution's toolchain, and what `apt-get source` and the policy
# build (checkpolicy, m4) need. The hypervisor alone needs no library headers.
CHROOT_PACKAGES = ('build-essential', 'bison', 'flex', 'python3', 'checkpolicy', 'm4', 'dpkg-dev',
                   'xz-utils', 'ca-certificates')

MANIFEST = 'manifest.json'
HYPERVISOR = 'xen-flask.gz'
POLICY = 'xenpolicy-flask'
CONFIG = 'xen-flask.config'

_VERSION_RE = re.compile(r'^[0-9][A-Za-z0-9.+~:-]*$')


def xsm_config(base_config):
    """The distribution's Kconfig text with the XSM options set (other lines kept as they are)."""
    names = dict(XSM_KCONFIG)
    out = []
    for line in (base_config or '').splitlines():
        match = re.match(r'^(?:# )?(CONFIG_[A-Za-z0-9_]+)(?:=.*| is not set)$', line.strip())
        if match and match.group(1) in names:
            continue
        out.append(line)
    for name, value in XSM_KCONFIG:
        out.append('%s=%s' % (name, value) if value != 'n' else '# %s is not set' % name)
    return '\n'.join(out) + '\n'


def build_key(distribution, xen_version, config_text, patches=()):
    """The artifact key: a digest of everything that makes the bytes differ."""
    digest = hashlib.sha256()
    digest.update(('xenguard-flask-build-1\0%s\0%s\0' % (distribution, xen_version)).encode('utf-8'))
    digest.update(config_text.encode('utf-8'))
    for patch in patches:
        digest.update(b'\0patch\0')
        digest.update(patch.encode('utf-8') if not isinstance(patch, bytes) else patch)
    return '%s-%s-%s' % (distribution, re.sub(r'[^A-Za-z0-9.+-]', '_', xen_version), digest.hexdigest()[:16])


def read_manifest(directory):
    """The manifest of a complete artifact directory, its checksums verified; None if incomplete."""
    path = os.path.join(directory, MANIFEST)
    if not os.path.isfile(path):
        return None
    with open(path) as handle:
        manifest = json.load(handle)
    for name, digest in manifest.get('sha256', {}).items():
        file_path = os.path.join(directory, name)
        if not os.path.isfile(file_path) or sha256_file(file_path) != digest:
            return None
    return manifest


def check_inputs(distribution, xen_version):
    if distribution not in DISTRIBUTIONS:
        raise XenGuardError('distribution %r is not supported by the FLASK build: supported are %s. '
                            'Run the flask role only on those hosts, or build the hypervisor yourself.'
                            % (distribution, ', '.join(sorted(DISTRIBUTIONS))))
    if not xen_version or not _VERSION_RE.match(xen_version):
        raise XenGuardError('xen_version %r is not a Debian package version (such as 4.17.5+72-g01140da4e8-1): '
                            'pass the source version of the installed Xen packages.' % (xen_version,))
    branch = DISTRIBUTIONS[distribution]['xen']
    if not xen_version.startswith(branch + '.'):
        raise XenGuardError('Xen %s is not the Xen of %s (%s.x): the build uses the distribution\'s own source '
                            'for the installed version; check the host\'s packages.'
                            % (xen_version, distribution, branch))


class Builder(object):
    """One build in a cached chroot; `run` is injectable for the tests."""

    def __init__(self, cache_dir, distribution, mirror, security_mirror, jobs=None, log=None, run=None):
        self.distribution = distribution
        self.mirror = mirror
        self.security_mirror = security_mirror
        self.jobs = jobs or os.cpu_count() or 1
        self.chroot = os.path.join(cache_dir, 'chroot-%s-amd64' % distribution)
        self.log_path = os.path.join(cache_dir, 'build.log')
        self.steps = []
        self.warnings = []
        self._run = run or self._subprocess
        self._log = log

    # ---------------------------------------------------------------- output
    def say(self, text):
        line = '[%s] %s' % (time.strftime('%H:%M:%S'), text)
        with open(self.log_path, 'a') as handle:
            handle.write(line + '\n')
        if self._log:
            self._log(line)

    def step(self, name, func, *args):
        self.say('%s ...' % name)
        start = time.time()
        try:
            result = func(*args)
        except XenGuardError:
            self.say('%s FAILED after %.0f s' % (name, time.time() - start))
            raise
        seconds = round(time.time() - start, 1)
        self.steps.append({'step': name, 'seconds': seconds})
        self.say('%s done in %.1f s' % (name, seconds))
        return result

    def _subprocess(self, cmd, cwd=None):
        """Run cmd, its output streamed into the build log as it comes (a cold build can be followed)."""
        env = dict(os.environ, LC_ALL='C', LANG='C', DEBIAN_FRONTEND='noninteractive')
        # Popen, not run_command: the output goes into the build log line by line while a build of minutes runs
        # (run_command returns it only at the end); this runs on the build host, not through a module's result
        proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        chunks = []
        with open(self.log_path, 'ab') as handle:
            for line in iter(proc.stdout.readline, b''):
                handle.write(line)
                handle.flush()
                chunks.append(line)
        proc.stdout.close()
        return proc.wait(), b''.join(chunks).decode('utf-8', 'replace')

    def sh(self, cmd, what, cwd=None, tail=25):
        rc, out = self._run(cmd, cwd=cwd)
        if rc != 0:
            last = '\n'.join(out.rstrip().splitlines()[-tail:])
            raise XenGuardError('%s failed (rc=%s); nothing was installed on any host. Its last lines:\n%s\n'
                                '(full log: %s)' % (what, rc, last, self.log_path), rc=rc, cmd=cmd)
        return out

    def in_chroot(self, script, what, tail=25):
        return self.sh(['chroot', self.chroot, '/bin/sh', '-ec', script], what, tail=tail)

    def outside(self, path):
        """The build host's path of an absolute path in the chroot (the trees are all under /build)."""
        return self.chroot + path

    # ---------------------------------------------------------------- steps
    def chroot_ready(self):
        return os.path.isfile(os.path.join(self.chroot, '.xenguard-ready'))

    def make_chroot(self):
        tmp = self.chroot + '.tmp'
        if os.path.isdir(tmp):
            shutil.rmtree(tmp)
        self.sh(['debootstrap', '--variant=minbase', '--include=' + ','.join(CHROOT_PACKAGES),
                 self.distribution, tmp, self.mirror], 'debootstrap %s (the build chroot)' % self.distribution)
        dist = DISTRIBUTIONS[self.distribution]
        with open(os.path.join(tmp, 'etc/apt/sources.list'), 'w') as handle:
            handle.write('deb %s %s main\ndeb-src %s %s main\n'
                         % (self.mirror, self.distribution, self.mirror, self.distribution))
            handle.write('deb %s %s-updates main\ndeb-src %s %s-updates main\n'
                         % (self.mirror, self.distribution, self.mirror, self.distribution))
            if self.security_mirror:
                handle.write('deb %s %s main\ndeb-src %s %s main\n'
                             % (self.security_mirror, dist['security'], self.security_mirror, dist['security']))
        open(os.path.join(tmp, '.xenguard-ready'), 'w').close()
        os.rename(tmp, self.chroot)

    def apt_update(self):
        self.in_chroot('apt-get update -qq', 'apt-get update in the build chroot')

    def _source(self, work, version):
        return self._run(['chroot', self.chroot, '/bin/sh', '-ec',
                          'cd %s && rm -rf ./* && apt-get source -qq xen=%s' % (work, version)])

    def fetch_source(self, xen_version, allow_fallback):
        """apt-get source xen=<version>; another served version of the branch when that one is not served.

        A mirror may list a source version in its index and still not serve its files (measured: the
        security versions of Debian 12 and 13 behind the lab's mirror, 404): every other version of the same
        Xen branch the index lists is tried, newest first, before giving up.
        """
        work = '/build/xen-%s' % xen_version
        self.in_chroot('rm -rf %s && mkdir -p %s' % (work, work), 'preparing the source directory')
        rc, out = self._source(work, xen_version)
        used = xen_version
        if rc != 0:
            said = ' | '.join(line.strip() for line in out.strip().splitlines()[-2:])
            listed = self.in_chroot('apt-cache showsrc xen | sed -n "s/^Version: //p"', 'apt-cache showsrc xen')
            branch = DISTRIBUTIONS[self.distribution]['xen']
            served = []
            for version in (v.strip() for v in listed.splitlines()):
                if version and version not in served:
                    served.append(version)
            candidates = [v for v in served if v.startswith(branch + '.') and v != xen_version]
            tried = [xen_version]
            used = None
            if allow_fallback:
                for version in candidates:
                    tried.append(version)
                    rc, out = self._source(work, version)
                    if rc == 0:
                        used = version
                        break
            if used is None:
                raise XenGuardError('no source of Xen %s.x for %s could be fetched: apt-get source xen=%s failed (%s); '
                                    'the index lists %s%s. Nothing was built and no host was changed. Add a deb-src '
                                    'mirror that serves it (xenguard_flask_mirror / xenguard_flask_security_mirror)%s.'
                                    % (branch, self.distribution, xen_version, said, ', '.join(served) or 'no version',
                                       ' (tried: %s)' % ', '.join(tried[1:]) if len(tried) > 1 else '',
                                       '' if allow_fallback else ', or allow the fallback to another served version'),
                                    reason='no_source', output=out[-2000:])
            self.warnings.append('the source of xen %s is not served (apt-get source said: %s); built from the '
                                 'served version %s instead: the FLASK hypervisor is that version, not the '
                                 'installed one' % (xen_version, said, used))
            self.say('WARNING: ' + self.warnings[-1])
        tree = self.in_chroot('cd %s && for d in xen-*/; do [ -d "$d/xen" ] && echo "$d"; done' % work,
                              'finding the unpacked source').split()
        if not tree:
            raise XenGuardError('apt-get source xen=%s unpacked no source tree with xen/ in %s' % (used, work))
        return used, '%s/%s' % (work, tree[0].rstrip('/'))

    def build_hypervisor(self, tree, config_text):
        with open(os.path.join(self.outside(tree), 'xen', '.config'), 'w') as handle:
            handle.write(config_text)
        self.in_chroot('cd %s && make -s -C xen olddefconfig' % tree, 'make -C xen olddefconfig')
        got = open(os.path.join(self.outside(tree), 'xen', '.config')).read()
        for name, value in XSM_KCONFIG:
            wanted = '%s=%s' % (name, value) if value != 'n' else '# %s is not set' % name
            if wanted not in got.splitlines():
                raise XenGuardError('Kconfig did not keep %s (olddefconfig dropped it); the source may not offer it'
                                    % wanted)
        self.in_chroot('cd %s && make -C xen -j%d' % (tree, self.jobs), 'make -C xen (the hypervisor)', tail=30)

    def build_policy(self, tree):
        self.in_chroot('cd %s && rm -rf /build/policy && mkdir -p /build/policy && '
                       'make -f Makefile.common -C tools/flask/policy FLASK_BUILD_DIR=/build/policy' % tree,
                       'the FLASK policy build (tools/flask/policy)', tail=30)

    def collect(self, tree, target, key, meta):
        root = self.outside(tree)
        tmp = target + '.tmp'
        if os.path.isdir(tmp):
            shutil.rmtree(tmp)
        os.makedirs(tmp)
        shutil.copyfile(os.path.join(root, 'xen', 'xen.gz'), os.path.join(tmp, HYPERVISOR))
        shutil.copyfile(os.path.join(root, 'xen', '.config'), os.path.join(tmp, CONFIG))
        policies = sorted(n for n in os.listdir(os.path.join(self.chroot, 'build/policy'))
                          if n.startswith('xenpolicy-'))
        if not policies:
            raise XenGuardError('the policy build wrote no xenpolicy-* file')
        shutil.copyfile(os.path.join(self.chroot, 'build/policy', policies[0]), os.path.join(tmp, POLICY))
        manifest = dict(meta)
        manifest['key'] = key
        manifest['sha256'] = dict((n, sha256_file(os.path.join(tmp, n))) for n in (HYPERVISOR, POLICY, CONFIG))
        with open(os.path.join(tmp, MANIFEST), 'w') as handle:
            json.dump(manifest, handle, indent=1, sort_keys=True)
        if os.path.isdir(target):
            shutil.rmtree(target)
        os.rename(tmp, target)
        return manifest


def artifact_dir(cache_dir, key):
    return os.path.join(cache_dir, 'artifacts', key)


def build(cache_dir, distribution, xen_version, base_config, mirror, security_mirror=None, patches=(),
          allow_fallback=True, jobs=None, log=None, run=None):
    """Build (or find) the artifacts of one key. Returns a result dict (built, key, dir, manifest, steps)."""
    check_inputs(distribution, xen_version)
    if not (base_config or '').strip():
        raise XenGuardError('the Xen Kconfig of the installed hypervisor is empty: read /boot/xen-<version>.config '
                            'of the host (Debian installs it with the hypervisor package).')
    config_text = xsm_config(base_config)
    key = build_key(distribution, xen_version, config_text, patches)
    target = artifact_dir(cache_dir, key)
    manifest = read_manifest(target)
    if manifest is not None:
        return {'built': False, 'key': key, 'dir': target, 'manifest': manifest, 'steps': [], 'warnings': []}
    if not os.path.isdir(cache_dir):
        os.makedirs(cache_dir)
    builder = Builder(cache_dir, distribution, mirror, security_mirror, jobs=jobs, log=log, run=run)
    start = time.time()
    builder.say('building key %s (distribution %s, xen %s)' % (key, distribution, xen_version))
    if not builder.chroot_ready():
        builder.step('debootstrap %s build chroot (cold: minutes; cached afterwards)' % distribution,
                     builder.make_chroot)
    builder.step('apt-get update', builder.apt_update)
    used, tree = builder.step('apt-get source xen=%s' % xen_version, builder.fetch_source, xen_version,
                              allow_fallback)
    for index, patch in enumerate(patches):
        path = os.path.join(builder.chroot, 'build', 'patch-%d.diff' % index)
        with open(path, 'w') as handle:
            handle.write(patch)
        builder.step('patch %d' % index, builder.in_chroot,
                     'cd %s && patch -p1 < /build/patch-%d.diff' % (tree, index), 'applying patch %d' % index)
    builder.step('make -C xen -j%d (hypervisor with XSM)' % builder.jobs, builder.build_hypervisor, tree, config_text)
    builder.step('FLASK policy', builder.build_policy, tree)
    meta = {'distribution': distribution, 'xen_version': xen_version, 'source_version': used,
            'built_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'steps': list(builder.steps)}
    # the steps up to here, as the manifest file holds them (the result's own steps go on to the end)
    manifest = builder.step('store artifacts', builder.collect, tree, target, key, meta)
    # the chroot is what the cache keeps (about 820 MB); the source tree and its objects (about 85 MB) are not
    builder.step('remove the build tree', builder.in_chroot, 'rm -rf /build/xen-* /build/policy /build/patch-*',
                 'removing the build tree')
    builder.say('key %s built in %.0f s' % (key, time.time() - start))
    return {'built': True, 'key': key, 'dir': target, 'manifest': manifest, 'steps': builder.steps,
            'warnings': builder.warnings, 'seconds': round(time.time() - start, 1)}
