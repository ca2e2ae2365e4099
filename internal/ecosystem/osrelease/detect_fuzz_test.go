package osrelease

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func FuzzDetect(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "debian12.os-release"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, []byte("CentOS release 6.10 (Final)\n"), []byte("trixie/sid\n"))
	f.Add([]byte("ID=\"alpine\nVERSION_ID='3.19.0_alpha1\n"), []byte("Amazon Linux release 2 (Karoo"), []byte("12.1"))
	f.Fuzz(func(t *testing.T, osRelease, redhat, debVersion []byte) {
		d := &Detector{Now: func() time.Time { return today }}
		for _, files := range []map[string][]byte{
			{etcOSRelease: osRelease, "/etc/redhat-release": redhat, debianVersion: debVersion},
			{"/etc/redhat-release": osRelease, lsbRelease: redhat, debianVersion: debVersion},
			{alpineRelease: osRelease, "/var/lib/dpkg/status.d/x": redhat},
		} {
			got, err := d.Detect(files)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			if got == nil || got.ID == "" {
				t.Fatalf("Detect returned no ID: %+v", got)
			}
		}
	})
}
