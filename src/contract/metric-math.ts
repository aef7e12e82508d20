/**
 * A small evaluator for the metric-math expressions scaling policies and alarms use: arithmetic,
 * comparisons (1 or 0), AND / OR, `FILL(m, v)` and `IF(cond, a, b)`. A missing datapoint propagates
 * as undefined; division by zero, as in CloudWatch, yields no datapoint either.
 */
type Value = number | undefined;

export function evaluateExpression(expression: string, vars: Record<string, Value>): Value {
  const tokens = expression.match(/\s*([A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|>=|<=|==|!=|[()+\-*/,<>])/g)?.map((t) => t.trim());
  if (!tokens || tokens.join('') !== expression.replace(/\s+/g, '')) {
    throw new Error(`unsupported metric expression: ${expression}`);
  }
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const take = (expected?: string): string => {
    const t = tokens[pos++];
    if (t === undefined || (expected !== undefined && t !== expected)) {
      throw new Error(`unsupported metric expression: ${expression} (expected ${expected ?? 'a token'})`);
    }
    return t;
  };
  const bin = (a: Value, b: Value, op: string): Value => {
    if (a === undefined || b === undefined) return undefined;
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      default: return b === 0 ? undefined : a / b;
    }
  };
  const primary = (): Value => {
    const t = take();
    if (t === '(') {
      const v = or();
      take(')');
      return v;
    }
    if (t === '-') {
      const v = primary();
      return v === undefined ? undefined : -v;
    }
    if (/^\d/.test(t)) return Number(t);
    if (t.toUpperCase() === 'IF') {
      take('(');
      const cond = or();
      take(',');
      const a = or();
      take(',');
      const b = or();
      take(')');
      return cond === undefined ? undefined : cond !== 0 ? a : b;
    }
    if (t.toUpperCase() === 'FILL') {
      take('(');
      const v = or();
      take(',');
      const fill = or();
      take(')');
      return v === undefined ? fill : v;
    }
    if (!(t in vars)) throw new Error(`metric expression ${expression} refers to unknown id ${t}`);
    return vars[t];
  };
  const product = (): Value => {
    let v = primary();
    while (peek() === '*' || peek() === '/') {
      const op = take();
      v = bin(v, primary(), op);
    }
    return v;
  };
  const sum = (): Value => {
    let v = product();
    while (peek() === '+' || peek() === '-') {
      const op = take();
      v = bin(v, product(), op);
    }
    return v;
  };
  const compare = (): Value => {
    const a = sum();
    const op = peek();
    if (op === '>' || op === '<' || op === '>=' || op === '<=' || op === '==' || op === '!=') {
      take();
      const b = sum();
      if (a === undefined || b === undefined) return undefined;
      const r = op === '>' ? a > b : op === '<' ? a < b : op === '>=' ? a >= b : op === '<=' ? a <= b : op === '==' ? a === b : a !== b;
      return r ? 1 : 0;
    }
    return a;
  };
  const and = (): Value => {
    let v = compare();
    while (peek()?.toUpperCase() === 'AND') {
      take();
      const w = compare();
      v = v === undefined || w === undefined ? undefined : v !== 0 && w !== 0 ? 1 : 0;
    }
    return v;
  };
  const or = (): Value => {
    let v = and();
    while (peek()?.toUpperCase() === 'OR') {
      take();
      const w = and();
      v = v === undefined || w === undefined ? undefined : v !== 0 || w !== 0 ? 1 : 0;
    }
    return v;
  };
  const result = or();
  if (pos !== tokens.length) throw new Error(`unsupported metric expression: ${expression}`);
  return result;
}
