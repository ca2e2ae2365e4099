package sqlite_test

import (
	"context"
	"testing"

	"github.com/bulwark-security/bulwark/internal/store/sqlite"
	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
	"github.com/bulwark-security/bulwark/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *sqlstore.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(ctx, "b", "k", [][]byte{[]byte("x")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen (migrations must be idempotent): %v", err)
	}
	defer s.Close()
	st, err := s.Batch(ctx, "b")
	if err != nil || st.Queued != 1 {
		t.Errorf("Batch after reopen = %+v, %v", st, err)
	}
}
