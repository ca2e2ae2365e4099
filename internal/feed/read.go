package feed

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// maxRecord bounds one JSON record (a line of a JSONL file, one file, one
// zip entry). The largest real records (OSV advisories with enumerated
// versions) are a few MiB.
const maxRecord = 64 << 20

// OpenPlain opens a fetched file and undoes a ".gz" compression.
func OpenPlain(data *Data, name string) (io.ReadCloser, error) {
	rc, err := data.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	if !strings.HasSuffix(name, ".gz") {
		return rc, nil
	}
	zr, err := gzip.NewReader(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, rc}, nil
}

// EachJSON calls fn with every JSON record of a fetched file: each line of
// a ".jsonl", the whole of a ".json", each ".json" entry of a ".zip" (the
// OSV "all.zip" export); ".gz" is undone first. where names the file and
// record for error messages ("npm.jsonl:12", "all.zip!GHSA-x.json").
func EachJSON(ctx context.Context, data *Data, name string, fn func(where string, raw []byte) error) error {
	base := strings.TrimSuffix(name, ".gz")
	switch {
	case strings.HasSuffix(base, ".zip"):
		return eachZip(ctx, data, name, fn)
	case strings.HasSuffix(base, ".jsonl"), strings.HasSuffix(base, ".ndjson"):
		rc, err := OpenPlain(data, name)
		if err != nil {
			return err
		}
		defer rc.Close()
		return EachLine(ctx, rc, name, fn)
	case strings.HasSuffix(base, ".json"):
		rc, err := OpenPlain(data, name)
		if err != nil {
			return err
		}
		defer rc.Close()
		raw, err := readBounded(rc, name)
		if err != nil {
			return err
		}
		return fn(name, raw)
	}
	return fmt.Errorf("%s: not a .json, .jsonl or .zip file", name)
}

// EachLine calls fn with every non-empty line of r.
func EachLine(ctx context.Context, r io.Reader, name string, fn func(where string, raw []byte) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for n := 1; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := readLine(br)
		if len(bytes.TrimSpace(line)) > 0 {
			if ferr := fn(fmt.Sprintf("%s:%d", name, n), line); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
}

func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxRecord {
			return nil, fmt.Errorf("line longer than %d bytes", maxRecord)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
	}
}

func readBounded(r io.Reader, name string) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxRecord+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(raw) > maxRecord {
		return nil, fmt.Errorf("%s: record larger than %d bytes", name, maxRecord)
	}
	return raw, nil
}

func eachZip(ctx context.Context, data *Data, name string, fn func(where string, raw []byte) error) error {
	rc, err := data.Open(name)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer rc.Close()
	var ra io.ReaderAt
	var size int64
	switch f := rc.(type) {
	case *os.File:
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		ra, size = f, st.Size()
	case sizedReaderAt:
		ra, size = f, f.Size()
	default:
		return fmt.Errorf("%s: zip archives must be files on disk", name)
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, zf := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		if zf.FileInfo().IsDir() || !strings.HasSuffix(zf.Name, ".json") {
			continue
		}
		where := name + "!" + zf.Name
		if zf.UncompressedSize64 > maxRecord {
			return fmt.Errorf("%s: record larger than %d bytes", where, maxRecord)
		}
		r, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		raw, err := readBounded(r, where)
		r.Close()
		if err != nil {
			return err
		}
		if err := fn(where, raw); err != nil {
			return err
		}
	}
	return nil
}

type sizedReaderAt interface {
	io.ReaderAt
	Size() int64
}

// BytesData presents in-memory files as Data, for tests and fuzzing of
// parsers. The fingerprint is empty.
func BytesData(files map[string][]byte) *Data {
	names := slices.Sorted(maps.Keys(files))
	return &Data{
		Files: names,
		Open: func(name string) (io.ReadCloser, error) {
			b, ok := files[name]
			if !ok {
				return nil, fmt.Errorf("no file %q", name)
			}
			return bytesFile{bytes.NewReader(b)}, nil
		},
		Close: func() error { return nil },
	}
}

type bytesFile struct{ *bytes.Reader }

func (bytesFile) Close() error { return nil }

// EmitEach reads every JSON record of a file (see EachJSON), turns it into a
// Record with parse and emits the records that affect some package. Errors
// name the file and record.
func EmitEach(ctx context.Context, data *Data, name string, parse func(raw []byte) (Record, error), emit func(Record) error) error {
	return EachJSON(ctx, data, name, func(where string, raw []byte) error {
		rec, err := parse(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if len(rec.Affected) == 0 {
			return nil
		}
		if err := emit(rec); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		return nil
	})
}
