package vulndb

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"
)

// ArchiveFormat names the export layout; import refuses any other.
const ArchiveFormat = "bulwark-db-archive/1"

// An export is a zstd-compressed tar holding, in this order and nothing
// else: the manifest, its detached ed25519 signature, the signer's public
// key (for identification only: trust comes from the importer's keys) and
// the database file the manifest describes.
const (
	entryManifest = "manifest.json"
	entrySig      = "manifest.sig"
	entryPub      = "signer.pub"
	entryDB       = FileName
)

// Bounds on archive entries, so that a hostile archive cannot exhaust
// memory or disk before it is refused.
const (
	maxManifest = 1 << 20
	maxPub      = 4 << 10
	maxDBSize   = 64 << 30
	maxWindow   = 128 << 20
)

// Manifest describes an exported database. Its signature covers the exact
// bytes stored in the archive.
type Manifest struct {
	Format    string       `json:"format"`
	File      string       `json:"file"`
	Size      int64        `json:"size"`
	SHA256    string       `json:"sha256"`
	Schema    int          `json:"schema"`
	BuiltAt   time.Time    `json:"builtAt"`
	Sources   []SourceMeta `json:"sources"`
	KeyID     string       `json:"keyID"`
	CreatedAt time.Time    `json:"createdAt"`
}

// Export writes the database at dbPath to w as a signed archive.
func Export(ctx context.Context, dbPath string, w io.Writer, key ed25519.PrivateKey) (*Manifest, error) {
	f, err := os.Open(dbPath)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	db, err := Open(dbPath)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	m := &Manifest{Format: ArchiveFormat, File: FileName, Schema: db.schema, BuiltAt: db.builtAt,
		Sources: db.Sources(), CreatedAt: time.Now().UTC()}
	db.Close()
	// The file handle pins the file: an update renaming a new DB over the
	// path meanwhile must not mix two databases in one export.
	if fst, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	} else if pst, err := os.Stat(dbPath); err != nil || !os.SameFile(fst, pst) {
		return nil, fmt.Errorf("export: %s was replaced while exporting; try again", dbPath)
	}
	h := sha256.New()
	if m.Size, err = io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("export: read %s: %w", dbPath, err)
	}
	m.SHA256 = hex.EncodeToString(h.Sum(nil))
	pub := key.Public().(ed25519.PublicKey)
	m.KeyID = KeyID(pub)
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("export: manifest: %w", err)
	}
	pubPEM, err := EncodePublicKey(pub)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}

	zw, err := zstd.NewWriter(w)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	tw := tar.NewWriter(zw)
	put := func(name string, size int64, r io.Reader) error {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: m.CreatedAt, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		n, err := io.Copy(tw, ctxReader{ctx, r})
		if err == nil && n != size {
			err = fmt.Errorf("%s: wrote %d of %d bytes", name, n, size)
		}
		return err
	}
	sig := ed25519.Sign(key, mb)
	for _, e := range []struct {
		name string
		b    []byte
	}{{entryManifest, mb}, {entrySig, sig}, {entryPub, pubPEM}} {
		if err := put(e.name, int64(len(e.b)), bytes.NewReader(e.b)); err != nil {
			zw.Close()
			return nil, fmt.Errorf("export: %w", err)
		}
	}
	if err := put(entryDB, m.Size, f); err != nil {
		zw.Close()
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := tw.Close(); err != nil {
		zw.Close()
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return m, nil
}

// Trust says which signers Import accepts.
type Trust struct {
	// Keys are the trusted public keys; the manifest must verify against
	// one of them.
	Keys []ed25519.PublicKey
	// FirstUseUnsafe, when Keys is empty, accepts an archive whose
	// signature verifies against the key it carries (integrity without
	// authenticity). The caller should pin that key so that later imports
	// need it; ImportResult.FirstUse tells when this happened.
	FirstUseUnsafe bool
}

// ImportResult describes an accepted archive.
type ImportResult struct {
	Manifest *Manifest
	Signer   ed25519.PublicKey
	// FirstUse: no key was configured and the archive's own key was
	// accepted (Trust.FirstUseUnsafe).
	FirstUse bool
}

// Import verifies the archive read from r (signature, checksum, schema)
// and swaps its database in at dbPath. Nothing at dbPath changes unless
// every check passes.
func Import(ctx context.Context, r io.Reader, dbPath string, trust Trust) (*ImportResult, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxWindow))
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer zr.Close()
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("import: create DB directory: %w", err)
	}
	res, tmp, err := readArchive(ctx, zr, dir, trust)
	if err != nil {
		return nil, fmt.Errorf("import refused: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if err := syncFile(tmp); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	db, err := Open(tmp)
	if err != nil {
		return nil, fmt.Errorf("import refused: %w", err)
	}
	builtAt := db.builtAt
	db.Close()
	if !builtAt.Equal(res.Manifest.BuiltAt) {
		return nil, fmt.Errorf("import refused: database built %s, manifest says %s", builtAt, res.Manifest.BuiltAt)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return nil, fmt.Errorf("import: swap in: %w", err)
	}
	ok = true
	return res, syncDir(dir)
}

// ctxReader stops a long copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

var errTampered = errors.New("the archive is damaged or was modified after signing")
