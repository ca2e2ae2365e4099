package image

import (
	"errors"
	"net/http"
	"testing"
)

func TestGuardTransport(t *testing.T) {
	tr := GuardTransport(nil, []string{"registry.internal:5000"})
	tests := map[string]bool{ // URL -> refused before any connection
		"http://10.1.2.3/v2/":               false,
		"http://192.168.1.10:5000/v2/":      false,
		"http://registry.example.com/v2/":   false,
		"http://registry.internal:5000/v2/": true,
		"http://127.0.0.1:1/v2/":            true,
		"http://[::1]:1/v2/":                true,
		"http://localhost:1/v2/":            true,
	}
	for url, allowed := range tests {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		_, err := tr.RoundTrip(req)
		refused := errors.Is(err, errPlainHTTP)
		if refused == allowed {
			t.Errorf("%s: refused=%v (err %v), want allowed=%v", url, refused, err, allowed)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1:5000": true, "127.1.2.3": true, "[::1]:5000": true, "localhost": true, "localhost:5000": true,
		"10.0.0.1:5000": false, "example.com": false, "127.0.0.1.nip.io": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v", host, got)
		}
	}
}
