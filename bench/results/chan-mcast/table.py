import json,glob,statistics,sys
root=sys.argv[1]; vs=sys.argv[2].split(',')
mets=['sender_ns_per_msg','sender_cpu_ns_per_msg','rx_sleeps_per_msg','sender_preempted_per_msg']
for mode in sorted(glob.glob(f'{root}/*/')):
    mode=mode.rstrip('/').split('/')[-1]
    print(f"## {mode}")
    print("| build | metric | 1 | 2 | 4 | 8 | 16 | 16/1 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for v in vs:
        cells={}
        for d in sorted(glob.glob(f'{root}/{mode}/{v}-*')):
            j=json.load(open(d+'/chan.json'))
            for r in j['results']:
                if r['variant']!='ringplane_multicast': continue
                n=int(r['params']['receivers'])
                for m in mets:
                    if m in r['metrics']:
                        cells.setdefault((n,m),[]).extend(r['metrics'][m]['reps'])
        for m in mets:
            if (1,m) not in cells: continue
            med=[statistics.median(cells[(n,m)]) for n in (1,2,4,8,16)]
            fmt=(lambda x: f"{x:.0f}") if 'ns' in m else (lambda x: f"{x:.3f}")
            print(f"| {v} | {m} | " + " | ".join(fmt(x) for x in med) + (f" | {med[4]/med[0]:.1f} |" if 'ns' in m else " | |"))
    print()
