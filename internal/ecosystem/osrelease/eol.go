package osrelease

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// eolJSON is the end-of-life table: per distribution, the date each
// release stops receiving the vendor's security fixes, with the public
// page the dates come from. See README.md for how it is made and which
// support phase each distribution's date marks.
//
//go:embed eol.json
var eolJSON []byte

type eolTable struct {
	Source        string `json:"source"`
	Distributions map[string]struct {
		Page     string            `json:"page"`
		Column   string            `json:"column"`
		Meaning  string            `json:"meaning"`
		Releases map[string]string `json:"releases"`
	} `json:"distributions"`
}

var loadEOL = sync.OnceValues(func() (*eolTable, error) {
	var t eolTable
	if err := json.Unmarshal(eolJSON, &t); err != nil {
		return nil, fmt.Errorf("parse eol.json: %w", err)
	}
	return &t, nil
})

// eolDate returns the last day of support of a release, if the table
// knows it.
func eolDate(product, release string) (time.Time, bool, error) {
	if release == "" {
		return time.Time{}, false, nil
	}
	t, err := loadEOL()
	if err != nil {
		return time.Time{}, false, err
	}
	s, ok := t.Distributions[product].Releases[release]
	if !ok {
		return time.Time{}, false, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%s %s: %w", product, release, err)
	}
	return d, true, nil
}
