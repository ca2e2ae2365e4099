//go:build integration

package gem_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/gem"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

// rubyCompare answers with RubyGems itself, in one process:
// "V\tx" -> valid?, "C\ta\tb" -> Gem::Version#<=>.
const rubyCompare = `
STDIN.each_line do |line|
  f = line.chomp.split("\t", -1)
  if f[0] == "V"
    puts(Gem::Version.correct?(f[1]) && !f[1].strip.empty? ? "ok" : "!")
  else
    puts(Gem::Version.new(f[1]) <=> Gem::Version.new(f[2]))
  end
end
`

func TestAgainstRubyGems(t *testing.T) {
	reftest.Require(t, reftest.CheckCommand("ruby", "-e", "Gem::Version"), "ruby")
	versions := reftest.OSVVersions(t, filepath.Join(reftest.SharedDir(t), "ghsa", "rubygems.jsonl"))
	versions = append(versions, "1.0", "1", "1.0.0.0", "1.0.a", "1.0.a1", "1.0.b", "1.0-beta", "1.0.0-rc1", "1.0.rc.1",
		"1.0.0.pre", "1.0.pre1", "1a", "1.0a", "1.0A", "1.0-a-b", "1.0.0.0.a.0", "01.02", "1..2", "1.0.", ".1", "1.0 ", "x")
	uniq := reftest.Unique(versions)
	var in strings.Builder
	for _, v := range uniq {
		in.WriteString("V\t" + v + "\n")
	}
	valid := reftest.Run(t, in.String(), "ruby", "-e", rubyCompare)
	for i, v := range uniq {
		_, err := gem.Parse(v)
		if (valid[i] == "ok") != (err == nil) {
			t.Errorf("Parse(%q) error = %v, RubyGems says valid: %s", v, err, valid[i])
		}
	}
	c := gem.Comparator{}
	pairs := reftest.Pairs(versions, c.Compare, 5000)
	in.Reset()
	for _, p := range pairs {
		in.WriteString("C\t" + p[0] + "\t" + p[1] + "\n")
	}
	want := reftest.Run(t, in.String(), "ruby", "-e", rubyCompare)
	reftest.Agree(t, pairs, c.Compare, want)
}
