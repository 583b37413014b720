import * as assert from "assert";
import { execFile, execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseStackConfig } from "../../config";
import { buildCommand, BuildResult, parseBuildResult } from "../../components/imageBuild";
import { parseLabAddress } from "../../components/testInstance";
import {
    parseSummary,
    shellQuote,
    SUITES_DIR,
    suiteCommand,
    suitesArchive,
} from "../../components/testRun";
import { userData } from "../../components/userData";
import { loadCatalogue } from "../../distros/catalogue";
import { stackConfig } from "../unit/harness";

const ROOT = path.join(__dirname, "..", "..");
const LAB_INSTANCE = path.join(ROOT, "scripts", "compute", "lab-instance.sh");

/** Runs a shell command without blocking the event loop; resolves with its exit code and output. */
function sh(
    command: string,
    env: NodeJS.ProcessEnv,
    stdin = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = execFile(
            "bash",
            ["-c", command],
            { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
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

describe("lab: the local builder, a qemu VM and the real suites (the lab stack's own steps)", function () {
    this.timeout(30 * 60 * 1000);
    const catalogue = loadCatalogue();
    const lab = parseStackConfig(stackConfig("lab"), "stacks/Pulumi.lab.yaml", catalogue);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "osip-lab-"));
    const vmEnv = {
        WORK_DIR: work,
        INSTANCE: "debian12-x86_64-bios-2026-11-01-unmanaged-virtual",
        ARCH: "x86_64",
    };
    let built: BuildResult;
    let vm: { host: string; port: number; privateKey: string };
    let ssh: string;

    before(function () {
        // An explicit opt-out only: a machine that cannot run the lab must not pass silently.
        if (process.env.OSIP_LAB_TESTS === "0") this.skip();
        assert.strictEqual(
            process.getuid?.(),
            0,
            "the lab test needs root (debootstrap); OSIP_LAB_TESTS=0 skips it",
        );
    });

    after(async () => {
        await sh(`bash ${LAB_INSTANCE} stop`, vmEnv);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("builds debian12 x86_64 with ImageBuild's command: qcow2 with its sha256, rootfs without a kernel", async () => {
        const cmd = buildCommand({
            entry: catalogue.get("debian12")!,
            arch: "x86_64",
            release: "2026-11-01",
            builders: { local: { workDir: work } },
        });
        const r = await sh(cmd.create, cmd.environment);
        assert.strictEqual(r.code, 0, r.stderr);
        built = parseBuildResult(r.stdout);
        assert.strictEqual(
            built.sha256,
            crypto.createHash("sha256").update(fs.readFileSync(built.artefact)).digest("hex"),
        );
        const listing = execFileSync("tar", ["-tf", built.rootfs!], {
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        });
        assert.match(listing, /^\.\/etc\/osimages-release$/m);
        assert.doesNotMatch(listing, /^\.\/boot\/vmlinuz/m);
        assert.doesNotMatch(listing, /^\.\/usr\/lib\/modules\/.+\.ko/m);
    });

    it("boots it with TestInstance's lab backend and the use case's user-data, SSH on 127.0.0.1", async () => {
        assert.ok(built, "needs the build");
        const r = await sh(
            `bash ${LAB_INSTANCE} start`,
            { ...vmEnv, IMAGE_FILE: built.artefact },
            userData("unmanaged-virtual"),
        );
        assert.strictEqual(r.code, 0, r.stderr);
        vm = parseLabAddress(r.stdout);
        assert.strictEqual(vm.host, "127.0.0.1");
        const key = path.join(work, "key");
        fs.writeFileSync(key, vm.privateKey, { mode: 0o600 });
        ssh = `ssh -q -i ${key} -p ${vm.port} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ${catalogue.get("debian12")!.adminUser}@127.0.0.1`;
        const useCase = await sh(`${ssh} cat /etc/osimages-use-case`, {});
        assert.strictEqual(useCase.stdout.trim(), "unmanaged-virtual", useCase.stderr);
    });

    it("passes TestRun's suite command for the use case with the lab's site facts", async () => {
        assert.ok(vm, "needs the VM");
        // Exactly what TestRun's remote command gets: the command, and the suites on stdin.
        const run = await sh(
            `${ssh} ${shellQuote(suiteCommand("unmanaged-virtual", lab.testing.siteEnvironment))}`,
            {},
            suitesArchive(),
        );
        assert.strictEqual(run.code, 0, `${run.stdout}\n${run.stderr}`);
        assert.match(
            parseSummary(run.stdout),
            /^\d+ passed, 0 failed \(0 image, 0 infra\), \d+ skipped$/,
        );
        assert.match(run.stdout, /\[\+\] upstream\/5_cloud_init_done \.\.\. PASS/);
        assert.match(run.stdout, /<testsuite name="upstream"/);
    });

    it("fails the run on a broken image, naming the test, and classifies it as an image failure", async () => {
        assert.ok(vm, "needs the VM");
        const broken = path.join(work, "suites");
        fs.cpSync(SUITES_DIR, broken, { recursive: true });
        fs.writeFileSync(
            path.join(broken, "upstream", "9_feature"),
            "#!/bin/sh\necho no such feature\nexit 3\n",
            { mode: 0o755 },
        );
        const run = await sh(
            `${ssh} ${shellQuote(suiteCommand("unmanaged-virtual", lab.testing.siteEnvironment))}`,
            {},
            suitesArchive(broken),
        );
        assert.strictEqual(run.code, 1);
        assert.match(run.stdout, /\[\+\] upstream\/9_feature \.\.\. FAIL \(image\)/);
        assert.match(run.stderr, /upstream\/9_feature: no such feature/);
        assert.match(parseSummary(run.stdout), /1 failed \(1 image, 0 infra\)/);
    });

    it("stops the VM and removes its directory", async () => {
        const pidFile = path.join(work, "instances", vmEnv.INSTANCE, "qemu.pid");
        const pid = Number(fs.readFileSync(pidFile, "utf8"));
        const r = await sh(`bash ${LAB_INSTANCE} stop`, vmEnv);
        assert.strictEqual(r.code, 0, r.stderr);
        await new Promise((res) => setTimeout(res, 2000));
        assert.throws(() => process.kill(pid, 0), "qemu still running");
        assert.ok(!fs.existsSync(path.dirname(pidFile)));
    });
});
