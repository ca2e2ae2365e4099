package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// APIVersion names the profile file format. A breaking change gets a new
// version; readers refuse versions they do not know.
const APIVersion = "bulwark.dev/runtime-profile/v1"

// file is the on-disk form: the profile with its format version.
type file struct {
	APIVersion string `json:"apiVersion" yaml:"apiVersion"`
	Profile    `yaml:",inline"`
}

// Format is a profile file encoding.
type Format string

// Formats.
const (
	YAML Format = "yaml"
	JSON Format = "json"
)

// ParseProfile decodes one profile file (YAML or JSON, detected from the
// content) strictly: unknown fields, a missing or unknown apiVersion and
// invalid entries are errors naming name.
func ParseProfile(name string, data []byte) (*Profile, error) {
	var f file
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("profile %s: empty", name)
	}
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("profile %s: %w", name, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("profile %s: trailing data after the profile", name)
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(trimmed))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("profile %s: %w", name, err)
		}
		var extra any
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("profile %s: more than one YAML document", name)
		}
	}
	if f.APIVersion != APIVersion {
		return nil, fmt.Errorf("profile %s: apiVersion %q, want %q", name, f.APIVersion, APIVersion)
	}
	if err := f.Profile.Validate(); err != nil {
		return nil, fmt.Errorf("profile %s: %w", name, err)
	}
	return &f.Profile, nil
}

// MarshalProfile encodes p in format f with its apiVersion.
func MarshalProfile(p *Profile, f Format) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	c := p.Clone()
	c.sort()
	if c.Executables == nil {
		c.Executables = []Executable{}
	}
	doc := file{APIVersion: APIVersion, Profile: *c}
	switch f {
	case JSON:
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode profile %s: %w", p.ImageDigest, err)
		}
		return append(b, '\n'), nil
	case YAML:
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("encode profile %s: %w", p.ImageDigest, err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("encode profile %s: %w", p.ImageDigest, err)
		}
		return buf.Bytes(), nil
	}
	return nil, fmt.Errorf("unknown profile format %q (want yaml or json)", f)
}

// Dir is a directory of profile files, one per image digest, named
// "<hex of the digest>.yaml".
type Dir string

// FileName is the file p's profile is saved as in d.
func (d Dir) FileName(digest string) string {
	return filepath.Join(string(d), strings.TrimPrefix(digest, "sha256:")+".yaml")
}

// Load reads every *.yaml, *.yml and *.json file in d. A missing directory
// holds no profiles. Two files for the same digest are an error.
func (d Dir) Load() ([]*Profile, error) {
	entries, err := os.ReadDir(string(d))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read profile dir: %w", err)
	}
	var out []*Profile
	from := map[string]string{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		path := filepath.Join(string(d), e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read profile: %w", err)
		}
		p, err := ParseProfile(path, data)
		if err != nil {
			return nil, err
		}
		if prev, dup := from[p.ImageDigest]; dup {
			return nil, fmt.Errorf("profiles %s and %s both describe %s", prev, path, p.ImageDigest)
		}
		from[p.ImageDigest] = path
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ImageDigest < out[j].ImageDigest })
	return out, nil
}

// Save writes p to its file in d atomically, creating d when needed.
func (d Dir) Save(p *Profile) error {
	data, err := MarshalProfile(p, YAML)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return fmt.Errorf("create profile dir: %w", err)
	}
	dst := d.FileName(p.ImageDigest)
	tmp, err := os.CreateTemp(string(d), ".profile-*")
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save profile %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save profile %s: %w", dst, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("save profile %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("save profile %s: %w", dst, err)
	}
	return nil
}
