package admission

import (
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
)

// parsedRef is what the webhook needs of an image reference. Parsing a
// reference costs more than a verdict lookup, and a cluster runs few
// distinct images, so parses are remembered.
type parsedRef struct {
	ref name.Reference
	err error
	// digest is the pinned digest, or "".
	digest string
	// tagKey is the canonical tag reference the cache maps to a digest,
	// or "" for references that are not tags.
	tagKey string
}

// maxParsedRefs bounds the memo; past it, it starts over.
const maxParsedRefs = 10000

type refMemo struct {
	mu sync.RWMutex
	m  map[string]*parsedRef
}

// parse returns the parsed image reference, from the memo when seen before.
func (r *refMemo) parse(image string) *parsedRef {
	r.mu.RLock()
	p, ok := r.m[image]
	r.mu.RUnlock()
	if ok {
		return p
	}
	p = &parsedRef{}
	p.ref, p.err = name.ParseReference(image, name.WeakValidation)
	switch ref := p.ref.(type) {
	case name.Digest:
		p.digest = ref.DigestStr()
	case name.Tag:
		p.tagKey = ref.Name()
	}
	r.mu.Lock()
	if r.m == nil || len(r.m) >= maxParsedRefs {
		r.m = make(map[string]*parsedRef)
	}
	r.m[image] = p
	r.mu.Unlock()
	return p
}
