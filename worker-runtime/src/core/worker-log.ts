/**
 * The Worker's log, derived from its events alone: one JSON line per event worth a line, with
 * the message it concerns. Nothing here decides anything; a deployment that wants other lines
 * listens to the same events.
 */
import type { Logger } from './logger';
import type { WorkerEmitter } from './worker-events';

export function logWorkerEvents(events: WorkerEmitter, logger: Logger): void {
  events.on('started', (e) => logger.info('worker started', e));
  events.on('concurrency_changed', (e) => logger.debug('job slots changed', e));
  events.on('queue_settings_unknown', (e) => logger.warn(`could not read the queue visibility timeout; assuming ${e.assumedSeconds} s`, { error: e.error }));
  events.on('message_held', (e) => logger.info('message received', e));
  events.on('record_done', (r) => {
    const at = { messageId: r.messageId, receiveCount: r.receiveCount, key: r.key };
    if (r.status === 'written') logger.info('object processed', { ...at, outputKey: r.outputKey, durationMs: r.durationMs });
    else if (r.status === 'ignored') logger.info('record ignored', { ...at, why: r.reason });
    else logger.warn('record failed', { ...at, status: r.status, kind: r.kind, reason: r.reason });
  });
  events.on('job_timed_out', (e) => logger.warn('job timed out; its slot is free', e));
  events.on('message_deleted', (e) => logger.debug('message deleted', e));
  events.on('message_dead_lettered', (e) => logger.warn('moved to the dead-letter queue', {
    messageId: e.messageId, kind: e.reason.kind, reason: e.reason.message, key: e.reason.key,
  }));
  events.on('dead_letter_failed', (e) => logger.error('could not send to the dead-letter queue; will retry', e));
  events.on('message_retry', (e) => logger.info('will retry', e));
  events.on('retry_delay_failed', (e) => logger.warn('could not set the retry delay; the message returns after its visibility timeout', e));
  events.on('message_released', (e) => logger.debug('message released', e));
  events.on('release_failed', (e) => logger.warn('could not release a message; it returns after its visibility timeout', e));
  events.on('delete_failed', (e) => logger.warn('delete refused; the message will be redelivered', { messageId: e.messageId, code: e.code, error: e.message }));
  events.on('visibility_lost', (e) => logger.warn('visibility extension failed; aborting the job', e));
  events.on('message_abandoned', (e) => logger.warn('message left to the queue after losing visibility', e));
  events.on('settle_failed', (e) => logger.error('settling a message failed', e));
  events.on('receive_error', (e) => logger.warn('receive failed; backing off', e));
  events.on('loop_failed', (e) => logger.error('receive loop failed', e));
  events.on('draining', (e) => {
    const fields = { kind: e.kind, deadline: e.deadline.toISOString() };
    if (e.first) logger.info('draining', { ...fields, inFlight: e.inFlight });
    else logger.info('further interruption notice while draining', fields);
  });
  events.on('prefetch_released', (e) => logger.info('releasing prefetched messages', e));
  events.on('drain_deadline', (e) => logger.warn('drain deadline reached; releasing unfinished jobs', e));
  events.on('drain_cut_short', (e) => logger.warn('drain ended with calls still unanswered', e));
  events.on('lifecycle_heartbeat', (e) => {
    if (e.ok) logger.info('lifecycle heartbeat recorded', { inFlight: e.inFlight });
    else logger.warn('lifecycle heartbeat failed', { error: e.error });
  });
  events.on('lifecycle_completed', (e) => {
    if (e.ok) logger.info('lifecycle action completed', { hook: e.hookName, result: 'CONTINUE' });
    else logger.error('could not complete the lifecycle action; it times out by itself', { hook: e.hookName, error: e.error });
  });
  events.on('metrics_flush_failed', (e) => logger.warn('metrics flush failed', e));
  events.on('stopped', (e) => logger.info('stopped', { ...e.stats }));
}
