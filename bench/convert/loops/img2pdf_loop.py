"""One contender of the convert benchmark: img2pdf in an in-process loop.

    img2pdf_loop.py <default|internal> <list-file> <out-dir> [passes]

Prints one JSON line with wall ms, CPU ms, peak RSS and bytes, like node-loop.ts. A file img2pdf
refuses is counted as failed (its time stays in the measurement; its bytes do not).
"""
import json
import os
import resource
import sys
import time

import img2pdf


def main():
    engine_name, list_file, out_dir = sys.argv[1:4]
    kwargs = {} if engine_name == "default" else {"engine": img2pdf.Engine.internal}
    passes = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    with open(list_file) as fh:
        files = [line for line in fh.read().split("\n") if line] * passes
    os.makedirs(out_dir, exist_ok=True)
    for f in files[:3]:  # warm-up, outside the measurement
        with open(f, "rb") as src:
            try:
                img2pdf.convert(src.read(), **kwargs)
            except Exception:  # counted in the measured loop below
                pass
    bytes_in = bytes_out = failed = 0
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    for f in files:
        with open(f, "rb") as src:
            body = src.read()
        try:
            out = img2pdf.convert(body, **kwargs)
        except Exception as err:  # e.g. pikepdf refuses pages under 3 PDF units
            failed += 1
            print(f"{os.path.basename(f)}: {err}", file=sys.stderr)
            continue
        with open(os.path.join(out_dir, os.path.basename(f) + ".pdf"), "wb") as dst:
            dst.write(out)
        bytes_in += len(body)
        bytes_out += len(out)
    wall_ms = (time.perf_counter() - t0) * 1000
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu_ms = ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) * 1000
    print(json.dumps({"images": len(files), "wallMs": wall_ms, "cpuMs": cpu_ms, "peakRssKb": r1.ru_maxrss,
                      "bytesIn": bytes_in, "bytesOut": bytes_out, "failed": failed}))


if __name__ == "__main__":
    main()
