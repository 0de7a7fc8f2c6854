#!/bin/bash
# Image build step: starts the service once so that DJL unpacks libtorch and its JNI library
# into $DJL_CACHE_DIR, exactly where and how it looks for them at run time, then stops it.
# The JNI library is the last file DJL writes, and it writes it by an atomic move.
set -euo pipefail
log=/tmp/unpack-natives.log
java -Dai.djl.offline=true -jar /opt/streamline/streamline.jar --server.port=0 > "$log" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  if compgen -G "$DJL_CACHE_DIR/pytorch/*/*djl_torch*" > /dev/null; then
    kill "$pid"
    wait "$pid" || true
    chmod -R a+rX "$DJL_CACHE_DIR"
    rm -rf /tmp/* /tmp/.[!.]*
    echo "unpack-natives: $(du -sh "$DJL_CACHE_DIR" | cut -f1) in $DJL_CACHE_DIR"
    exit 0
  fi
  if ! kill -0 "$pid" 2> /dev/null; then
    echo "unpack-natives: the service stopped before DJL had unpacked libtorch:" >&2
    tail -n 60 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "unpack-natives: DJL did not unpack libtorch within 10 minutes" >&2
tail -n 60 "$log" >&2
kill "$pid"
exit 1
