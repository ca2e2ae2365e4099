package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/bulwark-security/bulwark/internal/kube"
)

func newWatchCmd(g *globals) *cobra.Command {
	var (
		cluster, server, token, serverCA, kubeconfig string
		interval                                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Report the pods of a Kubernetes cluster and the image digests they run to a Bulwark server",
		Long: `Watch lists and watches pods with client-go informers, walks each pod's owners
(ReplicaSet → Deployment, Job → CronJob) and sends the complete set of running
containers with their image digests (containerStatuses[].imageID) to the server
after every change and every --interval. Deleted pods drop out of the next report;
if the watcher stops, its set expires after three intervals. "bulwark affected"
then names the namespaces, workloads and pods that run an affected image.

It runs in the cluster (the Helm chart deploys it) or anywhere with a kubeconfig;
it needs get/list/watch on pods, replicasets and jobs. See docs/kubernetes.md.`,
		Example: `  bulwark watch --cluster prod --server https://bulwark:8443 --token $BULWARK_TOKEN
  bulwark watch --cluster dev --kubeconfig ~/.kube/config --server http://localhost:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cluster == "" || server == "" {
				return usageErr(errors.New("watch needs --cluster and --server"))
			}
			if token == "" {
				token = os.Getenv("BULWARK_TOKEN")
			}
			rules := clientcmd.NewDefaultClientConfigLoadingRules()
			rules.ExplicitPath = kubeconfig
			rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
			if err != nil {
				return usageErr(fmt.Errorf("kubernetes client configuration: %w", err))
			}
			kc, err := kubernetes.NewForConfig(rc)
			if err != nil {
				return usageErr(fmt.Errorf("kubernetes client: %w", err))
			}
			hc, err := serverHTTPClient("--server-ca", serverCA, 30*time.Second)
			if err != nil {
				return usageErr(err)
			}
			rep := &kube.HTTPReporter{ServerURL: server, Token: token, Client: hc}
			w, err := kube.NewWatcher(kc, rep, kube.Options{Cluster: cluster, Interval: interval, OnError: func(err error) {
				g.log.Warn("workload report failed", "err", err)
			}})
			if err != nil {
				return usageErr(err)
			}
			g.log.Info("watching workloads", "cluster", cluster, "server", server, "interval", interval)
			if err := w.Run(cmd.Context()); err != nil && !errors.Is(err, context.Canceled) {
				return opErr(err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cluster, "cluster", "", "cluster name reported with every workload")
	f.StringVar(&server, "server", "", "Bulwark server URL")
	f.StringVar(&token, "token", "", "API token with the ingest scope (env BULWARK_TOKEN)")
	f.StringVar(&serverCA, "server-ca", os.Getenv("BULWARK_CA_CERT"), "CA certificate (PEM) that signs the server's certificate (env BULWARK_CA_CERT)")
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)")
	f.DurationVar(&interval, "interval", time.Minute, "resend the full set this often even without changes")
	return cmd
}
