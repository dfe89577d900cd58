"""Times one instance's history pages (BENCHMARKS.md, issue 16): the newest page and a
page reached by cursor in the middle of its history, against the same page by offset.
Sequential requests over one keep-alive connection to 127.0.0.1 (loopback only). Fill
first with `loadtest run recovery --instances 1 --history 1000000 …`, then start a server
on that database with the same key.

    python3 benches/scale/history-pages.py PORT KEY [INSTANCE]

INSTANCE: the instance to page (default: the account's newest).
"""
import http.client, json, sys, time

port, key = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port)
H = {"Authorization": "Bearer " + key}


def get(path):
    t = time.perf_counter()
    c.request("GET", path, headers=H)
    r = c.getresponse()
    b = r.read()
    dt = (time.perf_counter() - t) * 1000
    assert r.status == 200, (r.status, b[:300])
    return json.loads(b), dt


def timeit(name, path, n=300):
    ts = []
    for _ in range(n):
        body, dt = get(path)
        ts.append(dt)
    ts.sort()
    p = lambda q: ts[min(len(ts) - 1, int(q * len(ts)))]
    first = body["data"][0]["seq"] if body["data"] else None
    print(f"{name:34s} n={n} p50={p(0.5):.2f} ms p99={p(0.99):.2f} ms max={ts[-1]:.2f} "
          f"total={body['pagination']['total']} first seq={first} kept_since={body['kept_since']}")
    return body


if len(sys.argv) > 3:
    iid = sys.argv[3]
else:
    listed, _ = get("/v1/instances?limit=1&sort=created_at")
    iid = listed["data"][0]["id"]
newest = timeit("newest page (limit 100)", f"/v1/instances/{iid}/history?limit=100")
middle = newest["pagination"]["total"] // 2
by_offset = timeit(f"offset {middle}", f"/v1/instances/{iid}/history?limit=100&offset={middle}", n=5)
cursor = by_offset["pagination"]["next_cursor"]
timeit(f"by cursor after offset {middle}+100", f"/v1/instances/{iid}/history?limit=100&cursor={cursor}")
