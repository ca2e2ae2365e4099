//go:build integration

package cli_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scanCommand returns the command between the BULWARK-SCAN-BEGIN/END markers
// of an integration file, without the host system's wrapping (Jenkins
// `sh '…'`, YAML list dashes).
func scanCommand(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.Contains(l, "BULWARK-SCAN-BEGIN"):
			in = true
		case strings.Contains(l, "BULWARK-SCAN-END"):
			in = false
		case in:
			l = strings.TrimPrefix(l, "- ")
			if strings.HasPrefix(l, "sh '") && strings.HasSuffix(l, "'") {
				l = strings.TrimSuffix(strings.TrimPrefix(l, "sh '"), "'")
			}
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "bulwark ") {
		t.Fatalf("%s: want exactly one bulwark command between the markers, got %q", file, lines)
	}
	return lines[0]
}

// TestIntegrationsRunAsWritten runs the scan line of every CI integration,
// exactly as written, against the real test image in the Docker Engine.
func TestIntegrationsRunAsWritten(t *testing.T) {
	bin, cache := setup(t)
	root := repoRoot(t)
	if out, err := exec.Command("docker", "image", "inspect", "bulwark-test/debian12-app:1").CombinedOutput(); err != nil {
		t.Fatalf("the test image is not in the Docker Engine (run scripts/setup-test-env.sh): %v\n%s", err, out)
	}
	cases := []struct {
		file    string
		env     []string
		outputs []string
	}{
		{"integrations/jenkins/Jenkinsfile", []string{"IMAGE=bulwark-test/debian12-app:1"},
			[]string{"bulwark-junit.xml", "bulwark.sarif", "bulwark.cdx.json"}},
		{"integrations/github/action.yml", []string{"IMAGE=docker:bulwark-test/debian12-app:1", "FAIL_ON=high", "POLICY="},
			[]string{"bulwark.sarif", "bulwark.md"}},
		{"integrations/gitlab/bulwark.gitlab-ci.yml", []string{"BULWARK_IMAGE=docker:bulwark-test/debian12-app:1", "BULWARK_FAIL_ON=high"},
			[]string{"gl-container-scanning-report.json", "bulwark-junit.xml", "bulwark.cdx.json"}},
		{"integrations/hooks/docker-build-scan", []string{"IMAGE=docker:bulwark-test/debian12-app:1", "FAIL_ON=high", "POLICY="}, nil},
		{"integrations/hooks/pre-push", []string{"DIR=" + filepath.Join(root, "testdata/demo/app/srv/app"), "FAIL_ON=high"}, nil},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			line := scanCommand(t, filepath.Join(root, tc.file))
			work := t.TempDir()
			cmd := exec.Command("bash", "-c", line)
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"), "BULWARK_CACHE_DIR="+cache)
			cmd.Env = append(cmd.Env, tc.env...)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			// The test image has HIGH findings, so every gate must fail the build.
			if code != 1 {
				t.Errorf("%s exited %d, want 1 (policy failed)\n%s", line, code, out)
			}
			for _, o := range tc.outputs {
				if st, err := os.Stat(filepath.Join(work, o)); err != nil || st.Size() == 0 {
					t.Errorf("%s did not write %s: %v", line, o, err)
				}
			}
		})
	}
}
