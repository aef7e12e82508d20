"""One contender of the convert benchmark: ImageMagick `convert`, one process per file, as the
public sample's bash loop runs it.

    imagemagick_loop.py <convert-binary> <list-file> <out-dir>

The output is written with the `EPDF:` coder prefix: Debian's ImageMagick policy forbids the coder
named PDF, and EPDF is the same writer (coders/pdf.c) under another name. CPU and peak RSS are
those of the child processes.
"""
import json
import os
import resource
import subprocess
import sys
import time


def main():
    binary, list_file, out_dir = sys.argv[1:4]
    with open(list_file) as fh:
        files = [line for line in fh.read().split("\n") if line]
    os.makedirs(out_dir, exist_ok=True)
    bytes_in = bytes_out = 0
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    for f in files:
        dst = os.path.join(out_dir, os.path.basename(f) + ".pdf")
        subprocess.run([binary, f, "EPDF:" + dst], check=True, stderr=subprocess.DEVNULL)
        bytes_in += os.path.getsize(f)
        bytes_out += os.path.getsize(dst)
    wall_ms = (time.perf_counter() - t0) * 1000
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_ms = ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) * 1000
    print(json.dumps({"images": len(files), "wallMs": wall_ms, "cpuMs": cpu_ms, "peakRssKb": r1.ru_maxrss,
                      "bytesIn": bytes_in, "bytesOut": bytes_out}))


if __name__ == "__main__":
    main()
