package vulndb

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Diff is what one update changed, per package: the server re-matches only
// the stored inventories holding a package listed here.
type Diff struct {
	// From is the build time of the DB the update replaced; zero for a
	// first build, which lists every package as added (Initial).
	From    time.Time       `json:"from,omitzero"`
	To      time.Time       `json:"to"`
	Initial bool            `json:"initial,omitempty"`
	Changes []PackageChange `json:"changes"`
}

// PackageChange lists the vulnerability ids whose entries for one package
// appeared, changed (any field of any source's entry) or disappeared.
type PackageChange struct {
	Namespace string   `json:"namespace"`
	Package   string   `json:"package"`
	Added     []string `json:"added,omitempty"`
	Changed   []string `json:"changed,omitempty"`
	Removed   []string `json:"removed,omitempty"`
}

// Empty reports whether nothing changed.
func (d *Diff) Empty() bool { return d == nil || len(d.Changes) == 0 }

// entryHashes maps each package to a content hash per vulnerability id.
type entryHashes map[pkgKey]map[string][sha256.Size]byte

// hashEntries hashes the entries of one package, which are sorted by
// vulnerability id, grouping by id.
func hashEntries(entries []model.Affected) map[string][sha256.Size]byte {
	out := map[string][sha256.Size]byte{}
	var buf []byte
	for i := 0; i < len(entries); {
		j := i
		buf = buf[:0]
		for ; j < len(entries) && entries[j].VulnID == entries[i].VulnID; j++ {
			buf = encodeOne(buf, &entries[j])
		}
		out[entries[i].VulnID] = sha256.Sum256(buf)
		i = j
	}
	return out
}

func hashJoined(j *joined) entryHashes {
	out := entryHashes{}
	for k, entries := range j.affected {
		out[k] = hashEntries(entries)
	}
	return out
}

// hashStored reads every package of a stored DB.
func hashStored(tx *bolt.Tx) (entryHashes, error) {
	out := entryHashes{}
	err := tx.Bucket(bucketAffected).ForEachBucket(func(ns []byte) error {
		return tx.Bucket(bucketAffected).Bucket(ns).ForEach(func(name, v []byte) error {
			entries, err := decodeAffected(v)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", ns, name, err)
			}
			out[pkgKey{string(ns), string(name)}] = hashEntries(entries)
			return nil
		})
	})
	return out, err
}

// diff compares the previous content with the new one.
func diff(prev, next entryHashes) []PackageChange {
	var out []PackageChange
	keys := map[pkgKey]bool{}
	for k := range prev {
		keys[k] = true
	}
	for k := range next {
		keys[k] = true
	}
	for k := range keys {
		p, n := prev[k], next[k]
		c := PackageChange{Namespace: k.ns, Package: k.name}
		for id, h := range n {
			ph, ok := p[id]
			switch {
			case !ok:
				c.Added = append(c.Added, id)
			case ph != h:
				c.Changed = append(c.Changed, id)
			}
		}
		for id := range p {
			if _, ok := n[id]; !ok {
				c.Removed = append(c.Removed, id)
			}
		}
		if len(c.Added)+len(c.Changed)+len(c.Removed) == 0 {
			continue
		}
		slices.Sort(c.Added)
		slices.Sort(c.Changed)
		slices.Sort(c.Removed)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b PackageChange) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Package, b.Package)
	})
	return out
}
