import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadCatalogue } from "../../distros/catalogue";
import { kickstartsFor, validateKickstarts } from "../../distros/kickstarts";

const catalogue = loadCatalogue();
const VALIDATE = path.join(__dirname, "..", "..", "scripts", "program", "validate-kickstarts.sh");
const kojiDistros = [...catalogue.values()]
    .filter((e) => e.build.backend === "koji")
    .map((e) => e.key);

function scratch(name: string, text: string): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "osip-ks-")), name);
    fs.writeFileSync(file, text);
    return file;
}

describe("kickstarts", function () {
    // The first run may build the cached pykickstart venv.
    this.timeout(300000);

    it("exist for every Koji-built distro, and only for them", () => {
        const checks = kickstartsFor([...catalogue.keys()], catalogue);
        assert.deepStrictEqual(checks.map((c) => c.distro).sort(), [...kojiDistros].sort());
        for (const c of checks) assert.ok(fs.existsSync(c.file), c.file);
    });

    it("pass ksvalidator against the version each catalogue entry names, and the site rules", () => {
        validateKickstarts(kickstartsFor(kojiDistros, catalogue));
    });

    it("names the file and the missing directive when a site rule is broken", () => {
        const good = fs.readFileSync(
            path.join(__dirname, "..", "..", "distros", "kickstarts", "cs9.ks"),
            "utf8",
        );
        const file = scratch("cs9.ks", good.replace(/^rootpw .*$/m, "rootpw --plaintext changeme"));
        const message = `${file}: missing rootpw --lock (no root password in a shared image)`;
        assert.throws(
            () => validateKickstarts([{ distro: "cs9", file, version: "RHEL9" }]),
            (e: Error) => e.message === `kickstart validation failed\n${message}`,
        );
        // The script says the same: one check for the program, the plan and the script.
        const script = spawnSync("bash", [VALIDATE, "RHEL9", file], { encoding: "utf8" });
        assert.strictEqual(script.status, 1);
        assert.ok(script.stdout.includes(`FAIL ${file} (RHEL9)\n${message}\n`), script.stdout);
    });

    it("reports what ksvalidator says about a kickstart that does not parse, with the file name", () => {
        const good = fs.readFileSync(
            path.join(__dirname, "..", "..", "distros", "kickstarts", "cs9.ks"),
            "utf8",
        );
        const file = scratch("broken.ks", `${good}\nfrobnicate --now\n`);
        assert.throws(
            () => validateKickstarts([{ distro: "cs9", file, version: "RHEL9" }]),
            (e: Error) => {
                assert.match(e.message, /kickstart validation failed/);
                assert.ok(e.message.includes(file), e.message);
                assert.match(e.message, /frobnicate/);
                return true;
            },
        );
    });

    it("validate-kickstarts.sh --all checks every Koji entry of the catalogue, no list to keep", () => {
        const out = execFileSync("bash", [VALIDATE, "--all"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
        for (const c of kickstartsFor(kojiDistros, catalogue)) {
            assert.match(
                out,
                new RegExp(
                    `^ok +distros/kickstarts/${path.basename(c.file)} \\(${c.version}\\)$`,
                    "m",
                ),
            );
        }
        assert.match(out, new RegExp(`^${kojiDistros.length} passed, 0 failed$`, "m"));
    });

    it("reports a missing kickstart by distro", () => {
        assert.throws(
            () =>
                validateKickstarts([
                    { distro: "cs9", file: "/nonexistent/cs9.ks", version: "RHEL9" },
                ]),
            /\/nonexistent\/cs9\.ks: missing \(kickstart of cs9\)/,
        );
    });
});
