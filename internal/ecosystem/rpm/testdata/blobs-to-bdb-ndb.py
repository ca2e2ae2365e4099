#!/usr/bin/env python3
"""Re-stores the package headers of an rpmdb.sqlite in the two older rpmdb
formats, for rpm builds that cannot write them (Debian's rpm 4.18 has
neither the bdb nor the ndb backend):

  * a Berkeley DB hash database, written by Berkeley DB itself: this script
    emits db_load's portable dump format (keys are rpm's header numbers as
    native little-endian uint32, values the header blobs), which
    `db5.3_load -t hash` turns into a real Packages file;
  * an ndb Packages.db, laid out as rpm's lib/backend/ndb/rpmpkg.c does:
    a 32-byte header, one 4096-byte page of 16-byte slots, and each header
    in a blob of 16-byte blocks with head, adler32 checksum and tail.

usage: blobs-to-bdb-ndb.py rpmdb.sqlite DUMP_OUT NDB_OUT
"""
import sqlite3, struct, sys, zlib

src, dump_out, ndb_out = sys.argv[1:4]
rows = sqlite3.connect('file:%s?mode=ro&immutable=1' % src, uri=True).execute(
    'SELECT hnum, blob FROM Packages ORDER BY hnum').fetchall()

with open(dump_out, 'w') as f:
    f.write('VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n')
    for hnum, blob in rows:
        f.write(' %s\n %s\n' % (struct.pack('<I', hnum).hex(), bytes(blob).hex()))
    f.write('DATA=END\n')

def le(*v):
    return struct.pack('<%dI' % len(v), *v)

SLOTPAGES = 1
blk = SLOTPAGES * 4096 // 16
slots = []
blobs = b''
for hnum, blob in rows:
    blob = bytes(blob)
    body = le(0x53626c42, hnum, 0, len(blob))  # 'BlbS', pkgidx, cksum below, length
    cksum = zlib.adler32(body[:8] + b'\0\0\0\0' + body[12:] + blob)
    body = le(0x53626c42, hnum, cksum, len(blob)) + blob + le(cksum, len(blob), 0x45626c42)  # tail 'BlbE'
    body += b'\0' * (-len(body) % 16)
    slots.append(le(0x746f6c53, hnum, blk, len(body) // 16))  # 'Slot'
    blk += len(body) // 16
    blobs += body
header = le(0x506d7052, 0, 1, SLOTPAGES, 0, 0, 0, 0)  # 'RpmP', version 0, generation, pages
free = le(0x746f6c53, 0, 0, 0)
page = header + b''.join(slots)
page += free * ((4096 - len(page)) // 16)
with open(ndb_out, 'wb') as f:
    f.write(page + blobs)
