{{- define "streamline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "streamline.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "streamline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "streamline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "streamline.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "streamline.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "streamline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "streamline.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "streamline.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.gpu.enabled }}
{{- printf "%s:%s" (default .Values.image.repository .Values.gpu.image.repository) (default (printf "%s-cuda" $tag) .Values.gpu.image.tag) }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "streamline.extraModels" -}}
{{- if and .Values.models.existingClaim .Values.models.initContainer.enabled }}
{{- fail "models.existingClaim and models.initContainer.enabled are alternatives: set one of them" }}
{{- end }}
{{- if or .Values.models.existingClaim .Values.models.initContainer.enabled }}true{{ end }}
{{- end }}

{{/*
The grace period a terminating pod gets: the preStop pause, then Spring's graceful shutdown,
which waits for in-flight requests up to the request timeout plus 10 s,
then a little for the JVM to exit.
*/}}
{{- define "streamline.terminationGracePeriod" -}}
{{- $floor := add .Values.requestTimeoutSeconds .Values.preStopSleepSeconds }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $floor 15 }}
{{- else if le (int .Values.terminationGracePeriodSeconds) (int $floor) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed requestTimeoutSeconds + preStopSleepSeconds (%v), or in-flight requests are killed on shutdown" .Values.terminationGracePeriodSeconds $floor) }}
{{- else }}
{{- .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/* application.yaml: the user's config with the keys the chart owns laid over it. */}}
{{- define "streamline.applicationYaml" -}}
{{- $streamline := dict "device" (ternary "gpu" "cpu" .Values.gpu.enabled) "limits" (dict "request-timeout" (printf "%ds" (int .Values.requestTimeoutSeconds))) }}
{{- if include "streamline.extraModels" . }}
{{- $_ := set $streamline "model-dirs" (list .Values.models.mountPath) }}
{{- end }}
{{- $_ := set $streamline "auth" (dict "enabled" .Values.auth.enabled) }}
{{- if .Values.auth.enabled }}
{{- $_ := set $streamline.auth "tokens-file" (printf "%s/%s" (trimSuffix "/" .Values.auth.mountPath) .Values.auth.secretKey) }}
{{- end }}
{{- $owned := dict "server" (dict "port" .Values.containerPort "shutdown" "graceful") "spring" (dict "lifecycle" (dict "timeout-per-shutdown-phase" (printf "%ds" (add .Values.requestTimeoutSeconds 10)))) "streamline" $streamline }}
{{- toYaml (mustMergeOverwrite (deepCopy .Values.config) $owned) }}
{{- end }}
