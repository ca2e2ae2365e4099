package attest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PasswordEnv is the variable cosign reads the private key password from;
// Bulwark reads the same one so one CI secret serves both tools.
const PasswordEnv = "COSIGN_PASSWORD"

// Key PEM block types. cosign generate-key-pair writes the SIGSTORE form
// (older releases wrote the COSIGN one); both hold a PKCS#8 key encrypted
// with scrypt and NaCl secretbox.
const (
	pemEncryptedSigstore = "ENCRYPTED SIGSTORE PRIVATE KEY"
	pemEncryptedCosign   = "ENCRYPTED COSIGN PRIVATE KEY"
)

// ErrKeyPassword means an encrypted private key could not be decrypted
// with the password given.
var ErrKeyPassword = errors.New("wrong password for the encrypted private key (set " + PasswordEnv + ")")

// PasswordFromEnv returns the private key password from COSIGN_PASSWORD;
// an unset variable is an empty password, as for cosign.
func PasswordFromEnv() []byte { return []byte(os.Getenv(PasswordEnv)) }

// LoadSigner reads a private key file: a cosign key (encrypted with
// password) or a plain PEM ECDSA, Ed25519 or RSA key (password unused).
func LoadSigner(path string, password []byte) (signature.SignerVerifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	sv, err := ParseSigner(b, password)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return sv, nil
}

// ParseSigner parses a PEM private key; see LoadSigner.
func ParseSigner(pemBytes, password []byte) (signature.SignerVerifier, error) {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return nil, errors.New("not a PEM private key")
	}
	var priv crypto.PrivateKey
	var err error
	if blk.Type == pemEncryptedSigstore || blk.Type == pemEncryptedCosign {
		priv, err = decryptKey(blk.Bytes, password)
	} else {
		priv, err = cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("PEM block %q: %w", blk.Type, err)
	}
	if err := checkKey(priv); err != nil {
		return nil, err
	}
	// cosign hashes with SHA-256 whatever the curve; so must we, or its
	// verify commands reject our signatures.
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading %T: %w", priv, err)
	}
	return sv, nil
}

// decryptKey opens cosign's encrypted key: JSON naming the scrypt and
// secretbox parameters around a PKCS#8 key.
func decryptKey(data, password []byte) (crypto.PrivateKey, error) {
	var probe struct {
		KDF    json.RawMessage `json:"kdf"`
		Cipher json.RawMessage `json:"cipher"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || probe.KDF == nil || probe.Cipher == nil {
		return nil, errors.New("not a cosign encrypted key (no kdf and cipher)")
	}
	der, err := encrypted.Decrypt(data, password)
	if err != nil {
		if strings.Contains(err.Error(), "decryption failed") {
			return nil, ErrKeyPassword
		}
		return nil, fmt.Errorf("decrypting: %w", err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("decrypted key: %w", err)
	}
	return priv, nil
}

// EncryptKey writes priv the way cosign generate-key-pair does, so keys
// made by either tool work in both.
func EncryptKey(priv crypto.PrivateKey, password []byte) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	enc, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemEncryptedSigstore, Bytes: enc}), nil
}

func checkKey(k crypto.PrivateKey) error {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() && k.Curve != elliptic.P521() {
			return fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
		}
	case ed25519.PrivateKey, *rsa.PrivateKey:
	default:
		return fmt.Errorf("unsupported private key type %T (want ECDSA, Ed25519 or RSA)", k)
	}
	return nil
}

// LoadVerifiers reads public key files (PEM "PUBLIC KEY", as cosign.pub).
func LoadVerifiers(paths ...string) ([]signature.Verifier, error) {
	var out []signature.Verifier
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		v, err := ParseVerifier(b)
		if err != nil {
			return nil, fmt.Errorf("public key %s: %w", p, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// ParseVerifier parses one PEM public key.
func ParseVerifier(pemBytes []byte) (signature.Verifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, err
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading %T: %w", pub, err)
	}
	return v, nil
}
