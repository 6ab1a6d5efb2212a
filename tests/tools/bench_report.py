# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report generation for many synthetic hosts (make bench-report): builds the report from N hosts'
control results (statuses drawn with a fixed seed, some hosts unreachable or not a dom0, waivers on
some, a previous report to compare with), renders JSON, JUnit XML and HTML, and prints the seconds
and the peak memory of the process. Goal (docs/report.md): 1,000 hosts in at most 5 s and 300 MB.

Run from the collection root's copy (make bench-report does): imports the collection as
ansible_collections.xenguard.hardening."""

import argparse
import datetime
import random
import resource
import sys
import time

from ansible_collections.xenguard.hardening.plugins.module_utils import report as rp
from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS

DETAIL = ('(XEN) Intel VT-d iommu 0 supported page sizes: 4kB, 2MB, 1GB; booted with '
          'console=com1 iommu=1 smt=0 dom0_mem=2048M,max:2048M')


def synthetic_hosts(count, seed):
    rnd = random.Random(seed)
    hosts = []
    for index in range(count):
        name = 'xen%04d.fleet.example' % index
        roll = rnd.random()
        if roll < 0.02:
            hosts.append(rp.host_input(name, {'unreachable': True, 'msg': 'ssh: connect to host %s: timed out' % name}))
            continue
        if roll < 0.03:
            hosts.append(rp.host_input(name, {'ansible_facts': {'xen': {'is_dom0': False, 'reason': 'no Xen'}}}))
            continue
        controls = []
        for control in CONTROLS:
            status = rnd.choice(('pass', 'pass', 'pass', 'fail', 'unknown', 'not_applicable'))
            controls.append({'id': control['id'], 'title': control['title'], 'section': control['section'],
                             'severity': control['severity'], 'role': control['role'], 'reboot': control['reboot'],
                             'status': status, 'detail': '%s: %s' % (status, DETAIL)})
        waivers = None
        if index % 10 == 0:
            waivers = [{'control': CONTROLS[0]['id'], 'reason': 'replacement board ordered',
                        'expires': '2027-01-31' if index % 20 else '2026-01-31'}]
        hosts.append(rp.host_input(name, {'changed': False, 'ansible_facts': {'xen': {
            'is_dom0': True, 'version': '4.17.6', 'cmdline': DETAIL.split(), 'controls': controls}}}, waivers))
    return hosts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--hosts', type=int, default=1000)
    args = parser.parse_args()
    today = datetime.date(2026, 11, 29)
    previous = rp.to_json(rp.build_report(synthetic_hosts(args.hosts, 1), CONTROLS, today, '2026-11-28T00:00:00Z'))
    hosts = synthetic_hosts(args.hosts, 2)
    start = time.perf_counter()
    report = rp.build_report(hosts, CONTROLS, today, '2026-11-29T00:00:00Z', previous=previous)
    sizes = dict((name, len(func(report).encode('utf-8')))
                 for name, func in (('json', rp.to_json), ('xml', rp.to_junit), ('html', rp.to_html)))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print('report generation: %d hosts x %d controls' % (args.hosts, len(CONTROLS)))
    print('  seconds: %.2f (goal <= 5)' % seconds)
    print('  peak memory (process max RSS, synthetic input included): %.0f MB (goal <= 300)' % peak_mb)
    print('  sizes: ' + ', '.join('report.%s %.1f MB' % (k, v / 1e6) for k, v in sorted(sizes.items())))
    print('  changes since the previous report: %d better, %d worse' % (
        len(report['changes']['better']), len(report['changes']['worse'])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
