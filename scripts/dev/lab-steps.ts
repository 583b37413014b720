// The lab stack's own steps, run with the program's own commands but without the engine: build
// each release in test with ImageBuild's command, boot it with TestInstance's lab backend, run
// TestRun's remote command over SSH (suites archive on stdin), stop the machine.
// `npm run lab` runs this while the lab's own cloud is not set up; `test/integration/lab.test.ts`
// drives the same functions. Usage: npx ts-node scripts/dev/lab-steps.ts [stack]   (default: lab)
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadStack, readStackFile, StackConfig } from "../../config";
import { buildCommand, BuildResult, parseBuildResult } from "../../components/imageBuild";
import { planStack } from "../../model/plan";
import { LAB_INSTANCE, parseLabAddress } from "../../components/testInstance";
import { parseSummary, shellQuote, suiteCommand, suitesArchive } from "../../components/testRun";
import { userData } from "../../components/userData";
import { Arch, DistroEntry, UseCase } from "../../distros/schema";

const ROOT = path.join(__dirname, "..", "..");

export interface ShResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs a bash command in the project directory, stdin given, without blocking the event loop. */
export function sh(command: string, env: NodeJS.ProcessEnv = {}, stdin = ""): Promise<ShResult> {
    return new Promise((resolve) => {
        const child = execFile(
            "bash",
            ["-c", command],
            { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
            (err, stdout, stderr) =>
                resolve({
                    code: err ? Number((err as { code?: number }).code ?? 1) : 0,
                    stdout,
                    stderr,
                }),
        );
        child.stdin?.end(stdin);
    });
}

function check(step: string, r: ShResult): ShResult {
    if (r.code !== 0) throw new Error(`${step} failed (exit ${r.code}):\n${r.stderr.trim()}`);
    return r;
}

/** ImageBuild's command for one release, run here. */
export async function buildImage(
    entry: DistroEntry,
    arch: Arch,
    release: string,
    stack: Pick<StackConfig, "builders">,
): Promise<BuildResult> {
    const cmd = buildCommand({ entry, arch, release, builders: stack.builders });
    return parseBuildResult(
        check(`build of ${entry.key} ${arch} ${release}`, await sh(cmd.create, cmd.environment))
            .stdout,
    );
}

/** A machine of TestInstance's lab backend, and how to reach it. */
export interface LabVm {
    env: NodeJS.ProcessEnv;
    host: string;
    port: number;
    /** `ssh ... user@127.0.0.1` with the VM's own key. */
    ssh: string;
}

/** Boots the image file as TestInstance's lab backend does, with the use case's user-data. */
export async function startVm(
    workDir: string,
    instance: string,
    arch: Arch,
    user: string,
    imageFile: string,
    useCase: UseCase,
): Promise<LabVm> {
    const env = {
        WORK_DIR: workDir,
        INSTANCE: instance,
        ARCH: arch,
        LAB_USER: user,
        IMAGE_FILE: imageFile,
        USE_CASE: useCase,
    };
    const address = parseLabAddress(
        check(`boot of ${instance}`, await sh(`bash ${LAB_INSTANCE} start`, env, userData(useCase)))
            .stdout,
    );
    const key = path.join(workDir, "instances", instance, "ssh-key");
    fs.writeFileSync(key, address.privateKey, { mode: 0o600 });
    const ssh = `ssh -q -i ${key} -p ${address.port} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ${user}@${address.host}`;
    return { env, host: address.host, port: address.port, ssh };
}

/**
 * Runs a command on the VM. ssh's own exit code 255 (no connection) is an infrastructure failure:
 * retried a few times, never confused with the command's result.
 */
export async function onVm(vm: Pick<LabVm, "ssh">, command: string, stdin = ""): Promise<ShResult> {
    let r = await sh(`${vm.ssh} ${shellQuote(command)}`, {}, stdin);
    for (let attempt = 1; r.code === 255 && attempt <= 3; attempt++) {
        await new Promise((res) => setTimeout(res, 5000));
        r = await sh(`${vm.ssh} ${shellQuote(command)}`, {}, stdin);
    }
    return r;
}

/** TestRun's remote command over SSH, with a suites archive (the shipped suites by default) on stdin. */
export function runSuites(
    vm: Pick<LabVm, "ssh">,
    useCase: UseCase,
    siteEnvironment: Record<string, string>,
    archive = suitesArchive(),
): Promise<ShResult> {
    return onVm(vm, suiteCommand(useCase, siteEnvironment), archive);
}

export async function stopVm(vm: Pick<LabVm, "env">): Promise<void> {
    check("stop", await sh(`bash ${LAB_INSTANCE} stop`, vm.env));
}

/** Every release in test of the stack's plan, built, booted per use case and tested; true when all passed. */
async function main(stackName: string): Promise<boolean> {
    const input = readStackFile(ROOT, stackName);
    const { catalogue, stack } = loadStack(input);
    const file = input.file;
    if (stack.testing.backend !== "lab") throw new Error(`${file}: testing.backend is not lab`);
    const workDir = path.resolve(ROOT, stack.builders.local?.workDir ?? ".state/work");
    let allPassed = true;
    // Evidence is not read here (no cloud): only the releases in test matter, whatever it says.
    for (const { distro, entry, arch, releases } of planStack(stack, catalogue).pipelines) {
        for (const { release, images } of releases.filter((r) => r.stage === "test")) {
            console.log(`[lab] ${distro} ${arch} ${release}: building`);
            const built = await buildImage(entry, arch, release, stack);
            console.log(`[lab]   ${built.artefact} sha256 ${built.sha256}`);
            // The lab boots the kernel inside the image: one boot covers both firmware images.
            const { key, useCases } = images[0];
            for (const useCase of useCases) {
                console.log(`[lab]   ${useCase}: booting`);
                const vm = await startVm(
                    workDir,
                    `${key}-${useCase}`,
                    arch,
                    entry.adminUser,
                    built.artefact,
                    useCase,
                );
                try {
                    const run = await runSuites(vm, useCase, stack.testing.siteEnvironment);
                    process.stdout.write(run.stdout.split("\n--- junit")[0] + "\n");
                    console.log(`[lab]   ${useCase}: ${parseSummary(run.stdout)}`);
                    allPassed &&= run.code === 0;
                } finally {
                    await stopVm(vm);
                }
            }
        }
    }
    return allPassed;
}

if (require.main === module) {
    main(process.argv[2] ?? "lab").then(
        (passed) => process.exit(passed ? 0 : 1),
        (e: Error) => {
            console.error(e.message);
            process.exit(1);
        },
    );
}
