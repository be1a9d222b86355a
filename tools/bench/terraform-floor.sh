#!/usr/bin/env bash
# The floor of a cold rehearsal: Terraform commands for each stack, bare, in fresh working
# directories, two stacks at a time in Pushbutton's dependency order. `four`: init, validate, plan,
# test (what a rehearsal once ran); `two`: init and test (Terraform's own limit, what it runs now).
# Usage: terraform-floor.sh <dir with one folder per stack> [four|two]. Prints `timing <stack> <command> <seconds>`.
set -uo pipefail
cd "$1" || exit 1
commands="${2:-two}"
tf="${PUSHBUTTON_TERRAFORM:-terraform}"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1 AWS_EC2_METADATA_DISABLED=true
# As Pushbutton runs it with a mirror: init links the mirror's provider, no plugin cache.
unset TF_PLUGIN_CACHE_DIR

stack() {
  local dir="$1" start
  (
    cd "${dir}" || exit 1
    step() {
      start=${EPOCHREALTIME}
      "${tf}" "$@" >>terraform.log 2>&1 || { echo "${dir}: ${tf} $* failed" >&2; cat terraform.log >&2; exit 1; }
      echo "timing ${dir} $1 $(awk "BEGIN { print ${EPOCHREALTIME} - ${start} }")"
    }
    step init -input=false "-plugin-dir=${PUSHBUTTON_TF_PLUGIN_DIR}"
    if [[ ${commands} == four ]]; then
      step validate
      step plan -input=false -lock=false
    fi
    step test -json -verbose
  )
}

pair() {
  stack "$1" & local a=$!
  stack "$2" & local b=$!
  wait "${a}" || exit 1
  wait "${b}" || exit 1
}

pair network core-account
pair workflow core-devices
