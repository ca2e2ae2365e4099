package rpm

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
	"modernc.org/sqlite/vfs"
)

// sqliteMagic starts every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// eachSQLite calls fn with the header blob of every row of the Packages
// table of an rpmdb.sqlite (rpm 4.16 and later: RHEL 9, Fedora 33+, Amazon
// Linux 2023). SQLite reads the content through a read-only virtual file
// system, so nothing is written to disk. The database is opened immutable:
// images are never written while scanned, and a write-ahead log left next
// to it is not part of the input.
func eachSQLite(ctx context.Context, r io.ReaderAt, size int64, fn func(blob []byte) error) (err error) {
	name, fsys, err := vfs.New(&oneFileFS{r: r, size: size})
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer func() {
		if cerr := fsys.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("sqlite: %w", cerr)
		}
	}()
	db, err := sql.Open("sqlite", "file:"+oneFileName+"?vfs="+name+"&mode=ro&immutable=1")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, "SELECT blob FROM Packages")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var blob []byte
		if err := rows.Scan(&blob); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if err := fn(blob); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return db.Close()
}

const oneFileName = "rpmdb.sqlite"

// oneFileFS presents the claimed file to SQLite's virtual file system as
// the only file there is: journals and write-ahead logs do not exist.
type oneFileFS struct {
	r    io.ReaderAt
	size int64
}

func (f *oneFileFS) Open(name string) (fs.File, error) {
	if name != oneFileName {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &oneFile{SectionReader: io.NewSectionReader(f.r, 0, f.size)}, nil
}

type oneFile struct {
	*io.SectionReader
}

func (f *oneFile) Stat() (fs.FileInfo, error) { return oneFileInfo{size: f.Size()}, nil }
func (f *oneFile) Close() error               { return nil }

type oneFileInfo struct{ size int64 }

func (i oneFileInfo) Name() string       { return oneFileName }
func (i oneFileInfo) Size() int64        { return i.size }
func (i oneFileInfo) Mode() fs.FileMode  { return 0o444 }
func (i oneFileInfo) ModTime() time.Time { return time.Time{} }
func (i oneFileInfo) IsDir() bool        { return false }
func (i oneFileInfo) Sys() any           { return nil }
