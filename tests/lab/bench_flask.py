# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench-flask`: the FLASK build's cost, cold and cached, in one run (figures, no assertions on time).

1. cold: the key's artifacts are removed (the chroot of the distribution is kept unless --fresh), then
   xen_flask_build runs through ansible-playbook on the controller: apt-get update, apt-get source,
   make -C xen, the policy; its steps and seconds are printed.
2. cached: the same call for a second host of the key: nothing is compiled (built: false).
--fresh uses an empty cache directory, so debootstrap of the chroot is part of the cold figure.
Needs root (debootstrap, chroot) and Debian's mirror.
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
CONFIGS = {'bookworm': ('4.17.5+72-g01140da4e8-1', 'tests/unit/fixtures/debian12-xen-4.17/xen-4.17-amd64.config.debian.txt')}


def playbook(cache, dist, version, config_path):
    return [{  # hosts: localhost without an inventory: the implicit localhost, on the controller's own Python
        'hosts': 'localhost', 'gather_facts': False,
        'tasks': [{
            'name': 'xen_flask_build for %s / %s' % (dist, version),
            'xenguard.hardening.xen_flask_build': {
                'distribution': dist, 'xen_version': version, 'cache_dir': cache,
                'base_config': "{{ lookup('ansible.builtin.file', %s) }}" % json.dumps(config_path)},
            'register': 'build'},
            {'ansible.builtin.copy': {'content': '{{ build | to_json }}', 'dest': '{{ out }}'}}],
    }]


def run(ansible_playbook, cache, dist, version, config_path, workdir, label):
    book = os.path.join(workdir, 'bench-flask.yml')
    out = os.path.join(workdir, 'result-%s.json' % label)
    with open(book, 'w') as handle:
        json.dump(playbook(cache, dist, version, config_path), handle)
    start = time.time()
    proc = subprocess.run([ansible_playbook, '-i', os.devnull, book, '-e', 'out=' + out],  # the implicit localhost
                          capture_output=True, text=True, check=False)
    wall = time.time() - start
    if proc.returncode != 0:
        sys.exit('bench-flask: the %s run failed:\n%s' % (label, proc.stdout[-3000:]))
    with open(out) as handle:
        return json.load(handle), wall


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--dist', default='bookworm', choices=sorted(CONFIGS))
    parser.add_argument('--cache', default=os.path.expanduser('~/.cache/xenguard-flask'))
    parser.add_argument('--fresh', action='store_true', help='an empty cache: debootstrap counts in the cold figure')
    parser.add_argument('--ansible-playbook', default=os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'))
    parser.add_argument('--json', help='write the figures here as JSON')
    args = parser.parse_args()
    version, config = CONFIGS[args.dist]
    config_path = os.path.join(ROOT, config)
    workdir = tempfile.mkdtemp(prefix='bench-flask-')
    cache = os.path.join(workdir, 'cache') if args.fresh else args.cache
    try:
        # forget this key's artifacts so that the first run compiles (the chroot stays unless --fresh)
        sys.path.insert(0, os.path.abspath(os.path.join(ROOT, '..', '..', '..')))
        from ansible_collections.xenguard.hardening.plugins.module_utils import flaskbuild
        with open(config_path) as handle:
            key = flaskbuild.build_key(args.dist, version, flaskbuild.xsm_config(handle.read()))
        shutil.rmtree(flaskbuild.artifact_dir(cache, key), ignore_errors=True)
        chroot_cached = os.path.isdir(os.path.join(cache, 'chroot-%s-amd64' % args.dist))
        cold, cold_wall = run(args.ansible_playbook, cache, args.dist, version, config_path, workdir, 'cold')
        warm, warm_wall = run(args.ansible_playbook, cache, args.dist, version, config_path, workdir, 'cached')
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    figures = {'distribution': args.dist, 'xen_version': version, 'key': cold['key'], 'nproc': os.cpu_count(),
               'chroot_cached_before': chroot_cached,
               'cold': {'built': cold['built'], 'seconds': cold['seconds'], 'wall': round(cold_wall, 1),
                        'steps': cold['steps']},
               'cached': {'built': warm['built'], 'wall': round(warm_wall, 1)},
               'same_bytes': cold['artifacts'] == warm['artifacts']}
    print('FLASK build on %d cores, %s / Xen %s, key %s' % (figures['nproc'], args.dist, version, cold['key']))
    print('  cold (%s): %.1f s in the module, %.1f s wall' % (
        'chroot cached' if chroot_cached else 'chroot built', cold['seconds'], cold_wall))
    for step in cold['steps']:
        print('    %-58s %7.1f s' % (step['step'], step['seconds']))
    print('  cached (second host of the key): built=%s, %.1f s wall (ansible-playbook start included)' % (
        warm['built'], warm_wall))
    print('  same bytes for both: %s' % figures['same_bytes'])
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(figures, handle, indent=1)
    return 0 if not warm['built'] and figures['same_bytes'] else 1


if __name__ == '__main__':
    sys.exit(main())
