#!/bin/sh
# Regenerates NAME.dpkg-query.tsv from NAME.status with Debian's own
# dpkg-query: one line per installed package,
# "Package<TAB>Version<TAB>source:Package<TAB>source:Version", sorted.
# Run from this directory on a system with dpkg.
set -eu
for status in *.status; do
	name=${status%.status}
	admin=$(mktemp -d)
	mkdir -p "$admin/info" "$admin/updates"
	cp "$status" "$admin/status"
	dpkg-query --admindir="$admin" -W \
		-f '${db:Status-Status}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\n' 2>/dev/null |
		awk -F'\t' -v OFS='\t' '$1 == "installed" { print $2, $3, $4, $5 }' |
		LC_ALL=C sort >"$name.dpkg-query.tsv"
	rm -rf "$admin"
done
