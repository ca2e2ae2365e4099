package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlite"
)

// BenchmarkAffected measures the "who has CVE-X?" query when every stored
// image has it (the worst case: a base-image library such as zlib), over
// BULWARK_BENCH_IMAGES (default 10,000) images with 30 findings each. The
// end-to-end figure, with matching and rescans, is BenchmarkScale in
// internal/rescan. BULWARK_BENCH_STORE=DIR keeps the filled store in DIR
// for the next run.
func BenchmarkAffected(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("BULWARK_BENCH_IMAGES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	// The testing package calls a benchmark more than once; fill the
	// store once per process.
	if keep := os.Getenv("BULWARK_BENCH_STORE"); keep != "" && benchDir == "" {
		// A filled store kept between runs, to iterate on queries.
		if _, err := os.Stat(filepath.Join(keep, sqlite.FileName)); err != nil {
			fillAffected(b, ctx, keep, n)
		}
		benchDir, keepDir = keep, true
	}
	if benchDir == "" {
		dir, err := os.MkdirTemp("", "bulwark-affected-bench")
		if err != nil {
			b.Fatal(err)
		}
		fillAffected(b, ctx, dir, n)
		benchDir = dir
	}
	s, err := sqlite.Open(ctx, benchDir)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		rows, err := s.Affected(ctx, []string{"CVE-2023-45853"})
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) != n {
			b.Fatalf("Affected returned %d rows, want %d", len(rows), n)
		}
	}
	// CPU time per query is steadier than wall time on a busy machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchDir holds the filled store; TestMain removes it.
var (
	benchDir string
	keepDir  bool
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" && !keepDir {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func fillAffected(b *testing.B, ctx context.Context, dir string, n int) {
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now()
	for i := range n {
		digest := fmt.Sprintf("sha256:%064x", i)
		inv := &model.Inventory{
			Image: model.Image{Digest: digest, Name: "registry.local/app" + strconv.Itoa(i%100)},
			Packages: []model.Package{
				{Ecosystem: model.EcosystemDeb, Name: "zlib1g", Version: "1:1.2.13.dfsg-1"},
			},
		}
		rep := &model.Report{Inventory: *inv}
		rep.Findings = append(rep.Findings, model.Finding{VulnID: "CVE-2023-45853", State: model.MatchAffected, Severity: model.RatingCritical,
			Package: model.PackageRef{Name: "zlib1g", Version: "1:1.2.13.dfsg-1"}})
		for j := range 29 {
			rep.Findings = append(rep.Findings, model.Finding{VulnID: fmt.Sprintf("CVE-2024-%05d", (i*7+j*13)%2000), State: model.MatchAffected,
				Severity: model.RatingMedium, FixedVersions: []string{"1.2.3-1"},
				Package: model.PackageRef{Name: "pkg" + strconv.Itoa(j), Version: "1.0-1"}})
		}
		in := &store.Ingest{Inventory: inv, Context: store.ScanContext{Repo: inv.Image.Name, Tags: []string{"1." + strconv.Itoa(i)}},
			Update: store.ImageUpdate{Digest: digest, Report: rep}}
		if err := s.PutImage(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d images in %s", n, time.Since(t0).Round(time.Millisecond))
}
