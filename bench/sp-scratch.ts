import { benchSharePath } from "../src/perf/share-path.ts";
const t = (process.argv[2] ?? "ws-msgpack") as "ws-msgpack" | "stratum";
console.log(JSON.stringify(await benchSharePath({ transport: t, impl: "auto" })));
process.exit(0);
