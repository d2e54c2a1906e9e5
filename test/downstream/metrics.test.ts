import { describe, expect, test } from "bun:test";
import { DownstreamCounters, renderMetrics } from "../../src/downstream/metrics.ts";
import { FakeCore } from "./fake-core.ts";

describe("renderMetrics", () => {
  test("counters by reason and code; label values escaped; special values spelled as Prometheus does", () => {
    const c = new DownstreamCounters();
    c.move(null, "stratum");
    c.move("stratum", null);
    c.close("E_SLOW_READER");
    c.refuse("E_ORIGIN");
    c.refuse("E_ORIGIN");
    const core = new FakeCore();
    const stats = {
      ...core.stats(),
      hashrate: NaN,
      upstreams: [{ url: 'a"b\\c', state: "x\ny", extranonce1: null, difficulty: null, sessions: 0 }],
    };
    const text = renderMetrics(stats, c.snapshot());
    expect(text).toContain('vbridge_connections_closed_total{reason="E_SLOW_READER"} 1\n');
    expect(text).toContain('vbridge_connections_refused_total{code="E_ORIGIN"} 2\n');
    expect(text).toContain('vbridge_connections{kind="stratum"} 0\n');
    expect(text).toContain("vbridge_hashrate_hps NaN\n");
    expect(text).toContain('vbridge_upstream_connected{upstream="0"} 0\n');
    expect(text).not.toContain('a"b'); // upstream URLs are not labels
    const families = text.split("\n").filter((l) => l.startsWith("# TYPE")).length;
    expect(families).toBe(text.split("\n").filter((l) => l.startsWith("# HELP")).length);
    expect(text).not.toContain("vbridge_sockets"); // the counters alone do not know the gate
  });

  test("the gate's sockets: held (open, pending), the cap, evictions", () => {
    const snapshot = {
      ...new DownstreamCounters().snapshot(),
      sockets: { open: 7, pending: 2, evicted: 5, max: 954 },
    };
    const text = renderMetrics(new FakeCore().stats(), snapshot);
    expect(text).toContain(
      '# TYPE vbridge_sockets gauge\nvbridge_sockets{state="open"} 7\nvbridge_sockets{state="pending"} 2\n',
    );
    expect(text).toContain("vbridge_sockets_max 954\n");
    expect(text).toContain("# TYPE vbridge_sockets_evicted_total counter\nvbridge_sockets_evicted_total 5\n");
  });
});
