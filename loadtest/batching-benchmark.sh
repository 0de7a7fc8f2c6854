#!/usr/bin/env bash
# Batching on against off: starts the service jar once per server setting, drives it with
# `loadtest sweep` (closed loop), stops it, and prints one table row per setting.
#
#   loadtest/batching-benchmark.sh MODEL SAMPLER STEPS N [SETTING ...]
#
# A SETTING is NAME:ARGS, ARGS being the service's command-line flags (quote them). Without
# settings it compares "on" (defaults) with "off" (--streamline.batching.enabled=false).
# Environment: CONCURRENCY (32), WARMUP (60s), DURATION (30s), PORT (18080), OUT (a temporary
# directory; each setting's report lands in OUT/NAME), LOADTEST_ARGS (more sweep flags, such as
# "--guidance 3"), READY_TIMEOUT (300: seconds the service may take to become ready).
# Build first: ./mvnw -B -q -pl service,loadtest -am package -DskipTests
set -euo pipefail

if [[ $# -lt 4 ]]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
model=$1 sampler=$2 steps=$3 n=$4
shift 4
settings=("$@")
if [[ ${#settings[@]} -eq 0 ]]; then
  settings=("on:" "off:--streamline.batching.enabled=false")
fi

ready_timeout=${READY_TIMEOUT:-300}
if [[ ! $ready_timeout =~ ^(0|[1-9][0-9]*)$ ]]; then
  echo "READY_TIMEOUT must be a whole number of seconds, got '$ready_timeout'" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
service_jar=$root/service/target/streamline.jar
loadtest_jar=$root/loadtest/target/loadtest.jar
for jar in "$service_jar" "$loadtest_jar"; do
  if [[ ! -f $jar ]]; then
    echo "missing $jar; build with: ./mvnw -B -q -pl service,loadtest -am package -DskipTests" >&2
    exit 2
  fi
done
port=${PORT:-18080}
out=${OUT:-$(mktemp -d)}
export OPT_OUT_TRACKING=true

service_pid=
stop_service() {
  if [[ -n $service_pid ]]; then
    kill "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
    service_pid=
  fi
}
trap stop_service EXIT

echo "| setting | samples/s | p50 ms | p99 ms | mean rows per pass |"
echo "|---|---:|---:|---:|---:|"
for setting in "${settings[@]}"; do
  name=${setting%%:*}
  read -r -a flags <<< "${setting#*:}"
  mkdir -p "$out/$name"
  java -Dai.djl.offline=true -jar "$service_jar" --server.port="$port" \
    --streamline.limits.request-timeout=300s "${flags[@]}" > "$out/$name/service.log" 2>&1 &
  service_pid=$!
  waited=0
  until curl -sf "localhost:$port/actuator/health/readiness" > /dev/null; do
    if ! kill -0 "$service_pid" 2>/dev/null; then
      echo "the service for setting '$name' did not start; see $out/$name/service.log" >&2
      exit 1
    fi
    if (( waited >= ready_timeout )); then
      # A sweep against a service that is not ready would measure nothing; the EXIT trap stops it.
      echo "the service for setting '$name' was not ready after $ready_timeout s; see" \
        "$out/$name/service.log" >&2
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  # shellcheck disable=SC2086 # LOADTEST_ARGS holds several flags
  java -Dai.djl.offline=true -jar "$loadtest_jar" sweep --url "http://localhost:$port" \
    --model "$model" --samplers "$sampler" --steps "$steps" -n "$n" \
    --concurrency "${CONCURRENCY:-32}" --warmup "${WARMUP:-60s}" --duration "${DURATION:-30s}" \
    --quality-samples 0 --no-progress ${LOADTEST_ARGS:-} --out "$out/$name" > "$out/$name/sweep.log"
  stop_service
  # results.csv columns are looked up by their header names.
  awk -F, -v name="$name" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  NR == 2 {
    batch = $col["forwardBatchSize"]
    printf "| %s | %.1f | %.0f | %.0f | %s |\n", name, $col["samplesPerSecond"], $col["p50Ms"],
      $col["p99Ms"], (batch == "" ? "-" : sprintf("%.1f", batch))
  }' "$out/$name/results.csv"
done
echo "reports: $out" >&2
