package attest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/bulwark-security/bulwark/internal/model"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// testReport is a small report of a registry image with one affected, one
// suppressed and one not-affected finding.
func testReport(digest string) *model.Report {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	return &model.Report{
		Schema: model.ReportSchema,
		Inventory: model.Inventory{
			Schema: 1,
			Image: model.Image{Ref: "registry.local/web:1.4", Source: "registry", Name: "registry.local/web",
				Digest: digest, Platform: "linux/amd64"},
			Distro:    &model.Distro{ID: "debian", VersionID: "12"},
			Packages:  []model.Package{{Name: "openssl"}, {Name: "zlib1g"}},
			CreatedAt: t0,
			Scanner:   model.Tool{Name: "bulwark", Version: "0.9.0"},
		},
		Findings: []model.Finding{
			{VulnID: "CVE-2024-0001", State: model.MatchAffected, Severity: "high",
				Package:       model.PackageRef{Name: "openssl", Version: "3.0.11-1~deb12u2", PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2"},
				FixedVersions: []string{"3.0.13-1~deb12u1"}, KEV: true},
			{VulnID: "CVE-2024-0002", State: model.MatchAffected, Severity: "critical",
				Package:    model.PackageRef{Name: "zlib1g", Version: "1:1.2.13.dfsg-1"},
				Suppressed: &model.Suppression{Kind: "vex", Reason: "not reachable"}},
			{VulnID: "CVE-2024-0003", State: model.MatchNotAffected, Severity: "low",
				Package: model.PackageRef{Name: "zlib1g", Version: "1:1.2.13.dfsg-1"}},
		},
		DB:        &model.DBInfo{Schema: 3, BuiltAt: t0.Add(-2 * time.Hour), Sources: []string{"debian", "osv"}},
		Decision:  &model.Decision{Pass: false, Policy: "prod", Reasons: []model.RuleResult{{Rule: "fail-on", Message: "1 high", VulnIDs: []string{"CVE-2024-0001"}}}},
		CreatedAt: t0.Add(30 * time.Second),
	}
}

func newECDSA(t testing.TB) (*ecdsa.PrivateKey, signature.SignerVerifier) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(k, 5) // crypto.SHA256
	if err != nil {
		t.Fatal(err)
	}
	return k, sv
}

func newEd25519(t testing.TB) (ed25519.PrivateKey, signature.SignerVerifier) {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadED25519SignerVerifier(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, sv
}

// signatureDSSEVerify checks env with sigstore's DSSE verifier, the one
// cosign uses, as an independent second opinion.
func signatureDSSEVerify(v signature.Verifier, env []byte) error {
	return sigdsse.WrapVerifier(v).VerifySignature(bytes.NewReader(env), nil)
}

func v1MediaType(s string) types.MediaType { return types.MediaType(s) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
