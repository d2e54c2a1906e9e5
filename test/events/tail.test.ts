// Reading the stream: tailEvents (entries decoded, in order, from an id or from now on, ending on
// abort even mid-read, Redis unreachable at the start an error) and `vbridge events tail` as a user
// runs it: one JSON line per event, --count, exit 0 on SIGINT.

import { RedisClient } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EventStream, tailEvents, type BridgeEvent, type TailEntry } from "../../src/events/index.ts";
import { silentLogger } from "../../src/util/log.ts";
import { ROOT } from "../cli/run-cli.ts";
import { freePort } from "../support/processes.ts";
import { startRedis, type Redis } from "../support/redis.ts";

let redis: Redis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.destroy();
});

/** Waits (bounded) until some client is blocked in XREAD: a tail past its start, "$" resolved. */
async function untilTailBlocks(): Promise<void> {
  const admin = new RedisClient(redis.url); // its own: a test before may have restarted Redis
  try {
    const deadline = Date.now() + 15_000;
    while (!String(await admin.send("CLIENT", ["LIST"])).includes("cmd=xread")) {
      if (Date.now() > deadline) throw new Error("no tail blocked in XREAD within 15 s");
      await Bun.sleep(20);
    }
  } finally {
    admin.close();
  }
}

let keys = 0;
/** A stream key of its own, with `n` shares published (and acknowledged) in it. */
async function published(n: number): Promise<{ key: string; stream: EventStream }> {
  const key = `tail:${++keys}`;
  const stream = EventStream.open({
    url: redis.url,
    stream: key,
    maxLen: 1000,
    buffer: 1000,
    log: silentLogger,
    source: "b7",
    clock: () => 42,
  });
  for (let i = 0; i < n; i++) stream.publish(share(i));
  const deadline = Date.now() + 10_000;
  while (stream.counters().published < n && Date.now() < deadline) await Bun.sleep(10);
  return { key, stream };
}

function share(i: number): BridgeEvent {
  return {
    type: "share",
    worker: `w${i}`,
    session: i,
    transport: "ws-msgpack",
    verdict: "accepted",
    difficulty: 2,
    stale: false,
    forwarded: i % 2 === 0,
  };
}

describe("tailEvents", () => {
  test("from 0 with a count: the entries in order, decoded", async () => {
    const { key, stream } = await published(5);
    const got: TailEntry[] = [];
    const n = await tailEvents({ url: redis.url, stream: key, from: "0", count: 3, log: silentLogger }, (e) =>
      got.push(e),
    );
    await stream.close();
    expect(n).toBe(3);
    expect(got.map((e) => e.event)).toEqual(
      [0, 1, 2].map((i) => ({
        type: "share",
        at: 42,
        bridge: "b7",
        seq: i + 1,
        worker: `w${i}`,
        session: i,
        transport: "ws-msgpack",
        verdict: "accepted",
        difficulty: 2,
        stale: false,
        forwarded: i % 2 === 0,
      })),
    );
    expect(got[0]!.id).toMatch(/^\d+-\d+$/);
  });

  test("from $: only what is published after the start; abort ends a blocked read", async () => {
    const { key, stream } = await published(2);
    const abort = new AbortController();
    const got: TailEntry[] = [];
    const done = tailEvents(
      { url: redis.url, stream: key, from: "$", signal: abort.signal, log: silentLogger, blockMs: 60_000 },
      (e) => {
        got.push(e);
        if (got.length === 2) abort.abort();
      },
    );
    await untilTailBlocks();
    stream.publish(share(10));
    stream.publish(share(11));
    expect(await done).toBe(2);
    expect(got.map((e) => e.event.seq)).toEqual([3, 4]);

    // Abort while blocked with nothing coming: resolves at once, not after blockMs.
    const idle = new AbortController();
    const t0 = Date.now();
    const waiting = tailEvents(
      { url: redis.url, stream: key, from: "$", signal: idle.signal, log: silentLogger, blockMs: 60_000 },
      () => {},
    );
    await untilTailBlocks();
    idle.abort();
    expect(await waiting).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await stream.close();
  });

  test("Redis unreachable at the start: E_EVENTS_CONNECT; a bad --from: E_EVENTS_CONFIG", async () => {
    const url = `redis://127.0.0.1:${freePort()}`;
    await expect(
      tailEvents({ url, stream: "k", from: "0", log: silentLogger }, () => {}),
    ).rejects.toMatchObject({ code: "E_EVENTS_CONNECT" });
    await expect(
      tailEvents({ url, stream: "k", from: "yesterday", log: silentLogger }, () => {}),
    ).rejects.toMatchObject({ code: "E_EVENTS_CONFIG" });
  });

  test("Redis restarted under a running tail: one warning, then it reads on", async () => {
    const { key, stream } = await published(1);
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    const got: TailEntry[] = [];
    const done = tailEvents({ url: redis.url, stream: key, from: "0", count: 3, log, blockMs: 500 }, (e) =>
      got.push(e),
    );
    await Bun.sleep(200);
    await redis.stop();
    await Bun.sleep(500);
    await redis.start(); // empty; the writer's buffer refills it
    stream.publish(share(1));
    stream.publish(share(2));
    expect(await done).toBe(3);
    await stream.close();
    expect(got.map((e) => e.event.seq)).toEqual([1, 2, 3]);
    expect(warnings).toEqual(["events tail: Redis unreachable, retrying"]);
  }, 30_000);
});

/**
 * `vbridge events tail ARGS` as a subprocess: through src/main.ts once the command is registered
 * there, until then through the same command under the same CLI boundary (runCli).
 */
async function spawnTail(args: string[]) {
  const main = await Bun.file(`${ROOT}/src/main.ts`).text();
  const argv = main.includes("eventsCommand")
    ? [process.execPath, "src/main.ts", "events", "tail", ...args]
    : [
        process.execPath,
        "-e",
        `import { defineCommand } from "citty";
         import { eventsCommand } from "./src/cli/events.ts";
         import { runCli } from "./src/cli/run.ts";
         const main = defineCommand({ meta: { name: "vbridge" }, subCommands: { events: eventsCommand } });
         await runCli(main, process.argv.slice(1)); // bun -e: no script path in argv`,
        "events",
        "tail",
        ...args,
      ];
  const proc = Bun.spawn(argv, { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const out = { stdout: "", stderr: "" };
  const read = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) out[into] += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([read(proc.stdout, "stdout"), read(proc.stderr, "stderr")]);
  // Never outlives its test.
  const killer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const exited = proc.exited.then(async (code) => {
    clearTimeout(killer);
    await drained;
    return { code, ...out };
  });
  return { proc, out, exited };
}

describe("vbridge events tail", () => {
  test("prints one JSON line per event, stops after --count", async () => {
    const { key, stream } = await published(4);
    await stream.close();
    const { code, stdout, stderr } = await (
      await spawnTail(["--redis", redis.url, "--stream", key, "--from", "0", "--count", "3"])
    ).exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const lines = stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.type, l.seq, l.worker])).toEqual([
      ["share", 1, "w0"],
      ["share", 2, "w1"],
      ["share", 3, "w2"],
    ]);
    expect(Object.keys(lines[0])).toEqual([
      "id",
      "type",
      "at",
      "bridge",
      "seq",
      "worker",
      "session",
      "transport",
      "verdict",
      "difficulty",
      "stale",
      "forwarded",
    ]);
  }, 30_000);

  test("follows new events and exits 0 on SIGINT", async () => {
    const { key, stream } = await published(1);
    const tail = await spawnTail(["--redis", redis.url, "--stream", key]);
    await untilTailBlocks();
    stream.publish(share(5));
    const deadline = Date.now() + 15_000;
    while (!tail.out.stdout.includes("\n") && Date.now() < deadline) await Bun.sleep(20);
    tail.proc.kill("SIGINT");
    const { code, stdout, stderr } = await tail.exited;
    await stream.close();
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(
      stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l).seq),
    ).toEqual([2]);
  }, 30_000);

  test("Redis unreachable: one line on stderr, exit 1", async () => {
    const { code, stdout, stderr } = await (
      await spawnTail(["--redis", `redis://127.0.0.1:${freePort()}`, "--from", "0"])
    ).exited;
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toContain("cannot reach Redis");
  }, 30_000);
});
