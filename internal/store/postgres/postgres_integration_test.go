//go:build integration

package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/bulwark-security/bulwark/internal/store/postgres"
	"github.com/bulwark-security/bulwark/internal/store/postgres/pgtest"
	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
	"github.com/bulwark-security/bulwark/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *sqlstore.Store {
		return pgtest.Open(t, pgtest.FreshURL(t))
	})
}

// TestConcurrentMigrations starts several replicas on an empty schema at
// once: the advisory lock lets one migrate and the others find it done.
func TestConcurrentMigrations(t *testing.T) {
	url := pgtest.FreshURL(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), url)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
}
