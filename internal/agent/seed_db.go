package agent

import (
	"bytes"
	"encoding/binary"
	"path"
	"strings"
)

// ownedFiles maps every path a package database names to its package,
// "deb:NAME" or "apk:NAME".
func (v seedView) ownedFiles() map[string]string {
	out := map[string]string{}
	for p, f := range v {
		if f.data == nil {
			continue
		}
		base := path.Base(p)
		switch {
		case strings.HasSuffix(p, ".list"):
			pkg, _, _ := strings.Cut(strings.TrimSuffix(base, ".list"), ":")
			for _, line := range strings.Split(string(f.data), "\n") {
				if line = strings.TrimRight(line, "\r"); strings.HasPrefix(line, "/") && line != "/." {
					out[path.Clean(line)] = "deb:" + pkg
				}
			}
		case strings.HasSuffix(p, ".md5sums"):
			pkg, _, _ := strings.Cut(strings.TrimSuffix(base, ".md5sums"), ":")
			for _, line := range strings.Split(string(f.data), "\n") {
				if _, name, ok := strings.Cut(strings.TrimRight(line, "\r"), " "); ok {
					if name = strings.TrimLeft(name, " *"); name != "" {
						out[path.Clean("/"+name)] = "deb:" + pkg
					}
				}
			}
		default:
			parseApkInstalled(f.data, out)
		}
	}
	return out
}

// parseApkInstalled reads apk's installed database: a P: line starts a
// package, F: names a directory and each following R: a file in it.
func parseApkInstalled(data []byte, out map[string]string) {
	var pkg, dir string
	for _, line := range strings.Split(string(data), "\n") {
		key, val, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if !ok {
			if line == "" {
				pkg, dir = "", ""
			}
			continue
		}
		switch key {
		case "P":
			pkg, dir = val, ""
		case "F":
			dir = val
		case "R":
			if pkg != "" && val != "" {
				out[path.Clean("/"+path.Join(dir, val))] = "apk:" + pkg
			}
		}
	}
}

// interpreterInPrefix returns the file the kernel loads to run an executable
// starting with prefix: the PT_INTERP of an ELF file or the #! line's
// interpreter; "" when there is none or prefix does not hold it.
func interpreterInPrefix(prefix []byte) string {
	if rest, ok := bytes.CutPrefix(prefix, []byte("#!")); ok {
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		fields := strings.Fields(string(line))
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "/") {
			return ""
		}
		return fields[0]
	}
	return elfInterp(prefix)
}

// elfInterp reads PT_INTERP from the program headers in prefix. The
// headers and the interpreter path sit near the start of every ELF file
// a linker writes, so a prefix suffices; anything out of range is "".
func elfInterp(b []byte) string {
	if len(b) < 52 || !bytes.HasPrefix(b, []byte("\x7fELF")) {
		return ""
	}
	var bo binary.ByteOrder
	switch b[5] {
	case 1:
		bo = binary.LittleEndian
	case 2:
		bo = binary.BigEndian
	default:
		return ""
	}
	var phoff, phentsize, phnum uint64
	is64 := b[4] == 2
	switch {
	case is64 && len(b) >= 64:
		phoff, phentsize, phnum = bo.Uint64(b[32:]), uint64(bo.Uint16(b[54:])), uint64(bo.Uint16(b[56:]))
	case b[4] == 1:
		phoff, phentsize, phnum = uint64(bo.Uint32(b[28:])), uint64(bo.Uint16(b[42:])), uint64(bo.Uint16(b[44:]))
	default:
		return ""
	}
	min := uint64(32)
	if is64 {
		min = 56
	}
	if phentsize < min || phnum > 256 {
		return ""
	}
	const ptInterp = 3
	for i := uint64(0); i < phnum; i++ {
		off := phoff + i*phentsize
		if off+phentsize > uint64(len(b)) {
			return ""
		}
		ph := b[off : off+phentsize]
		if bo.Uint32(ph) != ptInterp {
			continue
		}
		var at, size uint64
		if is64 {
			at, size = bo.Uint64(ph[8:]), bo.Uint64(ph[32:])
		} else {
			at, size = uint64(bo.Uint32(ph[4:])), uint64(bo.Uint32(ph[16:]))
		}
		if size == 0 || size > 4096 || at+size > uint64(len(b)) || at+size < at {
			return ""
		}
		s := string(bytes.TrimRight(b[at:at+size], "\x00"))
		if !strings.HasPrefix(s, "/") {
			return ""
		}
		return s
	}
	return ""
}
