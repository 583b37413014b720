// `npm run bench:lab` (root): the lab's real Glance, started by scripts/dev/lab-services.sh.
// 1. Upload of a 1 GiB image through the stack (openstack.images.Image, the way GlanceImage
//    uploads, a whole `pulumi up`) against `openstack image create` of the same file in the same
//    run, alternating; the ratio is CLI time / stack time (1 = as fast as the CLI).
// 2. The lab cycle by phase, read from the newest `npm run lab` log that created a release
//    (.lab/logs/up-*.log); a no-op `pulumi up --refresh` of the lab stack (the engine's own time
//    in every update) and the peak memory of the program during it.
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import { promisify } from "util";
import * as openstack from "@pulumi/openstack";
import { engineEnv, ROOT, ScratchProject } from "../engineWorkspace";
import { median, peakMemory } from "./measure";

const ROUNDS = Number(process.env.OSIP_BENCH_REPEATS ?? 3);
const SIZE_MIB = 1024;
const LAB = path.join(ROOT, ".lab");

function labEnv(): Record<string, string> {
    execFileSync("bash", [path.join(ROOT, "scripts/dev/lab-services.sh"), "up"], {
        stdio: "inherit",
    });
    return {
        OS_CLIENT_CONFIG_FILE: path.join(LAB, "clouds.yaml"),
        DOCKER_HOST: `unix://${LAB}/services/docker/docker.sock`,
    };
}

function openstackCli(env: Record<string, string>, ...args: string[]): string {
    return execFileSync("openstack", ["--os-cloud", "lab-prod", ...args], {
        env: { ...process.env, ...env },
        encoding: "utf8",
    });
}

async function uploadRatio(env: Record<string, string>): Promise<void> {
    const file = path.join(LAB, "bench", `random-${SIZE_MIB}MiB.raw`);
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        execFileSync("head", ["-c", `${SIZE_MIB}M`, "/dev/urandom"], {
            stdio: ["ignore", fs.openSync(file, "w"), "inherit"],
        });
    }
    execFileSync("cat", [file], { stdio: ["ignore", "ignore", "inherit"] }); // page cache warm for both
    const project = new ScratchProject(env);
    const stack = await project.inlineStack("bench-upload", async () => {
        const provider = new openstack.Provider("production", { cloud: "lab-prod" });
        new openstack.images.Image(
            "bench",
            {
                name: "osimages-bench-stack",
                localFilePath: file,
                diskFormat: "raw",
                containerFormat: "bare",
                visibility: "private",
            },
            { provider },
        );
    });
    const stackTimes: number[] = [];
    const cliTimes: number[] = [];
    try {
        for (let i = 0; i < ROUNDS; i++) {
            let t = performance.now();
            await stack.up();
            stackTimes.push((performance.now() - t) / 1000);
            await stack.destroy();
            t = performance.now();
            const id = openstackCli(
                env,
                "image",
                "create",
                "--file",
                file,
                "--disk-format",
                "raw",
                "--container-format",
                "bare",
                "--private",
                "-f",
                "value",
                "-c",
                "id",
                "osimages-bench-cli",
            ).trim();
            cliTimes.push((performance.now() - t) / 1000);
            openstackCli(env, "image", "delete", id);
            console.log(
                `round ${i + 1}: stack ${stackTimes[i].toFixed(2)} s, CLI ${cliTimes[i].toFixed(2)} s`,
            );
        }
    } finally {
        await stack.destroy().catch(() => undefined);
        project.remove();
    }
    const s = median(stackTimes);
    const c = median(cliTimes);
    console.log(
        `| ${SIZE_MIB} MiB upload | stack (pulumi up) ${s.toFixed(2)} s | openstack image create ${c.toFixed(2)} s | ratio ${(c / s).toFixed(3)} |`,
    );
}

/** Seconds each resource took, from a `pulumi up` log: `<type> <name> created (12s)`. */
export function resourceDurations(log: string): Map<string, number> {
    const found = new Map<string, number>();
    for (const m of log.matchAll(/^ [+~] +\S+ (\S+) (?:created|updated) \(([\d.]+)(m?)s\)/gm)) {
        found.set(m[1], Number(m[2]) * (m[3] ? 60 : 1));
    }
    return found;
}

function labPhases(): void {
    const logs = path.join(LAB, "logs");
    const candidates = fs.existsSync(logs) ? fs.readdirSync(logs).sort().reverse() : [];
    for (const name of candidates) {
        const log = fs.readFileSync(path.join(logs, name), "utf8");
        const d = resourceDurations(log);
        const pick = (suffix: string) =>
            Math.max(0, ...[...d].filter(([n]) => n.endsWith(suffix)).map(([, s]) => s));
        const build = pick("-build");
        const total = /^Duration: (?:(\d+)m)?([\d.]+)s$/m.exec(log);
        // A complete update that built a release (a killed one has no Duration line).
        if (build === 0 || !total) continue;
        const wall = Number(total[1] ?? 0) * 60 + Number(total[2]);
        const phases = {
            build,
            upload: pick("-image"),
            boot: pick("-vm"),
            suites: pick("-test-run"),
            evidence: pick("-evidence"),
            container: pick("-container-image") + pick("-container-test"),
        };
        console.log(`lab cycle from ${name}: ${JSON.stringify(phases)} s; the update ${wall} s`);
        return;
    }
    console.log(
        "no `npm run lab` log with a build in .lab/logs: run npm run lab with a new release first",
    );
}

async function noopUpdate(env: Record<string, string>): Promise<void> {
    // Asynchronous: the sampler of peakMemory runs on this event loop meanwhile.
    const t = performance.now();
    const noop = ["up", "--yes", "--refresh", "--stack", "lab", "--non-interactive"];
    const { program, engine } = await peakMemory(() =>
        promisify(execFile)("pulumi", noop, {
            cwd: ROOT,
            env: {
                ...process.env,
                ...engineEnv(path.join(ROOT, ".state")),
                ...env,
                PULUMI_CONFIG_PASSPHRASE: process.env.OSIP_LAB_PASSPHRASE ?? "lab",
            },
            maxBuffer: 64 * 1024 * 1024,
        }),
    );
    const seconds = ((performance.now() - t) / 1000).toFixed(1);
    console.log(
        `no-op \`pulumi up --refresh\` of the lab stack (the engine's own share of an update): ${seconds} s; peak program ${program.toFixed(0)} MiB, engine and plugins ${engine.toFixed(0)} MiB`,
    );
}

async function main(): Promise<void> {
    const env = labEnv();
    await uploadRatio(env);
    labPhases();
    await noopUpdate(env);
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
