import * as fs from 'fs';
import { awscdk, javascript, JsonFile, release, TextFile, typescript } from 'projen';

// Where the project is published. Set once here; everything else (package.json of both
// packages, README links, the bindings) is derived. PLACEHOLDERS until a first publish:
// docs/releasing.md lists what to set.
const REPOSITORY = 'https://github.com/example/cdk-spot-worker-fleet';
const AUTHOR = { name: 'cdk-spot-worker-fleet developers', email: 'dev@example.com' };
const GO_MODULE = 'github.com/example/cdk-spot-worker-fleet-go';
const MAVEN_GROUP = 'io.github.cdkspotworkerfleet';

// The worker runtime's npm package (worker-runtime/, docs/releasing.md) and what it depends on.
// The same versions build the host runtime, the arm64 bundle and the tests.
const RUNTIME_PACKAGE = 'cdk-spot-worker-fleet-runtime';
const AWS_SDK_VERSION = '^3.1164.0';
const RUNTIME_DEPS: Record<string, string> = {
  'sharp': '0.34.5',
  'pdf-lib': '^1.17.1',
  '@aws-sdk/client-auto-scaling': AWS_SDK_VERSION,
  '@aws-sdk/client-cloudwatch': AWS_SDK_VERSION,
  '@aws-sdk/client-cloudwatch-logs': AWS_SDK_VERSION,
  '@aws-sdk/client-s3': AWS_SDK_VERSION,
  '@aws-sdk/client-sqs': AWS_SDK_VERSION,
};
const KEYWORDS = ['awscdk', 'aws-cdk', 'cdk', 'spot', 'graviton', 'sqs', 's3', 'autoscaling', 'pdf', 'sustainability'];

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-spot-worker-fleet',
  description:
    'An S3 → SQS → Graviton Spot worker fleet that scales to and from zero, with a Spot-aware worker runtime whose default handler converts images to PDF losslessly.',
  author: AUTHOR.name,
  authorAddress: AUTHOR.email,
  repositoryUrl: `${REPOSITORY}.git`,
  homepage: REPOSITORY,
  keywords: KEYWORDS,
  license: 'Apache-2.0',
  stability: 'experimental',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  cdkVersion: '2.258.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  minNodeVersion: '20.9.0',

  // Runtime, test and tooling packages. The worker runtime (worker-runtime/) is an npm
  // workspace; its dependencies are hoisted here so that one `npm ci` installs everything.
  devDeps: [
    'cdk-nag@^3.0.2',
    ...Object.entries(RUNTIME_DEPS).map(([name, version]) => `${name}@${version}`),
    'aws-sdk-client-mock@^4.1.0',
    'esbuild@^0.25.0',
    'tsx@^4.19.0',
    // Property-based tests (test/contract/props-contract.test.ts: props vs the runtime's config loader).
    'fast-check@^4.11.0',
  ],

  // GitHub workflows are not used here: CI runs .ci/run on the project's own machine.
  // Releases: projen's bump (conventional commits) and CHANGELOG.md, run by hand (docs/releasing.md).
  github: false,
  release: true,
  releaseTrigger: release.ReleaseTrigger.manual({ changelog: true, changelogPath: 'CHANGELOG.md', gitPushCommand: '' }),
  majorVersion: 0,
  depsUpgrade: false,
  pullRequestTemplate: false,
  sampleCode: false,

  // jsii bindings (docs/bindings.md). `npx projen test:bindings` builds them with jsii-pacmak and
  // runs a smoke app per language. .NET is not configured: no dotnet SDK on the build machine.
  publishToPypi: {
    distName: 'cdk-spot-worker-fleet',
    module: 'cdk_spot_worker_fleet',
  },
  publishToMaven: {
    mavenGroupId: MAVEN_GROUP,
    mavenArtifactId: 'cdk-spot-worker-fleet',
    javaPackage: `${MAVEN_GROUP}.fleet`,
  },
  publishToGo: {
    moduleName: GO_MODULE,
  },

  eslintOptions: {
    dirs: ['src', 'worker-runtime/src'],
    devdirs: ['test', 'examples', 'bench', 'scripts'],
    tsconfigPath: './tsconfig.dev.json',
  },

  // Transpile only: types are checked once for the whole tree by `tsc -p tsconfig.dev.json` (scripts/test.sh).
  tsJestOptions: {
    transformOptions: { isolatedModules: true, tsconfig: typescript.TsJestTsconfig.fromFile('tsconfig.dev.json') },
  },
  jestOptions: {
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/examples/cdk.out/', '/worker-runtime/dist/'],
      // Integration tests start real peers (moto server, the metadata mock, worker processes).
      testTimeout: 120_000,
      setupFilesAfterEnv: ['<rootDir>/test/support/cdk-outdir-cleanup.ts'],
    },
  },

  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    include: ['.projenrc.ts', 'worker-runtime/src/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    exclude: ['lib', 'examples/cdk.out', 'worker-runtime/lib', 'worker-runtime/dist', '.peers', 'local-run', 'bench/out'],
    compilerOptions: {
      // Type-checked as a whole (scripts/test.sh runs tsc on it), so type-only re-exports are fine.
      isolatedModules: false,
      // The runtime uses Node built-ins only available with a modern lib.
      lib: ['es2022'],
      target: 'ES2022',
      skipLibCheck: true,
    },
  },

  gitignore: [
    // No trailing slash: in a worktree .peers is a symlink to the shared folder, which '/.peers/' would not match.
    '/.peers',
    '/examples/cdk.out/',
    '/worker-runtime/lib/',
    '/worker-runtime/dist/',
    '/local-run/',
    '/bench/out/',
    '*.tsbuildinfo',
  ],
});

// What the construct's npm package leaves out: it ships lib/, .jsii, the README, API.md, the
// license, the notices and the arm64 bundle (worker-runtime/dist/bundle-arm64), nothing else.
// jsii's default npmignore drops every `dist` folder; the construct needs its bundle at synth
// time, in npm and in every jsii binding (they embed this npm tarball).
for (const p of ['/examples/', '/bench/', '/bindings-smoke/', '/.peers/', '/local-run/', '/.ci/', '/scripts/', '/docs/']) {
  project.addPackageIgnore(p);
}
project.addPackageIgnore('/worker-runtime/*');
project.addPackageIgnore('!/worker-runtime/dist/');
project.addPackageIgnore('/worker-runtime/dist/*');
project.addPackageIgnore('!/worker-runtime/dist/bundle-arm64/');
// README examples must compile (jsii-rosetta strict mode: pacmak and Construct Hub fail on a broken
// one). The tablet of their translations is a build output; it ships in the npm package.
project.package.file.addOverride('jsii.metadata.jsii.rosetta.strict', true);
project.gitignore.exclude('/.jsii.tabl.json', '/bindings-smoke/java/target/', '__pycache__/');

// One type-aware lint configuration for every folder: tsconfig.dev.json covers src, the runtime,
// tests, examples, bench and scripts, so eslint needs no per-folder tsconfig files.
const eslintrc = project.tryFindObjectFile('.eslintrc.json');
eslintrc?.addDeletionOverride('parserOptions.projectService');
eslintrc?.addOverride('parserOptions.project', './tsconfig.dev.json');

// npm workspace: the worker runtime is its own npm package with the `spot-worker` CLI,
// linked into node_modules/.bin so `npx spot-worker` works from the repository root.
project.package.addField('workspaces', ['worker-runtime']);
// A fresh lockfile can pick an unrs-resolver build whose install script fails under `npm ci`.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// The runtime's package.json. Its version moves with the construct's: `bump` copies it over and
// `unbump` resets it (scripts/runtime-version.mjs). `exports` keeps internals out of reach:
// `.` is the handler authors' API, `./deploy` what a custom deployment needs.
new JsonFile(project, 'worker-runtime/package.json', {
  marker: false,
  readonly: false,
  obj: {
    name: RUNTIME_PACKAGE,
    version: '0.0.0',
    description: 'The worker runtime of cdk-spot-worker-fleet: the spot-worker CLI (a Spot-aware SQS -> S3 worker, image -> PDF conversion, local mode) and the Handler contract.',
    keywords: ['spot', 'sqs', 's3', 'worker', 'pdf', 'image-to-pdf', 'graviton'],
    license: 'Apache-2.0',
    author: { name: AUTHOR.name, email: AUTHOR.email },
    homepage: `${REPOSITORY}/tree/main/worker-runtime#readme`,
    repository: { type: 'git', url: `${REPOSITORY}.git`, directory: 'worker-runtime' },
    bugs: { url: `${REPOSITORY}/issues` },
    main: 'lib/index.js',
    types: 'lib/index.d.ts',
    exports: {
      '.': { types: './lib/index.d.ts', default: './lib/index.js' },
      './deploy': { types: './lib/deploy.d.ts', default: './lib/deploy.js' },
      './package.json': './package.json',
    },
    bin: { 'spot-worker': 'bin/spot-worker.js' },
    files: ['bin/', 'lib/**/*.js', 'lib/**/*.d.ts', 'README.md', 'LICENSE'],
    engines: { node: '>=20.9.0' },
    dependencies: RUNTIME_DEPS,
  },
});
new TextFile(project, 'worker-runtime/LICENSE', { readonly: false, lines: fs.readFileSync('LICENSE', 'utf8').trimEnd().split('\n') });

// Worker runtime tasks. Each is cached: a warm rebuild with unchanged inputs costs seconds.
const buildRuntime = project.addTask('build:runtime', {
  description: 'Compile the worker runtime (worker-runtime/src -> worker-runtime/lib) for this machine',
  exec: 'node worker-runtime/scripts/build-lib.mjs',
});
const bundleRuntime = project.addTask('bundle:runtime', {
  description: 'Build the arm64 (Graviton) deployment bundle into worker-runtime/dist/bundle-arm64, from the runtime package',
  exec: 'node worker-runtime/scripts/build-bundle.mjs',
});
// Everything that compiles, packages or synthesizes builds the bundle first (cached by a hash of its inputs).
project.compileTask.prependSpawn(bundleRuntime);
project.addTask('synth:example', {
  description: 'Synthesize the example apps into examples/cdk.out (no AWS credentials needed)',
  steps: [{ spawn: bundleRuntime.name }, { exec: 'tsx examples/synth.ts' }],
});
// Packages: the construct (jsii) and the runtime tarball side by side in dist/js, each checked.
const checkArtifacts = 'node scripts/check-artifacts.mjs';
const packageJs = project.tasks.tryFind('package:js')!;
packageJs.prependSpawn(bundleRuntime);
packageJs.exec('node scripts/pack-runtime.mjs');
packageJs.exec(`${checkArtifacts} js`);
// `package:go` generates the Go module without pacmak's `go mod tidy` check: the Go proxy reachable
// here lacks aws-cdk-go at the peer version (docs/bindings.md). test:bindings compiles and runs it.
project.tasks.tryFind('package:go')!.reset('jsii-pacmak -v --target go --code-only');
for (const target of ['python', 'java', 'go']) {
  const task = project.tasks.tryFind(`package:${target}`)!;
  task.prependSpawn(bundleRuntime);
  task.exec(`${checkArtifacts} ${target}`);
}
// `bump` and `unbump` move the runtime's version with the construct's.
project.tasks.tryFind('bump')!.exec('node scripts/runtime-version.mjs sync');
project.tasks.tryFind('unbump')!.exec('node scripts/runtime-version.mjs reset');
// The release builds every artifact, not the test suite: CI runs the test command on the commit first
// (docs/releasing.md). projen's steps stay: bump, unbump, the anti-tamper check, CHANGELOG.md and the tag.
const releaseBuild = project.addTask('release:build', {
  description: 'Compile, regenerate API.md and build every artifact into dist/ (construct, runtime, Python, Java, Go)',
  steps: [{ spawn: 'compile' }, { spawn: 'post-compile' }, { spawn: 'package-all' }],
});
const releaseTask = project.tasks.tryFind('release')!;
const releaseSteps = releaseTask.steps.map((step) => (step.spawn === project.buildTask.name ? { spawn: releaseBuild.name } : step));
releaseTask.reset();
for (const step of releaseSteps) {
  if (step.spawn) releaseTask.spawn(project.tasks.tryFind(step.spawn)!);
  else if (step.exec) releaseTask.exec(step.exec);
  else if (step.execArgs) releaseTask.exec(step.execArgs.join(' '));
  else if (step.builtin) releaseTask.builtin(step.builtin);
}
const demo = project.addTask('demo', {
  description: 'Run the whole pipeline locally on the sample images in examples/sample-images',
});
demo.spawn(buildRuntime);
// Six copies of the samples give the policy a backlog to scale out on (target 40 s ÷ 5 s = 8 messages per
// worker, so up to the 4-worker maximum); one job per worker and 80 ms per storage request (about S3's round
// trip) make the 60 images last long enough to watch that, where 64 adaptive slots would finish them in half a
// second on one worker. A Spot notice every 2 s while there is work shows workers draining, handing work back
// and being replaced; idle workers then release themselves.
demo.exec('node worker-runtime/bin/spot-worker.js local --images examples/sample-images --out local-run/demo --label demo'
  + ' --copies 6 --acceptable-latency 40 --expected-processing-time 5 --interrupt-every 2 --concurrency 1 --storage-latency 80ms');
project.addTask('test:bindings', {
  description: 'Package the Python, Java and Go bindings (jsii-pacmak) and run one smoke app per language',
  exec: 'bash scripts/test-bindings.sh',
  receiveArgs: true,
});
project.addTask('test:all', {
  description: 'Install the test peers (moto, cfn-lint, metadata mock) under .peers/ and run every test',
  exec: 'bash scripts/test.sh',
});
// Benchmarks (not tests): convert vs anchors, local pipeline, scaling simulator; rewrites docs/benchmarks.md.
const bench = project.addTask('bench', {
  description: 'Run the benchmarks and the scaling simulator (a few minutes on 2 cores) and rewrite the tables in docs/benchmarks.md',
});
bench.spawn(buildRuntime);
// The simulator synthesizes the construct, which needs the arm64 bundle (absent in a fresh clone).
bench.spawn(bundleRuntime);
bench.exec('tsx bench/convert/run.ts --rounds 5');
bench.exec('tsx bench/pipeline/run.ts --copies 60 --storage-latency 80ms');
bench.exec('tsx bench/simulator/run.ts');
// Issue 13's headline figures from the three runs above: bench/out/summary.json and the summary table.
bench.exec('tsx bench/summary.ts');

project.synth();
