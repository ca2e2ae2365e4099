package osrelease

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
)

// today is the clock for every case: EOL answers depend on it.
var today = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func detectAt(t *testing.T, now time.Time, files map[string]string) *model.Distro {
	t.Helper()
	in := map[string][]byte{}
	for k, v := range files {
		if !New().Wants(k) {
			t.Fatalf("detector does not want %s", k)
		}
		in[k] = []byte(v)
	}
	d := &Detector{Now: func() time.Time { return now }}
	got, err := d.Detect(in)
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	return got
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  model.Distro
	}{
		{
			name: "debian 12 (real)",
			files: map[string]string{
				etcOSRelease:  testdata(t, "debian12.os-release"),
				debianVersion: testdata(t, "debian12.debian_version"),
			},
			want: model.Distro{ID: "debian", VersionID: "12", Codename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)",
				Release: "12", EOLDate: "2028-06-30", Source: etcOSRelease},
		},
		{
			name:  "alpine 3.18.0 (real), past end of life",
			files: map[string]string{etcOSRelease: testdata(t, "alpine3.18.0.os-release")},
			want: model.Distro{ID: "alpine", VersionID: "3.18.0", PrettyName: "Alpine Linux v3.18",
				Release: "3.18", EOL: true, EOLDate: "2025-05-09", Source: etcOSRelease},
		},
		{
			name: "os-release only under /usr/lib",
			files: map[string]string{usrOSRelease: `PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
`},
			want: model.Distro{ID: "ubuntu", VersionID: "22.04", Codename: "jammy", PrettyName: "Ubuntu 22.04.3 LTS",
				Release: "22.04", EOLDate: "2027-04-01", Source: usrOSRelease},
		},
		{
			name:  "ubuntu 18.04 standard support ended",
			files: map[string]string{etcOSRelease: "NAME=\"Ubuntu\"\nVERSION=\"18.04.6 LTS (Bionic Beaver)\"\nID=ubuntu\nVERSION_ID=\"18.04\"\nVERSION_CODENAME=bionic\n"},
			want:  model.Distro{ID: "ubuntu", VersionID: "18.04", Codename: "bionic", Release: "18.04", EOL: true, EOLDate: "2023-05-31", Source: etcOSRelease},
		},
		{
			name: "ubi 9",
			files: map[string]string{etcOSRelease: `NAME="Red Hat Enterprise Linux"
VERSION="9.3 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"
`},
			want: model.Distro{ID: "rhel", VersionID: "9.3", PrettyName: "Red Hat Enterprise Linux 9.3 (Plow)", Release: "9", EOLDate: "2032-05-31", Source: etcOSRelease},
		},
		{
			name:  "rocky 9",
			files: map[string]string{etcOSRelease: "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n"},
			want:  model.Distro{ID: "rocky", VersionID: "9.3", PrettyName: "Rocky Linux 9.3 (Blue Onyx)", Release: "9", EOLDate: "2032-05-31", Source: etcOSRelease},
		},
		{
			name:  "almalinux 8",
			files: map[string]string{etcOSRelease: "NAME=\"AlmaLinux\"\nVERSION=\"8.9 (Midnight Oncilla)\"\nID=\"almalinux\"\nVERSION_ID=\"8.9\"\n"},
			want:  model.Distro{ID: "almalinux", VersionID: "8.9", Release: "8", EOLDate: "2029-05-31", Source: etcOSRelease},
		},
		{
			name:  "centos 7",
			files: map[string]string{etcOSRelease: "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n"},
			want:  model.Distro{ID: "centos", VersionID: "7", PrettyName: "CentOS Linux 7 (Core)", Release: "7", EOL: true, EOLDate: "2024-06-30", Source: etcOSRelease},
		},
		{
			name:  "centos stream 9 has its own end of life",
			files: map[string]string{etcOSRelease: "NAME=\"CentOS Stream\"\nVERSION=\"9\"\nID=\"centos\"\nVERSION_ID=\"9\"\nPRETTY_NAME=\"CentOS Stream 9\"\n"},
			want:  model.Distro{ID: "centos", VersionID: "9", PrettyName: "CentOS Stream 9", Release: "9", EOLDate: "2027-05-31", Source: etcOSRelease},
		},
		{
			name:  "fedora 39",
			files: map[string]string{etcOSRelease: "NAME=\"Fedora Linux\"\nVERSION=\"39 (Container Image)\"\nID=fedora\nVERSION_ID=39\nVERSION_CODENAME=\"\"\n"},
			want:  model.Distro{ID: "fedora", VersionID: "39", Release: "39", EOL: true, EOLDate: "2024-11-26", Source: etcOSRelease},
		},
		{
			name:  "amazon linux 2023",
			files: map[string]string{etcOSRelease: "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPRETTY_NAME=\"Amazon Linux 2023.3.20231218\"\n"},
			want:  model.Distro{ID: "amzn", VersionID: "2023", PrettyName: "Amazon Linux 2023.3.20231218", Release: "2023", EOLDate: "2029-06-30", Source: etcOSRelease},
		},
		{
			name:  "amazon linux 2",
			files: map[string]string{etcOSRelease: "NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nVERSION_ID=\"2\"\n"},
			want:  model.Distro{ID: "amzn", VersionID: "2", Release: "2", EOL: true, EOLDate: "2026-06-30", Source: etcOSRelease},
		},
		{
			name:  "oracle linux 8",
			files: map[string]string{etcOSRelease: "NAME=\"Oracle Linux Server\"\nVERSION=\"8.9\"\nID=\"ol\"\nVERSION_ID=\"8.9\"\n"},
			want:  model.Distro{ID: "ol", VersionID: "8.9", Release: "8", EOLDate: "2029-07-31", Source: etcOSRelease},
		},
		{
			name:  "sles 15 sp5",
			files: map[string]string{etcOSRelease: "NAME=\"SLES\"\nVERSION=\"15-SP5\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP5\"\nID=\"sles\"\nID_LIKE=\"suse\"\n"},
			want:  model.Distro{ID: "sles", VersionID: "15.5", PrettyName: "SUSE Linux Enterprise Server 15 SP5", Release: "15.5", EOL: true, EOLDate: "2024-12-31", Source: etcOSRelease},
		},
		{
			name:  "opensuse leap 15.6",
			files: map[string]string{etcOSRelease: "NAME=\"openSUSE Leap\"\nVERSION=\"15.6\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.6\"\n"},
			want:  model.Distro{ID: "opensuse-leap", VersionID: "15.6", Release: "15.6", EOL: true, EOLDate: "2026-04-30", Source: etcOSRelease},
		},
		{
			name:  "wolfi",
			files: map[string]string{etcOSRelease: "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\nHOME_URL=\"https://wolfi.dev\"\n"},
			want:  model.Distro{ID: "wolfi", VersionID: "20230201", PrettyName: "Wolfi", Release: "rolling", Source: etcOSRelease},
		},
		{
			name:  "chainguard",
			files: map[string]string{etcOSRelease: "ID=chainguard\nNAME=\"Chainguard\"\nPRETTY_NAME=\"Chainguard\"\nVERSION_ID=\"20230214\"\n"},
			want:  model.Distro{ID: "chainguard", VersionID: "20230214", PrettyName: "Chainguard", Release: "rolling", Source: etcOSRelease},
		},
		{
			name: "distroless debian 12",
			files: map[string]string{
				etcOSRelease:                        "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\nVERSION=\"Debian GNU/Linux 12 (bookworm)\"\nHOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n",
				"/var/lib/dpkg/status.d/base-files": "Package: base-files\n",
			},
			want: model.Distro{ID: "debian", VersionID: "12", PrettyName: "Distroless", Release: "12", Distroless: true, EOLDate: "2028-06-30", Source: etcOSRelease},
		},
		{
			name:  "distroless told by its pretty name alone",
			files: map[string]string{etcOSRelease: "PRETTY_NAME=\"Distroless\"\nID=debian\nVERSION_ID=11\n"},
			want:  model.Distro{ID: "debian", VersionID: "11", PrettyName: "Distroless", Release: "11", Distroless: true, EOL: true, EOLDate: "2026-08-31", Source: etcOSRelease},
		},
		{
			name:  "status.d without any release file",
			files: map[string]string{"/var/lib/dpkg/status.d/libc6": "Package: libc6\n", debianVersion: "12.4\n"},
			want:  model.Distro{ID: "debian", Release: "12", Distroless: true, EOLDate: "2028-06-30", Source: debianVersion},
		},
		{
			name:  "status.d alone",
			files: map[string]string{"/var/lib/dpkg/status.d/libc6": "Package: libc6\n"},
			want:  model.Distro{ID: "debian", Distroless: true, Source: dpkgStatusDDir},
		},
		{
			name: "debian unstable",
			files: map[string]string{
				etcOSRelease:  "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=trixie\nID=debian\n",
				debianVersion: "trixie/sid\n",
			},
			want: model.Distro{ID: "debian", Codename: "trixie", PrettyName: "Debian GNU/Linux trixie/sid", Release: "unstable", Source: etcOSRelease},
		},
		{
			name:  "alpine edge",
			files: map[string]string{etcOSRelease: "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.0_alpha20230901\nPRETTY_NAME=\"Alpine Linux edge\"\n"},
			want:  model.Distro{ID: "alpine", VersionID: "3.19.0_alpha20230901", PrettyName: "Alpine Linux edge", Release: "edge", Source: etcOSRelease},
		},
		{
			name:  "alpine-release only",
			files: map[string]string{alpineRelease: "3.9.2\n"},
			want:  model.Distro{ID: "alpine", VersionID: "3.9.2", PrettyName: "Alpine Linux v3.9.2", Release: "3.9", EOL: true, EOLDate: "2020-11-01", Source: alpineRelease},
		},
		{
			name:  "centos 6 redhat-release only",
			files: map[string]string{"/etc/redhat-release": "CentOS release 6.10 (Final)\n"},
			want:  model.Distro{ID: "centos", VersionID: "6.10", Codename: "Final", PrettyName: "CentOS release 6.10 (Final)", Release: "6", EOL: true, EOLDate: "2020-11-30", Source: "/etc/redhat-release"},
		},
		{
			name: "oracle linux 7 without os-release: oracle-release beats redhat-release",
			files: map[string]string{
				"/etc/redhat-release": "Red Hat Enterprise Linux Server release 7.9 (Maipo)\n",
				"/etc/oracle-release": "Oracle Linux Server release 7.9\n",
			},
			want: model.Distro{ID: "ol", VersionID: "7.9", PrettyName: "Oracle Linux Server release 7.9", Release: "7", EOL: true, EOLDate: "2024-12-31", Source: "/etc/oracle-release"},
		},
		{
			name:  "amazon linux 1 system-release",
			files: map[string]string{"/etc/system-release": "Amazon Linux AMI release 2018.03\n"},
			want:  model.Distro{ID: "amzn", VersionID: "2018.03", PrettyName: "Amazon Linux AMI release 2018.03", Release: "1", EOL: true, EOLDate: "2023-12-31", Source: "/etc/system-release"},
		},
		{
			name:  "lsb-release only",
			files: map[string]string{lsbRelease: "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\nDISTRIB_DESCRIPTION=\"Ubuntu 14.04.6 LTS\"\n"},
			want:  model.Distro{ID: "ubuntu", VersionID: "14.04", Codename: "trusty", PrettyName: "Ubuntu 14.04.6 LTS", Release: "14.04", EOL: true, EOLDate: "2019-04-02", Source: lsbRelease},
		},
		{
			name:  "debian_version only",
			files: map[string]string{debianVersion: "9.13\n"},
			want:  model.Distro{ID: "debian", Release: "9", EOL: true, EOLDate: "2022-07-01", Source: debianVersion},
		},
		{
			name:  "an os-release without ID falls back",
			files: map[string]string{etcOSRelease: "NAME=Linux\n", alpineRelease: "3.20.1\n"},
			want:  model.Distro{ID: "alpine", VersionID: "3.20.1", PrettyName: "Alpine Linux v3.20.1", Release: "3.20", EOL: true, EOLDate: "2026-04-01", Source: alpineRelease},
		},
		{
			name:  "a distribution without advisories keeps its own id",
			files: map[string]string{etcOSRelease: "NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n"},
			want:  model.Distro{ID: "arch", Source: etcOSRelease},
		},
		{
			name: "nothing",
			want: model.Distro{ID: model.DistroUnknown},
		},
		{
			name:  "garbage",
			files: map[string]string{etcOSRelease: "\x00\xff=\n==\n", "/etc/redhat-release": "hello\n"},
			want:  model.Distro{ID: model.DistroUnknown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detectAt(t, today, tt.files)
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("Detect (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEOLBoundary(t *testing.T) {
	files := map[string]string{etcOSRelease: "ID=debian\nVERSION_ID=12\n"}
	lastDay := time.Date(2028, 6, 30, 23, 59, 0, 0, time.UTC)
	if d := detectAt(t, lastDay, files); d.EOL {
		t.Errorf("EOL on the last day of support: %+v", d)
	}
	if d := detectAt(t, lastDay.Add(2*time.Minute), files); !d.EOL {
		t.Errorf("not EOL the day after support ended: %+v", d)
	}
}

func TestEOLTable(t *testing.T) {
	tab, err := loadEOL()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tab.Source, "endoflife.date") {
		t.Errorf("table source %q does not name its origin", tab.Source)
	}
	for _, id := range []string{"debian", "ubuntu", "alpine", "rhel", "rocky", "almalinux", "centos", "centos-stream", "fedora", "amzn", "ol", "sles", "opensuse-leap"} {
		dist, ok := tab.Distributions[id]
		if !ok || dist.Page == "" || dist.Meaning == "" || len(dist.Releases) == 0 {
			t.Errorf("distribution %s missing or incomplete", id)
			continue
		}
		for rel, date := range dist.Releases {
			if _, err := time.Parse(time.DateOnly, date); err != nil {
				t.Errorf("%s %s: %v", id, rel, err)
			}
		}
	}
}

func TestParseKeyValues(t *testing.T) {
	in := "# comment\nA=plain\nB=\"double \\\"quoted\\\" \\$x\"\nC='single \"q\"'\r\nD=\"unterminated\nE=trailing # comment\nbad line\n=novalue\nF=\nA=override\n"
	want := map[string]string{
		"A": "override", "B": `double "quoted" $x`, "C": `single "q"`, "D": "unterminated", "E": "trailing", "F": "",
	}
	if diff := cmp.Diff(want, parseKeyValues([]byte(in))); diff != "" {
		t.Errorf("parseKeyValues (-want +got):\n%s", diff)
	}
}

func TestWants(t *testing.T) {
	for path, want := range map[string]bool{
		"/etc/os-release":                  true,
		"/usr/lib/os-release":              true,
		"/etc/alpine-release":              true,
		"/etc/redhat-release":              true,
		"/etc/centos-release":              true,
		"/etc/system-release":              true,
		"/etc/debian_version":              true,
		"/etc/lsb-release":                 true,
		"/var/lib/dpkg/status.d/libc6":     true,
		"/var/lib/dpkg/status":             false,
		"/etc/passwd":                      false,
		"/srv/etc/os-release":              false,
		"/var/lib/dpkg/status.d.bak/libc6": false,
	} {
		if got := New().Wants(path); got != want {
			t.Errorf("Wants(%q) = %v, want %v", path, got, want)
		}
	}
}
