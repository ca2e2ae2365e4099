//go:build integration

package kube

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// helmBinary finds helm: $HELM, the copy scripts/envtest-assets.sh builds, or PATH.
func helmBinary(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	home, _ := os.UserHomeDir()
	if cached, _ := filepath.Glob(filepath.Join(home, ".cache", "bulwark-envtest", "helm-*", "helm")); len(cached) > 0 {
		slices.Sort(cached)
		return cached[len(cached)-1]
	}
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	t.Fatal("no helm: run scripts/envtest-assets.sh (or set HELM)")
	return ""
}

func chartDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../deploy/helm/bulwark")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// rendered is a chart rendering split by kind and name.
type rendered map[string][]byte

func render(t *testing.T, args ...string) rendered {
	t.Helper()
	cmd := exec.Command(helmBinary(t), append([]string{"template", "bulwark", chartDir(t), "--namespace", "security"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template %v: %v\n%s", args, err, stderr.String())
	}
	docs := rendered{}
	for _, doc := range strings.Split(string(out), "\n---") {
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, doc)
		}
		if meta.Kind == "" {
			continue
		}
		key := meta.Kind + "/" + meta.Metadata.Name
		if _, dup := docs[key]; dup {
			t.Errorf("%s rendered twice", key)
		}
		docs[key] = []byte(doc)
	}
	return docs
}

func (r rendered) get(t *testing.T, key string, into any) {
	t.Helper()
	doc, ok := r[key]
	if !ok {
		t.Fatalf("%s not rendered; have %v", key, r.keys())
	}
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
}

func (r rendered) keys() []string {
	var ks []string
	for k := range r {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestHelmLint(t *testing.T) {
	for _, set := range [][]string{nil, {"--set", "postgres.enabled=true,postgres.url=postgres://db/bulwark,agent.enabled=true,admission.certManager.enabled=true"}} {
		out, err := exec.Command(helmBinary(t), append([]string{"lint", "--strict", chartDir(t)}, set...)...).CombinedOutput()
		if err != nil {
			t.Errorf("helm lint %v: %v\n%s", set, err, out)
		}
	}
}

func TestHelmTemplateDefaults(t *testing.T) {
	r := render(t)

	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	r.get(t, "ValidatingWebhookConfiguration/bulwark", &vwc)
	var mwc admissionregistrationv1.MutatingWebhookConfiguration
	r.get(t, "MutatingWebhookConfiguration/bulwark", &mwc)
	var tls corev1.Secret
	r.get(t, "Secret/bulwark-tls", &tls)
	vw, mw := vwc.Webhooks[0], mwc.Webhooks[0]
	if *vw.FailurePolicy != admissionregistrationv1.Fail || *mw.FailurePolicy != admissionregistrationv1.Fail {
		t.Error("webhooks must fail closed by default")
	}
	if *vw.ClientConfig.Service.Path != "/admission/validate" || *mw.ClientConfig.Service.Path != "/admission/mutate" {
		t.Errorf("paths %s, %s", *vw.ClientConfig.Service.Path, *mw.ClientConfig.Service.Path)
	}
	if len(vw.ClientConfig.CABundle) == 0 || !bytes.Equal(vw.ClientConfig.CABundle, tls.Data["ca.crt"]) || !bytes.Equal(mw.ClientConfig.CABundle, tls.Data["ca.crt"]) {
		t.Error("the caBundle must be the CA of the serving certificate")
	}
	exempt := vw.NamespaceSelector.MatchExpressions[0]
	if exempt.Operator != "NotIn" || !slices.Contains(exempt.Values, "kube-system") || !slices.Contains(exempt.Values, "security") {
		t.Errorf("namespaceSelector %+v must exclude kube-system and the release namespace", exempt)
	}
	var resources []string
	for _, rule := range vw.Rules {
		resources = append(resources, rule.Resources...)
	}
	for _, want := range []string{"pods", "pods/ephemeralcontainers", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs"} {
		if !slices.Contains(resources, want) {
			t.Errorf("webhook rules miss %s", want)
		}
	}

	var role rbacv1.ClusterRole
	r.get(t, "ClusterRole/bulwark-watcher", &role)
	for _, rule := range role.Rules {
		if !slices.Equal(rule.Verbs, []string{"get", "list", "watch"}) || slices.Contains(rule.Resources, "secrets") || slices.Contains(rule.Resources, "*") {
			t.Errorf("watcher rule %+v is more than read-only on workloads", rule)
		}
	}
	for _, k := range r.keys() {
		if strings.HasPrefix(k, "ClusterRole/") && k != "ClusterRole/bulwark-watcher" {
			t.Errorf("unexpected cluster role %s", k)
		}
	}

	var server, watcher appsv1.Deployment
	r.get(t, "Deployment/bulwark", &server)
	r.get(t, "Deployment/bulwark-watcher", &watcher)
	if *server.Spec.Replicas != 1 || server.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("embedded store: replicas %d strategy %s, want 1 Recreate", *server.Spec.Replicas, server.Spec.Strategy.Type)
	}
	if _, ok := r["PersistentVolumeClaim/bulwark-data"]; !ok {
		t.Error("embedded store without a volume claim")
	}
	for _, d := range []appsv1.Deployment{server, watcher} {
		ps := d.Spec.Template.Spec.SecurityContext
		if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot {
			t.Errorf("%s: pod not forced non-root", d.Name)
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			sc := c.SecurityContext
			if sc == nil || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || !slices.Contains(sc.Capabilities.Drop, "ALL") {
				t.Errorf("%s/%s: container must be read-only, unprivileged, without capabilities", d.Name, c.Name)
			}
		}
	}
	if !slices.Contains(server.Spec.Template.Spec.Containers[0].Args, "--admission") {
		t.Error("server does not serve the admission endpoints")
	}
	if _, ok := r["NetworkPolicy/bulwark-server"]; !ok {
		t.Error("no NetworkPolicy for the server")
	}
	if _, ok := r["DaemonSet/bulwark-agent"]; ok {
		t.Error("agent rendered although disabled by default")
	}
}

func TestHelmTemplatePostgresAndCertManager(t *testing.T) {
	r := render(t, "--set", "postgres.enabled=true,postgres.url=postgres://db/bulwark,server.replicas=3,agent.enabled=true,admission.certManager.enabled=true,admission.audit=true")
	var server appsv1.Deployment
	r.get(t, "Deployment/bulwark", &server)
	if *server.Spec.Replicas != 3 || server.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
		t.Errorf("PostgreSQL: replicas %d strategy %s", *server.Spec.Replicas, server.Spec.Strategy.Type)
	}
	if _, ok := r["PersistentVolumeClaim/bulwark-data"]; ok {
		t.Error("PostgreSQL mode still claims a volume")
	}
	if !slices.Contains(server.Spec.Template.Spec.Containers[0].Args, "--admission-audit") {
		t.Error("audit mode not passed to the server")
	}
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	r.get(t, "ValidatingWebhookConfiguration/bulwark", &vwc)
	if vwc.Annotations["cert-manager.io/inject-ca-from"] != "security/bulwark-tls" || len(vwc.Webhooks[0].ClientConfig.CABundle) != 0 {
		t.Errorf("cert-manager: annotations %v, caBundle %d bytes", vwc.Annotations, len(vwc.Webhooks[0].ClientConfig.CABundle))
	}
	if _, ok := r["Certificate/bulwark-tls"]; !ok {
		t.Error("no cert-manager Certificate")
	}
	var agent appsv1.DaemonSet
	r.get(t, "DaemonSet/bulwark-agent", &agent)
	if agent.Spec.Template.Spec.AutomountServiceAccountToken == nil || *agent.Spec.Template.Spec.AutomountServiceAccountToken {
		t.Error("the agent needs no Kubernetes API token")
	}
}

// envSecret returns the Secret name and key env var name of container c
// is read from, or "" when it is not set from a Secret.
func envSecret(c corev1.Container, name string) (secret, key string) {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			return e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key
		}
	}
	return "", ""
}

// TestHelmTemplateTokens: the watcher and the agents hold ingest-only
// tokens, the server knows only their hashes, and the admin token is
// given to no workload.
func TestHelmTemplateTokens(t *testing.T) {
	r := render(t, "--set", "agent.enabled=true")
	var tokens corev1.Secret
	r.get(t, "Secret/bulwark-ingest-tokens", &tokens)
	sum := func(k string) string {
		secret := tokens.Data[k]
		if len(secret) < 32 {
			t.Fatalf("ingest token %q: %d bytes, want a long random secret", k, len(secret))
		}
		h := sha256.Sum256(secret)
		return hex.EncodeToString(h[:])
	}
	wantFile := "watcher ingest sha256:" + sum("watcher") + "\nagent ingest sha256:" + sum("agent") + "\n"
	if got := string(tokens.Data["tokens"]); got != wantFile {
		t.Errorf("token file:\n%s\nwant:\n%s", got, wantFile)
	}
	if bytes.Equal(tokens.Data["watcher"], tokens.Data["agent"]) {
		t.Error("the watcher and the agents share a token")
	}

	var server, watcher appsv1.Deployment
	r.get(t, "Deployment/bulwark", &server)
	r.get(t, "Deployment/bulwark-watcher", &watcher)
	var agent appsv1.DaemonSet
	r.get(t, "DaemonSet/bulwark-agent", &agent)
	if s, k := envSecret(watcher.Spec.Template.Spec.Containers[0], "BULWARK_TOKEN"); s != "bulwark-ingest-tokens" || k != "watcher" {
		t.Errorf("watcher token from %s/%s, want bulwark-ingest-tokens/watcher", s, k)
	}
	if s, k := envSecret(agent.Spec.Template.Spec.Containers[0], "BULWARK_TOKEN"); s != "bulwark-ingest-tokens" || k != "agent" {
		t.Errorf("agent token from %s/%s, want bulwark-ingest-tokens/agent", s, k)
	}
	sc := server.Spec.Template.Spec.Containers[0]
	if !slices.Contains(sc.Args, "--token-file=/etc/bulwark/tokens/tokens") {
		t.Errorf("server args %v lack --token-file", sc.Args)
	}
	var mounted bool
	for _, v := range server.Spec.Template.Spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == "bulwark-ingest-tokens" {
			mounted = len(v.Secret.Items) == 1 && v.Secret.Items[0].Key == "tokens"
		}
	}
	if !mounted {
		t.Error("the server must mount only the hashes (key tokens) of bulwark-ingest-tokens")
	}
	// The admin token reaches the server's bootstrap and nothing else.
	for _, doc := range r.keys() {
		if strings.HasPrefix(doc, "Secret/") {
			continue
		}
		if n := strings.Count(string(r[doc]), "name: bulwark-token,"); n > 0 && !(doc == "Deployment/bulwark" && n == 1) {
			t.Errorf("%s refers to the admin token Secret", doc)
		}
	}
	if s, _ := envSecret(sc, "BULWARK_BOOTSTRAP_TOKEN"); s != "bulwark-token" {
		t.Errorf("bootstrap token from %q", s)
	}

	// Bring-your-own: nothing generated, every reader follows the name.
	r = render(t, "--set", "agent.enabled=true,server.existingIngestTokenSecret=byo-tokens")
	if _, ok := r["Secret/bulwark-ingest-tokens"]; ok {
		t.Error("ingest tokens generated although an existing Secret is named")
	}
	r.get(t, "Deployment/bulwark-watcher", &watcher)
	if s, _ := envSecret(watcher.Spec.Template.Spec.Containers[0], "BULWARK_TOKEN"); s != "byo-tokens" {
		t.Errorf("watcher token from %q, want byo-tokens", s)
	}
}

func TestHelmTemplateScanOnDemand(t *testing.T) {
	r := render(t, "--set", "admission.scanOnDemand=true,admission.timeoutSeconds=20,admission.registryCredentialsSecret=pull")
	var server appsv1.Deployment
	r.get(t, "Deployment/bulwark", &server)
	c := server.Spec.Template.Spec.Containers[0]
	for _, want := range []string{"--admission-scan-on-demand", "--admission-scan-budget=18s"} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("server args %v lack %s", c.Args, want)
		}
	}
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	r.get(t, "ValidatingWebhookConfiguration/bulwark", &vwc)
	if *vwc.Webhooks[0].TimeoutSeconds != 20 {
		t.Errorf("webhook timeout %d, want 20", *vwc.Webhooks[0].TimeoutSeconds)
	}
	var docker bool
	for _, e := range c.Env {
		docker = docker || (e.Name == "DOCKER_CONFIG" && e.Value == "/etc/bulwark/docker")
	}
	if !docker {
		t.Error("registry credentials not given to the server")
	}
	if off := render(t); slices.Contains(func() []string {
		var d appsv1.Deployment
		off.get(t, "Deployment/bulwark", &d)
		return d.Spec.Template.Spec.Containers[0].Args
	}(), "--admission-scan-on-demand") {
		t.Error("scan on demand must be off by default")
	}
	// A budget at or above the webhook timeout cannot work: the chart refuses it.
	out, err := exec.Command(helmBinary(t), "template", "bulwark", chartDir(t), "--set", "admission.scanOnDemand=true,admission.scanBudgetSeconds=10").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "must be above 0 and below admission.timeoutSeconds") {
		t.Errorf("budget 10s with a 10s timeout rendered: %v\n%s", err, out)
	}
}
