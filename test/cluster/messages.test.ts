// What the supervisor and its workers read of each other over IPC (src/cluster/messages.ts): only
// the shapes they expect; anything else is ignored (null), never trusted.

import { expect, test } from "bun:test";
import { readSupervisorMessage, readWorkerMessage } from "../../src/cluster/messages.ts";

test("a worker's messages: ready and snapshot as expected; anything else is null", () => {
  expect(readWorkerMessage({ t: "ready", index: 1, pid: 42 })).toEqual({ t: "ready", index: 1, pid: 42 });
  const snapshot = { t: "snapshot", snapshot: { index: 0 } };
  expect(readWorkerMessage(snapshot) as unknown).toEqual(snapshot);
  for (const bad of [
    null,
    "ready",
    42,
    [],
    { t: "ready", index: "1", pid: 42 },
    { t: "ready", index: 1 },
    { t: "snapshot" },
    { t: "snapshot", snapshot: null },
    { t: "snapshot", snapshot: { index: "0" } },
    { t: "table", workers: [] },
  ])
    expect(readWorkerMessage(bad)).toBeNull();
});

test("the supervisor's table as expected; anything else is null", () => {
  expect(readSupervisorMessage({ t: "table", workers: [] })).toEqual({ t: "table", workers: [] });
  for (const bad of [null, { t: "table" }, { t: "table", workers: {} }, { t: "ready", index: 0, pid: 1 }])
    expect(readSupervisorMessage(bad)).toBeNull();
});
