#!/usr/bin/env bash
# `understudy replay` beside Prometheus 2.42 on the same samples (issue 18):
# time from start to the first answer, resident memory at rest, the median
# time of each query of a dashboard-style set (query_range over the whole
# span, step 30 s), and resident memory after the set. By default 10,000
# series x 6 h at 15 s (14.4M samples); --scrapes 5760 makes it 24 h.
# Needs promtool and prometheus (scripts/setup.sh) and a release build.
#
#   scripts/bench-storage.sh [--series N] [--scrapes N] [--runs N] [--data DIR]
#
# --data DIR keeps the generated recording and blocks in DIR and reuses
# them on the next run. UNDERSTUDY_BIN=PATH measures that binary instead of
# building one.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/understudy/target}"
series=10000 scrapes=1440 runs=5 data=
while (($#)); do
  case "$1" in
    --series) series=$2; shift 2 ;;
    --scrapes) scrapes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

source scripts/bench-data.sh
bin=$(bench_binary)
data=${data:-$work}
bench_data "$data" "$series" "$scrapes"

exec python3 - "$bin" "$data" "$runs" <<'EOF'
import json, os, signal, socket, statistics, subprocess, sys, time, urllib.parse, urllib.request

binary, data, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
manifest = json.load(open(os.path.join(data, "recording", "manifest.json")))
span = json.loads(subprocess.run([binary, "inspect", os.path.join(data, "recording"), "--json"],
                                 check=True, capture_output=True, text=True).stdout)
start, end = span["start_ms"] // 1000, span["end_ms"] // 1000

# What a dashboard of the generated cluster asks: sums, ratios and
# per-pod breakdowns of rates and gauges over the whole run.
QUERIES = [
    'sum(rate(container_cpu_usage_seconds_total{namespace="meme-generator"}[1m]))',
    'sum by (pod) (rate(container_cpu_usage_seconds_total[1m]))',
    'sum(rate(container_cpu_cfs_throttled_periods_total[1m])) / sum(rate(container_cpu_cfs_periods_total[1m]))',
    'sum(jetstream_consumer_num_pending)',
    'max(kube_deployment_spec_replicas)',
    'sum(rate(meme_generator_success_total[1m]))',
    'sum(rate(meme_generator_success_total[1m])) / sum(rate(container_cpu_usage_seconds_total[1m]))',
    'avg(container_memory_working_set_bytes{container=~"backend|sidecar"})',
    'sum by (node) (node_load1)',
    'sum(up{job="kubernetes-pods"})',
]

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024

def get(port, path, timeout=600):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.status, r.read()

def measure(name, argv, port):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if get(port, "/api/v1/query?query=1%2B1", timeout=5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.02)
            if time.monotonic() - t0 > 600:
                raise SystemExit(f"{name} did not answer within 600 s")
        ready = time.monotonic() - t0
        time.sleep(2)
        rest = rss_mb(p.pid)
        medians = []
        for q in QUERIES:
            path = "/api/v1/query_range?" + urllib.parse.urlencode(
                {"query": q, "start": start, "end": end, "step": 30})
            took = []
            for _ in range(runs):
                t = time.monotonic()
                code, _ = get(port, path)
                took.append(time.monotonic() - t)
                if code != 200:
                    raise SystemExit(f"{name}: {code} for {q}")
            medians.append(statistics.median(took) * 1e3)
        after = rss_mb(p.pid)
        return {"ready": ready, "rest": rest, "after": after, "medians": medians}
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()

port = free_port()
ours = measure("understudy", [binary, "replay", os.path.join(data, "recording"), "--no-shift",
                              "--listen", f"127.0.0.1:{port}"], port)
port = free_port()
theirs = measure("prometheus", ["prometheus", f"--storage.tsdb.path={os.path.join(data, 'blocks')}",
                                "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{port}",
                                "--config.file=/dev/null"], port)

samples = manifest.get("samples") or "?"
print(f"== {end - start} s of data; query_range over all of it at step 30 s, median of {runs}")
print(f"{'':46} {'understudy':>12} {'prometheus':>12} {'ratio':>7}")
def row(label, a, b, unit):
    print(f"{label:46} {a:>10.1f}{unit:>2} {b:>10.1f}{unit:>2} {a / b if b else float('nan'):>7.2f}")
row("start to first answer", ours["ready"], theirs["ready"], "s")
row("resident memory at rest", ours["rest"], theirs["rest"], "MB")
for q, a, b in zip(QUERIES, ours["medians"], theirs["medians"]):
    row(q[:46], a, b, "ms")
row("sum of per-query medians", sum(ours["medians"]), sum(theirs["medians"]), "ms")
row("resident memory after the set", ours["after"], theirs["after"], "MB")
EOF
