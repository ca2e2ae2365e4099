//go:build integration

package maven_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/maven"
)

const artifactJar = "/usr/share/java/maven-artifact-3.x.jar"

// comparableVersion orders tab-separated pairs with Maven's own
// ComparableVersion, in one JVM.
const comparableVersion = `
import java.io.*;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class Cmp {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split("\t", -1);
            out.append(Integer.signum(new ComparableVersion(f[0]).compareTo(new ComparableVersion(f[1])))).append('\n');
        }
        System.out.print(out);
    }
}
`

func TestAgainstComparableVersion(t *testing.T) {
	reftest.Require(t, func() error { _, err := os.Stat(artifactJar); return err }, "default-jre-headless", "libmaven3-core-java")
	reftest.Require(t, reftest.CheckCommand("java", "-version"), "default-jre-headless")
	versions := reftest.OSVVersions(t, filepath.Join(reftest.SharedDir(t), "ghsa", "maven.jsonl"))
	versions = append(versions, qualifierOrder...)
	versions = append(versions, numberOrder...)
	for _, g := range equal {
		versions = append(versions, g...)
	}
	versions = append(versions, "1.0.0.Final", "1.0.0.GA", "1.0.0.RELEASE", "1.0-SNAPSHOT", "1.0.0.CR1", "2.0.0.M1", "1-1.foo-bar1baz-.1",
		"1.0.0-jre", "1.0.0-android", "9.4.43.v20210629", "1.0.0.0.0.0", "1..1", "1-.1", "1.0-a.1", "1.0.0-sp.1", "1.0.0.x-1")
	src := filepath.Join(t.TempDir(), "Cmp.java")
	if err := os.WriteFile(src, []byte(comparableVersion), 0o600); err != nil {
		t.Fatal(err)
	}
	c := maven.Comparator{}
	pairs := reftest.Pairs(versions, c.Compare, 5000)
	var in strings.Builder
	for _, p := range pairs {
		in.WriteString(p[0] + "\t" + p[1] + "\n")
	}
	want := reftest.Run(t, in.String(), "java", "-cp", artifactJar, src)
	reftest.Agree(t, pairs, c.Compare, want)
}
