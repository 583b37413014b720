import * as assert from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseStackConfig } from "../../config";
import { BuildResult } from "../../components/imageBuild";
import { parseSummary, SUITES_DIR, suitesArchive } from "../../components/testRun";
import { loadCatalogue } from "../../distros/catalogue";
import { buildImage, LabVm, onVm, runSuites, startVm, stopVm } from "../../scripts/dev/lab-steps";
import { stackConfig } from "../unit/harness";

describe("lab: the local builder, a qemu VM and the real suites (the lab stack's own steps)", function () {
    this.timeout(30 * 60 * 1000);
    const catalogue = loadCatalogue();
    const debian12 = catalogue.get("debian12")!;
    const lab = parseStackConfig(stackConfig("lab"), "stacks/Pulumi.lab.yaml", catalogue);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "osip-lab-"));
    const site = lab.testing.siteEnvironment;
    let built: BuildResult;
    let vm: LabVm;

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
        if (vm) await stopVm(vm).catch(() => undefined);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("builds debian12 x86_64 with ImageBuild's command: qcow2 named after its sha256, rootfs without a kernel", async () => {
        built = await buildImage(debian12, "x86_64", "2026-11-01", {
            builders: { local: { workDir: work } },
        });
        assert.strictEqual(
            built.sha256,
            crypto.createHash("sha256").update(fs.readFileSync(built.artefact)).digest("hex"),
        );
        assert.ok(
            built.artefact.endsWith(
                `debian12-x86_64-2026-11-01-${built.sha256.slice(0, 12)}.qcow2`,
            ),
            built.artefact,
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
        vm = await startVm(
            work,
            "debian12-x86_64-bios-2026-11-01-unmanaged-virtual",
            "x86_64",
            debian12.adminUser,
            built.artefact,
            "unmanaged-virtual",
        );
        assert.strictEqual(vm.host, "127.0.0.1");
        const useCase = await onVm(vm, "cat /etc/osimages-use-case");
        assert.strictEqual(useCase.stdout.trim(), "unmanaged-virtual", useCase.stderr);
    });

    it("passes TestRun's remote command, suites archive on stdin, with the lab's site facts", async () => {
        assert.ok(vm, "needs the VM");
        const run = await runSuites(vm, "unmanaged-virtual", site);
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
        const run = await runSuites(vm, "unmanaged-virtual", site, suitesArchive(broken));
        assert.strictEqual(run.code, 1);
        assert.match(run.stdout, /\[\+\] upstream\/9_feature \.\.\. FAIL \(image\)/);
        assert.match(run.stderr, /upstream\/9_feature: no such feature/);
        assert.match(parseSummary(run.stdout), /1 failed \(1 image, 0 infra\)/);
    });

    it("stops the VM and removes its directory", async () => {
        const dir = path.join(
            work,
            "instances",
            "debian12-x86_64-bios-2026-11-01-unmanaged-virtual",
        );
        const pid = Number(fs.readFileSync(path.join(dir, "qemu.pid"), "utf8"));
        await stopVm(vm);
        await new Promise((res) => setTimeout(res, 2000));
        assert.throws(() => process.kill(pid, 0), "qemu still running");
        assert.ok(!fs.existsSync(dir));
    });
});
