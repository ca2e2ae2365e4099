package vulndb

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
)

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

func exportT(t *testing.T, dbPath string, key ed25519.PrivateKey) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Export(context.Background(), dbPath, &buf, key); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return buf.Bytes()
}

// untar lists an export's entries.
func untar(t testing.TB, archive []byte) (names []string, data map[string][]byte) {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	data = map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names, data
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		names = append(names, hdr.Name)
		data[hdr.Name] = b
	}
}

type tarEntry struct {
	name string
	typ  byte
	body []byte
}

func rawTar(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Size: int64(len(e.body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body)
	}
	tw.Close()
	return buf.Bytes()
}

func zstdBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestExportImportRoundTrip(t *testing.T) {
	src, _ := buildTestDB(t, allTestFeeds()...)
	key := newKey(t)
	archive := exportT(t, src, key)
	names, data := untar(t, archive)
	if diff := cmp.Diff([]string{"manifest.json", "manifest.sig", "signer.pub", "bulwark.db"}, names); diff != "" {
		t.Errorf("archive entries (-want +got):\n%s", diff)
	}
	if !ed25519.Verify(pubOf(key), data["manifest.json"], data["manifest.sig"]) {
		t.Error("detached signature does not verify with the signing key")
	}

	dst := filepath.Join(t.TempDir(), "db", FileName)
	res, err := Import(context.Background(), bytes.NewReader(archive), dst, Trust{Keys: []ed25519.PublicKey{newKey(t).Public().(ed25519.PublicKey), pubOf(key)}})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if res.FirstUse || !res.Signer.Equal(pubOf(key)) || res.Manifest.KeyID != KeyID(pubOf(key)) {
		t.Errorf("Import result = %+v", res)
	}
	if diff := cmp.Diff(lookups(t, src), lookups(t, dst)); diff != "" {
		t.Errorf("imported DB answers differently (-exported +imported):\n%s", diff)
	}
	orig, _ := os.ReadFile(src)
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(orig, got) {
		t.Error("imported file differs from the exported one")
	}

	// No key configured: accepted only when the caller opts into first use.
	dst2 := filepath.Join(t.TempDir(), FileName)
	if _, err := Import(context.Background(), bytes.NewReader(archive), dst2, Trust{}); err == nil || !strings.Contains(err.Error(), "no trusted key is configured") {
		t.Errorf("Import without keys = %v, want refusal", err)
	}
	res, err = Import(context.Background(), bytes.NewReader(archive), dst2, Trust{FirstUseUnsafe: true})
	if err != nil || !res.FirstUse || !res.Signer.Equal(pubOf(key)) {
		t.Errorf("Import on first use = %+v, %v", res, err)
	}
}

func TestImportRefusesTampering(t *testing.T) {
	src, _ := buildTestDB(t, allTestFeeds()...)
	key := newKey(t)
	archive := exportT(t, src, key)
	trust := Trust{Keys: []ed25519.PublicKey{pubOf(key)}, FirstUseUnsafe: true}
	_, data := untar(t, archive)

	// Another genuine DB, to swap in under the signed manifest.
	deb, ghsa, golang, kev, nvd := testFeeds()
	deb.records = deb.records[:1]
	other, _ := buildTestDB(t, deb, ghsa, golang, kev, nvd)
	otherDB, _ := os.ReadFile(other)

	flipped := bytes.Clone(archive)
	mid := len(flipped) / 2
	flipped[mid] ^= 0xff
	flipped[mid+1] ^= 0x01

	forged := rawTar(t, []tarEntry{
		{name: "manifest.json", body: bytes.Replace(data["manifest.json"], []byte(`"schema": 1`), []byte(`"schema":  1`), 1)},
		{name: "manifest.sig", body: data["manifest.sig"]},
		{name: "signer.pub", body: data["signer.pub"]},
		{name: "bulwark.db", body: data["bulwark.db"]},
	})
	swapped := rawTar(t, []tarEntry{
		{name: "manifest.json", body: data["manifest.json"]},
		{name: "manifest.sig", body: data["manifest.sig"]},
		{name: "signer.pub", body: data["signer.pub"]},
		{name: "bulwark.db", body: otherDB},
	})
	// Re-signed by an attacker's key, which also replaces signer.pub.
	evil := newKey(t)
	evilPub, _ := EncodePublicKey(pubOf(evil))
	resigned := rawTar(t, []tarEntry{
		{name: "manifest.json", body: data["manifest.json"]},
		{name: "manifest.sig", body: ed25519.Sign(evil, data["manifest.json"])},
		{name: "signer.pub", body: evilPub},
		{name: "bulwark.db", body: data["bulwark.db"]},
	})

	for _, tc := range []struct {
		name    string
		archive []byte
		trust   Trust
		want    string
	}{
		{"bytes flipped in the middle", flipped, trust, ""},
		{"manifest edited", zstdBytes(t, forged), trust, "signature does not match"},
		{"database swapped", zstdBytes(t, swapped), trust, "manifest says"},
		{"re-signed by another key", zstdBytes(t, resigned), trust, "not trusted"},
		{"wrong trusted key", archive, Trust{Keys: []ed25519.PublicKey{pubOf(newKey(t))}}, "not trusted"},
		{"truncated", archive[:len(archive)*3/4], trust, ""},
		{"not an archive", []byte("hello"), trust, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dst := filepath.Join(dir, FileName)
			os.WriteFile(dst, []byte("previous"), 0o644)
			_, err := Import(context.Background(), bytes.NewReader(tc.archive), dst, tc.trust)
			if err == nil {
				t.Fatal("tampered archive accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
			if b, _ := os.ReadFile(dst); string(b) != "previous" {
				t.Error("the DB in place was changed")
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".bulwark-*")); len(left) != 0 {
				t.Errorf("temp files left: %v", left)
			}
		})
	}
}

func TestReadArchiveRejectsUnsafeEntries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		entry tarEntry
		want  string
	}{
		{"parent dir", tarEntry{name: "../manifest.json"}, `".." is not allowed`},
		{"absolute", tarEntry{name: "/etc/passwd"}, "absolute paths"},
		{"symlink", tarEntry{name: "manifest.json", typ: tar.TypeSymlink}, "not a regular file"},
		{"unexpected file", tarEntry{name: "evil.sh"}, "not a bulwark DB export"},
		{"oversized manifest", tarEntry{name: "manifest.json", body: make([]byte, maxManifest+1)}, "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, _, err := readArchive(context.Background(), bytes.NewReader(rawTar(t, []tarEntry{tc.entry})), dir, Trust{FirstUseUnsafe: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("readArchive = %v, want error mentioning %q", err, tc.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("files written: %v", ents)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	k1, created, err := LoadOrCreateSigningKey(dir)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreateSigningKey = %v, %v", created, err)
	}
	k2, created, err := LoadOrCreateSigningKey(dir)
	if err != nil || created || !k1.Equal(k2) {
		t.Fatalf("second LoadOrCreateSigningKey: created=%v err=%v same=%v", created, err, k1.Equal(k2))
	}
	if st, _ := os.Stat(filepath.Join(dir, SigningKeyFile)); st.Mode().Perm() != 0o600 {
		t.Errorf("signing key mode %v, want 0600", st.Mode().Perm())
	}
	other := pubOf(newKey(t))
	if _, err := PinTrustedKey(dir, other); err != nil {
		t.Fatal(err)
	}
	keys, err := LoadTrustedKeys(dir)
	if err != nil || len(keys) != 2 || !keys[0].Equal(pubOf(k1)) || !keys[1].Equal(other) {
		t.Errorf("LoadTrustedKeys = %d keys, %v", len(keys), err)
	}
	if _, err := LoadPublicKey(filepath.Join(dir, SigningKeyFile)); err == nil {
		t.Error("a private key file was accepted as a public key")
	}
	if diff := cmp.Diff([]string{"a.pub", "b.pub", "c.pub"}, SplitKeyList("a.pub:b.pub, c.pub")); diff != "" {
		t.Errorf("SplitKeyList (-want +got):\n%s", diff)
	}
	if _, err := LoadSigningKey(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadSigningKey(missing) = %v, want not-exist", err)
	}
}

// FuzzReadArchive feeds arbitrary tar streams to the import reader: it must
// never panic and never leave or write a file anywhere but a temp file in
// its directory that it removes on refusal.
func FuzzReadArchive(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "db", FileName)
	if _, err := Update(context.Background(), path, feedList(allTestFeeds()...), UpdateOptions{}); err != nil {
		f.Fatal(err)
	}
	key := newKey(f)
	var buf bytes.Buffer
	if _, err := Export(context.Background(), path, &buf, key); err != nil {
		f.Fatal(err)
	}
	zr, _ := zstd.NewReader(bytes.NewReader(buf.Bytes()))
	valid, _ := io.ReadAll(zr)
	zr.Close()
	f.Add(valid)
	f.Add(rawTar(f, []tarEntry{{name: "../../x", body: []byte("x")}}))
	f.Add(rawTar(f, []tarEntry{{name: "manifest.json", body: []byte("{}")}, {name: "manifest.sig", body: make([]byte, 64)}}))
	trust := Trust{Keys: []ed25519.PublicKey{pubOf(key)}}
	// One sandbox for every run: readArchive may create files only inside
	// work, and none may survive a run.
	sandbox := f.TempDir()
	work := filepath.Join(sandbox, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, tmp, err := readArchive(context.Background(), bytes.NewReader(data), work, trust)
		if err == nil {
			if res == nil || res.Manifest == nil || filepath.Dir(tmp) != work {
				t.Fatalf("accepted with result %+v at %s", res, tmp)
			}
			os.Remove(tmp)
		}
		var files []string
		filepath.WalkDir(sandbox, func(p string, d os.DirEntry, _ error) error {
			if p != sandbox && p != work {
				files = append(files, p)
			}
			return nil
		})
		if len(files) != 0 {
			t.Fatalf("files left behind: %v (err %v)", files, err)
		}
	})
}
