package golang

import (
	"bytes"
	"io"
	"strings"

	"github.com/bulwark-security/bulwark/internal/catalog"
)

// binDirs are directories whose files are usually executables even when
// the layer does not carry the executable bit (e.g. images built on
// Windows hosts).
var binDirs = []string{"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/", "/usr/libexec/"}

// minExecutableSize skips scripts and stubs that cannot hold Go build info.
const minExecutableSize = 512

// wantsExecutable is the cheap claim for files that may be executables.
func wantsExecutable(fi catalog.FileInfo) bool {
	if !fi.Mode.IsRegular() || fi.Size < minExecutableSize {
		return false
	}
	if notProgram(fi.Path) {
		return false
	}
	if fi.Mode.Perm()&0o111 != 0 {
		return true
	}
	if strings.HasSuffix(fi.Path, ".exe") {
		return true
	}
	for _, d := range binDirs {
		if strings.HasPrefix(fi.Path, d) {
			return true
		}
	}
	return false
}

// Executable formats recognised by their first bytes.
const (
	formatNone = iota
	formatELF
	formatMachO
	formatPE
)

// peekFormat reads four bytes to decide whether a file is an executable
// at all, so scripts and data files cost one tiny read.
func peekFormat(r io.ReaderAt) int {
	var magic [4]byte
	if n, _ := r.ReadAt(magic[:], 0); n < len(magic) {
		return formatNone
	}
	switch {
	case bytes.Equal(magic[:], []byte("\x7fELF")):
		return formatELF
	case bytes.Equal(magic[:], []byte{0xfe, 0xed, 0xfa, 0xce}), bytes.Equal(magic[:], []byte{0xfe, 0xed, 0xfa, 0xcf}),
		bytes.Equal(magic[:], []byte{0xce, 0xfa, 0xed, 0xfe}), bytes.Equal(magic[:], []byte{0xcf, 0xfa, 0xed, 0xfe}):
		return formatMachO
	case magic[0] == 'M' && magic[1] == 'Z':
		return formatPE
	}
	return formatNone
}

// notProgram recognises executable files that cannot be programs of
// interest by their names: shared libraries (the C runtime and friends
// carry the executable bit on Debian) and scripts.
func notProgram(p string) bool {
	base := p[strings.LastIndexByte(p, '/')+1:]
	if strings.HasSuffix(base, ".so") || strings.Contains(base, ".so.") {
		return true
	}
	switch base[strings.LastIndexByte(base, '.')+1:] {
	case "sh", "bash", "py", "pl", "pm", "rb", "js", "txt", "conf", "json":
		return strings.Contains(base, ".")
	}
	return false
}
