// Tests an image this pipeline did not build (other teams run the same use cases on their own
// images): boots it on a lab machine per use case, runs the same suites, judges the runs the same
// way (image failures, infrastructure failures retried on fresh machines, known flaky tests) and
// keeps the results. The release plan, the stack's state and Glance are left as they are.
//
// Usage: npm run test-image -- (--image <Glance id> | --file <qcow2>) [--use-case <use case>]...
//        [--arch x86_64|aarch64] [--firmware bios|uefi] [--user <login>] [--stack lab]
//        [--agent-environment <Puppet environment>]  (managed use cases: instead of the stack's)
// Exit status: 0 passed, 1 the image failed a test, 2 bad usage or an infrastructure failure.
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { loadStack, readStackFile, workDirOf } from "../../config";
import { testOutcome } from "../../components/imageTest";
import { durationSeconds, parseLabAddress } from "../../components/testInstance";
import { splitRunOutput, suitesArchive, suiteCommand } from "../../components/testRun";
import { userData } from "../../components/userData";
import { ARCHES, BOOT_MODES, USE_CASES, UseCase } from "../../distros/schema";

const ROOT = path.join(__dirname, "..", "..");
const LAB_INSTANCE = path.join(ROOT, "scripts", "program", "compute", "lab-instance.sh");

/** The command line, checked: one source of bytes, known use cases, arch and firmware. */
export function parseCommandLine(argv: string[]) {
    const { values } = parseArgs({
        args: argv,
        options: {
            image: { type: "string" },
            file: { type: "string" },
            "use-case": { type: "string", multiple: true },
            arch: { type: "string", default: "x86_64" },
            firmware: { type: "string", default: "bios" },
            user: { type: "string", default: "debian" },
            stack: { type: "string", default: "lab" },
            "agent-environment": { type: "string" },
        },
        strict: true,
    });
    if (!values.image === !values.file)
        throw new Error("give exactly one of --image <Glance id> and --file <qcow2>");
    if (values.file && !fs.existsSync(values.file))
        throw new Error(`--file: ${values.file} does not exist`);
    const oneOf = <T extends string>(flag: string, v: string, allowed: readonly T[]): T => {
        if (!(allowed as readonly string[]).includes(v))
            throw new Error(`--${flag}: ${v} is not one of ${allowed.join(", ")}`);
        return v as T;
    };
    return {
        image: values.image,
        file: values.file && path.resolve(values.file),
        useCases: (values["use-case"] ?? ["unmanaged-virtual"]).map((u) =>
            oneOf("use-case", u, USE_CASES),
        ),
        arch: oneOf("arch", values.arch, ARCHES),
        firmware: oneOf("firmware", values.firmware, BOOT_MODES),
        user: values.user,
        stack: values.stack,
        agentEnvironment: values["agent-environment"],
    };
}

function main(argv: string[]): number {
    const args = parseCommandLine(argv);
    const { stack } = loadStack(readStackFile(ROOT, args.stack));
    const testing = stack.testing;
    const agent = testing.agent && {
        ...testing.agent,
        environment: args.agentEnvironment ?? testing.agent.environment,
    };
    if (args.agentEnvironment && !agent)
        throw new Error(`--agent-environment: stack ${args.stack} has no testing.agent`);
    if (testing.backend !== "lab")
        throw new Error(
            `stack ${args.stack}: test-image boots lab machines (testing.backend: lab)`,
        );
    const id = crypto
        .createHash("sha256")
        .update(args.image ?? args.file ?? "")
        .digest("hex")
        .slice(0, 12);
    const workDir = path.resolve(ROOT, workDirOf(stack));
    const resultsDir = path.join(workDir, "results", `adhoc-${id}`);
    fs.mkdirSync(resultsDir, { recursive: true });
    const runs: { useCase: UseCase; output: string; attempts: number }[] = [];
    for (const useCase of args.useCases) {
        const instance = `adhoc-${id}-${useCase}`;
        const env = {
            ...process.env,
            INSTANCE: instance,
            WORK_DIR: workDir,
            ARCH: args.arch,
            FIRMWARE: args.firmware,
            LAB_USER: args.user,
            BOOT_ATTEMPTS: String(testing.bootAttempts),
            LAB_BOOT_WAIT: String(durationSeconds(testing.bootTimeout)),
            ...(args.file
                ? { IMAGE_FILE: args.file }
                : { IMAGE_ID: args.image, OS_CLOUD: stack.clouds.test.cloud }),
        };
        console.error(`[test-image] ${useCase}: booting a lab machine`);
        const boot = spawnSync("bash", [LAB_INSTANCE, "start"], {
            env,
            input: userData(useCase, agent),
            encoding: "utf8",
            stdio: ["pipe", "pipe", "inherit"],
        });
        if (boot.status !== 0) {
            console.error(`[test-image] ${useCase}: no usable machine (infrastructure failure)`);
            return 2;
        }
        const address = parseLabAddress(boot.stdout);
        const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "osip-key-")), "key");
        fs.writeFileSync(keyFile, address.privateKey, { mode: 0o600 });
        try {
            console.error(`[test-image] ${useCase}: running the suites`);
            const run = spawnSync(
                "ssh",
                [
                    ...["-i", keyFile, "-p", String(address.port), "-o", "BatchMode=yes"],
                    ...["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"],
                    `${args.user}@${address.host}`,
                    suiteCommand(useCase, testing.siteEnvironment),
                ],
                {
                    input: suitesArchive(),
                    encoding: "utf8",
                    maxBuffer: 64 * 1024 * 1024,
                    timeout: durationSeconds(testing.suiteTimeout) * 1000,
                },
            );
            if (run.status !== 0) {
                console.error(
                    `[test-image] ${useCase}: the run failed (infrastructure):\n${run.stderr}`,
                );
                return 2;
            }
            const { log, junit } = splitRunOutput(run.stdout);
            fs.writeFileSync(path.join(resultsDir, `${useCase}.log`), log);
            if (junit) fs.writeFileSync(path.join(resultsDir, `${useCase}.junit.xml`), junit);
            runs.push({ useCase, output: run.stdout, attempts: address.attempts });
        } finally {
            fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
            spawnSync("bash", [LAB_INSTANCE, "stop"], { env, stdio: "ignore" });
        }
    }
    const outcome = testOutcome(runs, testing.knownFlaky);
    console.log(`image ${args.image ?? args.file}: ${outcome.mode}`);
    console.log(`  ${outcome.summary}`);
    if (outcome.failedTests) console.log(`  failed: ${outcome.failedTests}`);
    if (outcome.knownFlaky) console.log(`  known flaky, not blocking: ${outcome.knownFlaky}`);
    console.log(`  machines retried: ${outcome.infraRetries}`);
    console.log(
        `  results: ${path.relative(process.cwd(), resultsDir)}/<use case>.{log,junit.xml}`,
    );
    return outcome.mode === "passed" ? 0 : 1;
}

if (require.main === module) {
    try {
        process.exit(main(process.argv.slice(2)));
    } catch (e) {
        console.error(`test-image: ${(e as Error).message}`);
        process.exit(2);
    }
}
