# usage: python3 table.py DIR  -> medians over every repetition of every round
import json, glob, statistics, sys, collections
root = sys.argv[1]
mets = ['sender_ns_per_msg', 'sender_cpu_ns_per_msg', 'rx_cpu_ns_per_msg',
        'rx_sleeps_per_msg', 'sender_preempted_per_msg']
groups = collections.OrderedDict()
for d in sorted(glob.glob(f'{root}/*/chan.json')):
    run = d.split('/')[-2]
    key = run.rsplit('-', 1)[0] if run[-1].isdigit() and run.count('-') > 1 else run
    for r in json.load(open(d))['results']:
        n = int(r['params']['receivers'])
        for m in mets:
            if m in r['metrics']:
                groups.setdefault((key, r['variant']), {}).setdefault((n, m), []).extend(
                    r['metrics'][m]['reps'])
for (key, var), cells in groups.items():
    print(f"### {key}, {var}")
    print("| metric | 1 | 2 | 4 | 8 | 16 | 16/1 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for m in mets:
        ns = [n for n in (1, 2, 4, 8, 16) if (n, m) in cells]
        med = {n: statistics.median(cells[(n, m)]) for n in ns}
        fmt = (lambda x: f"{x:.0f}") if 'ns' in m else (lambda x: f"{x:.4f}")
        row = [fmt(med[n]) if n in med else '' for n in (1, 2, 4, 8, 16)]
        ratio = f"{med[16] / med[1]:.1f}" if 'ns' in m and 1 in med and 16 in med else ''
        print(f"| {m} | " + " | ".join(row) + f" | {ratio} |")
    print()
