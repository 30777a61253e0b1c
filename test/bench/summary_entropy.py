#!/usr/bin/python3
"""Zero-order entropy of a vgm_summary's buckets: how small a lossless text
of it can be, field by field.

Input: the readable text of one summary (SET vgm.summary_text = readable;
SELECT s::text ...), in a file or on stdin.  For each part of a bucket the
script counts the bits a lossless coder cannot avoid if the part is
independent of the others: the Shannon entropy of the key gaps, of the
weights and of the sign+exponent words of m2, m3, m4 (each over the
summary's buckets), `shift` bits for the mean's offset inside its bucket
(spread evenly over the bucket: every offset equally likely), and 52 bits
for the fraction of every non-zero moment (rounding noise; checked: the
script compresses those fraction bytes with xz -9 and prints the ratio).
The total is printed in bits per bucket, as binary bytes, as Z85 text
(5 characters per 4 bytes) and at log2(93) bits per character (every
character a JSON string may hold without escapes).

Usage: /usr/bin/python3 test/bench/summary_entropy.py [FILE]
"""
import collections
import json
import lzma
import math
import struct
import sys


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def entropy_bits(counter):
    """Total Shannon information of a sample with these value counts."""
    n = sum(counter.values())
    return -sum(v * math.log2(v / n) for v in counter.values())


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    s = json.loads(text)
    if "buckets" not in s:
        sys.exit("need the readable text: SET vgm.summary_text = readable")
    shift, buckets = s["shift"], s["buckets"]
    n = len(buckets)
    gaps, weights = collections.Counter(), collections.Counter()
    exps = {k: collections.Counter() for k in (2, 3, 4)}
    fraction_bits, fractions = 0, bytearray()
    prev = None
    for key, w, _mean, m2, m3, m4 in buckets:
        if prev is not None:
            gaps[key - prev] += 1
        prev = key
        weights[w] += 1
        for k, v in ((2, m2), (3, m3), (4, m4)):
            b = bits(v)
            exps[k][b >> 52] += 1
            if v != 0:
                fraction_bits += 52
                fractions += struct.pack("<Q", b & ((1 << 52) - 1))[:7]
    parts = {
        "key gaps": entropy_bits(gaps),
        "weights": entropy_bits(weights),
        f"means (offset in the bucket: {shift} bits)": shift * n,
        "sign+exponent of m2..m4": sum(entropy_bits(exps[k]) for k in exps),
        "fractions of m2..m4": fraction_bits,
    }
    total = sum(parts.values())
    print(f"{n} buckets, shift {shift}, {len(text.strip()):,} characters of readable text")
    for name, v in parts.items():
        print(f"  {name:40s} {v / n:6.1f} bits/bucket {v / 8 / 1e3:9.1f} kB")
    print(f"  total {total / n:.1f} bits/bucket = {total / 8 / 1e3:,.0f} kB binary, "
          f"{total / 8 * 1.25 / 1e3:,.0f} kB as Z85 text, {total / math.log2(93) / 1e3:,.0f} kB at log2(93) bits/char")
    if fractions:
        packed = len(lzma.compress(bytes(fractions), preset=9))
        print(f"  fraction bytes (7 per moment) under xz -9: {len(fractions):,} -> {packed:,} "
              f"({packed / len(fractions):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
