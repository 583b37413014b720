// `npm run bench`: cost of running the program (under Pulumi mocks, dryRun false) as the number
// of images grows, as ratios against a reference run of the same program with no distro enabled,
// measured in the same process. Results go to BENCHMARKS.md by hand.
import * as os from "os";
import { performance } from "perf_hooks";
import { loadCatalogue } from "../../distros/catalogue";
import { runProgram, stackConfig } from "../../test/unit/harness";

const REPEATS = 3;
/** (Koji distros, releases each): about 10, 50 and 200 images. */
const BENCH_SIZES = (process.env.OSIP_BENCH_SIZES ?? "1x3,4x4,10x7")
    .split(",")
    .map((s) => s.split("x").map(Number) as [number, number]);
const SECRETS = { sshPrivateKey: "bench-key" };

/** A site-example stack with `distros` Koji distros (both arches), each keeping `releases` releases. */
function stackWith(distros: number, releases: number): Record<string, unknown> {
    const base = stackConfig("site-example");
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

async function median(
    config: Record<string, unknown>,
): Promise<{ ms: number; resources: number; images: number }> {
    const times: number[] = [];
    let resources = 0;
    let images = 0;
    for (let i = 0; i < REPEATS; i++) {
        const t0 = performance.now();
        const run = await runProgram("site-example", config, { secrets: SECRETS });
        times.push(performance.now() - t0);
        resources = run.resources.length;
        images = run.resources.filter((r) => r.type === "openstack:images/image:Image").length;
    }
    times.sort((a, b) => a - b);
    return { ms: times[Math.floor(REPEATS / 2)], resources, images };
}

async function main(): Promise<void> {
    console.log(
        `node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; median of ${REPEATS}`,
    );
    const reference = await median({ ...stackWith(1, 1), distros: {} });
    console.log(`reference (no distro: load, config, catalogue): ${reference.ms.toFixed(0)} ms`);
    console.log("| images | resources | median ms | ratio to reference | ms per image |");
    console.log("|---|---|---|---|---|");
    for (const [distros, releases] of BENCH_SIZES) {
        const r = await median(stackWith(distros, releases));
        console.log(
            `| ${r.images} | ${r.resources} | ${r.ms.toFixed(0)} | ${(r.ms / reference.ms).toFixed(1)} | ${((r.ms - reference.ms) / r.images).toFixed(1)} |`,
        );
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
