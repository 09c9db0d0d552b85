#!/bin/sh
# Prints, one per line, the Debian packages that provide the shared libraries a binary links
# (from ldd and dpkg -S): the final image installs exactly these, so a new library dependency
# needs no edit here.   Usage: runtime-packages.sh /path/to/llmprobe
set -eu
binary=$1
libs=$(ldd "$binary" | awk '/=> \// { print $3 }')
[ -n "$libs" ] || { echo "runtime-packages.sh: no shared libraries found in $binary" >&2; exit 1; }
for lib in $libs; do
  # Merged /usr: dpkg may know the file under /lib or under /usr/lib.
  dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null ||
    { echo "runtime-packages.sh: no package owns $lib" >&2; exit 1; }
done | cut -d: -f1 | sort -u
