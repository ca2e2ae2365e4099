// Package tmpl renders a report through a user's Go text/template, for
// outputs Bulwark has no format for. The template sees the *model.Report
// (the same fields as the JSON format) and these functions:
//
//	join LIST SEP      strings.Join
//	upper S, lower S   case conversion
//	severityRank R     0 (UNKNOWN) … 5 (CRITICAL), for comparisons
//	toJSON V           V as compact JSON
//	sortedFindings L   findings in the display order (severity first)
//	counted F          whether the report's policy counts finding F
package tmpl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Writer executes a parsed template.
type Writer struct {
	t *template.Template
}

// ErrNoTemplate is returned by New for empty template text.
var ErrNoTemplate = errors.New("template format needs a template (--template TEXT or @FILE)")

// New parses text. Parse errors name the line, so users can fix their file.
func New(text string) (*Writer, error) {
	if strings.TrimSpace(text) == "" {
		return nil, ErrNoTemplate
	}
	t, err := template.New("report").Option("missingkey=error").Funcs(funcs()).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	return &Writer{t: t}, nil
}

// Write executes the template on r.
func (w *Writer) Write(out io.Writer, r *model.Report) error {
	if err := w.t.Execute(out, r); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	return nil
}

func funcs() template.FuncMap {
	return template.FuncMap{
		"join":  strings.Join,
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
		"severityRank": func(r model.Rating) int {
			return model.RatingRank(r)
		},
		"toJSON": func(v any) (string, error) {
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				return "", err
			}
			return strings.TrimSuffix(b.String(), "\n"), nil
		},
		"sortedFindings": model.SortedFindings,
		"counted":        func(r *model.Report, f model.Finding) bool { return r.Counted(&f) },
	}
}
