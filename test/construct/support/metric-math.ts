/**
 * A small evaluator for the subset of CloudWatch metric math the fleet uses (FILL, IF, PERIOD,
 * + - * /, comparisons, AND/OR), applied to one data point per metric. It lets the tests evaluate
 * the exact expression strings of the synthesized template on scaling scenarios. A metric with no
 * data point is `undefined`; like CloudWatch, any arithmetic on a missing value yields no value.
 */
export type Sample = Record<string, number | undefined>;

type Node =
  | { kind: 'num'; value: number }
  | { kind: 'id'; name: string }
  | { kind: 'call'; fn: string; args: Node[] }
  | { kind: 'bin'; op: string; left: Node; right: Node };

function tokenize(src: string): string[] {
  const tokens = src.match(/\s*(>=|<=|==|!=|&&|\|\||[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[()+\-*/,<>])/g);
  if (!tokens || tokens.join('').replace(/\s/g, '') !== src.replace(/\s/g, '')) throw new Error(`cannot tokenize: ${src}`);
  return tokens.map((t) => t.trim());
}

const PRECEDENCE: Record<string, number> = { 'OR': 1, '||': 1, 'AND': 2, '&&': 2, '>': 3, '<': 3, '>=': 3, '<=': 3, '==': 3, '!=': 3, '+': 4, '-': 4, '*': 5, '/': 5 };

export function parse(src: string): Node {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = (t: string) => { if (next() !== t) throw new Error(`expected ${t} at ${pos} in ${src}`); };
  const primary = (): Node => {
    const t = next();
    if (t === '(') { const e = expr(0); expect(')'); return e; }
    if (/^\d/.test(t)) return { kind: 'num', value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '(') {
        next();
        const args: Node[] = [];
        if (peek() !== ')') { do { args.push(expr(0)); } while (peek() === ',' && next()); }
        expect(')');
        return { kind: 'call', fn: t.toUpperCase(), args };
      }
      return { kind: 'id', name: t };
    }
    throw new Error(`unexpected ${t} in ${src}`);
  };
  const expr = (minPrec: number): Node => {
    let left = primary();
    while (peek() !== undefined && PRECEDENCE[peek()] !== undefined && PRECEDENCE[peek()] > minPrec) {
      const op = next();
      const right = expr(PRECEDENCE[op]);
      left = { kind: 'bin', op, left, right };
    }
    return left;
  };
  const tree = expr(0);
  if (pos !== tokens.length) throw new Error(`trailing input in ${src}`);
  return tree;
}

export function evaluate(src: string, sample: Sample, periodSeconds = 60): number | undefined {
  const ev = (n: Node): number | undefined => {
    switch (n.kind) {
      case 'num': return n.value;
      case 'id':
        if (!(n.name in sample)) throw new Error(`unknown metric id ${n.name}`);
        return sample[n.name];
      case 'call': {
        if (n.fn === 'FILL') { const v = ev(n.args[0]); return v === undefined ? ev(n.args[1]) : v; }
        if (n.fn === 'PERIOD') return periodSeconds;
        if (n.fn === 'IF') {
          const c = ev(n.args[0]);
          if (c === undefined) return undefined;
          return c !== 0 ? ev(n.args[1]) : ev(n.args[2]);
        }
        throw new Error(`unsupported function ${n.fn}`);
      }
      case 'bin': {
        const a = ev(n.left);
        const b = ev(n.right);
        if (a === undefined || b === undefined) return undefined;
        switch (n.op) {
          case '+': return a + b;
          case '-': return a - b;
          case '*': return a * b;
          case '/': return b === 0 ? undefined : a / b; // CloudWatch drops points divided by zero
          case '>': return a > b ? 1 : 0;
          case '<': return a < b ? 1 : 0;
          case '>=': return a >= b ? 1 : 0;
          case '<=': return a <= b ? 1 : 0;
          case '==': return a === b ? 1 : 0;
          case '!=': return a !== b ? 1 : 0;
          case 'AND': case '&&': return a !== 0 && b !== 0 ? 1 : 0;
          case 'OR': case '||': return a !== 0 || b !== 0 ? 1 : 0;
        }
      }
    }
    throw new Error('unreachable');
  };
  return ev(parse(src));
}
