/**
 * End to end for the props of issue 9: a worker started with the env file a synthesized fleet writes
 * (with `inputPrefix: 'uploads'`, taken as the folder `uploads/`, and the top of the concurrency and
 * idle-grace ranges) runs and converts an upload, against moto server. The deploy-time values
 * (queue URLs, bucket) are the moto world's; the group variables and the hooks, which need the group, are left
 * out (no Auto Scaling group here).
 */
import { Duration } from 'aws-cdk-lib';
import sharp from 'sharp';
import { createWorld, ensureRuntimeCompiled, head, RunningWorker, startWorker, stopWorker, upload, waitUntil } from './moto-world';
import { synthFleet } from '../../construct/support/fleet-stack';
import { workerEnvOf } from '../../construct/support/worker-env';
import { describeWithPeers, RunningPeer, startMoto } from '../../support/peers';

jest.setTimeout(120_000);

/** Set from the instance or the deployment, not from props: the moto world supplies or omits them. */
const DEPLOY_TIME = ['AWS_REGION', 'SPOT_WORKER_QUEUE_URL', 'SPOT_WORKER_DLQ_URL', 'SPOT_WORKER_BUCKET',
  'SPOT_WORKER_ASG_NAME', 'SPOT_WORKER_INSTANCE_ID', 'SPOT_WORKER_LIFECYCLE_HOOK_NAME', 'SPOT_WORKER_LAUNCH_HOOK_NAME'];

describeWithPeers(['MOTO_SERVER_BIN'], 'a worker runs with the env file a fleet synthesizes', () => {
  let moto: RunningPeer;
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    ensureRuntimeCompiled();
    moto = await startMoto();
  });

  afterAll(async () => {
    if (worker) await stopWorker(worker, 'SIGKILL');
    await moto?.stop();
  });

  test("inputPrefix 'uploads', concurrency 256, idleGracePeriod 1 day: the upload becomes a PDF", async () => {
    const env = workerEnvOf(synthFleet({ inputPrefix: 'uploads', concurrency: 256, idleGracePeriod: Duration.days(1) }).template);
    expect(env.SPOT_WORKER_INPUT_PREFIX).toBe('uploads/');
    const fromProps = Object.fromEntries(Object.entries(env).filter(([k]) => !DEPLOY_TIME.includes(k)));
    const world = await createWorld(moto.endpoint, 'synth-env', 30);
    worker = startWorker(moto.endpoint, world, { ...fromProps, SPOT_WORKER_BUCKET: world.bucket });
    await waitUntil('worker started', async () => worker!.logs.some((l) => l.msg === 'worker started'), 20_000);
    const jpeg = await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 1, g: 2, b: 3 } } }).jpeg().toBuffer();
    await upload(world, 'uploads/from-synth.jpg', jpeg);
    const out = await waitUntil('PDF written', () => head(world, 'processed/from-synth.jpg.pdf'), 60_000);
    expect(out.contentType).toBe('application/pdf');
    expect(await stopWorker(worker)).toBe(0);
    worker = undefined;
  });
});
