// ports.ts — the supervisor claims the ports before any worker binds them: every worker binds with
// SO_REUSEPORT, which would also let it share a port with another program of the same user, so
// each port is first bound without it (taken → one line, as a single bridge says it); and a port
// given as 0 becomes one concrete free port, the same for every worker.

import { ClusterError } from "./errors.ts";

/** Binds host:port alone for a moment; the port bound (the kernel's choice for 0). */
function probe(host: string, port: number): number {
  try {
    const l = Bun.listen({ hostname: host, port, socket: { data() {} } });
    const bound = l.port;
    l.stop(true);
    return bound;
  } catch (e) {
    throw new ClusterError(
      "E_CLUSTER_PORT",
      `cannot listen on ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}

/**
 * `ports`: name → port; 0 is "any free port" for names in `ephemeral`, "off" for the others (kept
 * 0). Returns the concrete ports; throws E_CLUSTER_PORT when one is taken.
 */
export function claimPorts<K extends string>(
  host: string,
  ports: Record<K, number>,
  ephemeral: readonly NoInfer<K>[] = [],
): Record<K, number> {
  const out = { ...ports };
  for (const k of Object.keys(ports) as K[]) {
    const p = ports[k];
    if (p !== 0 || ephemeral.includes(k)) out[k] = probe(host, p);
  }
  return out;
}
