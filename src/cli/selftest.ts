/**
 * `vbridge selftest`: the vectors compiled into the binary through every implementation this CPU
 * can run (or the one named by --impl). Exit 1 on any mismatch.
 */
import { defineCommand } from "citty";
import { Hasher, runSelftest } from "../hash/index.ts";
import { implArg, implsOf, rejectUnknownOptions } from "./args.ts";

const args = implArg;

export const selftestCommand = defineCommand({
  meta: { name: "selftest", description: "check the built-in test vectors on every implementation" },
  args,
  run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    let failed = 0;
    for (const impl of implsOf(a.impl)) {
      const hasher = Hasher.open(impl);
      const r = runSelftest(hasher);
      hasher.close();
      for (const f of r.failures) console.log(`  FAIL ${impl} ${f}`);
      console.log(
        `${impl.padEnd(9)} ${r.failed === 0 ? "ok  " : "FAIL"}  ${r.passed} passed, ${r.failed} failed`,
      );
      failed += r.failed;
    }
    return failed === 0 ? 0 : 1;
  },
});
