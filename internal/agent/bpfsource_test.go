package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// TestBPFObjectsFresh fails when bpf/ changed after the committed objects
// were generated: run scripts/gen-bpf.sh.
func TestBPFObjectsFresh(t *testing.T) {
	h := sha256.New()
	for _, f := range []string{"exec.bpf.c", "vmlinux.h"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "bpf", f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != bpfSourceSHA256 {
		t.Fatalf("bpf/ sources hash to %s but exec_bpfel.o was built from %s: run scripts/gen-bpf.sh", got, bpfSourceSHA256)
	}
}

// TestBPFObjectSpec checks the committed object without a kernel: it
// parses, has both programs and the maps the agent uses, and its event
// layout is the one the reader decodes.
func TestBPFObjectSpec(t *testing.T) {
	spec, err := loadBulwarkExec()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"handle_exec", "lsm_bprm_check"} {
		if spec.Programs[p] == nil {
			t.Errorf("program %s missing", p)
		}
	}
	if got := spec.Programs["handle_exec"].SectionName; got != "tp_btf/sched_process_exec" {
		t.Errorf("handle_exec section = %q", got)
	}
	for _, m := range []string{"events", "counters", "enforce_cgroups", "allowed"} {
		if spec.Maps[m] == nil {
			t.Errorf("map %s missing", m)
		}
	}
	if spec.Variables["wakeup_bytes"] == nil {
		t.Error("variable wakeup_bytes missing")
	}
	if got := unsafe.Sizeof(rawEvent{}); got != 8*3+4*4+16+16+256 {
		t.Errorf("exec_event is %d bytes; the C struct changed without the decoder", got)
	}
}
