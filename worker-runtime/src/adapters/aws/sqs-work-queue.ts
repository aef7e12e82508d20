/** The work queue on Amazon SQS (WorkQueue port). */
import {
  ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, MessageAttributeValue,
  ReceiveMessageCommand, SendMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import { AwsTimeouts, DEFAULT_AWS_TIMEOUTS, receiveRequestTimeoutMs } from './aws-clients';
import type {
  DeadLetterReason, DeleteEntry, DeleteResult, QueueDepth, QueueMessage, ReceiveOptions, WorkQueue,
} from '../../core/ports';

/** Message attribute values are capped to keep the DLQ copy well under SQS's 256 KiB. */
const MAX_ATTRIBUTE_CHARS = 1024;

/**
 * Characters SQS refuses in message attributes: all but #x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD
 * and #x10000–#x10FFFF (SQS API reference, SendMessage). A lone surrogate is refused too.
 */
const NOT_ALLOWED_IN_SQS = /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/**
 * An attribute value SendMessage accepts: refused characters written as `\uXXXX` (so a key with
 * control characters still reaches the DLQ, readable), and capped in length.
 */
export function attributeText(value: string): string {
  const safe = value.replace(NOT_ALLOWED_IN_SQS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (safe.length <= MAX_ATTRIBUTE_CHARS) return safe;
  // Never cut a surrogate pair in half (a lone surrogate is refused).
  const cut = safe.slice(0, MAX_ATTRIBUTE_CHARS - 1).replace(/[\ud800-\udbff]$/, '');
  return `${cut}…`;
}

function attr(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: attributeText(value) };
}

export class SqsWorkQueue implements WorkQueue {
  private cached?: { visibility: number; maxReceiveCount?: number };

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly deadLetterQueueUrl: string,
    /** The client's timeouts; a long poll's own request timeout adds its wait to them. */
    private readonly timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS,
  ) {}

  async receive(options: ReceiveOptions): Promise<QueueMessage[]> {
    const res = await this.client.send(new ReceiveMessageCommand({
      QueueUrl: this.queueUrl,
      MaxNumberOfMessages: Math.min(10, Math.max(1, options.maxMessages)),
      WaitTimeSeconds: options.waitTimeSeconds,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
    }), { abortSignal: options.signal, requestTimeout: receiveRequestTimeoutMs(options.waitTimeSeconds, this.timeouts) });
    return (res.Messages ?? []).flatMap((m) => {
      if (!m.MessageId || !m.ReceiptHandle) return [];
      const count = Number(m.Attributes?.ApproximateReceiveCount ?? '1');
      const sent = Number(m.Attributes?.SentTimestamp);
      return [{
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle,
        body: m.Body ?? '',
        receiveCount: Number.isFinite(count) && count > 0 ? count : 1,
        sentAt: Number.isFinite(sent) ? sent : undefined,
      }];
    });
  }

  async deleteBatch(entries: ReadonlyArray<DeleteEntry>): Promise<DeleteResult> {
    if (entries.length === 0) return { failed: [] };
    const res = await this.client.send(new DeleteMessageBatchCommand({
      QueueUrl: this.queueUrl,
      Entries: entries.map((e) => ({ Id: e.id, ReceiptHandle: e.receiptHandle })),
    }));
    const failed = (res.Failed ?? []).map((f) => ({ id: f.Id ?? '', code: f.Code ?? 'Unknown', message: f.Message ?? '' }));
    // An entry neither in Successful nor in Failed was not confirmed: report it as failed.
    const known = new Set([...(res.Successful ?? []).map((s) => s.Id), ...failed.map((f) => f.id)]);
    for (const e of entries) {
      if (!known.has(e.id)) failed.push({ id: e.id, code: 'Unconfirmed', message: 'the queue did not confirm this delete' });
    }
    return { failed };
  }

  async changeVisibility(receiptHandle: string, timeoutSeconds: number): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({
      QueueUrl: this.queueUrl,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(timeoutSeconds))),
    }));
  }

  async sendToDeadLetter(message: QueueMessage, reason: DeadLetterReason): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      FailureKind: attr(reason.kind),
      FailureReason: attr(reason.message),
      OriginalMessageId: attr(message.messageId),
      ReceiveCount: { DataType: 'Number', StringValue: String(message.receiveCount) },
    };
    if (reason.key !== undefined) attributes.SourceKey = attr(reason.key);
    if (reason.bucket !== undefined) attributes.SourceBucket = attr(reason.bucket);
    await this.client.send(new SendMessageCommand({
      QueueUrl: this.deadLetterQueueUrl,
      // An empty body is not allowed by SQS; keep something readable.
      MessageBody: message.body === '' ? '(empty message body)' : message.body,
      MessageAttributes: attributes,
    }));
  }

  async visibilityTimeoutSeconds(): Promise<number> {
    return (await this.settings()).visibility;
  }

  async maxReceiveCount(): Promise<number | undefined> {
    return (await this.settings()).maxReceiveCount;
  }

  /** The queue's visibility timeout and redrive threshold, read once (one GetQueueAttributes). */
  private async settings(): Promise<{ visibility: number; maxReceiveCount?: number }> {
    if (this.cached === undefined) {
      const res = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }));
      const v = Number(res.Attributes?.VisibilityTimeout);
      let maxReceiveCount: number | undefined;
      try {
        const n = Number((JSON.parse(res.Attributes?.RedrivePolicy ?? '{}') as { maxReceiveCount?: unknown }).maxReceiveCount);
        maxReceiveCount = Number.isInteger(n) && n > 0 ? n : undefined;
      } catch {
        maxReceiveCount = undefined; // not JSON: as if there were no redrive
      }
      this.cached = { visibility: Number.isFinite(v) && v > 0 ? v : 30, maxReceiveCount };
    }
    return this.cached;
  }

  async approximateDepth(): Promise<QueueDepth> {
    const res = await this.client.send(new GetQueueAttributesCommand({
      QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }));
    const count = (name: string): number => {
      const v = Number(res.Attributes?.[name as keyof typeof res.Attributes]);
      // An attribute missing from the answer is not evidence of an empty queue.
      if (!Number.isFinite(v)) throw new Error(`GetQueueAttributes returned no ${name}`);
      return v;
    };
    return { visible: count('ApproximateNumberOfMessages'), notVisible: count('ApproximateNumberOfMessagesNotVisible') };
  }
}
