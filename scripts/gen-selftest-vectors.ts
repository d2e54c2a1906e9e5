/**
 * Regenerates src/hash/selftest-vectors.json: the VerusHash 2.2 subset of the shared vectors that
 * `vbridge selftest` carries inside the binary (notes, components and other algorithms stripped).
 *
 *   bun scripts/gen-selftest-vectors.ts [path/to/verushash.json]
 *
 * The output is committed; the binary never reads ../shared at run time. test/hash/selftest.test.ts
 * fails when the committed file no longer matches the shared vectors.
 */
import { join } from "node:path";
import { classify, type SelftestVectors, type SharedVector } from "../src/hash/vectors.ts";

export const SHARED_VECTORS = join(import.meta.dir, "../../shared/vectors/verushash.json");
export const OUTPUT = join(import.meta.dir, "../src/hash/selftest-vectors.json");
/** Recorded in the output; relative to the repository root. */
const SOURCE_NAME = "../shared/vectors/verushash.json";

/** One vector per line keeps diffs of the generated file readable. */
function render(set: SelftestVectors): string {
  const lines = set.vectors.map((v) => "    " + JSON.stringify(v));
  const steps = set.mining.steps.map((s) => "      " + JSON.stringify(s));
  return [
    "{",
    `  "source": ${JSON.stringify(set.source)},`,
    '  "vectors": [',
    lines.join(",\n"),
    "  ],",
    '  "mining": {',
    `    "job": ${JSON.stringify(set.mining.job)},`,
    '    "steps": [',
    steps.join(",\n"),
    "    ]",
    "  }",
    "}",
    "",
  ].join("\n");
}

if (import.meta.main) {
  const path = process.argv[2] ?? SHARED_VECTORS;
  const shared = (await Bun.file(path).json()) as SharedVector[];
  const set = classify(shared, SOURCE_NAME);
  await Bun.write(OUTPUT, render(set));
  console.log(`wrote ${OUTPUT}: ${set.vectors.length} vectors, ${set.mining.steps.length} mining steps`);
}
