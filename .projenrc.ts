import { awscdk, javascript, typescript } from 'projen';

// Versions the worker runtime and its bundle are built with. Kept in one place so the
// host build, the arm64 bundle and the tests agree.
const SHARP_VERSION = '0.34.5';
const AWS_SDK_VERSION = '^3.1164.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-spot-worker-fleet',
  description:
    'An S3 → SQS → Graviton Spot worker fleet that scales to and from zero, with a Spot-aware worker runtime whose default handler converts images to PDF losslessly.',
  author: 'cdk-spot-worker-fleet developers',
  authorAddress: 'dev@example.com',
  repositoryUrl: 'https://github.com/example/cdk-spot-worker-fleet.git',
  keywords: ['aws-cdk', 'spot', 'graviton', 'sqs', 's3', 'autoscaling', 'pdf', 'sustainability'],
  license: 'Apache-2.0',
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
    `sharp@${SHARP_VERSION}`,
    'pdf-lib@^1.17.1',
    `@aws-sdk/client-sqs@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-s3@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-auto-scaling@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-cloudwatch@${AWS_SDK_VERSION}`,
    'aws-sdk-client-mock@^4.1.0',
    'esbuild@^0.25.0',
    'tsx@^4.19.0',
  ],

  // GitHub workflows are not used here: CI runs .ci/run on the project's own machine.
  github: false,
  release: false,
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
    mavenGroupId: 'io.github.cdkspotworkerfleet',
    mavenArtifactId: 'cdk-spot-worker-fleet',
    javaPackage: 'io.github.cdkspotworkerfleet.fleet',
  },
  publishToGo: {
    moduleName: 'github.com/example/cdk-spot-worker-fleet-go',
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

// What the npm package leaves out; the arm64 bundle under worker-runtime/dist stays in.
for (const p of ['/examples/', '/bench/', '/worker-runtime/src/', '/worker-runtime/lib/', '/.peers/', '/local-run/', '/.ci/', '/scripts/', '/docs/']) {
  project.addPackageIgnore(p);
}
// jsii's default npmignore drops every `dist` folder; the construct needs its arm64 bundle at
// synth time, in npm and in every jsii binding (they embed this npm tarball). Only the bundle:
// the rest of worker-runtime/dist (e.g. the bundle script's download cache) stays out.
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

// npm workspace: the worker runtime is its own package with the `spot-worker` CLI,
// linked into node_modules/.bin so `npx spot-worker` works from the repository root.
project.package.addField('workspaces', ['worker-runtime']);
// A fresh lockfile can pick an unrs-resolver build whose install script fails under `npm ci`.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// Worker runtime tasks.
const buildRuntime = project.addTask('build:runtime', {
  description: 'Compile the worker runtime (worker-runtime/src -> worker-runtime/lib) for this machine',
  exec: 'tsc -p worker-runtime/tsconfig.json',
});
project.addTask('bundle:runtime', {
  description: 'Build the arm64 (Graviton) deployment bundle into worker-runtime/dist/bundle-arm64',
  exec: `node worker-runtime/scripts/build-bundle.mjs --sharp-version ${SHARP_VERSION}`,
});
project.addTask('synth:example', {
  description: 'Synthesize the example apps into examples/cdk.out (no AWS credentials needed)',
  exec: 'tsx examples/synth.ts',
});
const demo = project.addTask('demo', {
  description: 'Run the whole pipeline locally on the sample images in examples/sample-images',
});
demo.spawn(buildRuntime);
// A Spot notice every second, so the demo shows workers draining, handing work back and being replaced.
demo.exec('node worker-runtime/bin/spot-worker.js local --images examples/sample-images --out local-run/demo --label demo --interrupt-every 1');
// `package:go` generates the Go module without pacmak's `go mod tidy` check: the Go proxy reachable
// here lacks aws-cdk-go at the peer version (docs/bindings.md). test:bindings compiles and runs it.
project.tasks.tryFind('package:go')?.reset('jsii-pacmak -v --target go --code-only');
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
bench.exec('tsx bench/convert/run.ts --rounds 3');
bench.exec('tsx bench/pipeline/run.ts --copies 20');
bench.exec('tsx bench/simulator/run.ts');

project.synth();
