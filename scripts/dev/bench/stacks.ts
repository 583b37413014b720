// The stacks the benchmarks run: the example site grown by Koji distros with both arches.
import { readStackFile } from "../../../config";
import { loadCatalogue } from "../../../distros/catalogue";
import * as path from "path";

/** (Koji distros, releases each): about 10, 50 and 200 images. */
export const BENCH_SIZES = (process.env.OSIP_BENCH_SIZES ?? "1x3,4x4,10x7")
    .split(",")
    .map((s) => s.split("x").map(Number) as [number, number]);

/** Secrets the program needs for a stack with test machines. */
export const SECRETS = { sshPrivateKey: "bench-key" };

/** A site-example stack with `distros` Koji distros (both arches), each keeping `releases` releases. */
export function stackWith(distros: number, releases: number): Record<string, unknown> {
    const base = readStackFile(path.join(__dirname, "..", "..", ".."), "site-example").raw;
    const keys = [...loadCatalogue().values()]
        .filter((e) => e.build.backend === "koji" && e.arches.length === 2)
        .map((e) => e.key);
    if (distros > keys.length) throw new Error(`only ${keys.length} Koji distros with two arches`);
    const ids = Array.from(
        { length: releases },
        (_, i) => `2026-${String(i + 1).padStart(2, "0")}-01`,
    );
    const chosen = keys.slice(0, distros);
    const builders = base.builders as { koji: Record<string, unknown> };
    return {
        ...base,
        builders: {
            ...builders,
            koji: {
                ...builders.koji,
                targets: Object.fromEntries(chosen.map((k) => [k, `${k}-image`])),
                installTrees: Object.fromEntries(
                    chosen.map((k) => [k, `https://mirror.example.org/${k}/`]),
                ),
            },
        },
        distros: Object.fromEntries(chosen.map((k) => [k, { releases: ids, keep: releases }])),
    };
}
