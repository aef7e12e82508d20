/**
 * The `spot-worker` dispatcher: one parser (util.parseArgs, cli/args.ts) and one error style for
 * every command — `spot-worker <command>: <what is wrong> (see spot-worker <command> --help)`,
 * exit 2 for a wrong command line or configuration, 1 when the work failed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCommandArgs } from '../../worker-runtime/src/cli/args';
import { localRunOptions, spec as localSpec } from '../../worker-runtime/src/cli/local-command';
import { main } from '../../worker-runtime/src/cli/main';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((c) => { stdout += String(c); return true; });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((c) => { stderr += String(c); return true; });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const VERSION = JSON.parse(fs.readFileSync(path.join(__dirname, '../../worker-runtime/package.json'), 'utf8')).version;

describe('spot-worker CLI', () => {
  test('--version prints the runtime package version', async () => {
    expect(await cli('--version')).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    expect((await cli('-V')).stdout).toBe(`${VERSION}\n`);
  });

  test('no command: the overview on stderr, exit 2; --help: on stdout, exit 0', async () => {
    const none = await cli();
    expect(none.code).toBe(2);
    for (const c of ['convert', 'run', 'local']) expect(none.stderr).toMatch(new RegExp(`^  spot-worker ${c} +\\S`, 'm'));
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(none.stderr);
  });

  test('an unknown command says which exist', async () => {
    const r = await cli('convrt');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("spot-worker: unknown command 'convrt' (expected convert, run, local; see spot-worker --help)\n");
  });

  test.each([
    [['local'], 'spot-worker local: --images <folder> is required (see spot-worker local --help)'],
    [['local', '--watch'], 'spot-worker local: --watch needs --images <folder>: the folder to watch (see spot-worker local --help)'],
    [['local', '--images', 'x', '--max-workers', '0'], 'spot-worker local: --max-workers 0: expected a whole number from 1 to 256 (see spot-worker local --help)'],
    [['local', '--images', 'x', '--interrupt-every', 'often'], 'spot-worker local: --interrupt-every often: expected a number > 0 (see spot-worker local --help)'],
    [['local', '--images', 'x', '--label', 'two words'], 'spot-worker local: --label must be one word of letters, digits, - or _ (see spot-worker local --help)'],
    [['local', '--images'], 'spot-worker local: --images needs a value (see spot-worker local --help)'],
    [['local', '--image', 'x'], "spot-worker local: unexpected argument '--image' (see spot-worker local --help)"],
    [['local', 'photos'], "spot-worker local: unexpected argument 'photos' (see spot-worker local --help)"],
    [['run', '--queue', 'x'], "spot-worker run: unexpected argument '--queue' (see spot-worker run --help)"],
    [['convert', 'a.jpg'], 'spot-worker convert: --out <dir> is required (see spot-worker convert --help)'],
  ])('usage error %p: one line, exit 2', async (argv, line) => {
    const r = await cli(...argv);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
  });

  test('local: a folder that does not exist is a configuration error, in the same style', async () => {
    const missing = path.join(os.tmpdir(), 'no-such-images-folder-for-cli-test');
    const r = await cli('local', '--images', missing, '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'cli-local-')));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`spot-worker local: --images ${missing} is not a folder\n`);
  });

  test('every command has --help listing each of its options', async () => {
    for (const c of ['convert', 'run', 'local']) {
      const r = await cli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: spot-worker ${c}\\b`));
      expect(r.stdout).toContain('-h, --help');
    }
    const local = (await cli('local', '--help')).stdout;
    for (const name of Object.keys(localSpec.options)) expect(local).toContain(`--${name}`);
  });

  test('local: flags map onto the run options, --flag=value included; out defaults from the label', () => {
    const o = localRunOptions(parseCommandArgs(localSpec, ['--images', 'in', '--label=demo', '--max-workers=3', '--interrupt-every', '0.5', '--watch']));
    expect(o).toMatchObject({ images: 'in', label: 'demo', out: path.join('local-run', 'demo'), maxWorkers: 3, interruptEvery: 0.5, watch: true });
  });
});
