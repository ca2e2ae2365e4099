package java

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// parseManifest reads the main section of a MANIFEST.MF: "Key: value"
// lines, continued by lines that start with one space.
func parseManifest(data []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	last := ""
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if l == "" {
			break // per-entry sections follow
		}
		if l[0] == ' ' {
			if last != "" {
				m[last] += l[1:]
			}
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			last = ""
			continue
		}
		last = strings.TrimSpace(k)
		m[last] = strings.TrimSpace(v)
	}
	return m
}

// parseProperties reads a Java properties file as Maven writes
// pom.properties: "key=value" lines and "#" comments.
func parseProperties(data []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' || l[0] == '!' {
			continue
		}
		i := strings.IndexAny(l, "=:")
		if i < 0 {
			continue
		}
		m[strings.TrimSpace(l[:i])] = strings.TrimSpace(l[i+1:])
	}
	return m
}

// fileNameVersion splits "commons-lang3-3.12.0.jar" into artifact and
// version: the version starts at the first "-" followed by a digit.
var fileNameVersion = regexp.MustCompile(`^(.+?)-(\d[0-9A-Za-z.+_-]*)$`)

func splitFileName(base string) (artifact, version string) {
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if m := fileNameVersion.FindStringSubmatch(base); m != nil {
		return m[1], m[2]
	}
	return base, ""
}
