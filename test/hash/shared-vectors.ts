/**
 * The shared vector file (../shared/vectors/verushash.json, beside the repository), classified
 * into the VerusHash 2.2 / miner-rule checks that apply to vbridge. Shared by the hash tests.
 */
import { join } from "node:path";
import { classify, type SelftestVectors, type SharedVector } from "../../src/hash/vectors.ts";

export const SHARED_VECTORS_PATH = join(import.meta.dir, "../../../shared/vectors/verushash.json");

export const sharedRaw = (await Bun.file(SHARED_VECTORS_PATH).json()) as SharedVector[];

export const shared: SelftestVectors = classify(sharedRaw, "../shared/vectors/verushash.json");
