"""Times list pages of the account fill.sh filled (BENCHMARKS.md, issue 16): first page,
filters (user, stopped, and the residency ones: run it while the server holds
instances resident), by name, and a page reached by cursor DEPTH deep against the same
by offset.
Sequential requests over one keep-alive connection to 127.0.0.1 (loopback only).

    python3 benches/scale/list-pages.py [PORT=18604] [DEPTH=900000]
"""
import http.client, json, time, sys, statistics
KEY="idos_sk_bench000000000000000000000000000000000"
c=http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]) if len(sys.argv)>1 else 18604)
H={"Authorization":"Bearer "+KEY}
def get(path):
    t=time.perf_counter(); c.request("GET", path, headers=H); r=c.getresponse(); b=r.read(); dt=(time.perf_counter()-t)*1000
    assert r.status==200, (r.status,b[:300]); return json.loads(b), dt
def timeit(name, path, n=300):
    ts=[]; body=None
    for _ in range(n):
        body,dt=get(path); ts.append(dt)
    ts.sort()
    p=lambda q: ts[min(len(ts)-1,int(q*len(ts)))]
    print(f"{name:32s} n={n} p50={p(0.5):.2f} ms p99={p(0.99):.2f} ms max={ts[-1]:.2f} total={body['pagination']['total']} items={len(body['data'])}")
    return body
first=timeit("first page (limit 100)", "/v1/instances?limit=100")
timeit("status=stopped", "/v1/instances?limit=100&status=stopped")
# Residency filters: counted by the runtime's census, read by walking the list.
timeit("status=active", "/v1/instances?limit=100&status=active")
timeit("status=passivated", "/v1/instances?limit=100&status=passivated")
# With a user tag, they count over the resident set (docs/http.md): a few.
timeit("status=active&user=u-7", "/v1/instances?limit=100&status=active&user=u-7", n=3)
timeit("user=u-7", "/v1/instances?limit=100&user=u-7")
timeit("sort=name first page", "/v1/instances?limit=100&sort=name")
# walk by cursor to depth
depth=int(sys.argv[2]) if len(sys.argv)>2 else 500000
cur=None; seen=0; t=time.perf_counter()
while seen < depth:
    b,_=get("/v1/instances?limit=100" + (f"&cursor={cur}" if cur else ""))
    seen+=len(b["data"]); cur=b["pagination"]["next_cursor"]
    if not cur: break
print(f"walked {seen} by cursor in {time.perf_counter()-t:.1f} s")
timeit(f"cursor page at {seen}", f"/v1/instances?limit=100&cursor={cur}")
timeit(f"offset page at {seen}", f"/v1/instances?limit=100&offset={seen}", n=1)
