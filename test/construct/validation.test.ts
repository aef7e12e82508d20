import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { QueueDrivenSpotWorkerFleet, QueueDrivenSpotWorkerFleetProps } from '../../src';
import { FAKE_BUNDLE } from './support/fleet-stack';
import { testApp } from '../support/test-app';

function build(props: QueueDrivenSpotWorkerFleetProps): QueueDrivenSpotWorkerFleet {
  const stack = new Stack(testApp(), 'ValidationStack');
  return new QueueDrivenSpotWorkerFleet(stack, 'Fleet', { runtimeBundlePath: FAKE_BUNDLE, ...props });
}

describe('props validation: each error says what to change', () => {
  test.each<[string, QueueDrivenSpotWorkerFleetProps, RegExp]>([
    ['processing time above the latency', { expectedProcessingTime: Duration.minutes(10), acceptableLatency: Duration.minutes(5) },
      /expectedProcessingTime \(10 minutes\) exceeds acceptableLatency \(5 minutes\).*Raise acceptableLatency or lower expectedProcessingTime/],
    ['output prefix inside the input prefix', { inputPrefix: 'uploads/', outputPrefix: 'uploads/pdf/' },
      /outputPrefix 'uploads\/pdf\/' overlaps inputPrefix 'uploads\/'.*re-trigger.*Choose disjoint prefixes/],
    ['input prefix inside the output prefix', { inputPrefix: 'data/in/', outputPrefix: 'data/' }, /overlaps inputPrefix 'data\/in\/'/],
    ['same prefix for both', { inputPrefix: 'x/', outputPrefix: 'x/' }, /overlaps/],
    ['empty input prefix (every key, outputs included)', { inputPrefix: '' }, /inputPrefix must not be empty/],
    ['empty output prefix', { outputPrefix: '' }, /outputPrefix must not be empty/],
    ['leading slash', { inputPrefix: '/uploads/' }, /inputPrefix '\/uploads\/' starts with '\/'.*Use 'uploads\/'/],
    ['no suffix', { inputSuffixes: [] }, /inputSuffixes must list at least one suffix/],
    ['empty suffix', { inputSuffixes: ['.jpg', ''] }, /must not contain an empty suffix/],
    ['maxReceiveCount below 5', { maxReceiveCount: 2 }, /maxReceiveCount is 2: use an integer of at least 5/],
    ['queue retention not below the DLQ 14 days', { queueRetentionPeriod: Duration.days(14) }, /must be shorter than the dead-letter queue's 14 days/],
    ['visibility shorter than processing', { visibilityTimeout: Duration.seconds(30), expectedProcessingTime: Duration.seconds(40) }, /visibilityTimeout \(30 seconds\) is shorter/],
    ['min above max', { minCapacity: 5, maxCapacity: 2 }, /minCapacity \(5\) exceeds maxCapacity \(2\)/],
    ['On-Demand percentage out of range', { onDemandPercentageAboveBaseCapacity: 120 }, /from 0 to 100, got 120/],
    ['vCPU range inverted', { minVcpus: 16, maxVcpus: 4 }, /minVcpus \(16\) exceeds maxVcpus \(4\)/],
    ['allowed and excluded types together', { allowedInstanceTypes: ['c7g.*'], excludedInstanceTypes: ['a1.*'] }, /cannot be combined/],
    ['root volume too small for AL2023', { rootVolumeSizeGiB: 4 }, /rootVolumeSizeGiB must be an integer >= 8/],
    ['drain timeout beyond the lifecycle hook limit', { drainTimeout: Duration.hours(3) }, /drainTimeout must be between 30 seconds and 2 hours/],
    ['scale-to-zero not in whole minutes', { scaleToZeroAfter: Duration.seconds(90) }, /scaleToZeroAfter must be a whole number of minutes/],
    ['AWS namespace', { metricsNamespace: 'AWS/SQS' }, /metricsNamespace 'AWS\/SQS' is not allowed/],
    ['zero concurrency', { concurrency: 0 }, /concurrency must be an integer >= 1/],
    // Accepted before, rejected by S3 / CloudWatch / EC2 at deploy or launch time (issue 12).
    ['overlapping suffixes', { inputSuffixes: ['.jpg', 'jpg'] }, /inputSuffixes '\.jpg' and 'jpg' overlap.*S3 rejects overlapping suffix filters.*Keep only 'jpg'/],
    ['overlapping suffixes, longer one later', { inputSuffixes: ['.pdf', 'scan.pdf'] }, /'scan\.pdf' and '\.pdf' overlap/],
    ['duplicate suffixes', { inputSuffixes: ['.jpg', '.jpg'] }, /inputSuffixes has duplicates/],
    ['scale-to-zero beyond one day of 1-minute periods', { scaleToZeroAfter: Duration.minutes(1441) }, /scaleToZeroAfter is 1 day 1 minute: at most 24 hours.*one day of evaluation/],
    ['an Intel type in a Graviton fleet', { allowedInstanceTypes: ['c7i.large'] }, /c7i\.large is not a Graviton \(arm64\) type.*EC2 would never launch it/],
    ['a type below minVcpus', { allowedInstanceTypes: ['c7g.medium'] }, /c7g\.medium has 1 vCPU, outside minVcpus\.\.maxVcpus \(2\.\.2\)/],
    ['a type above maxVcpus', { allowedInstanceTypes: ['m7g.4xlarge'] }, /m7g\.4xlarge has 16 vCPUs, outside/],
    ['a type below minMemoryMiB', { allowedInstanceTypes: ['c7g.large'], minMemoryMiB: 8192 }, /c7g\.large has 4096 MiB of memory, outside minMemoryMiB/],
    ['a burstable type without allowBurstableInstances', { allowedInstanceTypes: ['t4g.large'] }, /t4g\.large is burstable; set allowBurstableInstances/],
    ['a bare-metal type', { allowedInstanceTypes: ['c7g.metal'] }, /c7g\.metal is bare metal/],
    ['runtime variable owned by the construct', { runtimeEnvironment: { SPOT_WORKER_QUEUE_URL: 'x' } }, /must not set SPOT_WORKER_QUEUE_URL/],
    ['not a runtime variable', { runtimeEnvironment: { PATH: '/tmp' } }, /'PATH' is not a runtime variable/],
    ['multi-line runtime value', { runtimeEnvironment: { SPOT_WORKER_LOG_LEVEL: 'debug\nX=1' } }, /contains a line break/],
  ])('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('prefixes must be literals (overlap is checked at synth time)', () => {
    expect(() => build({ inputPrefix: Lazy.string({ produce: () => 'in/' }) })).toThrow(/inputPrefix must be a literal string, not a token/);
  });

  test.each<[string, QueueDrivenSpotWorkerFleetProps]>([
    ['maxCapacity', { maxCapacity: Token.asNumber({ Ref: 'MaxParam' }) }],
    ['minVcpus', { minVcpus: Token.asNumber({ Ref: 'VcpuParam' }) }],
    ['concurrency', { concurrency: Token.asNumber({ Ref: 'ConcurrencyParam' }) }],
  ])('a token-valued number (%s) is rejected by name, not as a meaningless number', (name, props) => {
    expect(() => build(props)).toThrow(new RegExp(`${name} must be a literal number, not a token`));
    expect(() => build(props)).not.toThrow(/e\+\d{3}/);
  });

  test('a token-valued duration is rejected by name', () => {
    expect(() => build({ drainTimeout: Duration.seconds(Token.asNumber({ Ref: 'DrainParam' })) })).toThrow(/drainTimeout must be a literal Duration, not a token/);
  });

  test('types that can match are accepted: wildcards, Graviton types in range, burstable when allowed', () => {
    expect(() => build({ allowedInstanceTypes: ['c7g.large', 'r8g.*', 'c7*'] })).not.toThrow();
    expect(() => build({ allowedInstanceTypes: ['m7g.xlarge', '*.2xlarge'], maxVcpus: 8 })).not.toThrow();
    expect(() => build({ allowedInstanceTypes: ['t4g.large'], allowBurstableInstances: true })).not.toThrow();
    expect(() => build({ allowedInstanceTypes: ['c7g.medium'], minVcpus: 1, minMemoryMiB: 2048 })).not.toThrow();
  });

  test('the default suffixes do not overlap, and 24 hours to zero is accepted', () => {
    expect(() => build({ scaleToZeroAfter: Duration.hours(24) })).not.toThrow();
  });

  test('all problems are reported at once', () => {
    expect(() => build({ minCapacity: 3, maxCapacity: 1, maxReceiveCount: 1 })).toThrow(/maxReceiveCount[\s\S]*minCapacity \(3\) exceeds/);
  });

  test('a queue without its dead-letter queue, and the reverse', () => {
    const stack = new Stack(testApp(), 'ByoQueue');
    const q = new sqs.Queue(stack, 'Q');
    expect(() => new QueueDrivenSpotWorkerFleet(stack, 'A', { runtimeBundlePath: FAKE_BUNDLE, queue: q }))
      .toThrow(/queue is given without deadLetterQueue/);
    expect(() => new QueueDrivenSpotWorkerFleet(stack, 'B', { runtimeBundlePath: FAKE_BUNDLE, deadLetterQueue: q }))
      .toThrow(/deadLetterQueue is given without queue/);
  });

  test('accepted edge values: latency equal to processing time gives a target of 1', () => {
    const fleet = build({ expectedProcessingTime: Duration.minutes(1), acceptableLatency: Duration.minutes(1) });
    expect(fleet.backlogPerInstanceTarget).toBe(1);
  });
});

describe('the worker-runtime bundle', () => {
  test('a missing bundle fails synth and says how to build it', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-bundle-'));
    try {
      expect(() => build({ runtimeBundlePath: empty })).toThrow(/worker-runtime bundle is missing .*spot-worker\.js not found/);
    } finally {
      fs.rmSync(empty, { recursive: true });
    }
  });

  test('by default it is worker-runtime/dist/bundle-arm64 of the package root, from src/ and lib/ alike', () => {
    const { resolveRuntimeBundle } = jest.requireActual('../../src/runtime-bundle');
    const expected = path.join(__dirname, '..', '..', 'worker-runtime', 'dist', 'bundle-arm64');
    if (fs.existsSync(path.join(expected, 'spot-worker.js'))) {
      expect(resolveRuntimeBundle()).toBe(expected);
    } else {
      expect(() => resolveRuntimeBundle()).toThrow(/run npx projen bundle:runtime/);
    }
  });
});
