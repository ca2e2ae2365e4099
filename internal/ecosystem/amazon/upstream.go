package amazon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
)

// mirrorList names the current Amazon Linux 2023 core repository; its
// repodata/repomd.xml points at updateinfo.xml.gz, the ALAS advisories.
const mirrorList = "https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list"

// fetchUpstream resolves the repository from the mirror list, then the
// updateinfo location from repomd.xml, and downloads updateinfo.
func fetchUpstream(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	c := src.HTTP
	if c == nil {
		c = http.DefaultClient
	}
	var buf bytes.Buffer
	if _, err := feed.Download(ctx, c, mirrorList, &buf); err != nil {
		return nil, fmt.Errorf("amazon: %w", err)
	}
	base, _, _ := strings.Cut(strings.TrimSpace(buf.String()), "\n")
	base = strings.TrimSuffix(strings.TrimSpace(base), "/")
	if !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("amazon: %s: no repository URL", mirrorList)
	}
	buf.Reset()
	repomd := base + "/repodata/repomd.xml"
	if _, err := feed.Download(ctx, c, repomd, &buf); err != nil {
		return nil, fmt.Errorf("amazon: %w", err)
	}
	var md struct {
		Data []struct {
			Type     string `xml:"type,attr"`
			Location struct {
				Href string `xml:"href,attr"`
			} `xml:"location"`
		} `xml:"data"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &md); err != nil {
		return nil, fmt.Errorf("amazon: %s: %w", repomd, err)
	}
	href := ""
	for _, d := range md.Data {
		if d.Type == "updateinfo" {
			href = d.Location.Href
		}
	}
	if href == "" {
		return nil, fmt.Errorf("amazon: %s: no updateinfo", repomd)
	}
	name := "updateinfo.xml"
	if strings.HasSuffix(href, ".gz") {
		name += ".gz"
	}
	data, err := feed.Fetch(ctx, feed.Source{HTTP: c}, prev, feed.Layout{
		Upstream: []feed.Remote{{URL: base + "/" + strings.TrimPrefix(href, "/"), Name: name}},
	})
	if err != nil && !errors.Is(err, feed.ErrUnchanged) {
		return nil, fmt.Errorf("amazon: %w", err)
	}
	return data, err
}

// xmlUpdate is one <update> of updateinfo.xml.
type xmlUpdate struct {
	ID       string `xml:"id"`
	Title    string `xml:"title"`
	Severity string `xml:"severity"`
	Issued   struct {
		Date string `xml:"date,attr"`
	} `xml:"issued"`
	References []struct {
		ID   string `xml:"id,attr"`
		Href string `xml:"href,attr"`
		Type string `xml:"type,attr"`
	} `xml:"references>reference"`
	Packages []struct {
		Name    string `xml:"name,attr"`
		Epoch   string `xml:"epoch,attr"`
		Version string `xml:"version,attr"`
		Release string `xml:"release,attr"`
		Arch    string `xml:"arch,attr"`
	} `xml:"pkglist>collection>package"`
}

// readUpdateinfo streams the <update> elements of an updateinfo file.
func readUpdateinfo(ctx context.Context, data *feed.Data, name string, fn func(*Advisory) error) error {
	rc, err := feed.OpenPlain(data, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	return decodeUpdateinfo(ctx, bufio.NewReader(rc), name, fn)
}

func decodeUpdateinfo(ctx context.Context, r io.Reader, name string, fn func(*Advisory) error) error {
	dec := xml.NewDecoder(r)
	n := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "update" {
			continue
		}
		n++
		if err := ctx.Err(); err != nil {
			return err
		}
		var u xmlUpdate
		if err := dec.DecodeElement(&u, &se); err != nil {
			return fmt.Errorf("%s: update %d: %w", name, n, err)
		}
		if u.ID == "" {
			return fmt.Errorf("%s: update %d has no id", name, n)
		}
		a := &Advisory{ID: strings.TrimSpace(u.ID), Title: u.Title, Severity: strings.TrimSpace(u.Severity)}
		a.Issued.Date = u.Issued.Date
		for _, ref := range u.References {
			a.References.Reference = append(a.References.Reference, struct {
				ID   string `json:"ID"`
				Href string `json:"Href"`
				Type string `json:"Type"`
			}{ref.ID, ref.Href, ref.Type})
		}
		for _, p := range u.Packages {
			a.Pkglist.Collection.Package = append(a.Pkglist.Collection.Package, Package(p))
		}
		if err := fn(a); err != nil {
			return err
		}
	}
}
