#!/usr/bin/env python3
"""User-space instructions and io_uring_enter calls per send, appliance path
vs raw loop, from the callgrind profiles of `bench zc-tx-goals --quick`.

    valgrind --tool=callgrind --compress-strings=no --compress-pos=no \
        --collect-atstart=no --toggle-collect=zc_tx_ring_loop \
        --dump-after=raw_zc_run --dump-after=zc_tx_app_run \
        --callgrind-out-file=/tmp/cg/out \
        ./build/ringplane bench zc-tx-goals --quick --out /tmp/cg/res
    bench/tools/zc_tx_callgrind.py /tmp/cg/out

One profile per sender run (out.1 .. out.60), in the order zc-tx-goals
runs them with one repetition: per size, raw copy/send_zc_fixed/auto, then
ringplane copy/send_zc_fixed/auto. callgrind_annotate cannot split those
dumps by function, hence this reader.
"""
import collections
import sys

SIZES = [64, 600, 1000, 1200, 1500, 4000, 8000, 16000, 32000, 64000]
MODES = ['copy', 'send_zc_fixed', 'auto']
PATHS = ['raw', 'ringplane']
SEND_FNS = ('rp_tx_send', 'prep_copy', 'prep_send_zc_fixed')
ENTER_FNS = ('io_uring_submit_and_wait', 'io_uring_submit')


def parse(path):
    """Inclusive instructions per function and calls per callee."""
    incl, calls = collections.Counter(), collections.Counter()
    fn = cfn = None
    after_calls = False
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('fn='):
                fn = line[3:]
            elif line.startswith('cfn='):
                cfn = line[4:]
            elif line.startswith('calls='):
                calls[cfn] += int(line[6:].split()[0])
                after_calls = True
            elif fn and line and (line[0].isdigit() or line[0] in '+-*'):
                parts = line.split()
                incl[fn] += int(parts[1]) if len(parts) > 1 else 0
                after_calls = False
    return incl, calls


def main(prefix):
    print('| size | mode | raw Ir/send | ringplane Ir/send | extra | enters/send raw | ringplane |')
    print('|---:|---|---:|---:|---:|---:|---:|')
    for si, size in enumerate(SIZES):
        row = {}
        for pi, path in enumerate(PATHS):
            for mi, mode in enumerate(MODES):
                n = si * 6 + pi * 3 + mi + 1
                incl, calls = parse('%s.%d' % (prefix, n))
                sends = sum(calls[f] for f in SEND_FNS)
                if not sends:
                    sys.exit('%s.%d: no sends counted (was --toggle-collect set?)' % (prefix, n))
                enters = sum(calls[f] for f in ENTER_FNS)
                row[path, mode] = (incl['zc_tx_ring_loop'] / sends, enters / sends)
        for mode in MODES:
            r, a = row['raw', mode], row['ringplane', mode]
            print('| %d | %s | %.0f | %.0f | %+.0f | %.4f | %.4f |'
                  % (size, mode, r[0], a[0], a[0] - r[0], r[1], a[1]))


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
