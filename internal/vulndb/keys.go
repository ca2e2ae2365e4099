package vulndb

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Key files are PEM: a PKCS #8 "PRIVATE KEY" and a PKIX "PUBLIC KEY", the
// forms `openssl genpkey -algorithm ed25519` writes, so sites can make and
// inspect keys with standard tools.
const (
	SigningKeyFile = "db-signing.key"
	PublicKeyFile  = "db-signing.pub"
)

// KeyID is a short fingerprint of a public key: the first 16 hex digits of
// the SHA-256 of its PKIX encoding.
func KeyID(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "invalid"
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// LoadOrCreateSigningKey reads the signing key in dir, creating a new one
// (with its public half beside it) when there is none.
func LoadOrCreateSigningKey(dir string) (key ed25519.PrivateKey, created bool, err error) {
	path := filepath.Join(dir, SigningKeyFile)
	key, err = LoadSigningKey(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("generate signing key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create key directory: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, false, fmt.Errorf("encode signing key: %w", err)
	}
	// O_EXCL: two first exports racing must not overwrite each other's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("write signing key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("write signing key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("write signing key %s: %w", path, err)
	}
	if err := WritePublicKey(filepath.Join(dir, PublicKeyFile), pub); err != nil {
		return nil, false, err
	}
	return key, true, nil
}

// LoadSigningKey reads a PEM PKCS #8 ed25519 private key.
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key %s: want a PEM \"PRIVATE KEY\" block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: %T is not an ed25519 key", path, k)
	}
	return ek, nil
}

// WritePublicKey writes pub as a PEM PKIX public key.
func WritePublicKey(path string, pub ed25519.PublicKey) error {
	b, err := EncodePublicKey(pub)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	return nil
}

// EncodePublicKey returns the PEM PKIX form of pub.
func EncodePublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKey reads a PEM PKIX ed25519 public key; name labels errors.
func ParsePublicKey(name string, b []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("public key %s: want a PEM \"PUBLIC KEY\" block", name)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", name, err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key %s: %T is not an ed25519 key", name, k)
	}
	return ek, nil
}

// LoadPublicKey reads a public key file.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return ParsePublicKey(path, b)
}

// LoadTrustedKeys reads the public keys import trusts from a key
// directory: its own signing key's public half and every *.pub under
// trusted/. A missing directory yields no keys.
func LoadTrustedKeys(dir string) ([]ed25519.PublicKey, error) {
	var paths []string
	if _, err := os.Stat(filepath.Join(dir, PublicKeyFile)); err == nil {
		paths = append(paths, filepath.Join(dir, PublicKeyFile))
	}
	more, _ := filepath.Glob(filepath.Join(dir, "trusted", "*.pub"))
	paths = append(paths, more...)
	var out []ed25519.PublicKey
	for _, p := range paths {
		k, err := LoadPublicKey(p)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// PinTrustedKey records pub as trusted in the key directory, so that later
// imports must be signed by it (or another configured key).
func PinTrustedKey(dir string, pub ed25519.PublicKey) (string, error) {
	tdir := filepath.Join(dir, "trusted")
	if err := os.MkdirAll(tdir, 0o700); err != nil {
		return "", fmt.Errorf("pin key: %w", err)
	}
	path := filepath.Join(tdir, KeyID(pub)+".pub")
	return path, WritePublicKey(path, pub)
}

// SplitKeyList splits a list of key files as given in an environment
// variable: separated by the OS path-list separator or commas.
func SplitKeyList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == os.PathListSeparator || r == ',' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
