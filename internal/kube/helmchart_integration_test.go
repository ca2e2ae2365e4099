//go:build integration

package kube

import (
	"bytes"
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
