#!/bin/bash
# usage: prof.sh BIN MODE STREAMS SECS [perf]
BIN=$1; MODE=$2; ST=$3; SECS=${4:-5}; PERF=$5
NS=prx$$
D=/tmp/proxyrx/run.$NS; mkdir -p $D
ip netns add $NS; ip -n $NS link set lo up
trap 'kill $PP $SP 2>/dev/null; wait 2>/dev/null; ip netns del $NS; rm -rf $D' EXIT
cat > $D/c.yaml <<Y
workers:
  count: 1
  cpus: [0]
buffers:
  size: 16384
  count: 2048
zerocopy:
  mode: never
services:
  - name: stream
    type: tcp-proxy
    listen: 127.0.0.1:7001
    forward: $MODE
    backends:
      - address: 127.0.0.1:5201
metrics:
  enabled: true
  listen: 127.0.0.1:9107
logging:
  level: warn
Y
ip netns exec $NS taskset -c 1 iperf3 -s -p 5201 >/dev/null 2>&1 & SP=$!
ip netns exec $NS $BIN run -c $D/c.yaml >$D/rp.log 2>&1 & PP=$!
for i in $(seq 50); do ip netns exec $NS ss -ltn | grep -q ':7001 ' && ip netns exec $NS ss -ltn | grep -q ':5201 ' && break; sleep 0.1; done
t0=$(awk '{print $14+$15}' /proc/$PP/stat)
if [ -n "$PERF" ]; then perf record -g -o /tmp/proxyrx/perf.$MODE.$ST.data -p $PP -- sleep $SECS >/dev/null 2>&1 & PF=$!; fi
ip netns exec $NS taskset -c 1 iperf3 -c 127.0.0.1 -p 7001 $( [[ $SECS == *[GM] ]] && echo "-n $SECS" || echo "-t $SECS") -P $ST -J > $D/out.json
t1=$(awk '{print $14+$15}' /proc/$PP/stat)
[ -n "$PERF" ] && wait $PF
[ -n "$STATS" ] && ip netns exec $NS $BIN stats -m 127.0.0.1:9107 --json > $D/stats.json && python3 -c "
import json;d=json.load(open('$D/stats.json'));print(json.dumps(d)[:3000])"
python3 -c "
import json;d=json.load(open('$D/out.json'));r=d['end']['sum_received']
bps=r['bits_per_second']; byt=r['bytes']; cpu=($t1-$t0)/100.0
print('%s st=%s gbit=%.2f GB=%.2f cpu=%.2f gbit_per_cpus=%.2f' % ('$MODE',$ST,bps/1e9,byt/1e9,cpu,byt*8/1e9/cpu))"
