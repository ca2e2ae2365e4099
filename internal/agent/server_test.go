package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestServerSink(t *testing.T) {
	var mu sync.Mutex
	var got []Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != ServerEventsPath || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		var batch []Event
		if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, batch...)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := NewServerSink(ctx, srv.URL+"/", "", nil)
	local := newRecorder()
	tee := Tee{local, s}
	for i := range 3 {
		if err := tee.Emit(&Event{Type: EventExec, PID: uint32(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 3 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || got[2].PID != 3 || len(local.all()) != 3 {
		t.Fatalf("server got %+v, local %d", got, len(local.all()))
	}
	if dropped, err := s.Status(); dropped != 0 || err != nil {
		t.Errorf("Status = %d, %v", dropped, err)
	}
}

func TestServerSinkCountsFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := NewServerSink(ctx, srv.URL, "", nil)
	s.Emit(&Event{Type: EventExec})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if d, err := s.Status(); d == 1 && err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	d, err := s.Status()
	t.Fatalf("after a failed post: dropped %d, err %v; want 1 and an error", d, err)
}
