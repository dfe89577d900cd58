#!/usr/bin/env python3
"""Every failing check in schemathesis NDJSON reports, grouped, one example each.

    python3 tests/schemathesis/failures.py REPORT.ndjson [...]

The CLI summary of `st run` shows one example per operation and failure kind; the NDJSON
report (`--report ndjson`, kept by `run` under $IDOS_ST_REPORT_DIR) records every failing
case. This prints, for each (operation, check, status, server message) group, how many
cases fell in it and one request/response pair with a curl line, the smallest body first.
"""

import base64
import json
import os
import re
import shlex
import sys
from collections import defaultdict
from urllib.parse import urlsplit


def decode(blob):
    if blob is None:
        return b""
    if isinstance(blob, dict) and "$base64" in blob:
        return base64.b64decode(blob["$base64"])
    if isinstance(blob, dict) and "string" in blob:
        return blob["string"].encode()
    return json.dumps(blob).encode()


def message(status, body):
    """The server's error text with the varying parts (quoted values, numbers) masked."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body[:80].decode("utf-8", "replace")
    if isinstance(doc, dict):
        text = doc.get("message") or doc.get("error") or ""
        if not isinstance(text, str):
            text = json.dumps(text)
        details = doc.get("details")
        if isinstance(details, dict):
            text += " [%s/%s]" % (details.get("field"), details.get("reason"))
        text = re.sub(r'"(?:[^"\\]|\\.)*"', '"…"', text)
        text = re.sub(r"observations\[\d+\]", "observations[i]", text)
        text = re.sub(r"got [^ \]]+", "got …", text)
        text = re.sub(r"`[^`]*`", "`…`", text)
        return text[:160]
    return "(json %s)" % type(doc).__name__


def curl(req, body):
    parts = ["curl", "-i", "-X", req["method"]]
    for name, values in req.get("headers", {}).items():
        for v in values:
            parts += ["-H", "%s: %s" % (name, v)]
    if body:
        parts += ["--data-binary", body.decode("utf-8", "surrogateescape")]
    parts.append(req["uri"])
    return " ".join(shlex.quote(p) for p in parts)


def main(paths):
    groups = defaultdict(list)
    for path in paths:
        backend = os.path.basename(os.path.dirname(os.path.abspath(path))) or path
        for line in open(path, encoding="utf-8"):
            event = json.loads(line)
            fin = event.get("ScenarioFinished")
            if not fin or fin.get("status") not in ("failure", "error"):
                continue
            rec = fin["recorder"]
            for case_id, checks in rec.get("checks", {}).items():
                for check in checks:
                    if check["status"] == "success":
                        continue
                    inter = rec.get("interactions", {}).get(case_id)
                    if not inter or not inter.get("response"):
                        continue
                    req, resp = inter["request"], inter["response"]
                    rbody = decode(resp.get("content"))
                    status = resp["status_code"]
                    failure = check.get("failure_info", {}).get("failure", {})
                    case = rec.get("cases", {}).get(case_id, {}).get("value", {})
                    op = "%s %s" % (case.get("method", req["method"]), case.get("path", urlsplit(req["uri"]).path))
                    key = (op, check["name"], status, message(status, rbody))
                    groups[key].append(
                        dict(
                            backend=backend,
                            phase=fin.get("phase"),
                            code=failure.get("code"),
                            detail=failure.get("message", "").split("\n")[0],
                            title=failure.get("title"),
                            req=req,
                            body=decode(req.get("body")) if req.get("body") else b"",
                            status=status,
                            rbody=rbody,
                            rheaders=resp.get("headers", {}),
                        )
                    )
    for (op, check, status, msg), items in sorted(groups.items()):
        ex = min(items, key=lambda i: (len(i["body"]) + len(i["req"]["uri"])))
        backends = sorted({i["backend"] for i in items})
        print("=" * 100)
        print("%s | %s %s | %s | %d case(s) | %s | phases %s" % (
            op, ex["code"], check, status, len(items), ",".join(backends),
            ",".join(sorted({i["phase"] for i in items}))))
        print("  %s: %s" % (ex["title"], ex["detail"]))
        print("  server says: %s" % msg)
        print("  request: %s %s" % (ex["req"]["method"], ex["req"]["uri"]))
        if ex["body"]:
            print("  body: %s" % ex["body"][:600].decode("utf-8", "replace"))
        print("  response %s: %s" % (status, ex["rbody"][:600].decode("utf-8", "replace")))
        print("  repro: %s" % curl(ex["req"], ex["body"])[:1200])


if __name__ == "__main__":
    main(sys.argv[1:])
