#!/usr/bin/env python3
"""Cut the demo feed bundle (testdata/demo/feeds) out of a full feed bundle.

Keeps only the records that concern a package in the demo image (testdata/demo), so `make demo` builds a small
real database offline. Records are copied byte for byte; the layout is the feed bundle layout (docs/feed-bundle.md).

    hack/make-demo-feeds.py FULL_BUNDLE_DIR [OUT_DIR]
"""
import json, os, re, shutil, sys

full = sys.argv[1]
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "testdata", "demo", "feeds")
demo = os.path.join(os.path.dirname(__file__), "..", "testdata", "demo")

# Source packages of the demo's dpkg database.
sources = set()
for stanza in open(os.path.join(demo, "os/var/lib/dpkg/status")).read().split("\n\n"):
    f = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", stanza, re.M))
    if "Package" in f:
        sources.add(f.get("Source", f["Package"]).split(" ")[0])
lock = json.load(open(os.path.join(demo, "app/srv/app/package-lock.json")))
npm = {k.split("node_modules/")[-1] for k in lock.get("packages", {}) if k}
gomods = set(re.findall(r"^\s*([\w./-]+) v\S+", open(os.path.join(demo, "app/srv/app/go.mod")).read(), re.M))
pypi = {"flask", "click", "annotated-types"}

def keep_jsonl(src, dst, pred):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    n = 0
    with open(src) as i, open(dst, "w") as o:
        for line in i:
            if pred(json.loads(line)):
                o.write(line); n += 1
    print(f"{dst}: {n} records")

def affects(rec, names, norm=lambda s: s):
    return any(norm(a.get("package", {}).get("name", "")) in names for a in rec.get("affected", []))

shutil.rmtree(out, ignore_errors=True)
for f in ("osv-debian12-cve.jsonl", "osv-debian12-dsa.jsonl"):
    keep_jsonl(f"{full}/debian/{f}", f"{out}/debian/{f}", lambda r: affects(r, sources))
shutil.copytree(f"{full}/debian/tracker-api-bookworm-samples", f"{out}/debian/tracker-api-bookworm-samples")
keep_jsonl(f"{full}/ghsa/npm.jsonl", f"{out}/ghsa/npm.jsonl", lambda r: affects(r, npm))
keep_jsonl(f"{full}/ghsa/pypi.jsonl", f"{out}/ghsa/pypi.jsonl",
           lambda r: affects(r, pypi, lambda s: re.sub(r"[-_.]+", "-", s.lower())))
keep_jsonl(f"{full}/ghsa/go.jsonl", f"{out}/ghsa/go.jsonl", lambda r: affects(r, gomods))
os.makedirs(f"{out}/go-vulndb/osv", exist_ok=True)
n = 0
for name in sorted(os.listdir(f"{full}/go-vulndb/osv")):
    rec = json.load(open(f"{full}/go-vulndb/osv/{name}"))
    if affects(rec, gomods):
        shutil.copy(f"{full}/go-vulndb/osv/{name}", f"{out}/go-vulndb/osv/{name}"); n += 1
print(f"go-vulndb: {n} records")
shutil.copytree(f"{full}/nvd-fkie-samples", f"{out}/nvd-fkie-samples")
shutil.copytree(f"{full}/kev", f"{out}/kev")
