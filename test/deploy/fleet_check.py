# SPDX-License-Identifier: MIT
"""Checks of the fleet deployment files that need no cluster and no container
engine (test/deploy/fleet.sh runs this):

  fleet_check.py TOP BINARY CONFIG_OUT INSTALLED_JSON

The Kubernetes manifests in deploy/kubernetes/ (parsed, required fields,
the probes against the config's metrics address and the paths metrics.c
serves, Guaranteed QoS with whole CPUs, exactly NET_ADMIN + IPC_LOCK, the
grace period against the drain timeout), deploy/Containerfile (packages only
through deploy/setup.sh, the command the unit runs), and setup.sh's runtime
list against the libraries BINARY links, and that what the runtime stage
copies from the build stage's `meson install` is installed there
(INSTALLED_JSON: `meson introspect --installed` of a --prefix=/usr set-up,
the Containerfile's). The ConfigMap's embedded config is
written to CONFIG_OUT for `ringplane check`. One "ok"/"FAIL" line per check;
exit 1 if any failed.
"""
import glob, os, re, shlex, subprocess, sys
import yaml

top, binary, config_out, installed_json = sys.argv[1:5]
failed = 0


def check(what, cond):
    global failed
    print(("ok   - " if cond else "FAIL - ") + what)
    failed += not cond
    return cond


def load_manifests():
    docs = []
    for path in sorted(glob.glob(os.path.join(top, "deploy/kubernetes/*.yaml"))):
        with open(path) as f:
            for d in yaml.safe_load_all(f):
                if d is not None:
                    docs.append((os.path.basename(path), d))
    return docs


def one_of(docs, kind):
    found = [d for _, d in docs if d.get("kind") == kind]
    check(f"exactly one {kind} ({len(found)})", len(found) == 1)
    return found[0] if found else {}


def listen_port(listen):
    host, _, port = str(listen).rpartition(":")
    return host.strip("[]"), int(port)


def served_paths():
    """The URL paths dataplane/metrics.c answers with 200 (its strcmp(url, ...))."""
    with open(os.path.join(top, "dataplane/metrics.c")) as f:
        return set(re.findall(r'strcmp\(url, "([^"]+)"\)', f.read()))


def check_documents(docs):
    check("deploy/kubernetes/ has manifests", len(docs) >= 2)
    for name, d in docs:
        check(f"{name}: {d.get('kind')} has apiVersion, kind, metadata.name",
              all(k in d for k in ("apiVersion", "kind")) and "name" in d.get("metadata", {}))


def check_daemonset(ds, cm_name, namespace):
    spec = ds.get("spec", {})
    tmpl = spec.get("template", {})
    pod = tmpl.get("spec", {})
    check("DaemonSet apiVersion apps/v1", ds.get("apiVersion") == "apps/v1")
    check("DaemonSet in the ConfigMap's namespace", ds.get("metadata", {}).get("namespace") == namespace)
    sel = spec.get("selector", {}).get("matchLabels", {})
    labels = tmpl.get("metadata", {}).get("labels", {})
    check(f"selector {sel} matches the pod labels {labels}",
          sel and all(labels.get(k) == v for k, v in sel.items()))
    upd = spec.get("updateStrategy", {})
    check("rolling update with maxUnavailable",
          upd.get("type") == "RollingUpdate" and "maxUnavailable" in upd.get("rollingUpdate", {}))
    check("hostNetwork: true", pod.get("hostNetwork") is True)
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    cm_vols = [n for n, v in vols.items() if v.get("configMap", {}).get("name") == cm_name]
    check(f"a volume from ConfigMap {cm_name}", len(cm_vols) == 1)
    conts = pod.get("containers", [])
    check("one container", len(conts) == 1)
    return pod, (conts[0] if conts else {}), (cm_vols[0] if cm_vols else None)


def check_container(c, cm_vol):
    mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts", [])}
    check("the ConfigMap is mounted at /etc/ringplane", cm_vol and mounts.get("/etc/ringplane") == cm_vol)
    check("runs ringplane run -c /etc/ringplane/ringplane.yaml",
          c.get("args") == ["run", "-c", "/etc/ringplane/ringplane.yaml"])
    res = c.get("resources", {})
    req, lim = res.get("requests", {}), res.get("limits", {})
    check(f"requests == limits (Guaranteed QoS): {req} / {lim}", req and req == lim)
    cpu = str(lim.get("cpu", ""))
    check(f"integer CPU count for the static CPU manager ({cpu!r})", cpu.isdigit() and int(cpu) >= 1)
    check("memory and hugepages-2Mi set", "memory" in lim and "hugepages-2Mi" in lim)
    sc = c.get("securityContext", {})
    caps = sc.get("capabilities", {})
    check(f"capabilities added exactly NET_ADMIN + IPC_LOCK ({caps.get('add')})",
          sorted(caps.get("add", [])) == ["IPC_LOCK", "NET_ADMIN"])
    check("every other capability dropped (ALL)", "ALL" in caps.get("drop", []))
    check("not privileged, no privilege escalation",
          not sc.get("privileged", False) and sc.get("allowPrivilegeEscalation") is False)


def probe_port(c, port):
    if isinstance(port, int):
        return port
    named = [p["containerPort"] for p in c.get("ports", []) if p.get("name") == port]
    return named[0] if named else None


def check_probes(c, cfg):
    m = cfg.get("metrics", {})
    check("config: metrics enabled", m.get("enabled", True) is True)
    host, port = listen_port(m.get("listen", "127.0.0.1:9107"))
    paths = served_paths()
    check(f"metrics.c serves paths ({sorted(paths)})", bool(paths))
    for kind in ("readinessProbe", "livenessProbe"):
        get = c.get(kind, {}).get("httpGet", {})
        check(f"{kind}: HTTP GET on the metrics port {port} ({get.get('port')})",
              probe_port(c, get.get("port")) == port)
        check(f"{kind}: path {get.get('path')} is served by metrics.c", get.get("path") in paths)
        if host.startswith("127.") or host == "::1":
            check(f"{kind}: host {host} (metrics listen only on loopback)", get.get("host") == host)


def check_grace(pod, cfg):
    drain = cfg.get("shutdown", {}).get("drain-timeout-ms", 5000)
    grace = pod.get("terminationGracePeriodSeconds", 30)
    check(f"terminationGracePeriodSeconds {grace} s > drain-timeout-ms {drain} ms",
          drain > 0 and grace * 1000 > drain)


def check_manifests():
    docs = load_manifests()
    check_documents(docs)
    cm, ds = one_of(docs, "ConfigMap"), one_of(docs, "DaemonSet")
    text = cm.get("data", {}).get("ringplane.yaml")
    if not check("ConfigMap has ringplane.yaml", isinstance(text, str)):
        return
    with open(config_out, "w") as f:
        f.write(text)
    cfg = yaml.safe_load(text)
    meta = cm.get("metadata", {})
    pod, c, cm_vol = check_daemonset(ds, meta.get("name"), meta.get("namespace"))
    check_container(c, cm_vol)
    check_probes(c, cfg)
    check_grace(pod, cfg)


def containerfile_steps():
    """(instruction, argument) pairs, continuation lines joined."""
    with open(os.path.join(top, "deploy/Containerfile")) as f:
        text = re.sub(r"\\\n", " ", f.read())
    steps = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            ins, _, arg = line.partition(" ")
            steps.append((ins.upper(), arg.strip()))
    return steps


def check_containerfile():
    steps = containerfile_steps()
    bases = [a.split()[0] for i, a in steps if i == "FROM"]
    check(f"Debian 12 bases ({bases})", bases and all(re.match(r"debian:(12|bookworm)\b", b) for b in bases))
    runs = " && ".join(a for i, a in steps if i == "RUN")
    check("no package installed outside setup.sh (no apt(-get) install, dpkg -i in RUN)",
          not re.search(r"\bapt(-get)?\s+(-\S+\s+)*install\b|\bdpkg\s+-i\b", runs))
    check("build stage: setup.sh --no-build, meson setup, ninja, meson install",
          all(s in runs for s in ("deploy/setup.sh --no-build", "meson setup", "ninja -C", "meson install")))
    check("runtime stage: setup.sh --runtime", "setup.sh --runtime" in runs)
    cmd = []
    for i, a in steps:
        if i in ("ENTRYPOINT", "CMD"):
            cmd += yaml.safe_load(a) if a.startswith("[") else shlex.split(a)
    check(f"runs {' '.join(cmd)}",
          cmd == ["/usr/sbin/ringplane", "run", "-c", "/etc/ringplane/ringplane.yaml"])
    check_copies(steps)


def check_copies(steps):
    """COPY --from=build /out/PATH: PATH is a file or directory meson installs."""
    import json
    with open(installed_json) as f:
        installed = set(json.load(f).values())
    copies = [a.split()[1] for i, a in steps if i == "COPY" and a.startswith("--from=build ")]
    check(f"the runtime stage copies from the build stage ({len(copies)})", len(copies) >= 2)
    for src in copies:
        path = src[len("/out"):] if src.startswith("/out/") else None
        hit = path and (path in installed or
                        (path.endswith("/") and any(p.startswith(path) for p in installed)))
        check(f"COPY {src}: meson install (--prefix=/usr) puts {path} there", bool(hit))


def setup_list(name):
    out = subprocess.run(["bash", "-c", f'source <(sed -n "/^{name}=(/,/)/p" "$0"); echo "${{{name}[@]}}"',
                          os.path.join(top, "deploy/setup.sh")], capture_output=True, text=True)
    return [p.split("/")[0] for p in out.stdout.split()]


# One ldconfig, one dpkg -S and one apt-cache for all libraries and packages:
# dpkg -S reads every package's file list, so a call per path took about a
# second each on a busy machine and the test ran into its meson timeout.
def library_candidates(sonames):
    ld = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    cands = {}
    for so in sonames:
        paths = [l.split(" => ")[1] for l in ld.splitlines() if l.strip().startswith(so + " ")]
        cands[so] = []
        for p in paths:
            real = os.path.realpath(p)
            cands[so] += [p, real, real.replace("/usr/lib/", "/lib/", 1)]
    return cands


def owning_packages(sonames):
    """soname -> the package that owns its file (None when none does)."""
    cands = library_candidates(sonames)
    paths = sorted({p for c in cands.values() for p in c})
    owner = {}
    if paths:
        out = subprocess.run(["dpkg", "-S"] + paths, capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = re.match(r"([^:,\s]+)(?::[\w-]+)?(?:, [^:]+)?: (/.*)$", line)
            if m:
                owner.setdefault(m.group(2), m.group(1))
    return {so: next((owner[p] for p in c if p in owner), None) for so, c in cands.items()}


def candidates(pkgs):
    """package -> its apt candidate version line ("(none)" when it has none)."""
    out = subprocess.run(["apt-cache", "policy"] + pkgs, capture_output=True, text=True).stdout
    cand, pkg = {}, None
    for line in out.splitlines():
        if line and not line[0].isspace() and line.endswith(":"):
            pkg = line[:-1].split(":")[0]
        elif pkg and line.strip().startswith("Candidate:"):
            cand[pkg] = line.split(":", 1)[1].strip()
    return cand


def check_runtime_packages():
    runtime = setup_list("runtime_pkgs") + setup_list("runtime_new_pkgs")
    check(f"setup.sh has a runtime list ({' '.join(runtime)})", len(runtime) >= 5)
    dyn = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True).stdout
    needed = re.findall(r"NEEDED.*\[(.+)\]", dyn)
    check(f"the binary's DT_NEEDED read ({len(needed)})", bool(needed))
    owners = owning_packages(needed)
    for so in needed:
        pkg = owners[so]
        if pkg and re.match(r"lib(a|ub|t|l)san\d+$", pkg):
            print(f"skip - {so} ({pkg}): a sanitizer runtime of this -Db_sanitize build; "
                  "the image builds without sanitizers")
            continue
        check(f"{so} ({pkg}) is in setup.sh's runtime list or libc6",
              pkg is not None and (pkg.split(":")[0] in runtime or pkg == "libc6"))
    cand = candidates(runtime)
    for pkg in runtime:
        check(f"apt-cache policy knows {pkg}", cand.get(pkg, "(none)") != "(none)")


check_manifests()
check_containerfile()
check_runtime_packages()
sys.exit(1 if failed else 0)
