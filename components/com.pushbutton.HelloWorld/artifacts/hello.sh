#!/bin/sh
# Pushbutton's example custom component: one line in its log on the core device,
# <rootPath>/logs/com.pushbutton.HelloWorld.log (and in CloudWatch Logs with logs.upload).
set -eu
echo "${1:-Hello} on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
