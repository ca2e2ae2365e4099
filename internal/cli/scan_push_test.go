package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
)

func TestCIJobURL(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/app", "GITHUB_RUN_ID": "42"}, "https://github.com/acme/app/actions/runs/42"},
		{map[string]string{"CI_JOB_URL": "https://gitlab.example/acme/app/-/jobs/7"}, "https://gitlab.example/acme/app/-/jobs/7"},
		{map[string]string{"BUILD_URL": "https://jenkins.example/job/app/3/"}, "https://jenkins.example/job/app/3/"},
		{map[string]string{}, ""},
	}
	for _, tt := range tests {
		if got := ciJobURL(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("ciJobURL(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestPush(t *testing.T) {
	var got server.IngestRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/inventories" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"error":"unexpected request"}`, http.StatusBadRequest)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(server.IngestResponse{Digest: got.Inventory.Image.Digest, Findings: 3, New: 3})
	}))
	defer srv.Close()
	t.Setenv("GITHUB_SHA", "")
	t.Setenv("CI_COMMIT_SHA", "abc123")
	var stderr bytes.Buffer
	g := &globals{stderr: &stderr}
	inv := &model.Inventory{Image: model.Image{Ref: "docker-archive:app.tar", Name: "acme/app", ConfigDigest: "sha256:cfg", Tags: []string{"acme/app:1"}}}
	o := pushOptions{server: srv.URL, token: "tok", ciJobURL: "https://ci.example/1"}
	if err := o.push(context.Background(), g, inv); err != nil {
		t.Fatal(err)
	}
	want := store.ScanContext{Repo: "acme/app", Tags: []string{"acme/app:1"}, CIJobURL: "https://ci.example/1", GitCommit: "abc123"}
	if diff := cmp.Diff(want, got.Context); diff != "" {
		t.Errorf("pushed context (-want +got):\n%s", diff)
	}
	if got.Inventory.Image.Digest != "sha256:cfg" {
		t.Errorf("pushed digest %q; want the image ID when there is no manifest digest", got.Inventory.Image.Digest)
	}
	o.token = "wrong"
	if err := o.push(context.Background(), g, inv); err == nil {
		t.Error("push with a rejected token succeeded")
	}
	if err := (&pushOptions{server: "ftp://x", token: "t"}).push(context.Background(), g, inv); err == nil {
		t.Error("push to a non-http server succeeded")
	}
}
