#!/usr/bin/env bash
# Prints the plugin dir (a Terraform filesystem mirror) that holds the AWS provider version
# Pushbutton pins, looking in the usual places first and then the whole disk. Prints nothing
# if there is none.
set -euo pipefail

version="${1:?usage: find-provider-mirror.sh <aws provider version>}"
suffix="registry.terraform.io/hashicorp/aws/${version}"

for dir in "${HOME}/.terraform.d/plugins" "${HOME}/.local/share/terraform/plugins" \
  /usr/local/share/terraform/plugins /usr/share/terraform/plugins /opt/*; do
  if [ -d "${dir}/${suffix}" ]; then
    printf '%s\n' "${dir}"
    exit 0
  fi
done

binary=$(find / -xdev \( -path /proc -o -path /sys \) -prune -o -type f \
  -path "*/${suffix}/*/terraform-provider-aws_v${version}*" -print -quit 2>/dev/null || true)
if [ -n "${binary}" ]; then
  printf '%s\n' "${binary%%/"${suffix}"/*}"
fi
