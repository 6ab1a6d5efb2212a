#!/bin/sh
# Everything under $1 as the bad-input suite compares it before and after a row: mode, type, path and link
# target of every entry, then the content hash of every regular file.
cd "$1" || exit 1
find . -printf '%m %y %p %l\n' | LC_ALL=C sort
find . -type f -exec sha256sum {} + | LC_ALL=C sort
