{{- define "resnet-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "resnet-service.fullname" -}}
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

{{- define "resnet-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "resnet-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "resnet-service.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "resnet-service.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "resnet-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "resnet-service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The container port that serves actuator: the management port when set, else the HTTP port. */}}
{{- define "resnet-service.probePort" -}}
{{- if gt (int .Values.management.port) 0 }}management{{ else }}http{{ end }}
{{- end }}

{{- define "resnet-service.modelsMounted" -}}
{{- if or .Values.models.persistentVolumeClaim .Values.models.volume .Values.models.initContainer.enabled }}true{{ end }}
{{- end }}
