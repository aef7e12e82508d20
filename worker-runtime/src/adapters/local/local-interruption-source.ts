/**
 * Interruptions in local mode: the fleet injects a notice over IPC (what IMDS reports on EC2:
 * a Spot interruption with its two-minute deadline, or the ASG's lifecycle `Terminating` on
 * scale-in), and SIGTERM drains the same way as under systemd. SIGINT too: Ctrl-C in a terminal
 * reaches every process of the group, and a worker should drain, not die, when the run is stopped.
 */
import { isInterruptMessage } from './ipc-messages';
import type { InterruptionNotice, InterruptionSource } from '../../core/ports';

export class LocalInterruptionSource implements InterruptionSource {
  private onMessage?: (m: unknown) => void;
  private onSigterm?: () => void;

  start(onNotice: (notice: InterruptionNotice) => void): void {
    this.stop();
    this.onMessage = (m: unknown) => {
      if (!isInterruptMessage(m)) return;
      onNotice({
        kind: m.kind,
        deadline: m.deadline !== undefined ? new Date(m.deadline) : undefined,
        lifecycle: m.kind === 'lifecycle-terminating'
          ? { hookName: 'local-terminating', groupName: 'local-fleet', instanceId: `local-${process.pid}` }
          : undefined,
      });
    };
    this.onSigterm = () => onNotice({ kind: 'sigterm' });
    process.on('message', this.onMessage);
    process.on('SIGTERM', this.onSigterm);
    process.on('SIGINT', this.onSigterm);
  }

  stop(): void {
    if (this.onMessage) process.off('message', this.onMessage);
    if (this.onSigterm) {
      process.off('SIGTERM', this.onSigterm);
      process.off('SIGINT', this.onSigterm);
    }
    this.onMessage = undefined;
    this.onSigterm = undefined;
  }
}
