import { HANDLER_INSTALL_DIR } from './worker-handler';

/** An S3 object to download at boot. */
export interface BootDownload {
  readonly bucket: string;
  readonly key: string;
  /** Unpack this zip into the folder, or copy the object into it under `fileName`. */
  readonly fileName?: string;
}

export interface WorkerBootScriptOptions {
  readonly region: string;
  /** The arm64 runtime bundle (a zip asset). */
  readonly runtimeBundle: BootDownload;
  /** The handler's files, if any. */
  readonly handlerFiles?: BootDownload;
  /** Extra dnf packages (the handler's). */
  readonly osPackages: string[];
  /** `SPOT_WORKER_*` and `AWS_REGION` values written to the env file. */
  readonly environment: Record<string, string>;
  /** Name of the termination lifecycle hook, completed by the runtime when drained. */
  readonly lifecycleHookName: string;
  /** systemd's stop timeout: long enough for the runtime to drain. */
  readonly stopTimeoutSeconds: number;
}

export const RUNTIME_INSTALL_DIR = '/opt/spot-worker';
export const ENV_FILE = '/etc/spot-worker/env';
export const SERVICE_NAME = 'spot-worker';

/**
 * Quotes a value for a systemd EnvironmentFile: inside double quotes, only `\` and `"` need
 * escaping. The file is written through a quoted heredoc, so the shell does not expand anything.
 */
export function quoteEnvValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function download(d: BootDownload, folder: string, region: string): string[] {
  const src = `s3://${d.bucket}/${d.key}`;
  if (d.fileName) {
    return [`aws s3 cp --only-show-errors --region ${region} "${src}" "${folder}/${d.fileName}"`];
  }
  return [
    'archive="$(mktemp --suffix=.zip)"',
    `aws s3 cp --only-show-errors --region ${region} "${src}" "$archive"`,
    `unzip -q -o "$archive" -d "${folder}"`,
    'rm -f "$archive"',
  ];
}

/**
 * The boot script of a worker instance (Amazon Linux 2023, arm64): installs Node.js 22, fetches the
 * runtime bundle and the handler from the CDK asset bucket, writes the runtime's configuration and
 * runs it as a systemd service that restarts on failure and gets SIGTERM with time to drain.
 *
 * Values may contain CloudFormation tokens; they are resolved when the template is deployed.
 */
export function renderWorkerBootScript(o: WorkerBootScriptOptions): string {
  const packages = ['nodejs22', 'unzip', ...o.osPackages];
  const env = Object.entries(o.environment)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${quoteEnvValue(v)}`);

  const lines = [
    '#!/bin/bash',
    'set -euo pipefail',
    '# Boot log: /var/log/cloud-init-output.log',
    `dnf install -y ${packages.join(' ')}`,
    // AL2023 installs versioned Node.js binaries (node-22) behind alternatives; take whichever exists.
    'NODE_BIN="$(command -v node-22 || command -v node)"',
    'id spot-worker >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin spot-worker',
    `install -d -m 0755 ${RUNTIME_INSTALL_DIR}`,
    ...download(o.runtimeBundle, RUNTIME_INSTALL_DIR, o.region),
  ];
  if (o.handlerFiles) {
    lines.push(`install -d -m 0755 ${HANDLER_INSTALL_DIR}`, ...download(o.handlerFiles, HANDLER_INSTALL_DIR, o.region));
  }
  lines.push(
    // The group name is only known to the instance (a launch template cannot reference its own group):
    // read it from the instance tags through IMDSv2 (instance metadata tags are enabled).
    'IMDS_TOKEN="$(curl -sSf -X PUT http://169.254.169.254/latest/api/token -H \'X-aws-ec2-metadata-token-ttl-seconds: 300\')"',
    'ASG_NAME="$(curl -sSf -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" http://169.254.169.254/latest/meta-data/tags/instance/aws:autoscaling:groupName)"',
    'install -d -m 0750 -g spot-worker /etc/spot-worker',
    `cat > ${ENV_FILE} <<'SPOT_WORKER_ENV'`,
    ...env,
    'SPOT_WORKER_ENV',
    'INSTANCE_ID="$(curl -sSf -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" http://169.254.169.254/latest/meta-data/instance-id)"',
    `echo "SPOT_WORKER_ASG_NAME=\\"$ASG_NAME\\"" >> ${ENV_FILE}`,
    `echo "SPOT_WORKER_INSTANCE_ID=\\"$INSTANCE_ID\\"" >> ${ENV_FILE}`,
    `echo 'SPOT_WORKER_LIFECYCLE_HOOK_NAME=${quoteEnvValue(o.lifecycleHookName)}' >> ${ENV_FILE}`,
    `chgrp spot-worker ${ENV_FILE}`,
    `chmod 0640 ${ENV_FILE}`,
    `cat > /etc/systemd/system/${SERVICE_NAME}.service <<SPOT_WORKER_UNIT`,
    '[Unit]',
    'Description=Spot worker fleet runtime (queue-driven worker)',
    'Wants=network-online.target',
    'After=network-online.target',
    // Keep restarting however often it fails: a worker that gives up leaves the instance idle but billed.
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    'User=spot-worker',
    `EnvironmentFile=${ENV_FILE}`,
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
  );
  return lines.join('\n') + '\n';
}
