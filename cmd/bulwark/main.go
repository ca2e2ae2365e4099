// Command bulwark scans container images for known vulnerabilities, gates
// CI pipelines on policy, keeps an inventory for rescans, admits workloads
// in Kubernetes and watches what containers execute.
package main

import (
	"os"

	"github.com/bulwark-security/bulwark/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
