#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the kill score of a mutmut (2.x) run from its cache: killed / (all tested mutants).

    mutation_score.py NAME CACHE     one line: NAME killed/total percent (survived, timeouts)
"""

from __future__ import absolute_import, division, print_function

import sqlite3
import sys


def score(cache):
    conn = sqlite3.connect(cache)
    try:
        rows = conn.execute('SELECT status, COUNT(*) FROM Mutant GROUP BY status').fetchall()
    finally:
        conn.close()
    counts = dict(rows)
    killed = counts.get('ok_killed', 0)
    survived = counts.get('bad_survived', 0)
    timeout = counts.get('bad_timeout', 0)
    suspicious = counts.get('ok_suspicious', 0)
    untested = counts.get('untested', 0)
    return killed, survived, timeout, suspicious, untested


def main(argv):
    name, cache = argv[1], argv[2]
    killed, survived, timeout, suspicious, untested = score(cache)
    # a timeout or a suspiciously slow run still means the tests noticed the mutant
    noticed = killed + timeout + suspicious
    total = noticed + survived
    percent = 100.0 * noticed / total if total else 0.0
    print('%-16s %5d/%-5d killed  %5.1f %%  (survived %d, timeout %d, untested %d)'
          % (name, noticed, total, percent, survived, timeout, untested))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
