package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration that reads "72h" or "3d" from YAML/JSON.
type Duration time.Duration

// ParseDuration accepts Go durations plus a "d" (days) suffix.
func ParseDuration(s string) (Duration, error) {
	if n := len(s); n > 1 && s[n-1] == 'd' {
		var days float64
		if _, err := fmt.Sscanf(s[:n-1], "%g", &days); err != nil || days < 0 {
			return 0, fmt.Errorf("invalid duration %q (use e.g. 72h or 3d)", s)
		}
		return Duration(time.Duration(days * float64(24*time.Hour))), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (use e.g. 72h or 3d)", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalText implements encoding.TextMarshaler (JSON).
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (JSON).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	*d = v
	return err
}

// file is the on-disk form: a version plus the policy.
type file struct {
	Version int `yaml:"version"`
	Policy  `yaml:",inline"`
}

// Parse reads a policy document. Unknown keys are errors, so a typo never
// silently weakens a gate.
func Parse(data []byte, name string) (*Policy, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) || len(bytes.TrimSpace(data)) == 0 {
			return nil, fmt.Errorf("%s: empty policy file", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("%s: version: %d is not supported (this bulwark reads version 1)", name, f.Version)
	}
	if err := f.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f.Policy.Name == "" {
		f.Policy.Name = name
	}
	return &f.Policy, nil
}

// Load reads a policy file from disk.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return Parse(data, path)
}
