#!/usr/bin/python3
"""Check the include layers that src/vgm.h writes down, as TAP.

vgm.h lists every header of src/ in a numbered layer, lowest first.  A
header may include headers of its own layer or a lower one; a source file
of the pure-C core (CORE_SRCS in the Makefile) may include only headers of
the core's layers (0-3); every header of src/ must be in the list.
"""
import glob
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SRC = os.path.join(ROOT, "src")
CORE_TOP_LAYER = 3


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def layers_of_vgm_h():
    """Map header name -> layer, from the numbered list in vgm.h's comment."""
    text = read(os.path.join(SRC, "vgm.h"))
    layers = {}
    layer = None
    for line in text.split("*/", 1)[0].splitlines():
        m = re.match(r"\s*\*\s+(\d)\s+(.*)", line)
        c = re.match(r"\s*\*\s{6}(\S.*)", line)
        if m:
            layer = int(m.group(1))
            body = m.group(2)
        elif layer is not None and c:
            body = c.group(1)
        else:
            continue
        # the header names of the line, before its description column
        for name in re.findall(r"\b([a-z_]+\.h)\b", body.split("   ")[0]):
            layers.setdefault(name, layer)
    return layers


def local_includes(path):
    return re.findall(r'^#include "([^"]+)"', read(path), re.M)


def core_sources():
    mk = read(os.path.join(ROOT, "Makefile")).replace("\\\n", " ")
    return sorted(set(re.findall(r"src/([a-z_]+\.c)", " ".join(
        line for line in mk.splitlines() if line.startswith("CORE_SRCS")))))


def main():
    layers = layers_of_vgm_h()
    headers = sorted(os.path.basename(p) for p in glob.glob(os.path.join(SRC, "*.h")))
    results = []
    missing = [h for h in headers if h not in layers]
    results.append((not missing, "every header of src/ has a layer in vgm.h",
                    "not listed: " + ", ".join(missing)))
    unknown = [h for h in layers if h not in headers]
    results.append((not unknown, "every header vgm.h lists exists",
                    "no such file: " + ", ".join(unknown)))
    upward = []
    for h in headers:
        for inc in local_includes(os.path.join(SRC, h)):
            if inc in layers and h in layers and layers[inc] > layers[h]:
                upward.append(f"{h} (layer {layers[h]}) includes {inc} (layer {layers[inc]})")
    results.append((not upward, "no header includes a header of a higher layer", "; ".join(upward)))
    server = []
    for c in core_sources():
        for inc in local_includes(os.path.join(SRC, c)):
            if inc not in layers or layers[inc] > CORE_TOP_LAYER:
                server.append(f"{c} includes {inc}")
    results.append((not server, "the pure-C core includes only core headers (layers 0-3)",
                    "; ".join(server)))
    print(f"1..{len(results)}")
    for i, (ok, name, why) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - include layers: {name}")
        if not ok:
            print(f"#   {why}")
    return 0 if all(r[0] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
