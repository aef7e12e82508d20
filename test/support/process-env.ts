/**
 * In-process tests point the AWS SDK at a peer through `process.env`; this sets those variables
 * (`undefined` unsets one) and returns what puts every one of them back as it was.
 */
export function setProcessEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const apply = (vars: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(values);
  return () => apply(saved);
}
