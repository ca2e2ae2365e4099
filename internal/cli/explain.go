package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/image"
	"github.com/bulwark-security/bulwark/internal/match"
)

func newExplainCmd(g *globals) *cobra.Command {
	var (
		db       vulnDBOptions
		asJSON   bool
		platform string
		insecure []string
		all      bool
	)
	cmd := &cobra.Command{
		Use:   "explain VULN-ID REF",
		Short: "Say why an image is or is not affected by a vulnerability",
		Long: `Explain one vulnerability (CVE, GHSA, GO or vendor id; aliases work) for every
package of an image: the package and its source package, installed and fixed
versions, the vendor's status and urgency, the data source, and the layer that
added the package. REF takes the same forms as "bulwark sbom".`,
		Example: `  bulwark explain CVE-2023-4911 myapp:1.4
  bulwark explain GHSA-p6mc-m468-83gw docker-archive:app.tar --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := db.open(g)
			if err != nil {
				return err
			}
			defer d.Close()
			inv, err := inventory(cmd.Context(), g, args[1], image.Options{Platform: platform, InsecureRegistries: insecure})
			if err != nil {
				return err
			}
			x, err := match.Explain(cmd.Context(), d, inv, args[0])
			if err != nil {
				return opErr(err)
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(x)
			}
			printExplanation(g.stdout, x, all)
			return nil
		},
	}
	db.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the explanation as JSON")
	cmd.Flags().BoolVar(&all, "all", false, "also list every package no record names")
	cmd.Flags().StringVar(&platform, "platform", "", "platform to pick from a multi-arch image")
	cmd.Flags().StringArrayVar(&insecure, "insecure-registry", nil, "allow plain HTTP for this registry (repeatable)")
	return cmd
}

func printExplanation(w io.Writer, x *match.Explanation, all bool) {
	verdict := "NOT AFFECTED"
	if x.Affected() {
		verdict = "AFFECTED"
	}
	ids := x.VulnID
	if len(x.Aliases) > 0 {
		ids += " (" + strings.Join(x.Aliases, ", ") + ")"
	}
	fmt.Fprintf(w, "%s: %s\n", ids, verdict)
	if x.Summary != "" {
		fmt.Fprintf(w, "  %s\n", x.Summary)
	}
	if !x.Known {
		fmt.Fprintf(w, "  the vulnerability database has no record of %s\n", x.Query)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tVERSION\tLOOKED UP AS\tSTATE\tVENDOR STATUS\tFIXED IN\tSOURCE\tLAYER")
	hidden := 0
	for _, p := range x.Packages {
		if !p.HasRecord && !all {
			hidden++
			continue
		}
		layer := ""
		if p.Package.Layer != nil {
			layer = fmt.Sprintf("%d", p.Package.Layer.Index)
		}
		fixed := strings.Join(p.FixedVersions, ", ")
		if fixed == "" {
			fixed = "-"
		}
		status := string(p.VendorStatus)
		if p.Urgency != "" {
			status += " (" + p.Urgency + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s %s\t%s\t%s\t%s\t%s\t%s\n", p.Package.Name, p.Package.Version,
			p.Namespace, p.LookupName, p.Installed, p.State, status, fixed, p.DataSource, layer)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, p := range x.Packages {
		if p.HasRecord || all {
			fmt.Fprintf(w, "- %s %s: %s\n", p.Package.Name, p.Package.Version, p.Reason)
			if p.Package.Layer != nil && p.Package.Layer.CreatedBy != "" {
				fmt.Fprintf(w, "    added by layer %d: %s\n", p.Package.Layer.Index, p.Package.Layer.CreatedBy)
			}
		}
	}
	for _, n := range x.Namespaces {
		fmt.Fprintf(w, "%s: %s\n", n.Namespace, n.Reason)
	}
	for _, u := range x.Unknowns {
		fmt.Fprintf(w, "unknown: %s %s: %s\n", u.Package.Name, u.Package.Version, u.Reason)
	}
	if hidden > 0 {
		fmt.Fprintf(w, "(%d other packages have no record naming it; --all lists them)\n", hidden)
	}
}
