/**
 * Splits Docker's multiplexed attach/exec stream (Tty off): frames of an 8-byte header
 * (stream type, 3 zero bytes, big-endian length) and a payload. Type 1 is stdout, 2 stderr.
 *
 * Linear in the bytes received: chunks are only joined once a whole frame is there, so a large frame
 * arriving in many small chunks is not copied again per chunk.
 */
export class DockerFrameDemuxer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the next frame can be cut: its header, then header and payload. */
  private need = 8;

  constructor(private readonly onFrame: (stream: 1 | 2, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= this.need) {
      const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
      let offset = 0;
      while (all.length - offset >= 8) {
        const type = all[offset];
        const size = all.readUInt32BE(offset + 4);
        if (all.length - offset < 8 + size) {
          this.need = 8 + size;
          break;
        }
        const payload = all.subarray(offset + 8, offset + 8 + size);
        if (type === 1 || type === 2) this.onFrame(type, payload);
        offset += 8 + size;
        this.need = 8;
      }
      const rest = all.subarray(offset);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      if (rest.length < 8) this.need = 8;
      if (rest.length < this.need) break;
    }
  }
}
