#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: xen_flask_build
short_description: Build a Xen hypervisor with XSM (FLASK, SILO) and the FLASK policy, once per key
version_added: 0.2.0
description:
  - Runs on the build host (the controller by default, with C(delegate_to)). Builds, in a cached debootstrap
    chroot of the target distribution, the distribution's own Xen source for the installed version
    (a deb-src entry and C(apt-get source xen=VERSION), which applies the distribution's patches) with the
    distribution's toolchain.
  - Only the hypervisor is built (C(make -C xen)), from the installed hypervisor's own Kconfig
    (C(/boot/xen-X.config) of the host) with C(CONFIG_XSM), C(CONFIG_XSM_FLASK) and C(CONFIG_XSM_SILO) set
    and the built-in policy off; the FLASK policy is built from C(tools/flask/policy) and booted as a module.
  - The artifacts are stored under O(cache_dir)C(/artifacts/KEY) where KEY is a digest of the distribution,
    the Xen source version, the Kconfig text and the patches, with a manifest of their SHA-256 checksums.
    When that directory is complete (checksums verified) nothing is compiled, so a second host or a second
    run of the same key builds nothing.
  - When the source of the installed version is not served (a security update whose source the mirror does
    not carry), the version the mirror serves on the same Xen branch is built instead, with a warning,
    unless O(allow_version_fallback=false).
  - Every step is written with its duration to O(cache_dir)C(/build.log) as it starts and ends
    (C(tail -f) it during a cold build); RV(steps) returns them.
author: xenguard maintainers (@xenguard)
attributes:
  check_mode:
    support: full
    description: Reports whether a build would run (C(changed)) and the key; builds nothing.
  diff_mode:
    support: none
    description: Nothing to show as a diff (the artifacts are binary).
  platform:
    platforms: posix
    support: full
    description: A Debian or Ubuntu build host with debootstrap, run as root (chroot).
options:
  distribution:
    description: The target distribution's suite.
    type: str
    required: true
    choices: [bookworm, trixie]
  xen_version:
    description: The Debian source version of the installed Xen (C(dpkg-query -W -f='${source:Version}')).
    type: str
    required: true
  base_config:
    description: The Kconfig text of the installed hypervisor (the content of the host's C(/boot/xen-X.config)).
    type: str
    required: true
  patches:
    description: Extra patches (unified diffs, applied with C(patch -p1) in the source tree); part of the key.
    type: list
    elements: str
    default: []
  cache_dir:
    description: Where the chroot, the build log and the artifacts are kept on the build host.
    type: path
    default: ~/.cache/xenguard-flask
  mirror:
    description:
      - The Debian mirror for debootstrap and the sources (an C(http://) or C(https://) URL).
      - >-
        Empty - the build host's own apt sources name it (C(/etc/apt/sources.list) and
        C(sources.list.d/*.list) or C(*.sources)): the URI of an entry for O(distribution), else of another
        Debian release with C(main) (one archive serves every release). A build host whose sources name no
        Debian mirror is refused before anything is built.
    type: str
    default: ''
  security_mirror:
    description:
      - The Debian security mirror (its deb-src entry too).
      - >-
        Empty - the build host's apt sources name it (an entry for C(<distribution>-security), else for another
        C(*-security) suite); none when they name none. V(none) - no security mirror.
    type: str
    default: ''
  allow_version_fallback:
    description: Build the served version of the same Xen branch when the installed version's source is not served.
    type: bool
    default: true
  jobs:
    description: Parallel compile jobs (C(make -j)); 0 means the build host's CPU count.
    type: int
    default: 0
'''

EXAMPLES = r'''
- name: Build the FLASK hypervisor for this host's Xen on the controller (once per key)
  xenguard.hardening.xen_flask_build:
    distribution: bookworm
    xen_version: 4.17.5+72-g01140da4e8-1
    base_config: "{{ lookup('ansible.builtin.file', 'xen-4.17-amd64.config') }}"
  delegate_to: localhost
  throttle: 1
'''

RETURN = r'''
key:
  description: The artifact key (distribution, Xen version, digest of Kconfig and patches).
  returned: always
  type: str
  sample: bookworm-4.17.5+72-g01140da4e8-1-9b64d39737204379
dir:
  description: The artifact directory on the build host.
  returned: always
  type: str
built:
  description: Whether this run compiled (false when the key's artifacts were already there).
  returned: always
  type: bool
artifacts:
  description: The files of the key (hypervisor, policy, config) and their SHA-256 checksums.
  returned: when the artifacts exist
  type: dict
  sample: {hypervisor: {path: ~/.cache/xenguard-flask/artifacts/KEY/xen-flask.gz, sha256: "..."}}
source_version:
  description: The Xen source version that was built (differs from O(xen_version) after a fallback).
  returned: when the artifacts exist
  type: str
steps:
  description: The steps of this run and their seconds (empty when nothing was built).
  returned: always
  type: list
  elements: dict
  sample: [{step: make -C xen -j2 (hypervisor with XSM), seconds: 84.2}]
seconds:
  description: Wall-clock seconds of the build (0 when nothing was built).
  returned: always
  type: float
log:
  description: The build log on the build host.
  returned: always
  type: str
mirrors:
  description: The mirrors the build used or would use, and where they came from (C(parameters) or C(apt sources)).
  returned: always
  type: dict
  sample: {mirror: http://mirror.example.org/debian, security_mirror: http://mirror.example.org/debian-security,
           source: apt sources}
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xenguard.hardening.plugins.module_utils import aptsources, flaskbuild
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError


def _artifacts(directory, manifest):
    names = {'hypervisor': flaskbuild.HYPERVISOR, 'policy': flaskbuild.POLICY, 'config': flaskbuild.CONFIG}
    return dict((what, {'path': os.path.join(directory, name), 'sha256': manifest['sha256'][name]})
                for what, name in names.items())


def pick_mirrors(params, read_entries=aptsources.read_entries):
    """The mirrors of this build: the parameters, with the empty ones read from the build host's apt sources."""
    mirror, security = (params['mirror'] or '').strip(), (params['security_mirror'] or '').strip()
    for name, value in (('mirror', mirror), ('security_mirror', security)):
        keyword = name == 'security_mirror' and value == 'none'
        if value and not keyword and not aptsources.URI_RE.match(value):
            raise XenGuardError('%s is %r, not an http(s) URL of a Debian mirror (for example '
                                'http://mirror.example.org/debian); nothing was built.' % (name, value))
    source = 'parameters'
    if not mirror or not security:
        found_mirror, found_security = aptsources.mirrors(read_entries(), params['distribution'])
        if not mirror:
            if not found_mirror:
                raise XenGuardError('mirror is empty and the build host\'s apt sources (/etc/apt/sources.list, '
                                    'sources.list.d) name no http(s) Debian mirror for %s: set mirror '
                                    '(xenguard_flask_mirror); nothing was built.' % params['distribution'])
            mirror, source = found_mirror, 'apt sources'
        if not security:
            security, source = found_security, 'apt sources'
    if security == 'none':
        security = None
    return {'mirror': mirror, 'security_mirror': security, 'source': source}


def run(module):
    params = module.params
    cache_dir = params['cache_dir']
    flaskbuild.check_inputs(params['distribution'], params['xen_version'])
    if not (params['base_config'] or '').strip():
        raise XenGuardError('base_config is empty: pass the Kconfig of the installed hypervisor '
                            '(/boot/xen-<version>.config on the host); nothing was built.')
    config_text = flaskbuild.xsm_config(params['base_config'])
    key = flaskbuild.build_key(params['distribution'], params['xen_version'], config_text, params['patches'])
    directory = flaskbuild.artifact_dir(cache_dir, key)
    log = os.path.join(cache_dir, 'build.log')
    manifest = flaskbuild.read_manifest(directory)
    mirrors = pick_mirrors(params)
    result = {'key': key, 'dir': directory, 'built': False, 'steps': [], 'seconds': 0.0, 'log': log,
              'changed': False, 'mirrors': mirrors}
    if manifest is None and module.check_mode:
        result['changed'] = True
        return result
    if manifest is None:
        for tool in ('debootstrap', 'chroot'):
            if not module.get_bin_path(tool):
                raise XenGuardError('%s is not installed on the build host: install it (apt-get install debootstrap) '
                                    'or set xenguard_flask_build_host to a host that has it; nothing was built.' % tool)
        if os.geteuid() != 0:
            raise XenGuardError('the FLASK build needs root on the build host (debootstrap and chroot): run it with '
                                'become, or as root; nothing was built.')
        done = flaskbuild.build(cache_dir, params['distribution'], params['xen_version'], params['base_config'],
                                mirrors['mirror'], mirrors['security_mirror'], patches=params['patches'],
                                allow_fallback=params['allow_version_fallback'], jobs=params['jobs'] or None)
        for warning in done['warnings']:
            module.warn(warning)
        manifest = done['manifest']
        result.update(built=done['built'], steps=done['steps'], seconds=done.get('seconds', 0.0),
                      changed=done['built'])
    result['artifacts'] = _artifacts(directory, manifest)
    result['source_version'] = manifest.get('source_version')
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            distribution=dict(type='str', required=True, choices=sorted(flaskbuild.DISTRIBUTIONS)),
            xen_version=dict(type='str', required=True),
            base_config=dict(type='str', required=True),
            patches=dict(type='list', elements='str', default=[]),
            cache_dir=dict(type='path', default='~/.cache/xenguard-flask'),
            mirror=dict(type='str', default=''),
            security_mirror=dict(type='str', default=''),
            allow_version_fallback=dict(type='bool', default=True),
            jobs=dict(type='int', default=0),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except XenGuardError as exc:
        kwargs = exc.to_fail_kwargs()
        kwargs.pop('cmd', None)
        module.fail_json(**kwargs)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
