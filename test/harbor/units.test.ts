// The pure parts of the harbor kind: task.toml, the Dockerfile mapping, and Harbor's reward files.
import { describe, expect, it } from "vitest";
import { mapHarborDockerfile } from "../../remote-runner/src/envs/kinds/harbor/dockerfile.js";
import { parseTaskToml, sizeToMb } from "../../remote-runner/src/envs/kinds/harbor/task-config.js";
import { parseReward } from "../../remote-runner/src/envs/kinds/harbor/verifier.js";

describe("task.toml", () => {
  it("reads the verifier and agent time limits, resources and internet access", () => {
    const { config, problems } = parseTaskToml(
      'version = "1.0"\n[metadata]\ndifficulty = "easy"\n[verifier]\ntimeout_sec = 90.0\n[verifier.env]\nMODE = "strict"\n[agent]\ntimeout_sec = 300\n[environment]\ncpus = 2\nmemory = "2G"\nstorage_mb = 10240\nallow_internet = true\n',
    );
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ verifierTimeoutSec: 90, agentTimeoutSec: 300, cpus: 2, memoryMb: 2048, storageMb: 10240, allowInternet: true, verifierEnv: { MODE: "strict" }, metadata: { difficulty: "easy" } });
    expect(parseTaskToml("").config).toMatchObject({ verifierTimeoutSec: 600, agentTimeoutSec: null, allowInternet: false });
    expect(sizeToMb("512M")).toBe(512);
    expect(sizeToMb("lots")).toBeNull();
  });

  it("names bad values and broken syntax with the fix", () => {
    expect(parseTaskToml("[verifier]\ntimeout_sec = -1\n").problems[0]).toMatch(/\[verifier\] timeout_sec must be a positive number.*Fix: e\.g\. timeout_sec = 120\.0/);
    expect(parseTaskToml('[environment]\nmemory = "plenty"\n').problems[0]).toMatch(/memory = "plenty" is not a size/);
    expect(parseTaskToml("[verifier\ntimeout_sec = 1\n").problems[0]).toMatch(/not valid TOML at line 1/);
  });
});

describe("environment/Dockerfile onto the offline base", () => {
  it("maps Debian, Ubuntu and Python images, keeps stage names and finds the workdir", () => {
    const m = mapHarborDockerfile("FROM python:3.11-slim AS build\nRUN echo hi\nFROM docker.io/library/ubuntu:24.04\nWORKDIR /app\nWORKDIR src\n", "t");
    expect(m.from).toEqual(["python:3.11-slim", "docker.io/library/ubuntu:24.04"]);
    expect(m.text).toMatch(/^ARG BASE_IMAGE\nFROM \$\{BASE_IMAGE\} AS build\nRUN echo hi\nFROM \$\{BASE_IMAGE\}\n/);
    expect(m.workdir).toBe("/app/src");
    expect(m.text).toMatch(/chown -R 1000:1000 \/app\/src \/tests \/solution \/logs/);
    expect(m.text.trim().split("\n").pop()).toBe("WORKDIR /app/src");
  });

  it("refuses an image it cannot map, naming it and the fix", () => {
    expect(() => mapHarborDockerfile("FROM node:20\n", "web")).toThrow(/task "web": environment\/Dockerfile builds FROM node:20, which this runner cannot map.*Fix:/);
    expect(() => mapHarborDockerfile("RUN true\n", "x")).toThrow(/has no FROM line/);
  });
});

describe("Harbor's reward files", () => {
  it("reward.txt first, any number; reward.json's other numbers become components", () => {
    expect(parseReward("0.25\n", '{"reward": 1}', "t")).toEqual({ file: "reward.txt", rewards: { reward: 0.25 }, total: 0.25 });
    expect(parseReward(null, '{"reward": 0.5, "count": 1, "errors": 0, "note": "x"}', "t")).toEqual({ file: "reward.json", rewards: { reward: 0.5, count: 1, errors: 0 }, total: 0.5 });
    expect(parseReward(null, '{"accuracy": 0.75}', "t").total).toBe(0.75);
  });

  it("a missing or malformed reward is a task error that says what to write", () => {
    expect(() => parseReward(null, null, "t")).toThrow(/wrote no reward .*Fix: make test\.sh write the reward on every path/);
    expect(() => parseReward("yes", null, "t")).toThrow(/holds "yes", not a number/);
    expect(() => parseReward(null, '{"a": 1, "b": 0}', "t")).toThrow(/the numbers a, b but no "reward"/);
  });
});
