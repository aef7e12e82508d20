/** Entry point of the `spot-worker` CLI. Commands are added by their own modules. */
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  process.stderr.write(`spot-worker: unknown command '${command ?? ''}' (expected convert, run or local)\n`);
  return 2;
}
