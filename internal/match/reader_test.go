package match

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
)

// memReader is an in-memory store.AdvisoryReader for tests and benchmarks.
type memReader struct {
	affected   map[string]map[string][]model.Affected
	vulns      map[string]*model.Vulnerability
	namespaces map[string]bool
}

var _ store.AdvisoryReader = (*memReader)(nil)

func newMemReader() *memReader {
	return &memReader{
		affected:   map[string]map[string][]model.Affected{},
		vulns:      map[string]*model.Vulnerability{},
		namespaces: map[string]bool{},
	}
}

func (r *memReader) addAffected(a model.Affected) {
	byName := r.affected[a.Namespace]
	if byName == nil {
		byName = map[string][]model.Affected{}
		r.affected[a.Namespace] = byName
	}
	byName[a.Package] = append(byName[a.Package], a)
	r.namespaces[a.Namespace] = true
}

// addVuln indexes v under its id and every alias, as a joined DB does.
func (r *memReader) addVuln(v *model.Vulnerability) {
	r.vulns[v.ID] = v
	for _, a := range v.Aliases {
		if _, ok := r.vulns[a]; !ok {
			r.vulns[a] = v
		}
	}
}

func (r *memReader) load(advisories, vulns, namespaces string) error {
	for _, l := range lines(advisories) {
		var a model.Affected
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			return fmt.Errorf("advisory %s: %w", l, err)
		}
		r.addAffected(a)
	}
	for _, l := range lines(vulns) {
		var v model.Vulnerability
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			return fmt.Errorf("vuln %s: %w", l, err)
		}
		r.addVuln(&v)
	}
	for _, l := range lines(namespaces) {
		r.namespaces[l] = true
	}
	return nil
}

func (r *memReader) Affected(_ context.Context, ns, name string) ([]model.Affected, error) {
	return r.affected[ns][name], nil
}

func (r *memReader) Vulnerability(_ context.Context, id string) (*model.Vulnerability, error) {
	return r.vulns[id], nil
}

func (r *memReader) HasNamespace(_ context.Context, ns string) (bool, error) {
	return r.namespaces[ns], nil
}

func (r *memReader) Info(context.Context) (model.DBInfo, error) { return model.DBInfo{Schema: 1}, nil }
