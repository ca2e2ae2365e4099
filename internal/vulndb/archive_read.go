package vulndb

import (
	"archive/tar"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// readArchive reads an uncompressed export, verifying as it goes: the
// manifest's signature is checked before a byte of the database is
// written, and the database is written only to a fresh temp file in dir
// whose name nothing in the archive influences. It returns that file.
func readArchive(ctx context.Context, r io.Reader, dir string, trust Trust) (*ImportResult, string, error) {
	tr := tar.NewReader(r)
	var manifest, sig, pubPEM []byte
	order := []string{entryManifest, entrySig, entryPub, entryDB}
	res := &ImportResult{}
	for i, want := range order {
		hdr, err := tr.Next()
		if err != nil {
			return nil, "", fmt.Errorf("entry %d (want %s): %w: %w", i+1, want, errTampered, err)
		}
		if err := checkEntry(hdr, want); err != nil {
			return nil, "", err
		}
		switch want {
		case entryManifest:
			manifest, err = readSmall(tr, hdr, maxManifest)
		case entrySig:
			sig, err = readSmall(tr, hdr, ed25519.SignatureSize)
		case entryPub:
			pubPEM, err = readSmall(tr, hdr, maxPub)
		case entryDB:
			m, err := verifyManifest(manifest, sig, pubPEM, trust, res)
			if err != nil {
				return nil, "", err
			}
			res.Manifest = m
			if hdr.Size != m.Size {
				return nil, "", fmt.Errorf("%s is %d bytes, manifest says %d: %w", entryDB, hdr.Size, m.Size, errTampered)
			}
			tmp, err := copyChecked(ctx, tr, dir, m)
			if err != nil {
				return nil, "", err
			}
			if _, err := tr.Next(); err != io.EOF {
				os.Remove(tmp)
				if err == nil {
					err = errors.New("unexpected entry after the database")
				}
				return nil, "", fmt.Errorf("trailing data: %w: %w", errTampered, err)
			}
			return res, tmp, nil
		}
		if err != nil {
			return nil, "", err
		}
	}
	return nil, "", fmt.Errorf("archive has no %s: %w", entryDB, errTampered)
}

// checkEntry accepts only the expected plain file at the archive's top
// level: never a link, a directory, an absolute path or "..".
func checkEntry(hdr *tar.Header, want string) error {
	name := hdr.Name
	switch {
	case path.IsAbs(name) || strings.HasPrefix(name, `\`) || strings.Contains(name, ":"):
		return fmt.Errorf("archive entry %q: absolute paths are not allowed", name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("archive entry %q: \"..\" is not allowed", name)
	case hdr.Typeflag != tar.TypeReg:
		return fmt.Errorf("archive entry %q: type %q is not a regular file", name, hdr.Typeflag)
	case name != want:
		return fmt.Errorf("archive entry %q: want %q here; not a bulwark DB export", name, want)
	case hdr.Size < 0:
		return fmt.Errorf("archive entry %q: negative size", name)
	}
	return nil
}

func readSmall(tr io.Reader, hdr *tar.Header, max int64) ([]byte, error) {
	if hdr.Size > max {
		return nil, fmt.Errorf("archive entry %q: %d bytes, at most %d allowed", hdr.Name, hdr.Size, max)
	}
	b, err := io.ReadAll(io.LimitReader(tr, max+1))
	if err != nil {
		return nil, fmt.Errorf("archive entry %q: %w: %w", hdr.Name, errTampered, err)
	}
	return b, nil
}

// verifyManifest checks the signature against the trusted keys, then the
// manifest's own fields.
func verifyManifest(manifest, sig, pubPEM []byte, trust Trust, res *ImportResult) (*Manifest, error) {
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("signature: %d bytes, want %d: %w", len(sig), ed25519.SignatureSize, errTampered)
	}
	carried, carriedErr := ParsePublicKey(entryPub, pubPEM)
	for _, k := range trust.Keys {
		if ed25519.Verify(k, manifest, sig) {
			res.Signer = k
			break
		}
	}
	if res.Signer == nil {
		switch {
		case carriedErr != nil:
			return nil, fmt.Errorf("signer key: %w", carriedErr)
		case !ed25519.Verify(carried, manifest, sig):
			return nil, fmt.Errorf("signature does not match the manifest: %w", errTampered)
		case len(trust.Keys) > 0:
			return nil, fmt.Errorf("signed by key %s, which is not trusted (configured: %s); pass its public key with --trusted-key or BULWARK_DB_TRUSTED_KEYS",
				KeyID(carried), keyIDs(trust.Keys))
		case !trust.FirstUseUnsafe:
			return nil, fmt.Errorf("signed by key %s but no trusted key is configured; pass its public key with --trusted-key or BULWARK_DB_TRUSTED_KEYS", KeyID(carried))
		}
		res.Signer, res.FirstUse = carried, true
	}
	var m Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	switch {
	case m.Format != ArchiveFormat:
		return nil, fmt.Errorf("manifest format %q, want %q", m.Format, ArchiveFormat)
	case m.File != FileName:
		return nil, fmt.Errorf("manifest names file %q, want %q", m.File, FileName)
	case m.Size <= 0 || m.Size > maxDBSize:
		return nil, fmt.Errorf("manifest size %d out of range", m.Size)
	case len(m.SHA256) != 2*sha256.Size:
		return nil, fmt.Errorf("manifest sha256 %q is not a SHA-256", m.SHA256)
	case m.Schema != SchemaVersion:
		return nil, &SchemaError{Path: "archive", Found: m.Schema, Want: SchemaVersion}
	}
	return &m, nil
}

func keyIDs(keys []ed25519.PublicKey) string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = KeyID(k)
	}
	return strings.Join(ids, ", ")
}

// copyChecked streams the database into a temp file in dir, hashing it.
func copyChecked(ctx context.Context, tr io.Reader, dir string, m *Manifest) (string, error) {
	f, err := os.CreateTemp(dir, ".bulwark-import-*.db.tmp")
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, io.LimitReader(tr, m.Size)})
	if err != nil {
		return fail(fmt.Errorf("%s: %w: %w", entryDB, errTampered, err))
	}
	if n != m.Size {
		return fail(fmt.Errorf("%s: %d bytes, manifest says %d: %w", entryDB, n, m.Size, errTampered))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 {
		return fail(fmt.Errorf("%s: sha256 %s, manifest says %s: %w", entryDB, got, m.SHA256, errTampered))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("import: %w", err)
	}
	return tmp, nil
}
