package model

import "testing"

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		eco  Ecosystem
		in   string
		want string
	}{
		{EcosystemPyPI, "Flask", "flask"},
		{EcosystemPyPI, "typing_extensions", "typing-extensions"},
		{EcosystemPyPI, "zope.interface", "zope-interface"},
		{EcosystemPyPI, "a__b--c", "a-b-c"},
		{EcosystemNuGet, "Newtonsoft.Json", "newtonsoft.json"},
		{EcosystemComposer, "Symfony/HTTP-Kernel", "symfony/http-kernel"},
		{EcosystemNPM, "@Scope/Pkg", "@Scope/Pkg"},
		{EcosystemMaven, "org.apache.logging.log4j:log4j-core", "org.apache.logging.log4j:log4j-core"},
	}
	for _, tt := range tests {
		if got := NormalizeName(tt.eco, tt.in); got != tt.want {
			t.Errorf("NormalizeName(%s, %q) = %q, want %q", tt.eco, tt.in, got, tt.want)
		}
	}
}

func TestNamespace(t *testing.T) {
	tests := []struct {
		eco  Ecosystem
		d    *Distro
		want string
	}{
		{EcosystemDeb, &Distro{ID: "debian", Release: "12"}, "debian:12"},
		{EcosystemRPM, &Distro{ID: "rocky", Release: "9"}, "redhat:9"},
		{EcosystemRPM, &Distro{ID: "amzn", Release: "2023"}, "amazon:2023"},
		{EcosystemAPK, nil, ""},
		{EcosystemNPM, nil, "npm"},
	}
	for _, tt := range tests {
		if got := Namespace(tt.eco, tt.d); got != tt.want {
			t.Errorf("Namespace(%s, %+v) = %q, want %q", tt.eco, tt.d, got, tt.want)
		}
	}
}

func TestNormalizeGoSymbol(t *testing.T) {
	for in, want := range map[string]string{
		"gopkg.in/yaml.v2.(*decoder).unmarshal":        "gopkg.in/yaml.v2.decoder.unmarshal",
		"golang.org/x/text/language.Parse":             "golang.org/x/text/language.Parse",
		"slices.sortFunc[go.shape.struct { A []int }]": "slices.sortFunc",
		"p.(*T[go.shape.int]).M":                       "p.T.M",
		"p.T.M.func1":                                  "p.T.M.func1",
	} {
		if got := NormalizeGoSymbol(in); got != want {
			t.Errorf("NormalizeGoSymbol(%q) = %q, want %q", in, got, want)
		}
	}
}
