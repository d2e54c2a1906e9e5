/**
 * `vbridge blocknotify HASH [--port 3956]`: what verusd's `-blocknotify="vbridge blocknotify %s"`
 * runs on a new block. It tells the built-in pool on this machine to fetch a template now, so
 * miners get the new block's clean job without waiting for the longpoll or the poll: one line
 * `vbridge.blocknotify` on the pool's Stratum port over loopback (the pool takes it from loopback
 * only), answered true. Exit 0 when the pool took it; 1 with one line when it did not or is not
 * there (verusd ignores the exit code; the longpoll still brings the block).
 */
import { defineCommand } from "citty";
import { BLOCKNOTIFY_METHOD } from "../pool/blocks.ts";
import { PoolError } from "../pool/errors.ts";
import { DEFAULT_PORT } from "../pool/options.ts";
import { parseIntFlag, rejectUnknownOptions } from "./args.ts";

const args = {
  hash: { type: "positional", required: false, description: "the new block's hash (verusd's %s)" },
  port: { type: "string", description: `the pool's Stratum port on 127.0.0.1 (default ${DEFAULT_PORT})` },
} as const;

const TIMEOUT_MS = 3_000;

export const blocknotifyCommand = defineCommand({
  meta: {
    name: "blocknotify",
    description: "tell the local built-in pool a new block arrived (verusd -blocknotify)",
  },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const port = a.port === undefined ? DEFAULT_PORT : parseIntFlag("port", a.port, 1, 65535);
    const hash = typeof a.hash === "string" ? a.hash.slice(0, 64) : "";
    const answer = await ask(
      port,
      JSON.stringify({ id: 1, method: BLOCKNOTIFY_METHOD, params: [hash] }) + "\n",
    );
    if (answer === "true") return 0;
    throw new PoolError("E_POOL_NOTIFY", `blocknotify: the pool on 127.0.0.1:${port} ${answer}`);
  },
});

/** "true" when the pool answered true; otherwise what went wrong, as the end of a sentence. */
function ask(port: number, line: string): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    let done = false;
    const finish = (s: string, socket?: { end(): void }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket?.end();
      resolve(s);
    };
    const timer = setTimeout(() => finish(`did not answer within ${TIMEOUT_MS} ms`), TIMEOUT_MS);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => void s.write(line),
        data: (s, chunk) => {
          text += chunk.toString();
          if (text.length > 64 * 1024) return finish("sent too much", s);
          for (const l of text.split("\n").slice(0, -1)) {
            try {
              const m = JSON.parse(l) as { id?: unknown; result?: unknown; error?: unknown };
              if (m.id !== 1) continue; // the pool's own notifications
              return finish(m.result === true ? "true" : `refused it: ${JSON.stringify(m.error)}`, s);
            } catch {
              return finish("answered something that is not JSON", s);
            }
          }
        },
        close: () => finish("closed the connection"),
        error: (_s, e) => finish(`failed: ${e.message}`),
      },
    }).catch((e: Error) => finish(`cannot be reached: ${e.message}`));
  });
}
