{{/* Names and labels. Kept small: per-stage settings come from vidsift.stages, merged once. */}}

{{- define "vidsift.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vidsift.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "vidsift.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "vidsift.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "vidsift.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vidsift.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "vidsift.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "vidsift.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vidsift
{{- end -}}

{{/* Every enabled stage: workerDefaults with the stage's own keys merged over them, once, here.
     Usage: range $name, $s := include "vidsift.stages" . | fromYaml */}}
{{- define "vidsift.stages" -}}
{{- $out := dict -}}
{{- range $name, $stage := .Values.stages -}}
{{- $s := mergeOverwrite (deepCopy $.Values.workerDefaults) (deepCopy $stage) -}}
{{- if $s.enabled -}}
{{- if ge (int $s.softTimeLimit) (int $s.hardTimeLimit) -}}
{{- fail (printf "stages.%s: softTimeLimit (%v) must be below hardTimeLimit (%v) so the task can clean up" $name $s.softTimeLimit $s.hardTimeLimit) -}}
{{- end -}}
{{- if not $s.image.name -}}
{{- fail (printf "stages.%s.image.name: the image of this stage (e.g. vidsift-splitter)" $name) -}}
{{- end -}}
{{- $_ := set $s "queue" (printf "vidsift.%s" $name) -}}
{{- $_ := set $s "fullname" (printf "%s-%s" (include "vidsift.fullname" $) $name | trunc 63 | trimSuffix "-") -}}
{{- $_ := set $out $name $s -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{- define "vidsift.componentLabels" -}}
{{ include "vidsift.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Secrets: a bundled (trial) service brings its own chart-managed Secret. */}}
{{- define "vidsift.rabbitmqSecret" -}}
{{- if .Values.rabbitmq.bundled.enabled -}}
{{- printf "%s-rabbitmq" (include "vidsift.fullname" .) -}}
{{- else -}}
{{- required "rabbitmq.existingSecret: name the Secret holding the broker and management URLs" .Values.rabbitmq.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "vidsift.s3Secret" -}}
{{- if .Values.s3.bundled.enabled -}}
{{- printf "%s-s3" (include "vidsift.fullname" .) -}}
{{- else -}}
{{- required "s3.existingSecret: name the Secret holding the S3 access keys" .Values.s3.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "vidsift.s3Endpoint" -}}
{{- if .Values.s3.bundled.enabled -}}
{{- printf "http://%s-s3:9000" (include "vidsift.fullname" .) -}}
{{- else -}}
{{- .Values.s3.endpointUrl -}}
{{- end -}}
{{- end -}}

{{- define "vidsift.image" -}}
{{- $root := index . 0 -}}
{{- $img := index . 1 -}}
{{- printf "%s/%s:%s" $root.Values.image.registry $img.name (default (default $root.Chart.AppVersion $root.Values.image.tag) $img.tag) -}}
{{- end -}}

{{/* Environment every vidsift container gets: settings from the ConfigMap, credentials only
     as secretKeyRefs (never a literal value). */}}
{{- define "vidsift.env" -}}
- name: VIDSIFT_BROKER_URL
  valueFrom:
    secretKeyRef: {name: {{ include "vidsift.rabbitmqSecret" . }}, key: {{ .Values.rabbitmq.secretKeys.brokerUrl }}}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef: {name: {{ include "vidsift.s3Secret" . }}, key: {{ .Values.s3.secretKeys.accessKeyId }}}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "vidsift.s3Secret" . }}, key: {{ .Values.s3.secretKeys.secretAccessKey }}}
{{- end -}}

{{- define "vidsift.envFrom" -}}
- configMapRef: {name: {{ include "vidsift.fullname" . }}}
{{- end -}}

{{/* The model cache (HF_HOME): its claim, and the env, mount and volume of a pod that loads models. */}}
{{- define "vidsift.modelCacheClaim" -}}
{{- .Values.modelCache.existingClaim | default (printf "%s-models" (include "vidsift.fullname" .)) -}}
{{- end -}}

{{- define "vidsift.modelCacheEnv" -}}
{{- if .Values.modelCache.enabled }}
- {name: HF_HOME, value: {{ .Values.modelCache.mountPath | quote }}}
{{- end }}
{{- if .Values.modelCache.offline }}
- {name: HF_HUB_OFFLINE, value: "1"}
{{- end }}
{{- end -}}

{{- define "vidsift.vllmUrl" -}}
{{- printf "http://%s-vllm:%v/v1" (include "vidsift.fullname" .) .Values.vllm.port -}}
{{- end -}}

{{/* The ServiceAccount of every pod (cloud workload identity: its annotations). */}}
{{- define "vidsift.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "vidsift.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* The recipe: a shipped profile (.Values.recipe), or a custom one (customRecipe) read from a
     ConfigMap mounted at /etc/vidsift/recipe. "vidsift.recipe" is what the containers pass to
     --recipe and VIDSIFT_SCORER_RECIPE. */}}
{{- define "vidsift.customRecipe" -}}
{{- $c := .Values.customRecipe -}}
{{- if and $c.inline $c.existingConfigMap -}}
{{- fail "customRecipe: set inline or existingConfigMap, not both" -}}
{{- end -}}
{{- if or $c.inline $c.existingConfigMap }}true{{ end -}}
{{- end -}}

{{- define "vidsift.recipe" -}}
{{- if include "vidsift.customRecipe" . -}}
/etc/vidsift/recipe/recipe.yaml
{{- else -}}
{{- .Values.recipe -}}
{{- end -}}
{{- end -}}

{{- define "vidsift.recipeConfigMap" -}}
{{- .Values.customRecipe.existingConfigMap | default (printf "%s-recipe" (include "vidsift.fullname" .)) -}}
{{- end -}}

{{- define "vidsift.recipeMount" -}}
{{- if include "vidsift.customRecipe" . }}
- {name: recipe, mountPath: /etc/vidsift/recipe, readOnly: true}
{{- end }}
{{- end -}}

{{- define "vidsift.recipeVolume" -}}
{{- if include "vidsift.customRecipe" . }}
- name: recipe
  configMap:
    name: {{ include "vidsift.recipeConfigMap" . }}
    items: [{key: {{ .Values.customRecipe.key | quote }}, path: recipe.yaml}]
{{- end }}
{{- end -}}
