#!/bin/bash
# HEALTHCHECK: is the readiness group UP? Plain bash, since the image has no curl and a JVM per
# probe would cost more than the check.
exec 3<> "/dev/tcp/127.0.0.1/${SERVER_PORT:-8080}" || exit 1
printf 'GET /actuator/health/readiness HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
read -r -t 4 status <&3 || exit 1
[[ "$status" == "HTTP/1.1 200"* ]]
