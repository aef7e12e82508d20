"""Python smoke app for the jsii binding (run by scripts/test-bindings.sh).

Creates a QueueDrivenSpotWorkerFleet with non-default props in an env-agnostic stack,
synthesizes the app and checks that the template carries those props. Exits non-zero on failure.
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile

import aws_cdk as cdk
from cdk_spot_worker_fleet import QueueDrivenSpotWorkerFleet, WorkerHandler

MAX_CAPACITY = 7
VISIBILITY_SECONDS = 540
MAX_RECEIVE_COUNT = 6
# acceptable latency 600 s / expected processing time 20 s
BACKLOG_TARGET = 30
INPUT_PREFIX = "incoming/"

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def resources(template, cfn_type):
    return [r.get("Properties", {}) for r in template["Resources"].values() if r["Type"] == cfn_type]


def strings(node):
    """Every string literal under a template node (user data is a Fn::Join of literals and tokens)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


outdir = tempfile.mkdtemp(prefix="fleet-python-smoke-")
app = cdk.App(outdir=outdir)
stack = cdk.Stack(app, "PythonSmoke")
fleet = QueueDrivenSpotWorkerFleet(
    stack,
    "Fleet",
    max_capacity=MAX_CAPACITY,
    visibility_timeout=cdk.Duration.seconds(VISIBILITY_SECONDS),
    max_receive_count=MAX_RECEIVE_COUNT,
    expected_processing_time=cdk.Duration.seconds(20),
    acceptable_latency=cdk.Duration.minutes(10),
    input_prefix=INPUT_PREFIX,
    output_prefix="pdf/",
    handler=WorkerHandler.image_to_pdf(),
    runtime_environment={"SPOT_WORKER_LOG_LEVEL": "debug"},
)
assembly = app.synth()
with open(assembly.get_stack_by_name("PythonSmoke").template_full_path) as f:
    template = json.load(f)

groups = resources(template, "AWS::AutoScaling::AutoScalingGroup")
check(len(groups) == 1, "one Auto Scaling group")
check(any(g.get("MaxSize") == str(MAX_CAPACITY) and g.get("MinSize") == "0" for g in groups),
      f"the group scales between 0 and {MAX_CAPACITY}")

queues = resources(template, "AWS::SQS::Queue")
work = [q for q in queues if q.get("VisibilityTimeout") == VISIBILITY_SECONDS]
check(len(work) == 1, f"a queue with a {VISIBILITY_SECONDS} s visibility timeout")
check(any(q.get("RedrivePolicy", {}).get("maxReceiveCount") == MAX_RECEIVE_COUNT for q in work),
      f"that queue redrives to a DLQ after {MAX_RECEIVE_COUNT} receives")

policies = resources(template, "AWS::AutoScaling::ScalingPolicy")
check(any(p.get("PolicyType") == "TargetTrackingScaling"
          and p.get("TargetTrackingConfiguration", {}).get("TargetValue") == BACKLOG_TARGET for p in policies),
      f"a target-tracking policy on backlog per instance with target {BACKLOG_TARGET}")

notifications = [c for n in resources(template, "Custom::S3BucketNotifications")
                 for c in n["NotificationConfiguration"].get("QueueConfigurations", [])]
check(len(notifications) > 0 and all({"Name": "prefix", "Value": INPUT_PREFIX} in c["Filter"]["Key"]["FilterRules"]
                                     for c in notifications),
      f"every bucket -> queue notification filters on prefix {INPUT_PREFIX!r}")


user_data = "".join(s for lt in resources(template, "AWS::EC2::LaunchTemplate")
                    for s in strings(lt["LaunchTemplateData"].get("UserData", {})))
check('SPOT_WORKER_OUTPUT_PREFIX="pdf/"' in user_data, "the workers' env file gets output_prefix")
check('SPOT_WORKER_LOG_LEVEL="debug"' in user_data, "the workers' env file gets runtime_environment")

# The worker bundle travelled inside the jsii tarball and was staged as one zip asset (zipped by the
# construct at synth), which holds spot-worker.js and whose sha256 the boot script checks.
staged = [f for f in os.listdir(outdir) if f.startswith("asset.") and f.endswith(".zip")]
check(len(staged) == 1
      and "spot-worker.js" in zipfile.ZipFile(os.path.join(outdir, staged[0])).namelist()
      and hashlib.sha256(open(os.path.join(outdir, staged[0]), "rb").read()).hexdigest() in user_data,
      "the arm64 worker bundle is staged as an asset")
check(fleet.backlog_per_instance_target == BACKLOG_TARGET, "the fleet's properties are readable from Python")

if failures:
    print(f"python smoke: {len(failures)} check(s) failed; the cloud assembly is in {outdir}", file=sys.stderr)
    sys.exit(1)
shutil.rmtree(outdir)  # each assembly holds a copy of the ~20 MiB worker bundle
print("python smoke: template has the fleet with the props set from Python")
