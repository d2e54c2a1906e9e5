// Every pool → miner line of every recorded transcript, fed to a session in order: each must be
// read without a protocol error, and the recorded handshakes must produce subscribed/authorized
// sessions with one job per notify (verus-stratum.md §11: "accept every shape listed in §3").

import { describe, expect, test } from "bun:test";
import { fromPool, transcriptFiles, wireLines } from "../protocol/fixtures.ts";
import { SessionRig } from "./helpers.ts";

describe("replaying the transcripts' pool lines", () => {
  for (const file of transcriptFiles().filter((f) => !f.startsWith("rpc-"))) {
    test(file, () => {
      const byConn = new Map<string, string[]>();
      for (const w of wireLines(file))
        if (fromPool(w.dir)) byConn.set(w.conn, [...(byConn.get(w.conn) ?? []), w.text]);
      // Only connections whose subscribe was id 1, as ours is: other ids would answer requests
      // we never made (verusProxy's upstream uses id 0 for subscribe and 1 for every submit).
      const replayable = [...byConn].filter(([, lines]) => /^\{"id":1,"result":\[/.test(lines[0]!));
      if (file.startsWith("verusproxy-upstream")) expect(replayable).toEqual([]);
      else expect(replayable.length).toBeGreaterThan(0);
      for (const [conn, lines] of replayable) {
        const rig = new SessionRig();
        rig.session.start(0);
        for (const line of lines) rig.feed(line);
        expect({ conn, ends: rig.of("end").map((e) => e.reason.code) }).toEqual({ conn, ends: [] });
        expect(rig.of("subscribed")).toHaveLength(1);
        const notifies = lines.filter((l) => l.includes('"method":"mining.notify"')).length;
        expect(rig.of("job")).toHaveLength(notifies);
        if (notifies > 0) expect(rig.of("target").length).toBeGreaterThan(0);
      }
    });
  }

  test("v-nomp on a difficulty-1 port sends no set_target: the default target stands in", () => {
    const lines = wireLines("vnomp-rawclient-diff1-quirk-no-set_target.jsonl").filter((w) => fromPool(w.dir));
    const rig = new SessionRig();
    rig.session.start(0);
    for (const w of lines) rig.feed(w.text);
    expect(rig.of("target").map((t) => t.source)).toEqual(["default"]);
    expect(rig.of("job").length).toBeGreaterThan(0);
  });
});
