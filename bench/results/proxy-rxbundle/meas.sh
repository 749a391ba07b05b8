#!/bin/bash
# interleaved reps: new-bundle, main-bundle (send bundles only), serialized; 1 and 8 streams
REPS=${1:-5}; SECS=${2:-4}
for r in $(seq $REPS); do for st in 1 8; do
  echo "rep $r load $(cut -d' ' -f1-3 /proc/loadavg)"
  /tmp/proxyrx/prof.sh ${NEWBIN:-/work/wt-proxyrx/build/ringplane} bundle $st $SECS | sed 's/^/new /'
  /tmp/proxyrx/prof.sh /work/main/build/ringplane bundle $st $SECS | sed 's/^/main /'
  /tmp/proxyrx/prof.sh ${NEWBIN:-/work/wt-proxyrx/build/ringplane} serialized $st $SECS | sed 's/^/new /'
done; done
