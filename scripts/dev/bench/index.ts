// `npm run bench`: cost of running the program (under Pulumi mocks, dryRun false) as the number
// of images grows, as ratios against a reference run of the same program with no distro enabled,
// measured in the same process. Results go to BENCHMARKS.md by hand.
import * as os from "os";
import { performance } from "perf_hooks";
import { runProgram } from "../mockProgram";
import { BENCH_SIZES, SECRETS, stackWith } from "./stacks";

const REPEATS = 3;
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
