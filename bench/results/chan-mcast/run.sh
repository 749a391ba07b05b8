#!/bin/bash
# usage: cm-final2.sh OUTROOT ROUNDS REPS MSGS(0=default)
out=$1; rounds=$2; reps=$3; msgs=$4
mkdir -p $out
for i in $(seq 1 $rounds); do
  for v in mainnow final; do
    echo "$(date -u +%H:%M:%S) loadavg $(cut -d' ' -f1-3 /proc/loadavg) round $i $v" >> $out/loadavg.txt
    flock /tmp/rp-bench.lock /tmp/cm-ringplane-$v bench chan --reps $reps --set variants=ringplane_multicast --set tests=fanout --set fanout_sizes=64 --set receivers=1,2,4,8,16 --set rx_work=none --set messages=$msgs --out $out/$v-$i >/dev/null 2>&1
  done
done
echo "$(date -u +%H:%M:%S) loadavg $(cut -d' ' -f1-3 /proc/loadavg) end" >> $out/loadavg.txt
