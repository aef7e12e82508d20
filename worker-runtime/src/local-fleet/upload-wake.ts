/**
 * Local mode's stand-in for the construct's wake on upload (src/wake/): an upload into the input
 * prefix raises the fleet's desired capacity from 0 to 1 at once, without waiting for the next
 * compressed CloudWatch minute; a fleet that already runs is left alone, as the wake function does.
 */
export class UploadWake {
  private pending = false;

  /** An upload raised its S3 event. */
  noteUpload(): void {
    this.pending = true;
  }

  /** The desired capacity after the uploads since the last call: 1 when it was 0, else unchanged. */
  apply(desired: number, maxCapacity: number): number {
    const woke = this.pending && desired === 0 && maxCapacity >= 1;
    this.pending = false;
    return woke ? 1 : desired;
  }
}
