// How the runner launches the trainer: one process, torchrun on this machine, or torchrun over
// several machines with this one as node 0 (its rank 0 serves HTTP) and the command for the others.
import { describe, expect, it } from "vitest";
import { trainerLaunch } from "../../remote-runner/src/training/trainer-process.js";

const SERVE = ["-m", "agentrl_trainer", "serve", "--port", "0", "--output-dir", "/out", "--exit-with-stdin"];
const o = { outputDir: "/out", logFile: "/out/trainer.log" };

describe("trainer launch", () => {
  it("runs one process without torchrun, and torchrun --standalone for --nproc > 1", () => {
    expect(trainerLaunch({ ...o, nproc: 1 }, SERVE).args).toEqual(SERVE);
    expect(trainerLaunch({ ...o, nproc: 2 }, SERVE).args).toEqual(["-m", "torch.distributed.run", "--nproc-per-node", "2", "--standalone", ...SERVE]);
  });

  it("puts node 0 here over several machines, and gives the other nodes their command without stdin", () => {
    const l = trainerLaunch({ ...o, nproc: 8, nnodes: 2, rdzvEndpoint: "10.0.0.1:29500" }, SERVE);
    const multi = (k: number): string[] => ["-m", "torch.distributed.run", "--nproc-per-node", "8", "--nnodes", "2", "--node-rank", String(k), "--master-addr", "10.0.0.1", "--master-port", "29500"];
    expect(l.args).toEqual([...multi(0), ...SERVE]);
    expect(l.otherNode(1)).toEqual([...multi(1), ...SERVE.filter((a) => a !== "--exit-with-stdin")]);
    expect(() => trainerLaunch({ ...o, nproc: 8, nnodes: 2 }, SERVE)).toThrow(/Fix: pass --rdzv-endpoint HOST:PORT/);
  });
});
