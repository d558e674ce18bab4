/**
 * Splits Docker's multiplexed attach/exec stream (Tty off): frames of an 8-byte header
 * (stream type, 3 zero bytes, big-endian length) and a payload. Type 1 is stdout, 2 stderr.
 */
export class DockerFrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: 1 | 2, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (this.pending.length - offset >= 8) {
      const type = this.pending[offset];
      const size = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset < 8 + size) break;
      const payload = this.pending.subarray(offset + 8, offset + 8 + size);
      if (type === 1 || type === 2) this.onFrame(type, payload);
      offset += 8 + size;
    }
    this.pending = offset === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(offset);
  }
}
