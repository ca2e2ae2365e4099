#!/bin/sh
# Rebuilds the rpm database fixtures in this directory with the rpm tools of
# the host (Debian: apt-get install rpm). Run from anywhere:
#
#	sh internal/ecosystem/rpm/testdata/make-fixtures.sh
#
# It builds three tiny noarch packages from specs/bulwark-fixtures.spec and
# records them (headers only, no files are written: --justdb) in one fresh
# database per backend rpm was built with.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Fixed timestamps keep the headers reproducible enough to review diffs.
export SOURCE_DATE_EPOCH=1700000000
rpmbuild --quiet -bb \
	--define "_topdir $work/build" \
	--define "use_source_date_epoch_as_buildtime 1" \
	--define "clamp_mtime_to_source_date_epoch 1" \
	--define "_buildhost fixtures.bulwark.invalid" \
	"$here/specs/bulwark-fixtures.spec"
rpms=$(find "$work/build/RPMS" -name '*.rpm' | sort)

made=""
for backend in sqlite ndb bdb; do
	db="$work/db-$backend"
	mkdir -p "$db"
	if ! rpm --define "_db_backend $backend" --dbpath "$db" --initdb 2>"$work/err"; then
		echo "backend $backend: initdb failed: $(cat "$work/err")" >&2
		continue
	fi
	if ! rpm --define "_db_backend $backend" --dbpath "$db" -i --justdb --nodeps --noscripts --nosignature $rpms 2>"$work/err"; then
		echo "backend $backend: install failed: $(cat "$work/err")" >&2
		continue
	fi
	rpm --define "_db_backend $backend" --dbpath "$db" -qa \
		--qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\n' | sort >"$work/list-$backend"
	echo "backend $backend:" && cat "$work/list-$backend"
	ls -la "$db"
	case $backend in
	sqlite) cp "$db/rpmdb.sqlite" "$here/sqlite/rpmdb.sqlite" ;;
	ndb) cp "$db/Packages.db" "$here/ndb/Packages.db" ;;
	bdb) cp "$db/Packages" "$here/bdb/Packages" ;;
	esac
	made="$made $backend"
done

# Debian's rpm has only the sqlite backend. The same headers are then
# stored in the other two formats: Berkeley DB writes the hash database
# itself (db5.3-util), and blobs-to-bdb-ndb.py lays out the ndb file.
case "$made" in *bdb*) ;; *)
	python3 "$here/blobs-to-bdb-ndb.py" "$here/sqlite/rpmdb.sqlite" "$work/bdb.dump" "$here/ndb/Packages.db"
	rm -f "$here/bdb/Packages"
	db5.3_load -f "$work/bdb.dump" "$here/bdb/Packages"
	;;
esac
