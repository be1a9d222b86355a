#!/usr/bin/env bash
# The floor of a cold rehearsal: Terraform commands for each stack, bare, in fresh working
# directories, two stacks at a time in Pushbutton's dependency order. `four`: init, validate, plan,
# test (what a rehearsal once ran); `two`: init and test (Terraform's own limit per stack);
# `shared`: one init in the folder `init` (the configuration a rehearsal shares its init from), then
# per stack the provider that init installed, started in its debug mode, and the stack's test
# against that data directory, attached to that provider (what a rehearsal runs now).
# Usage: terraform-floor.sh <dir with one folder per stack> [four|two|shared]. Prints `timing <stack> <command> <seconds>`.
set -uo pipefail
cd "$1" || exit 1
commands="${2:-two}"
tf="${PUSHBUTTON_TERRAFORM:-terraform}"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1 AWS_EC2_METADATA_DISABLED=true
# As Pushbutton runs it with a mirror: init links the mirror's provider, no plugin cache.
unset TF_PLUGIN_CACHE_DIR

# step <dir> <terraform arguments...>: one timed command in <dir>.
step() {
  local dir="$1" start
  shift
  start=${EPOCHREALTIME}
  (cd "${dir}" && "${tf}" "$@" >>terraform.log 2>&1) || { echo "${dir}: ${tf} $* failed" >&2; cat "${dir}/terraform.log" >&2; exit 1; }
  echo "timing ${dir} $1 $(awk "BEGIN { print ${EPOCHREALTIME} - ${start} }")"
}

init() {
  step "$1" init -input=false "-plugin-dir=${PUSHBUTTON_TF_PLUGIN_DIR}"
}

# attach <dir>: starts the provider in debug mode for <dir>'s test; sets TF_REATTACH_PROVIDERS and provider_pid.
attach() {
  local dir="$1" provider start=${EPOCHREALTIME}
  provider=$(find -L init/.terraform/providers -type f -name 'terraform-provider-*' | head -n 1)
  "${provider}" -debug >"${dir}/provider.out" 2>/dev/null &
  provider_pid=$!
  until grep -q "TF_REATTACH_PROVIDERS=" "${dir}/provider.out"; do
    kill -0 "${provider_pid}" 2>/dev/null || { echo "${dir}: ${provider} -debug exited" >&2; exit 1; }
    sleep 0.01
  done
  TF_REATTACH_PROVIDERS=$(sed -n "s/^[[:space:]]*TF_REATTACH_PROVIDERS='\(.*\)'$/\1/p" "${dir}/provider.out")
  export TF_REATTACH_PROVIDERS
  echo "timing ${dir} provider $(awk "BEGIN { print ${EPOCHREALTIME} - ${start} }")"
}

stack() {
  local dir="$1"
  (
    if [[ ${commands} == shared ]]; then
      cp init/.terraform.lock.hcl "${dir}/" && export TF_DATA_DIR="${PWD}/init/.terraform"
      attach "${dir}"
      trap 'kill -INT "${provider_pid}"; wait "${provider_pid}"' EXIT
    else
      init "${dir}"
    fi
    if [[ ${commands} == four ]]; then
      step "${dir}" validate
      step "${dir}" plan -input=false -lock=false
    fi
    step "${dir}" test -json -verbose
  )
}

pair() {
  stack "$1" & local a=$!
  stack "$2" & local b=$!
  wait "${a}" || exit 1
  wait "${b}" || exit 1
}

if [[ ${commands} == shared ]]; then init init || exit 1; fi
pair network core-account
pair workflow core-devices
