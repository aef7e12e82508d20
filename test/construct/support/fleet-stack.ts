import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { QueueDrivenSpotWorkerFleet, QueueDrivenSpotWorkerFleetProps } from '../../../src';
import { testApp } from '../../support/test-app';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
/** A stand-in bundle folder, so the construct tests do not depend on `npx projen bundle:runtime`. */
export const FAKE_BUNDLE = path.join(FIXTURES, 'bundle');

export interface FleetUnderTest {
  readonly app: App;
  readonly stack: Stack;
  readonly fleet: QueueDrivenSpotWorkerFleet;
  readonly template: Template;
}

/** An env-agnostic stack holding one fleet, synthesized. */
export function synthFleet(
  props: QueueDrivenSpotWorkerFleetProps = {},
  setup?: (stack: Stack) => Partial<QueueDrivenSpotWorkerFleetProps>,
  after?: (fleet: QueueDrivenSpotWorkerFleet) => void,
): FleetUnderTest {
  const app = testApp();
  const stack = new Stack(app, 'TestStack');
  const extra = setup ? setup(stack) : {};
  const fleet = new QueueDrivenSpotWorkerFleet(stack, 'Fleet', { runtimeBundlePath: FAKE_BUNDLE, ...props, ...extra });
  after?.(fleet);
  return { app, stack, fleet, template: Template.fromStack(stack) };
}

/** The one resource of a type (fails if there are several). */
export function onlyResource(template: Template, type: string): { [key: string]: any } {
  const all = Object.values(template.findResources(type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** The boot script of the launch template, with CloudFormation references rendered as `<Ref>`. */
export function userDataOf(template: Template): string {
  const lt = onlyResource(template, 'AWS::EC2::LaunchTemplate');
  const render = (v: any): string => {
    if (typeof v === 'string') return v;
    if (v.Ref) return `<${v.Ref}>`;
    if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
    if (v['Fn::Join']) return v['Fn::Join'][1].map(render).join(v['Fn::Join'][0]);
    if (v['Fn::Sub']) return v['Fn::Sub'];
    return JSON.stringify(v);
  };
  return render(lt.Properties.LaunchTemplateData.UserData['Fn::Base64']);
}

/** A bring-your-own queue and DLQ, each encrypted with its own customer-managed KMS key (for `synthFleet`'s `extra`). */
export function byoKmsQueues(stack: Stack): { queue: sqs.IQueue; deadLetterQueue: sqs.IQueue } {
  const queueKey = new kms.Key(stack, 'QueueKey', { enableKeyRotation: true });
  const dlqKey = new kms.Key(stack, 'DlqKey', { enableKeyRotation: true });
  const deadLetterQueue = new sqs.Queue(stack, 'MyDlq', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: dlqKey, enforceSSL: true });
  const queue = new sqs.Queue(stack, 'MyQueue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: queueKey,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
  });
  return { queue, deadLetterQueue };
}
