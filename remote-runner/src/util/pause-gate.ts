/** Where work waits while a run is paused; resume (or cancel, to let waiters see it) opens it. */
export class PauseGate {
  private gate: { promise: Promise<void>; open: () => void } | null = null;

  get paused(): boolean {
    return this.gate !== null;
  }

  /** Closes the gate; false when it already was. */
  close(): boolean {
    if (this.gate) return false;
    let open = (): void => {};
    const promise = new Promise<void>((r) => (open = r));
    this.gate = { promise, open };
    return true;
  }

  /** Opens the gate and lets every waiter through; false when it was open. */
  open(): boolean {
    if (!this.gate) return false;
    this.gate.open();
    this.gate = null;
    return true;
  }

  /** Resolves at once while open, else when the gate opens. */
  wait(): Promise<void> {
    return this.gate?.promise ?? Promise.resolve();
  }
}
