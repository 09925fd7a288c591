{{- define "billing-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The name of every object: the release's, with the chart's name unless it
holds it. At most 52 characters, not 63: a StatefulSet's pods carry the
label controller-revision-hash=<name>-<10-character hash>, and a label
value is at most 63.
*/}}
{{- define "billing-exporter.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "billing-exporter.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "billing-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "billing-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "billing-exporter.labels" -}}
{{ include "billing-exporter.selectorLabels" . }}
app.kubernetes.io/component: exporter
app.kubernetes.io/version: {{ .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "billing-exporter.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) -}}
{{- end -}}

{{- define "billing-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "billing-exporter.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* Non-empty when the pod gets API keys: a Secret to mount. */}}
{{- define "billing-exporter.hasKeys" -}}
{{- if or .Values.secrets.existingSecret .Values.secrets.files -}}true{{- end -}}
{{- end -}}

{{/* Non-empty when the exporter gets a --web.config.file. */}}
{{- define "billing-exporter.web.enabled" -}}
{{- if or .Values.webConfig.existingSecret .Values.webConfig.config -}}true{{- end -}}
{{- end -}}

{{- define "billing-exporter.web.secretName" -}}
{{- .Values.webConfig.existingSecret | default (printf "%s-web-config" (include "billing-exporter.fullname" .)) -}}
{{- end -}}

{{/* https when the exporter serves TLS, else http. */}}
{{- define "billing-exporter.web.scheme" -}}
{{- if and .Values.webConfig.tlsSecret (not (include "billing-exporter.web.enabled" .)) -}}
{{- fail "webConfig.tlsSecret is set, but no web config names its files: set webConfig.config (tls_server_config) or webConfig.existingSecret" -}}
{{- end -}}
{{- if or .Values.webConfig.tlsSecret (dig "tls_server_config" nil (.Values.webConfig.config | default dict)) -}}
https
{{- else -}}
http
{{- end -}}
{{- end -}}

{{/*
Non-empty when an HTTP probe could not pass: the kubelet sends neither
basic auth credentials nor a client certificate, and the chart cannot
read an existing web config Secret to know.
*/}}
{{- define "billing-exporter.web.probeTCP" -}}
{{- $c := .Values.webConfig.config | default dict -}}
{{- if or .Values.webConfig.existingSecret $c.basic_auth_users (hasPrefix "Require" (dig "tls_server_config" "client_auth_type" "" $c | toString)) -}}true{{- end -}}
{{- end -}}

{{/* A probe of path: HTTP(S) on the metrics port, or TCP (see web.probeTCP). */}}
{{- define "billing-exporter.probe" -}}
{{- if include "billing-exporter.web.probeTCP" .root -}}
tcpSocket:
  port: http-metrics
{{- else -}}
httpGet:
  path: {{ .path }}
  port: http-metrics
  {{- if eq (include "billing-exporter.web.scheme" .root) "https" }}
  scheme: HTTPS
  {{- end }}
{{- end -}}
{{- end -}}

{{- define "billing-exporter.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-api-keys" (include "billing-exporter.fullname" .)) -}}
{{- end -}}

{{/*
GOMEMLIMIT: "auto" is 90 % of resources.limits.memory, in MiB, and none
without a limit. The Go runtime then collects garbage harder as the heap
nears it instead of the kernel OOM-killing the container; the other 10 %
is for what the runtime does not count.
*/}}
{{- define "billing-exporter.goMemLimit" -}}
{{- $v := .Values.goMemLimit | toString -}}
{{- if ne $v "auto" -}}
{{- $v -}}
{{- else -}}
{{- $limit := dig "limits" "memory" "" (.Values.resources | default dict) -}}
{{- if kindIs "float64" $limit -}}{{- $limit = printf "%.0f" $limit -}}{{- end -}}
{{- $limit = toString $limit -}}
{{- if $limit -}}
{{- if not (regexMatch "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$" $limit) -}}
{{- fail (printf "goMemLimit auto cannot read resources.limits.memory %q: set goMemLimit yourself" $limit) -}}
{{- end -}}
{{- $units := dict "" 1.0 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 -}}
{{- $bytes := mulf (regexReplaceAll "[A-Za-z]+$" $limit "" | float64) (get $units (regexReplaceAll "^[0-9.]+" $limit "")) -}}
{{- printf "%dMiB" (divf (mulf $bytes 0.9) 1048576 | floor | int64) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The pod of deploy/kubernetes/deployment.yaml, with the shard flags when sharded. */}}
{{- define "billing-exporter.pod" -}}
metadata:
  labels:
    {{- include "billing-exporter.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # A changed configuration, key or web config rolls the pods: the
    # exporter reads them when it starts. An existing Secret is not seen.
    checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- if and .Values.secrets.files (not .Values.secrets.existingSecret) }}
    checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
    {{- end }}
    {{- if and .Values.webConfig.config (not .Values.webConfig.existingSecret) }}
    checksum/web-config: {{ include (print .Template.BasePath "/web-config.yaml") . | sha256sum }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "billing-exporter.serviceAccountName" . }}
  # The exporter never calls the Kubernetes API.
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    fsGroup: 65532
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: billing-exporter
      image: {{ include "billing-exporter.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        {{- range .Values.args }}
        - {{ . | quote }}
        {{- end }}
        {{- if gt (int .Values.shards) 1 }}
        - --shard.from-hostname
        - {{ printf "--shard.total=%d" (int .Values.shards) | quote }}
        {{- end }}
        {{- if include "billing-exporter.web.enabled" . }}
        - --web.config.file=/var/run/secrets/billing-exporter-web/web-config.yml
        {{- end }}
      {{- with include "billing-exporter.goMemLimit" . }}
      env:
        - name: GOMEMLIMIT
          value: {{ . | quote }}
      {{- end }}
      ports:
        - name: http-metrics
          containerPort: 9977
          protocol: TCP
      livenessProbe:
        {{- include "billing-exporter.probe" (dict "root" . "path" "/-/healthy") | nindent 8 }}
        periodSeconds: 30
        timeoutSeconds: 5
        failureThreshold: 3
      readinessProbe:
        {{- include "billing-exporter.probe" (dict "root" . "path" "/-/ready") | nindent 8 }}
        periodSeconds: 10
        timeoutSeconds: 5
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        runAsNonRoot: true
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop:
            - ALL
        seccompProfile:
          type: RuntimeDefault
      volumeMounts:
        - name: config
          mountPath: /etc/billing-exporter
          readOnly: true
        {{- if include "billing-exporter.hasKeys" . }}
        - name: api-keys
          mountPath: /var/run/secrets/billing-exporter
          readOnly: true
        {{- end }}
        {{- if include "billing-exporter.web.enabled" . }}
        - name: web-config
          mountPath: /var/run/secrets/billing-exporter-web
          readOnly: true
        {{- end }}
        {{- if .Values.webConfig.tlsSecret }}
        - name: tls
          mountPath: /var/run/secrets/billing-exporter-tls
          readOnly: true
        {{- end }}
  # In-flight scrapes finish before the exporter exits (--scrape.max-timeout).
  terminationGracePeriodSeconds: 40
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "billing-exporter.fullname" . }}
    {{- if include "billing-exporter.hasKeys" . }}
    - name: api-keys
      secret:
        secretName: {{ include "billing-exporter.secretName" . }}
        defaultMode: 0440
    {{- end }}
    {{- if include "billing-exporter.web.enabled" . }}
    - name: web-config
      secret:
        secretName: {{ include "billing-exporter.web.secretName" . }}
        defaultMode: 0440
    {{- end }}
    {{- if .Values.webConfig.tlsSecret }}
    - name: tls
      secret:
        secretName: {{ .Values.webConfig.tlsSecret }}
        defaultMode: 0440
    {{- end }}
{{- end -}}
