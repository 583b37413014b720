import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import { ROOT } from "../../scripts/dev/engineWorkspace";
import { checkLayout, launchChromium } from "./browser";

/** `npm run lab [-- action]` in the checkout, as a user runs it. */
function lab(...action: string[]) {
    const r = spawnSync(
        "npm",
        ["run", "--silent", "lab", ...(action.length ? ["--", ...action] : [])],
        {
            cwd: ROOT,
            encoding: "utf8",
            maxBuffer: 256 * 1024 * 1024,
        },
    );
    return { ...r, tail: `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}` };
}

/** The openstack CLI as the lab's image owner, with the lab's own clouds.yaml. */
function openstack(...args: string[]): string {
    const r = spawnSync("openstack", ["--os-cloud", "lab-prod", ...args], {
        env: { ...process.env, OS_CLIENT_CONFIG_FILE: path.join(ROOT, ".lab", "clouds.yaml") },
        encoding: "utf8",
    });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout;
}

/** The lab's images as Glance lists them. */
function glanceImages(): { ID: string; Name: string; Status: string }[] {
    return JSON.parse(openstack("image", "list", "-f", "json")) as {
        ID: string;
        Name: string;
        Status: string;
    }[];
}

/** The lab's vendor mirror (scripts/ci/services/vendor-mirror.sh): the vendor's bytes and sums. */
const MIRROR = path.join(ROOT, ".lab", "services", "vendor-mirror", "www", "debian");
const VENDOR_IMAGE = "debian-12.12-genericcloud-x86_64.qcow2";

/** The lab's Puppet server (scripts/ci/services/puppetserver.sh). */
const PUPPET = path.join(ROOT, ".lab", "services", "puppetserver");

/** `npm run test-image` on a Glance image, in the lab's environment (its env file, sourced). */
function testImage(imageId: string, ...args: string[]) {
    return spawnSync(
        "bash",
        ["-c", 'source .lab/env && exec npm run --silent test-image -- "$@"', "test-image"].concat([
            "--image",
            imageId,
            ...args,
        ]),
        { cwd: ROOT, encoding: "utf8" },
    );
}

/** A file of the image Glance holds, read with debugfs (lab images are one ext4 filesystem). */
function fileInGlanceImage(imageId: string, file: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-labcmd-"));
    try {
        openstack("image", "save", "--file", path.join(dir, "image.qcow2"), imageId);
        execFileSync("qemu-img", ["convert", "-O", "raw", "image.qcow2", "image.raw"], {
            cwd: dir,
        });
        return execFileSync("debugfs", ["-R", `cat ${file}`, "image.raw"], {
            cwd: dir,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("npm run lab: the README's lab command, as a user runs it", function () {
    this.timeout(45 * 60 * 1000);
    let first: { ID: string; Name: string }[];
    const started = Date.now();

    before(function () {
        // An explicit opt-out only: a machine that cannot run the lab must not pass silently.
        if (process.env.OSIP_LAB_TESTS === "0") this.skip();
        assert.strictEqual(process.getuid?.(), 0, "the lab needs root; OSIP_LAB_TESTS=0 skips it");
    });

    // The lab holds fixed ports on 127.0.0.1: leave none of it running behind the tests.
    after(function () {
        if (process.env.OSIP_LAB_TESTS !== "0") lab("down");
    });

    it("starts the lab's services, runs pulumi up of the lab stack to the end, and says where to look", () => {
        const r = lab();
        assert.strictEqual(r.status, 0, r.tail);
        assert.match(r.stderr, /\[toolchain [\d:]+\] ready in \d+s: v3\.248\.0/);
        assert.match(
            r.stderr,
            /services up in \d+s: Keystone 127\.0\.0\.1:15000, Glance 127\.0\.0\.1:19292/,
        );
        assert.match(r.stdout, /^debian12 x86_64 \(local build\)$/m);
        assert.match(r.stdout, /^debian12cloud x86_64 \(vendor build\)$/m);
        assert.match(r.stdout, /^\[lab\] pulumi up succeeded after \d+s$/m);
        assert.match(r.stdout, /^ {6}unmanaged-virtual: [1-9]\d* passed, 0 failed/m);
        assert.match(r.stdout, /^ {6}managed-virtual: [1-9]\d* passed, 0 failed/m);
        assert.match(r.stdout, /^ {2}the update's log +\.lab\/logs\/up-[\d-]+\.log$/m);
        first = glanceImages();
        assert.deepStrictEqual(first.map((i) => i.Name).sort(), [
            "DEBIAN12 - x86_64 UEFI [2026-11-01] TEST",
            "DEBIAN12 - x86_64 [2026-11-01] TEST",
            "DEBIAN12CLOUD - x86_64 UEFI [2026-11-01] TEST",
            "DEBIAN12CLOUD - x86_64 [2026-11-01] TEST",
        ]);
    });

    it("built debian12 with an /etc/hosts: localhost resolves without DNS (debootstrap writes none)", () => {
        const image = first.find((i) => i.Name === "DEBIAN12 - x86_64 [2026-11-01] TEST")!;
        assert.match(fileInGlanceImage(image.ID, "/etc/hosts"), /^127\.0\.0\.1\tlocalhost$/m);
    });

    it("took the vendor path for real: the mirror's image, checked, customised, uploaded and tested", () => {
        const vendorBytes = fs.readFileSync(path.join(MIRROR, VENDOR_IMAGE));
        const vendorSha = crypto.createHash("sha256").update(vendorBytes).digest("hex");
        // The mirror still serves what its SHA256SUMS says: the build customised a copy.
        assert.ok(
            fs
                .readFileSync(path.join(MIRROR, "SHA256SUMS"), "utf8")
                .includes(`${vendorSha}  ${VENDOR_IMAGE}`),
        );
        const image = first.find((i) => i.Name === "DEBIAN12CLOUD - x86_64 [2026-11-01] TEST")!;
        const shown = JSON.parse(openstack("image", "show", image.ID, "-f", "json")) as {
            status: string;
            properties: Record<string, string>;
        };
        assert.strictEqual(shown.status, "active");
        assert.strictEqual(shown.properties.image_source, "http://127.0.0.1:18080/debian");
        assert.strictEqual(shown.properties.osimages_test_result, "passed");
        assert.strictEqual(
            shown.properties.osimages_tested_sha256,
            shown.properties.osimages_sha256,
        );
        assert.notStrictEqual(shown.properties.osimages_sha256, vendorSha);
        // virt-customize ran distros/customize/debian.sh inside the bytes Glance holds.
        const release = fileInGlanceImage(image.ID, "/etc/osimages-release");
        assert.match(release, /^OSIMAGES_CUSTOMIZED_BY=os-image-pipeline$/m);
        assert.strictEqual(
            fileInGlanceImage(image.ID, "/etc/cloud/cloud.cfg.d/91-site.cfg"),
            "datasource_list: [NoCloud, ConfigDrive, None]\n",
        );
    });

    it("wrote the report: the matrix in summary.md and on a page chromium shows, each cell's files linked", async () => {
        const dir = path.join(ROOT, ".lab", "report", "lab");
        const md = fs.readFileSync(path.join(dir, "summary.md"), "utf8");
        // A machine that did not come up in time on a loaded runner is booted again: its cell
        // then passed "machine retried", which is as good a pass (README: The test report).
        const ok = "(?:✅ passed|🔁 passed, machine retried)";
        for (const mode of ["bios", "uefi"]) {
            assert.match(
                md,
                new RegExp(
                    `^\\| debian12 x86_64 ${mode} \\| 2026-11-01 \\| test \\| ${ok} \\| ${ok} \\|$`,
                    "m",
                ),
            );
            assert.match(
                md,
                new RegExp(
                    `^\\| debian12cloud x86_64 ${mode} \\| 2026-11-01 \\| test \\| ${ok} \\| ➖ not run \\|$`,
                    "m",
                ),
            );
        }
        const browser = await launchChromium();
        try {
            const page = await browser.newPage();
            await page.goto(pathToFileURL(path.join(dir, "index.html")).href);
            const cells = await checkLayout(page, path.join(os.tmpdir(), "osip-lab-report.png"));
            const passed = ["passed", "infra-retried"];
            assert.strictEqual(cells.filter((c) => passed.includes(c.status)).length, 6);
            const cell = page.locator(
                'tr[data-key="debian12-x86_64-bios-2026-11-01"] td[data-use-case="managed-virtual"]',
            );
            for (const name of ["JUnit", "log", "console"])
                assert.strictEqual(await cell.getByRole("link", { name }).count(), 1, name);
            await cell.getByRole("link", { name: "JUnit" }).click();
            assert.match(await page.content(), /agent_run_clean/);
        } finally {
            await browser.close();
        }
    });

    it("bootstrapped the managed machines from the lab's Puppet server, reached through qemu's forwarding", () => {
        // The server's own record: one report per agent run, per machine it signed.
        const reportsDir = path.join(PUPPET, "var", "reports");
        const reports = fs.readdirSync(reportsDir).flatMap((node) =>
            fs
                .readdirSync(path.join(reportsDir, node))
                .map((f) => path.join(reportsDir, node, f))
                .filter((f) => fs.statSync(f).mtimeMs >= started)
                .map((f) => fs.readFileSync(f, "utf8")),
        );
        // debian12, BIOS and UEFI: the bootstrap applied the catalogue, the suites' dry run found
        // nothing left to change.
        const applied = reports.filter((r) => /^status: changed$/m.test(r));
        assert.strictEqual(applied.length, 2, `${reports.length} reports`);
        for (const r of applied) {
            assert.match(r, /^environment: production$/m);
            assert.match(r, /File\[\/etc\/osimages-managed\]/);
        }
        assert.ok(reports.filter((r) => /^noop: true$/m.test(r)).length >= 2);
    });

    it("fails the managed suites on a deliberately broken catalogue (npm run test-image)", () => {
        const image = first.find((i) => i.Name === "DEBIAN12 - x86_64 [2026-11-01] TEST")!;
        const r = testImage(
            image.ID,
            "--use-case",
            "managed-virtual",
            "--agent-environment",
            "broken",
        );
        assert.strictEqual(r.status, 1, `${r.stdout}\n${r.stderr.slice(-3000)}`);
        assert.match(r.stdout, new RegExp(`^image ${image.ID}: failed$`, "m"));
        assert.match(
            r.stdout,
            /^ {2}failed: .*managed-virtual: managed\/agent_bootstrap, managed-virtual: managed\/agent_run_clean$/m,
        );
        const results = /^ {2}results: (\S+)\/<use case>/m.exec(r.stdout)![1];
        assert.match(
            fs.readFileSync(path.join(ROOT, results, "managed-virtual.junit.xml"), "utf8"),
            /a deliberately broken catalogue/,
        );
    });

    it("tests an image it did not build with the same suites (npm run test-image), touching nothing", () => {
        const image = first.find((i) => i.Name === "DEBIAN12CLOUD - x86_64 [2026-11-01] TEST")!;
        const r = testImage(image.ID);
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
        assert.match(r.stdout, new RegExp(`^image ${image.ID}: passed$`, "m"));
        assert.match(r.stdout, /^ {2}unmanaged-virtual: [1-9]\d* passed, 0 failed/m);
        const results = /^ {2}results: (\S+)\/<use case>/m.exec(r.stdout)![1];
        assert.match(
            fs.readFileSync(path.join(ROOT, results, "unmanaged-virtual.junit.xml"), "utf8"),
            /<testsuites/,
        );
        // Its machine is gone, and Glance holds what it held.
        const instances = path.join(ROOT, ".lab", "work", "instances");
        assert.deepStrictEqual(
            fs.readdirSync(instances).filter((d) => d.startsWith("adhoc-")),
            [],
        );
        assert.deepStrictEqual(glanceImages(), first);
    });

    it("down stops every service; the next run brings them back with state and images kept, and changes nothing", () => {
        const down = lab("down");
        assert.strictEqual(down.status, 0, down.tail);
        const status = lab("status");
        assert.doesNotMatch(status.stdout, / up$/m, status.stdout);
        const again = lab();
        assert.strictEqual(again.status, 0, again.tail);
        assert.match(again.stdout, /^ {4}\d+ unchanged$/m);
        assert.doesNotMatch(again.stdout, /^ {4}[+~-] \d+ (created|updated|deleted)$/m);
        assert.deepStrictEqual(
            glanceImages()
                .map((i) => i.ID)
                .sort(),
            first.map((i) => i.ID).sort(),
        );
    });
});
