// `npm run bench -- engine`: `pulumi preview` of growing catalogues through the real engine (CLI,
// language host, plugins of .toolchain/), as ratios against a bare preview of an empty program in
// the same run; a no-op `up` of that program; the peak memory of the program and of the engine.
// The cloud is a stand-in on 127.0.0.1 (standInCloud.ts): nothing is promoted, so a preview only
// asks it for evidence, and finds none.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { ScratchProject } from "../engineWorkspace";
import { median, peakMemory } from "./measure";
import { startStandInCloud } from "./standInCloud";
import { BENCH_SIZES, SECRETS, stackWith } from "./stacks";

const REPEATS = Number(process.env.OSIP_BENCH_REPEATS ?? 3);

async function main(): Promise<void> {
    const cloud = await startStandInCloud(["site-test", "site-prod"], "site-1");
    // The docker provider connects to its engine even in preview.
    const dockerDir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-bench-docker-"));
    const dockerd = path.join(__dirname, "..", "..", "ci", "services", "dockerd.sh");
    const dockerHost = execFileSync("bash", [dockerd, "start", dockerDir], { encoding: "utf8" })
        .trim()
        .replace(/^DOCKER_HOST=/, "");
    const project = new ScratchProject({
        OS_CLIENT_CONFIG_FILE: cloud.cloudsYaml,
        DOCKER_HOST: dockerHost,
    });
    try {
        const stack = await project.programStack("bench");
        const timed = async (what: () => Promise<unknown>) => {
            const times: number[] = [];
            for (let i = 0; i < REPEATS; i++) {
                const t0 = performance.now();
                await what();
                times.push(performance.now() - t0);
            }
            return median(times);
        };
        project.writeStack("bench", { ...stackWith(1, 1), distros: {} });
        const bare = await timed(() => stack.preview());
        await stack.up();
        const noop = await timed(() => stack.up());
        console.log(`bare preview of the empty program: ${bare.toFixed(0)} ms (the reference)`);
        console.log(
            `no-op up of the same program: ${noop.toFixed(0)} ms, ratio ${(noop / bare).toFixed(2)}`,
        );
        console.log(
            "| images | resources | preview ms | ratio to reference | ms per image | program peak MiB | engine + plugins peak MiB |",
        );
        console.log("|---|---|---|---|---|---|---|");
        for (const [distros, releases] of BENCH_SIZES) {
            project.writeStack("bench", stackWith(distros, releases));
            await stack.setConfig("sshPrivateKey", { value: SECRETS.sshPrivateKey, secret: true });
            let resources = 0;
            let images = 0;
            const {
                result: ms,
                program,
                engine,
            } = await peakMemory(() =>
                timed(async () => {
                    const p = await stack.preview();
                    resources = p.changeSummary.create ?? 0;
                    images = (p.stdout.match(/openstack:images:Image /g) ?? []).length;
                }),
            );
            console.log(
                `| ${images} | ${resources} | ${ms.toFixed(0)} | ${(ms / bare).toFixed(1)} | ${((ms - bare) / images).toFixed(1)} | ${program.toFixed(0)} | ${engine.toFixed(0)} |`,
            );
        }
        await stack.destroy();
    } finally {
        project.remove();
        await cloud.close();
        execFileSync("bash", [dockerd, "stop", dockerDir]);
        fs.rmSync(dockerDir, { recursive: true, force: true });
    }
    console.log(`stand-in cloud requests: ${JSON.stringify(Object.fromEntries(cloud.requests))}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
