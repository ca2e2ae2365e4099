{{- define "bulwark.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "bulwark.labels" -}}
app.kubernetes.io/name: bulwark
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "bulwark.selector" -}}
app.kubernetes.io/name: bulwark
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "bulwark.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "bulwark.replicas" -}}
{{- if .Values.postgres.enabled }}{{ .Values.server.replicas }}{{ else }}1{{ end -}}
{{- end -}}

{{- define "bulwark.serverURL" -}}
https://{{ include "bulwark.fullname" . }}.{{ .Release.Namespace }}.svc:443
{{- end -}}

{{/* Non-root, read-only, no privilege: every Bulwark container except the node agent. */}}
{{- define "bulwark.podSecurity" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "bulwark.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/*
The serving certificate of the webhook endpoint, generated once and kept
across upgrades (the caBundle must not change under a running cluster).
*/}}
{{- define "bulwark.tls" -}}
{{- $name := printf "%s-tls" (include "bulwark.fullname" .) -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $name -}}
{{- if and $existing $existing.data (index $existing.data "ca.crt") -}}
ca.crt: {{ index $existing.data "ca.crt" }}
tls.crt: {{ index $existing.data "tls.crt" }}
tls.key: {{ index $existing.data "tls.key" }}
{{- else -}}
{{- $svc := include "bulwark.fullname" . -}}
{{- $ca := genCA "bulwark-webhook-ca" 3650 -}}
{{- $dns := list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) -}}
{{- $cert := genSignedCert (printf "%s.%s.svc" $svc .Release.Namespace) nil $dns 3650 $ca -}}
ca.crt: {{ $ca.Cert | b64enc }}
tls.crt: {{ $cert.Cert | b64enc }}
tls.key: {{ $cert.Key | b64enc }}
{{- end -}}
{{- end -}}

{{- define "bulwark.tokenSecret" -}}
{{ .Values.server.existingTokenSecret | default (printf "%s-token" (include "bulwark.fullname" .)) }}
{{- end -}}

{{- define "bulwark.ingestTokenSecret" -}}
{{ .Values.server.existingIngestTokenSecret | default (printf "%s-ingest-tokens" (include "bulwark.fullname" .)) }}
{{- end -}}
