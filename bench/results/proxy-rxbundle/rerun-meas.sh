#!/bin/bash
# interleaved reps: this branch's binary, forward: bundle (receive + send bundles) and serialized; 1 and 8 streams
REPS=${1:-3}; AMT=${2:-1500M}; BIN=/work/wt-rxbdebug/build/ringplane
for r in $(seq $REPS); do for st in 1 8; do
  echo "rep $r load $(cut -d' ' -f1-3 /proc/loadavg)"
  /tmp/rxbdebug/prof.sh $BIN bundle $st $AMT
  /tmp/rxbdebug/prof.sh $BIN serialized $st $AMT
done; done
