{{/*
Names. With release name sidecar-injector (or one containing it) every object is named
sidecar-injector, as in the kustomize overlays.
*/}}
{{- define "sidecar-injector.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sidecar-injector.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The webhook's name inside its configuration: what the API server's metrics call it. */}}
{{- define "sidecar-injector.webhookName" -}}
inject.sidecar.injector.dev
{{- end -}}

{{- define "sidecar-injector.tlsSecretName" -}}
{{- if and (eq .Values.certificates.source "secret") .Values.certificates.secret.name -}}
{{- .Values.certificates.secret.name -}}
{{- else -}}
{{- include "sidecar-injector.fullname" . }}-tls
{{- end -}}
{{- end -}}

{{- define "sidecar-injector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sidecar-injector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sidecar-injector.labels" -}}
{{ include "sidecar-injector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "sidecar-injector.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
Checks the schema cannot express; each fails the render with a message naming the value.
*/}}
{{- define "sidecar-injector.validate" -}}
{{- if eq .Values.certificates.source "secret" -}}
{{- $caBundle := .Values.certificates.secret.caBundle | default "" | nospace -}}
{{- if not $caBundle -}}
{{- fail "certificates.secret.caBundle is required when certificates.source is secret: the base64 PEM of the CA that signed the Secret's certificate (sidecar-injector certs prints it)" -}}
{{- end -}}
{{- if not (hasPrefix "-----BEGIN CERTIFICATE-----" (b64dec $caBundle)) -}}
{{- fail (printf "certificates.secret.caBundle must be the base64 of a PEM certificate (base64 -w0 ca.crt; it starts with LS0tLS1CRUdJTi), not %q..." (trunc 20 $caBundle)) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- range $name, $_ := .Values.templates.files -}}
{{- if not (regexMatch "^[-._A-Za-z0-9]+[.](yaml|yml|json)$" $name) -}}
{{- fail (printf "templates.files: %q is not a template file name: letters, digits, '-', '_' and '.', ending in .yaml, .yml or .json (--templates-dir reads only those)" $name) -}}
{{- end -}}
{{- end -}}
{{- $replicas := ternary .Values.autoscaling.minReplicas .Values.replicas .Values.autoscaling.enabled | int -}}
{{- if and .Values.podDisruptionBudget.enabled (ge (int .Values.podDisruptionBudget.minAvailable) $replicas) -}}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be below the replica count (%d), or no node drain could ever evict the injector: raise replicas (autoscaling.minReplicas) or disable the PodDisruptionBudget" (int .Values.podDisruptionBudget.minAvailable) $replicas) -}}
{{- end -}}
{{- end -}}

{{/* An alert's labels: (list severity .Values.metrics.prometheusRule). */}}
{{- define "sidecar-injector.alertLabels" -}}
severity: {{ index . 0 }}
{{- with (index . 1).additionalLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* An alert's runbook_url, or nothing without a runbookBaseUrl: (list .Values.metrics.prometheusRule "AlertName"). */}}
{{- define "sidecar-injector.runbookUrl" -}}
{{- with (index . 0).runbookBaseUrl -}}
runbook_url: {{ . }}#{{ lower (index $ 1) }}
{{- end -}}
{{- end -}}
