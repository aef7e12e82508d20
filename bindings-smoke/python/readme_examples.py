"""Runs every ```python block of a markdown file against the built binding (scripts/test-bindings.sh).

Each block runs in a fresh namespace, as a user would paste it. A block must create an
`aws_cdk.App` holding a QueueDrivenSpotWorkerFleet; the app is synthesized and must produce an Auto
Scaling group. TypeScript blocks are compiled by jsii-rosetta instead. Exits non-zero on failure.
"""
import os
import re
import shutil
import sys
import tempfile
import traceback

import aws_cdk as cdk

FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def run_block(index, code):
    """Returns an error message, or None when the block ran and synthesized a fleet."""
    outdir = tempfile.mkdtemp(prefix=f"readme-python-{index}-")
    os.environ["CDK_OUTDIR"] = outdir
    try:
        return check_block(index, code)
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def check_block(index, code):
    namespace = {"__name__": "__readme__"}
    try:
        exec(compile(code, f"<python block {index}>", "exec"), namespace)
    except Exception:
        return "raised:\n" + traceback.format_exc()
    apps = [v for v in namespace.values() if isinstance(v, cdk.App)]
    if len(apps) != 1:
        return f"defines {len(apps)} aws_cdk.App objects; an example must define exactly one"
    assembly = apps[0].synth()
    groups = [
        r for s in assembly.stacks for r in s.template.get("Resources", {}).values()
        if r.get("Type") == "AWS::AutoScaling::AutoScalingGroup"
    ]
    if not groups:
        return "synthesized, but no stack contains the fleet's Auto Scaling group"
    return None


def main(path):
    with open(path, encoding="utf-8") as f:
        blocks = FENCE.findall(f.read())
    if not blocks:
        print(f"FAIL {path} has no ```python example")
        return 1
    failed = 0
    for i, code in enumerate(blocks, 1):
        error = run_block(i, code)
        print(f"{'ok  ' if error is None else 'FAIL'} {path} python block {i}" + ("" if error is None else f": {error}"))
        failed += error is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
