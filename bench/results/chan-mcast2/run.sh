#!/bin/bash
# usage: run.sh OUTROOT ROUNDS   (binaries: /tmp/cm2-ringplane-main = main 7961f20, /tmp/cm2/rp-after = wip/chanmcast2)
out=$1; rounds=$2
mkdir -p $out
common="--reps 3 --set tests=fanout --set fanout_sizes=64 --set receivers=1,2,4,8,16 --set rx_work=none"
run() { # name binary variants msgs [extra]
  echo "$(date -u +%H:%M:%S) loadavg $(cut -d' ' -f1-3 /proc/loadavg) $1" >> $out/loadavg.txt
  flock /tmp/rp-bench.lock $2 bench chan $common --set variants=$3 --set messages=$4 $5 --out $out/$1 >/dev/null 2>&1
}
for i in $(seq 1 $rounds); do
  for m in 0 50000; do
    run main-m$m-$i /tmp/cm2-ringplane-main ringplane_multicast $m
    run after-m$m-$i /tmp/cm2/rp-after ringplane_multicast,ringplane_multicast_batch $m
  done
done
# placement of the receivers: all on the sender's CPU, or free (50,000 messages)
for i in 1 2 3; do
  for c in sender all; do
    run place-main-$c-$i /tmp/cm2-ringplane-main ringplane_multicast 50000 "--set rx_cpus=$c"
    run place-after-$c-$i /tmp/cm2/rp-after ringplane_multicast,ringplane_multicast_batch 50000 "--set rx_cpus=$c"
  done
done
echo "$(date -u +%H:%M:%S) loadavg $(cut -d' ' -f1-3 /proc/loadavg) end" >> $out/loadavg.txt
