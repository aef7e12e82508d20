/**
 * The runtime environment a synthesized fleet gives its workers: the env file of the launch
 * template's boot script (the heredoc, plus the lines the script appends from the instance metadata),
 * with CloudFormation references replaced by values of the right shape (queue URLs for queues, the
 * region for AWS::Region), as the runtime would read it after deployment.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { onlyResource } from './fleet-stack';

const REGION = 'us-east-1';
/** What the boot script reads from IMDS before appending it. */
const SHELL_VARS: Record<string, string> = { ASG_NAME: 'TestStack-FleetGroup-ABC123', INSTANCE_ID: 'i-0123456789abcdef0' };

function renderer(resources: Record<string, { Type: string }>): (v: any) => string {
  const ref = (id: string): string => {
    if (id === 'AWS::Region') return REGION;
    if (id.startsWith('AWS::')) return id.slice(5).toLowerCase();
    // A queue's Ref is its URL.
    if (resources[id]?.Type === 'AWS::SQS::Queue') return `https://sqs.${REGION}.amazonaws.com/123456789012/${id}`;
    return id.toLowerCase();
  };
  const render = (v: any): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    if (v.Ref) return ref(v.Ref);
    if (v['Fn::GetAtt']) return v['Fn::GetAtt'].join('-').toLowerCase();
    if (v['Fn::Join']) return v['Fn::Join'][1].map(render).join(v['Fn::Join'][0]);
    if (v['Fn::Select']) return render(v['Fn::Select'][1]).split(',')[v['Fn::Select'][0]] ?? '';
    if (v['Fn::Sub']) return (v['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_m, id: string) => ref(id));
    if (v['Fn::Split']) return render(v['Fn::Split'][1]).split(v['Fn::Split'][0]).join(',');
    throw new Error(`no rendering for ${JSON.stringify(v)}`);
  };
  return render;
}

/** A systemd EnvironmentFile value in double quotes: only `\\` and `\"` are escapes. */
function unquote(raw: string): string {
  const m = /^"(.*)"$/s.exec(raw);
  if (!m) throw new Error(`env value not in double quotes: ${raw}`);
  return m[1].replace(/\\(["\\])/g, '$1');
}

export function bootScriptOf(template: Template): string {
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;
  const lt = onlyResource(template, 'AWS::EC2::LaunchTemplate');
  return renderer(resources)(lt.Properties.LaunchTemplateData.UserData['Fn::Base64']);
}

/** The variables of /etc/spot-worker/env, in the order the file has them. */
export function workerEnvOf(template: Template): Record<string, string> {
  const lines = bootScriptOf(template).split('\n');
  const start = lines.findIndex((l) => /^cat > \/etc\/spot-worker\/env <<'SPOT_WORKER_ENV'$/.test(l));
  if (start < 0) throw new Error('the boot script writes no /etc/spot-worker/env heredoc');
  const env: Record<string, string> = {};
  let i = start + 1;
  for (; lines[i] !== 'SPOT_WORKER_ENV'; i++) {
    if (i >= lines.length) throw new Error('unterminated env heredoc');
    const eq = lines[i].indexOf('=');
    env[lines[i].slice(0, eq)] = unquote(lines[i].slice(eq + 1));
  }
  // Lines appended later: echo "NAME=\"$VAR\"" >> /etc/spot-worker/env, or echo 'NAME="literal"' >> ...
  for (; i < lines.length; i++) {
    const dq = /^echo "([A-Z0-9_]+)=\\"\$([A-Z_]+)\\"" >> \/etc\/spot-worker\/env$/.exec(lines[i]);
    if (dq) {
      if (!(dq[2] in SHELL_VARS)) throw new Error(`the boot script appends $${dq[2]}, which this reader does not know`);
      env[dq[1]] = SHELL_VARS[dq[2]];
      continue;
    }
    const sq = /^echo '([A-Z0-9_]+)=(".*")' >> \/etc\/spot-worker\/env$/.exec(lines[i]);
    if (sq) env[sq[1]] = unquote(sq[2]);
    else if (lines[i].includes('>> /etc/spot-worker/env')) throw new Error(`unparsed env line: ${lines[i]}`);
  }
  return env;
}
