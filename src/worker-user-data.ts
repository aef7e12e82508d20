import { HANDLER_INSTALL_DIR } from './worker-handler';

/** An S3 object to download at boot. */
export interface BootDownload {
  readonly bucket: string;
  readonly key: string;
  /** Hex sha256 of the object: checked before the object is used. */
  readonly sha256: string;
  /** Unpack this zip into the folder, or copy the object into it under `fileName`. */
  readonly fileName?: string;
}

/** The metric a failed boot publishes, the one a worker publishes when it marks its instance unhealthy. */
export interface BootFailureMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
}

export interface WorkerBootScriptOptions {
  readonly region: string;
  /** The account that must own the asset bucket (`s3api get-object --expected-bucket-owner`). */
  readonly assetBucketOwner: string;
  /** The arm64 runtime bundle (a zip). */
  readonly runtimeBundle: BootDownload;
  /** The handler's files, if any. */
  readonly handlerFiles?: BootDownload;
  /** Extra dnf packages (the handler's). */
  readonly osPackages: string[];
  /** `SPOT_WORKER_*` and `AWS_REGION` values written to the env file. */
  readonly environment: Record<string, string>;
  /** Name of the termination lifecycle hook, completed by the runtime when drained. */
  readonly lifecycleHookName: string;
  /** Name of the launching lifecycle hook: the boot script abandons it when a step fails. */
  readonly launchHookName: string;
  /** The workers' log group: a failed boot writes its failure to the stream `<instance id>/boot`. */
  readonly logGroupName?: string;
  /** Published (value 1) when a boot step fails. */
  readonly failureMetric: BootFailureMetric;
  /** systemd's stop timeout: long enough for the runtime to drain. */
  readonly stopTimeoutSeconds: number;
}

export const RUNTIME_INSTALL_DIR = '/opt/spot-worker';
export const ENV_FILE = '/etc/spot-worker/env';
export const SERVICE_NAME = 'spot-worker';
/** systemd's `StateDirectory=`: /var/lib/spot-worker, which the runtime finds as systemd's `$STATE_DIRECTORY` (the start ledger). */
export const STATE_DIRECTORY_NAME = 'spot-worker';

/**
 * Quotes a value for a systemd EnvironmentFile: inside double quotes, only `\` and `"` need
 * escaping. The file is written through a quoted heredoc, so the shell does not expand anything.
 */
export function quoteEnvValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A value as one single-quoted shell word (tokens are quoted as they are: their deploy-time values are AWS names). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, '\'\\\'\'')}'`;
}

/**
 * Download, check the sha256, then install: an object whose digest differs fails the boot before it is used.
 * `s3api get-object`, not `s3 cp`: the high-level command has no `--expected-bucket-owner` (AWS CLI v2
 * rejects it as an unknown option, which the boot proof, test/integration/boot, showed). Its JSON
 * answer (the object's metadata) is not needed.
 */
function download(d: BootDownload, folder: string): string[] {
  const copy = (to: string) =>
    `aws s3api get-object --region "$REGION" --expected-bucket-owner "$ASSET_BUCKET_OWNER" --bucket "${d.bucket}" --key "${d.key}" "${to}" >/dev/null`;
  const check = (file: string) => `echo "${d.sha256}  ${file}" | sha256sum --check --strict -`;
  if (d.fileName) {
    return [
      `fetched="$(mktemp -p "${folder}")"`,
      copy('$fetched'),
      check('$fetched'),
      'chmod 0644 "$fetched"',
      `mv -f "$fetched" "${folder}/${d.fileName}"`,
    ];
  }
  return [
    'archive="$(mktemp --suffix=.zip)"',
    copy('$archive'),
    check('$archive'),
    `unzip -q -o "$archive" -d "${folder}"`,
    'rm -f "$archive"',
  ];
}

const IMDS = 'http://169.254.169.254/latest';

/**
 * The boot script of a worker instance (Amazon Linux 2023, arm64; any Linux with bash, curl,
 * the AWS CLI v2 and systemd): installs Node.js 22, fetches the runtime bundle and the handler
 * from the CDK asset bucket and checks their sha256, writes the runtime's configuration and runs
 * it as a systemd service that restarts on failure and gets SIGTERM with time to drain.
 *
 * A failed step fails the boot loudly: the cloud-init log and the journal say which step, the
 * `InstancesMarkedUnhealthy` metric counts it, and the launching lifecycle hook is abandoned (or,
 * when that is not possible, the instance is marked unhealthy), so the group replaces the instance
 * at once instead of after the hook's timeout. Each step prints `spot-worker-boot: step=<name> at=<epoch seconds>`.
 *
 * Values may contain CloudFormation tokens; they are resolved when the template is deployed.
 */
export function renderWorkerBootScript(o: WorkerBootScriptOptions): string {
  const packages = ['nodejs22', 'unzip', ...o.osPackages];
  const env = Object.entries(o.environment)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${quoteEnvValue(v)}`);
  const failureMetric = JSON.stringify([{
    MetricName: o.failureMetric.metricName,
    Dimensions: Object.entries(o.failureMetric.dimensions).map(([Name, Value]) => ({ Name, Value })),
    Value: 1,
    Unit: 'Count',
  }]);

  const lines = [
    '#!/bin/bash',
    '# Spot worker boot (cloud-init runs it as root). Log: /var/log/cloud-init-output.log, and `journalctl -t spot-worker-boot`.',
    'set -Eeuo pipefail',
    `REGION=${shellQuote(o.region)}`,
    `ASSET_BUCKET_OWNER=${shellQuote(o.assetBucketOwner)}`,
    `LAUNCH_HOOK_NAME=${shellQuote(o.launchHookName)}`,
    `LOG_GROUP=${shellQuote(o.logGroupName ?? '')}`,
    `FAILURE_NAMESPACE=${shellQuote(o.failureMetric.namespace)}`,
    `FAILURE_METRIC=${shellQuote(failureMetric)}`,
    'BOOT_STEP=start',
    'INSTANCE_ID=""',
    'ASG_NAME=""',
    'boot_step() { BOOT_STEP="$1"; echo "spot-worker-boot: step=$1 at=$(date -u +%s.%N)"; }',
    '# Any failed command: say where, count it, and hand the instance back to the group now.',
    'boot_failed() {',
    '  local status="$1" line="$2"',
    // A failure inside $(...) also fails the command around it: report once, from the script itself.
    '  if [ "$BASHPID" != "$$" ]; then exit "$status"; fi',
    '  trap - ERR',
    '  set +e',
    '  echo "spot-worker-boot: FAILED step=$BOOT_STEP line=$line exit=$status; abandoning the launch so the group replaces this instance" >&2',
    '  logger -t spot-worker-boot -p user.err "FAILED step=$BOOT_STEP line=$line exit=$status" 2>/dev/null',
    '  if [ -n "$INSTANCE_ID" ]; then',
    '    aws cloudwatch put-metric-data --region "$REGION" --namespace "$FAILURE_NAMESPACE" --metric-data "$FAILURE_METRIC"',
    // The same failure as a JSON log line (as the runtime writes them) in the log group: it outlives the instance.
    '    if [ -n "$LOG_GROUP" ]; then',
    '      events="$(mktemp)"',
    String.raw`      printf '[{"timestamp":%s,"message":"{\\"level\\":\\"error\\",\\"msg\\":\\"boot failed\\",\\"step\\":\\"%s\\",\\"line\\":%s,\\"exitCode\\":%s}"}]' "$(date +%s%3N)" "$BOOT_STEP" "$line" "$status" > "$events"`,
    '      aws logs create-log-stream --region "$REGION" --log-group-name "$LOG_GROUP" --log-stream-name "$INSTANCE_ID/boot"',
    '      aws logs put-log-events --region "$REGION" --log-group-name "$LOG_GROUP" --log-stream-name "$INSTANCE_ID/boot" --log-events "file://$events"',
    '    fi',
    '    if [ -z "$ASG_NAME" ] || ! aws autoscaling complete-lifecycle-action --region "$REGION" --auto-scaling-group-name "$ASG_NAME" \\',
    '        --lifecycle-hook-name "$LAUNCH_HOOK_NAME" --instance-id "$INSTANCE_ID" --lifecycle-action-result ABANDON; then',
    '      aws autoscaling set-instance-health --region "$REGION" --instance-id "$INSTANCE_ID" --health-status Unhealthy --no-should-respect-grace-period',
    '    fi',
    '  fi',
    '  exit "$status"',
    '}',
    "trap 'boot_failed $? $LINENO' ERR",
    'boot_step metadata',
    // Read first: every later failure needs the instance id and the group to report to.
    // The group name is only known to the instance (a launch template cannot reference its own group):
    // read it from the instance tags through IMDSv2 (instance metadata tags are enabled).
    `IMDS_TOKEN="$(curl -sSf --retry 5 --retry-connrefused -X PUT ${IMDS}/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')"`,
    `INSTANCE_ID="$(curl -sSf --retry 5 -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" ${IMDS}/meta-data/instance-id)"`,
    `ASG_NAME="$(curl -sSf --retry 5 -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" ${IMDS}/meta-data/tags/instance/aws:autoscaling:groupName)"`,
    'boot_step packages',
    `dnf install -y ${packages.join(' ')}`,
    // AL2023 installs versioned Node.js binaries (node-22) behind alternatives; take whichever exists.
    'NODE_BIN="$(command -v node-22 || command -v node)"',
    'id spot-worker >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin spot-worker',
    'boot_step runtime',
    `install -d -m 0755 ${RUNTIME_INSTALL_DIR}`,
    ...download(o.runtimeBundle, RUNTIME_INSTALL_DIR),
  ];
  if (o.handlerFiles) {
    lines.push('boot_step handler', `install -d -m 0755 ${HANDLER_INSTALL_DIR}`, ...download(o.handlerFiles, HANDLER_INSTALL_DIR));
  }
  lines.push(
    'boot_step config',
    'install -d -m 0750 -g spot-worker /etc/spot-worker',
    `cat > ${ENV_FILE} <<'SPOT_WORKER_ENV'`,
    ...env,
    'SPOT_WORKER_ENV',
    `echo "SPOT_WORKER_ASG_NAME=\\"$ASG_NAME\\"" >> ${ENV_FILE}`,
    `echo "SPOT_WORKER_INSTANCE_ID=\\"$INSTANCE_ID\\"" >> ${ENV_FILE}`,
    `echo 'SPOT_WORKER_LIFECYCLE_HOOK_NAME=${quoteEnvValue(o.lifecycleHookName)}' >> ${ENV_FILE}`,
    `chgrp spot-worker ${ENV_FILE}`,
    `chmod 0640 ${ENV_FILE}`,
    'boot_step service',
    `cat > /etc/systemd/system/${SERVICE_NAME}.service <<SPOT_WORKER_UNIT`,
    '[Unit]',
    'Description=Spot worker fleet runtime (queue-driven worker)',
    'Wants=network-online.target',
    'After=network-online.target',
    // Keep restarting however often it fails: the runtime's start ledger (in the state directory)
    // marks the instance unhealthy after too many starts, so the group replaces it.
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    'User=spot-worker',
    `EnvironmentFile=${ENV_FILE}`,
    // /var/lib/spot-worker, owned by the service user, kept across restarts (systemd exports it as $STATE_DIRECTORY, where the runtime keeps its start ledger).
    `StateDirectory=${STATE_DIRECTORY_NAME}`,
    // Source maps turn bundle stack traces in the journal back into TypeScript positions.
    `ExecStart=$NODE_BIN --enable-source-maps ${RUNTIME_INSTALL_DIR}/spot-worker.js run`,
    'Restart=on-failure',
    'RestartSec=5',
    // SIGTERM to the runtime only; it stops receiving, finishes its jobs and exits.
    'KillSignal=SIGTERM',
    'KillMode=mixed',
    `TimeoutStopSec=${o.stopTimeoutSeconds}`,
    'NoNewPrivileges=true',
    'ProtectSystem=full',
    'ProtectHome=true',
    'PrivateTmp=true',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    'SPOT_WORKER_UNIT',
    'systemctl daemon-reload',
    `systemctl enable --now ${SERVICE_NAME}.service`,
    'boot_step done',
  );
  return lines.join('\n') + '\n';
}
