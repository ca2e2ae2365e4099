package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/runtime"
)

func newAgentProfilesEditCmd(g *globals, dir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "edit DIGEST|NAME",
		Short: "Edit a profile in $EDITOR; it is validated before it replaces the old one",
		Long: `Open a copy of the profile in $VISUAL, $EDITOR or vi. When the editor exits the copy
is parsed strictly; a valid, changed profile is saved with its revision increased.
An invalid one is left in place and its path printed, so no edit is lost.
A running agent reads profiles at start.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := findProfile(*dir, args[0])
			if err != nil {
				return err
			}
			before, err := runtime.MarshalProfile(p, runtime.YAML)
			if err != nil {
				return opErr(err)
			}
			tmp, err := os.CreateTemp("", "bulwark-profile-*.yaml")
			if err != nil {
				return opErr(err)
			}
			if _, err := tmp.Write(before); err != nil {
				tmp.Close()
				return opErr(err)
			}
			tmp.Close()
			editor := os.Getenv("VISUAL")
			if editor == "" {
				editor = os.Getenv("EDITOR")
			}
			if editor == "" {
				editor = "vi"
			}
			ed := exec.CommandContext(cmd.Context(), "sh", "-c", editor+` "$1"`, "editor", tmp.Name())
			ed.Stdin, ed.Stdout, ed.Stderr = cmd.InOrStdin(), g.stdout, g.stderr
			if err := ed.Run(); err != nil {
				return opErr(fmt.Errorf("editor %q: %w (your copy: %s)", editor, err, tmp.Name()))
			}
			after, err := os.ReadFile(tmp.Name())
			if err != nil {
				return opErr(err)
			}
			if bytes.Equal(before, after) {
				os.Remove(tmp.Name())
				fmt.Fprintln(g.stderr, "profile unchanged")
				return nil
			}
			np, err := runtime.ParseProfile(tmp.Name(), after)
			if err != nil {
				return usageErr(fmt.Errorf("%w (your copy is kept: %s)", err, tmp.Name()))
			}
			if np.ImageDigest != p.ImageDigest {
				return usageErr(fmt.Errorf("the edit changed imageDigest to %s; import it as a new profile instead (your copy: %s)", np.ImageDigest, tmp.Name()))
			}
			if np.Revision <= p.Revision {
				np.Revision = p.Revision + 1
			}
			if err := runtime.Dir(*dir).Save(np); err != nil {
				return opErr(err)
			}
			os.Remove(tmp.Name())
			fmt.Fprintf(g.stderr, "saved %s revision %d\n", np.ImageDigest, np.Revision)
			return nil
		},
	}
}
