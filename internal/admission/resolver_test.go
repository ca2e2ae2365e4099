package admission

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestRegistryResolver(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	single, _ := random.Image(128, 1)
	push(t, host+"/web:1.4", single)
	singleDigest, _ := single.Digest()

	amd, _ := random.Image(128, 1)
	arm, _ := random.Image(128, 1)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
	ref, _ := name.ParseReference(host + "/multi:1")
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	armDigest, _ := arm.Digest()
	amdDigest, _ := amd.Digest()

	for _, tc := range []struct {
		r       RegistryResolver
		ref     string
		want    string
		wantErr string
	}{
		{ref: host + "/web:1.4", want: singleDigest.String()},
		{ref: host + "/multi:1", want: amdDigest.String()},
		{r: RegistryResolver{Platform: "linux/arm64"}, ref: host + "/multi:1", want: armDigest.String()},
		{ref: host + "/web@" + digestPass, want: digestPass},
		{ref: host + "/missing:1", wantErr: "image " + host + "/missing:1"},
		{ref: "UPPER/case:1", wantErr: "image UPPER/case:1"},
		{r: RegistryResolver{Platform: "linux/"}, ref: host + "/web:1.4", wantErr: "platform"},
	} {
		got, err := tc.r.Resolve(t.Context(), tc.ref)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Resolve(%s): err = %v, want %q", tc.ref, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%s) = %q, %v; want %q", tc.ref, got, err, tc.want)
		}
	}
}

func push(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}
