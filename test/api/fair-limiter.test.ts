import { describe, expect, it } from "vitest";
import { FairLimiter, type Release } from "../../remote-runner/src/api/fair-limiter.js";

describe("FairLimiter", () => {
  it("never grants more than the limit and shares slots evenly between waiting runs", async () => {
    const limiter = new FairLimiter(3);
    const order: string[] = [];
    const held: Release[] = [];
    const want = (run: string, n: number): Promise<void>[] =>
      Array.from({ length: n }, () =>
        limiter.acquire(run).then((release) => {
          order.push(run);
          held.push(release);
        }),
      );
    // Run A queues 6 episodes first; B and C ask later with 3 each.
    const all = [...want("A", 6), ...want("B", 3), ...want("C", 3)];
    await Promise.resolve();
    expect(limiter.stats().inUse).toBe(3);
    expect(order).toEqual(["A", "A", "A"]);
    // Free one slot at a time: the next grants rotate over the runs still waiting.
    let releases = 0;
    while (held.length) {
      releases += 1;
      const release = held.shift() as Release;
      release();
      release(); // a second call is a no-op, not a second slot
      await new Promise((r) => setImmediate(r));
      const st = limiter.stats();
      expect(st.inUse).toBeLessThanOrEqual(3);
      // Once A's early head start is given back, no waiting run holds two slots more than another.
      const waitingHeld = Object.keys(st.waiting).map((r) => st.held[r] ?? 0);
      if (releases >= 3 && waitingHeld.length > 1) expect(Math.max(...waitingHeld) - Math.min(...waitingHeld)).toBeLessThanOrEqual(1);
    }
    await Promise.all(all);
    // The early A releases go to B and C first: A gets no 4th slot before both have one each.
    expect(order.slice(3, 5).sort()).toEqual(["B", "C"]);
    expect(order.filter((r) => r === "A").length).toBe(6);
    expect(limiter.stats()).toEqual({ limit: 3, inUse: 0, held: {}, waiting: {} });
  });

  it("drops the waiters of a stopped run and rejects bad limits", async () => {
    const limiter = new FairLimiter(1);
    const first = await limiter.acquire("A");
    const waiting = limiter.acquire("B");
    expect(limiter.dropWaiters("B", "run B was cancelled")).toBe(1);
    await expect(waiting).rejects.toThrow("run B was cancelled");
    first();
    expect(limiter.stats().inUse).toBe(0);
    expect(() => new FairLimiter(0)).toThrow(/positive integer/);
  });
});
