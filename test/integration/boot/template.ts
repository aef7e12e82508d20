/**
 * The boot proof's template side: synthesizes a fleet (with the x64 runtime bundle, so the asset
 * runs on this machine), and resolves CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Join,
 * Fn::Sub, Fn::Base64, Fn::Select, Fn::Split) against the values of the resources the test
 * created, as a deployment would. A reference to anything the test did not create fails, naming it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { QueueDrivenSpotWorkerFleet, QueueDrivenSpotWorkerFleetProps } from '../../../src';

export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface Template {
  readonly Resources: Record<string, Resource>;
}

export interface FileAsset {
  readonly file: string;
  readonly bucketName: string;
  readonly objectKey: string;
}

export interface SynthesizedFleet {
  readonly outdir: string;
  readonly template: Template;
  /** The file assets of the stack (cdk.out/<stack>.assets.json), as cdk-assets would publish them. */
  readonly fileAssets: FileAsset[];
}

/** Synthesizes one stack holding one fleet into a new temporary cdk.out. */
export function synthesizeFleet(props: QueueDrivenSpotWorkerFleetProps | ((stack: Stack) => QueueDrivenSpotWorkerFleetProps)): SynthesizedFleet {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'spot-boot-cdk-out-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'BootProof');
  new QueueDrivenSpotWorkerFleet(stack, 'Fleet', typeof props === 'function' ? props(stack) : props);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, `${artifact.stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string; packaging?: string }; destinations: Record<string, { bucketName: string; objectKey: string }> }>;
  };
  const fileAssets: FileAsset[] = [];
  for (const [id, asset] of Object.entries(manifest.files)) {
    if ((asset.source.packaging ?? 'file') !== 'file') throw new Error(`asset ${id} is packaged as '${asset.source.packaging}': the boot proof publishes file assets only`);
    for (const d of Object.values(asset.destinations)) {
      fileAssets.push({ file: path.join(outdir, asset.source.path), bucketName: d.bucketName, objectKey: d.objectKey });
    }
  }
  return { outdir, template: artifact.template as Template, fileAssets };
}

/** What references resolve to: `Ref` by logical id or pseudo parameter, `Fn::GetAtt` by `LogicalId.Attribute`. */
export interface Deployment {
  readonly refs: Record<string, string>;
  readonly attributes: Record<string, string>;
}

export function resolve(value: unknown, d: Deployment): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, d));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0];
    switch (fn) {
      case 'Ref': return ref(arg as string, d);
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg as string[] : (arg as string).split('.');
        return att(`${id}.${attr}`, d);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (resolve(parts, d) as unknown[]).map(String).join(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = typeof arg === 'string' ? [arg, {}] : arg as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (name in vars) return String(resolve(vars[name], d));
          return name.includes('.') ? att(name, d) : ref(name, d);
        });
      }
      case 'Fn::Base64': return Buffer.from(String(resolve(arg, d))).toString('base64');
      case 'Fn::Select': {
        const [i, list] = arg as [unknown, unknown];
        return (resolve(list, d) as unknown[])[Number(resolve(i, d))];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(resolve(text, d)).split(sep);
      }
      default:
        if (fn.startsWith('Fn::')) throw new Error(`the boot proof does not resolve ${fn}`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, d)]));
}

function ref(name: string, d: Deployment): string {
  const v = d.refs[name];
  if (v === undefined) throw new Error(`the template refers to ${name}, which the boot proof did not create (add it to boot-world.ts)`);
  return v;
}

function att(name: string, d: Deployment): string {
  const v = d.attributes[name];
  if (v === undefined) throw new Error(`the template uses Fn::GetAtt ${name}, which the boot proof did not create (add it to boot-world.ts)`);
  return v;
}

/** The one launch template's user data, decoded as EC2 hands it to cloud-init. */
export function userData(template: Template, d: Deployment): string {
  const lts = Object.values(template.Resources).filter((r) => r.Type === 'AWS::EC2::LaunchTemplate');
  if (lts.length !== 1) throw new Error(`expected one launch template, found ${lts.length}`);
  const data = (lts[0].Properties!.LaunchTemplateData as Record<string, unknown>).UserData;
  return Buffer.from(String(resolve(data, d)), 'base64').toString('utf8');
}

/** The resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
