package agent

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/store"
)

// jsonFields lists the JSON names of t's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// TestServerKeepsEveryEventField fails when a field is added to Event
// but not to the server's stored form, which would drop it silently.
func TestServerKeepsEveryEventField(t *testing.T) {
	for _, pair := range [][2]reflect.Type{
		{reflect.TypeFor[Event](), reflect.TypeFor[store.RuntimeEvent]()},
		{reflect.TypeFor[Process](), reflect.TypeFor[store.RuntimeProcess]()},
	} {
		stored := jsonFields(pair[1])
		for _, f := range jsonFields(pair[0]) {
			if !slices.Contains(stored, f) {
				t.Errorf("%s field %q has no counterpart in %s", pair[0], f, pair[1])
			}
		}
	}
}
