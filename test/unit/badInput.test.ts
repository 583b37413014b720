// One table of bad input: each row is something a user can get wrong in a catalogue entry, a
// stack file, a kickstart, a secret or the evidence in Glance. Each asserts the whole message
// (file, field, the bad value, what was expected there) and that nothing was registered.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { loadCatalogue } from "../../distros/catalogue";
import { validateKickstarts } from "../../distros/kickstarts";
import { passedImage, Recorded, ROOT, runProgram, stackConfig } from "./harness";

const FILE = "stacks/Pulumi.t.yaml";
const KNOWN = [...loadCatalogue().keys()].join(", ");

type Config = Record<string, unknown>;
type Edit = (c: Config & { distros: Record<string, Config>; testing: Config }) => void;

/** A row run through the program under mocks, from a stack file `stacks/Pulumi.t.yaml`. */
interface ProgramRow {
    what: string;
    edit?: Edit;
    /** Keys written to the stack file in clear text (for the secrets rows). */
    clear?: Record<string, string>;
    /** Glance properties per build key (the evidence rows). */
    glance?: Record<string, Record<string, string>>;
    message: string;
}

/** A row run through the loader the program uses (catalogue files, kickstarts). */
interface LoaderRow {
    what: string;
    run: (dir: string) => void;
    message: (dir: string) => string;
}

const STACK_ROWS: ProgramRow[] = [
    {
        what: "unknown distro",
        edit: (c) => (c.distros = { fedora41: { releases: ["2026-11-01"] } }),
        message: `${FILE}: distros.fedora41: unknown distro "fedora41" (the catalogue has: ${KNOWN})`,
    },
    {
        what: "a distro key of the old naming scheme",
        edit: (c) => (c.distros = { al8: { releases: ["2026-11-01"] } }),
        message: `${FILE}: distros.al8: renamed to alma8: rename the key in the stack file (its images get the new build keys and names, so they are built and tested anew)`,
    },
    {
        what: "a day that does not exist",
        edit: (c) => (c.distros.debian12.releases = ["2026-02-30"]),
        message: `${FILE}: distros.debian12.releases.0: no such day in the calendar, got "2026-02-30"`,
    },
    {
        what: "a release id that is not a date",
        edit: (c) => (c.distros.debian12.releases = ["November"]),
        message: `${FILE}: distros.debian12.releases.0: a build id like 2026-11-01 (or 2026-11-01.1), got "November"`,
    },
    {
        what: "keep as a string",
        edit: (c) => (c.distros.debian12.keep = "3"),
        message: `${FILE}: distros.debian12.keep: expected how many releases stay in Glance, 1 to 24 (a number), got "3"`,
    },
    {
        what: "keep out of range",
        edit: (c) => (c.distros.debian12.keep = 0),
        message: `${FILE}: distros.debian12.keep: Too small: expected number to be >=1, got 0`,
    },
    {
        what: "an arch that does not exist",
        edit: (c) => (c.distros.debian12.arches = ["ppc64le"]),
        message: `${FILE}: distros.debian12.arches.0: expected one of "x86_64", "aarch64", got "ppc64le"`,
    },
    {
        what: "a duplicated release",
        edit: (c) => (c.distros.debian12.releases = ["2026-11-01", "2026-11-01"]),
        message: `${FILE}: distros.debian12.releases: a release is listed twice`,
    },
    {
        what: "a promotion pointer outside the kept releases",
        edit: (c) =>
            (c.distros.debian12 = {
                releases: ["2026-10-01", "2026-11-01"],
                keep: 1,
                promote: "2026-10-01",
            }),
        message: `${FILE}: distros.debian12.promote: 2026-10-01 is not one of the kept releases (2026-11-01)`,
    },
    {
        what: "an unknown test backend",
        edit: (c) => (c.testing.backend = "vmware"),
        message: `${FILE}: testing.backend: expected one of "nova", "lab", got "vmware"`,
    },
    {
        what: "a missing field",
        edit: (c) => delete (c.clouds as Record<string, Config>).test.cloud,
        message: `${FILE}: clouds.test.cloud: missing: expected the name of an entry of clouds.yaml (a string)`,
    },
    {
        what: "a misspelt field",
        edit: (c) => ((c.clouds as Record<string, Config>).test.projet = "x"),
        message: `${FILE}: clouds.test: unknown key "projet"`,
    },
    {
        what: "a registry that is not host[:port]/path",
        edit: (c) => ((c.registries as Config).internal = "HTTP://registry"),
        message: `${FILE}: registries.internal: host[:port]/path, got "HTTP://registry"`,
    },
    {
        what: "a known-flaky entry past its last day",
        edit: (c) =>
            (c.testing.knownFlaky = [
                { test: "site/ntp", reason: "INC-42: NTP flaps", expires: "2026-01-31" },
            ]),
        message: `${FILE}: testing.knownFlaky.0: site/ntp expired on 2026-01-31 (INC-42: NTP flaps): fix the test, or renew the entry with a later date`,
    },
    {
        what: "a known-flaky entry without a reason, a test name or a real day",
        edit: (c) => (c.testing.knownFlaky = [{ test: "ntp", expires: "2027-02-30" }]),
        message: [
            `${FILE}: testing.knownFlaky.0.test: a suite test like site/ntp, got "ntp"`,
            `${FILE}: testing.knownFlaky.0.reason: missing: expected a bug reference (a string)`,
            `${FILE}: testing.knownFlaky.0.expires: no such day in the calendar, got "2027-02-30"`,
        ].join("\n"),
    },
    {
        what: "a timeout that is not a duration",
        edit: (c) => (c.testing.bootTimeout = "soon"),
        message: `${FILE}: testing.bootTimeout: a duration like 20m, 90s or 2h, got "soon"`,
    },
    {
        what: "the builders the distros need are missing",
        edit: (c) => (c.builders = {}),
        message: [
            `${FILE}: builders.local: required by debian12 (local builder)`,
            `${FILE}: builders.vendor: required by debian12cloud (vendor image)`,
        ].join("\n"),
    },
    {
        what: "the nova backend without its settings",
        edit: (c) => (c.testing.backend = "nova"),
        message: [
            `${FILE}: testing.flavors: required by the nova backend`,
            `${FILE}: testing.network: required by the nova backend`,
            `${FILE}: testing.keyPair: required by the nova backend`,
        ].join("\n"),
    },
    {
        what: "a managed use case without its agent",
        edit: (c) => delete c.testing.agent,
        message: `${FILE}: testing.agent: required by the managed use cases`,
    },
    {
        what: "a key that is no setting",
        edit: (c) => (c.distro = {}),
        message: `${FILE}: distro: not a setting of os-image-pipeline (settings: clouds, registries, builders, distros, testing; secrets: cloudPasswords, sshPrivateKey, vendorToken, registryAuth)`,
    },
    {
        what: "several problems at once, schema and catalogue alike",
        edit: (c) => {
            c.testing.backend = "vmware";
            c.distros.fedora41 = { releases: ["2026-11-01"] };
        },
        message: [
            `${FILE}: testing.backend: expected one of "nova", "lab", got "vmware"`,
            `${FILE}: distros.fedora41: unknown distro "fedora41" (the catalogue has: ${KNOWN})`,
        ].join("\n"),
    },
];

const SECRET_ROWS: ProgramRow[] = [
    {
        what: "a secret in clear text in the stack file",
        clear: { sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" },
        message: `${FILE}: sshPrivateKey: a secret in clear text; set it with \`pulumi config set --secret sshPrivateKey ...\``,
    },
];

/** debian12 2026-10-01 promoted: its BIOS image passed, its UEFI image carries `uefi`. */
function promoted(uefi: Record<string, string> | undefined): Partial<ProgramRow> {
    const bios = passedImage("debian12", "x86_64", "bios", "2026-10-01");
    return {
        edit: (c) =>
            (c.distros.debian12 = {
                arches: ["x86_64"],
                releases: ["2026-10-01", "2026-11-01"],
                promote: "2026-10-01",
            }),
        glance: {
            "debian12-x86_64-bios-2026-10-01": bios,
            ...(uefi ? { "debian12-x86_64-uefi-2026-10-01": uefi } : {}),
        },
    };
}
const uefiPassed = () => passedImage("debian12", "x86_64", "uefi", "2026-10-01");
const refused = (reason: string) =>
    `promotion refused by the evidence gate (${FILE})\ncannot promote debian12 x86_64 (uefi) release 2026-10-01: ${reason}`;

const EVIDENCE_ROWS: ProgramRow[] = [
    {
        what: "evidence missing: the image was never built",
        ...promoted(undefined),
        message: refused("it was never built and uploaded (no Glance image carries its build key)"),
    },
    {
        what: "evidence pending: the tests are running or failed in that update",
        ...promoted({
            ...uefiPassed(),
            osimages_test_result: "pending",
            osimages_tested_at: "2026-11-02T10:00:00Z",
        }),
        message: refused(
            "its tests have not passed (pending since 2026-11-02T10:00:00Z: still running, or failed in that update)",
        ),
    },
    {
        what: "evidence that says failed, naming the test",
        ...promoted({
            ...uefiPassed(),
            osimages_test_result: "failed",
            osimages_failed_tests: "unmanaged-virtual: site/ntp",
            osimages_tested_at: "2026-11-02T10:00:00Z",
        }),
        message: refused("its tests failed (2026-11-02T10:00:00Z): unmanaged-virtual: site/ntp"),
    },
    {
        what: "malformed evidence",
        ...promoted({ ...uefiPassed(), osimages_test_result: "passd" }),
        message: refused(
            'its evidence is malformed: osimages_test_result="passd" (expected passed, pending or failed)',
        ),
    },
    {
        what: "tampered evidence: passed for other bytes",
        ...promoted({ ...uefiPassed(), osimages_tested_sha256: "f".repeat(64) }),
        message: refused("its evidence is for other bytes (the image was rebuilt after its tests)"),
    },
    {
        what: "contradictory evidence: passed, on no bytes",
        ...promoted(
            Object.fromEntries(
                Object.entries(uefiPassed()).filter(([k]) => k !== "osimages_tested_sha256"),
            ),
        ),
        message: refused("its evidence names no tested bytes (osimages_tested_sha256 is missing)"),
    },
];

const good = (name: string) =>
    fs.readFileSync(path.join(ROOT, "distros", "kickstarts", name), "utf8");

/** A scratch distros dir with one catalogue entry (cs9's, edited) and one kickstart. */
function catalogueDir(dir: string, edit: (entry: string) => string, key = "xx9"): string {
    fs.mkdirSync(path.join(dir, "catalogue"));
    fs.mkdirSync(path.join(dir, "kickstarts"));
    fs.writeFileSync(path.join(dir, "kickstarts", "xx9.ks"), good("cs9.ks"));
    const cs9 = fs.readFileSync(path.join(ROOT, "distros", "catalogue", "cs9.yaml"), "utf8");
    fs.writeFileSync(
        path.join(dir, "catalogue", `${key}.yaml`),
        edit(
            cs9
                .replace(/^key: cs9$/m, "key: xx9")
                .replace("kickstart: cs9.ks", "kickstart: xx9.ks"),
        ),
    );
    return dir;
}

const LOADER_ROWS: LoaderRow[] = [
    {
        what: "catalogue: aarch64 with BIOS",
        run: (dir) =>
            loadCatalogue(
                catalogueDir(dir, (e) => e.replace("bootModes: [uefi]", "bootModes: [bios, uefi]")),
            ),
        message: (dir) =>
            `invalid catalogue entry\n${path.basename(dir)}/catalogue/xx9.yaml: arches.1.bootModes: aarch64 boots with UEFI only`,
    },
    {
        what: "catalogue: a key that is not the file name",
        run: (dir) => loadCatalogue(catalogueDir(dir, (e) => e, "xx10")),
        message: (dir) =>
            `${path.basename(dir)}/catalogue/xx10.yaml: key: "xx9" must equal the file name "xx10"`,
    },
    {
        what: "catalogue: a kickstart that does not exist",
        run: (dir) =>
            loadCatalogue(
                catalogueDir(dir, (e) => e.replace("kickstart: xx9.ks", "kickstart: nope.ks")),
            ),
        message: (dir) =>
            `${path.basename(dir)}/catalogue/xx9.yaml: build.kickstart: kickstarts/nope.ks does not exist`,
    },
    {
        what: "catalogue: a Glance prefix in lower case",
        run: (dir) =>
            loadCatalogue(catalogueDir(dir, (e) => e.replace("shortName: CS9", "shortName: cs9"))),
        message: (dir) =>
            `invalid catalogue entry\n${path.basename(dir)}/catalogue/xx9.yaml: shortName: upper-case, e.g. CS9, got "cs9"`,
    },
    {
        what: "kickstart: root password not locked",
        run: (dir) => {
            fs.writeFileSync(
                path.join(dir, "cs9.ks"),
                good("cs9.ks").replace(/^rootpw .*$/m, "rootpw --plaintext x"),
            );
            validateKickstarts([
                { distro: "cs9", file: path.join(dir, "cs9.ks"), version: "RHEL9" },
            ]);
        },
        message: (dir) =>
            `kickstart validation failed\n${dir}/cs9.ks: missing rootpw --lock (no root password in a shared image)`,
    },
    {
        what: "kickstart: no cloud-init",
        run: (dir) => {
            fs.writeFileSync(path.join(dir, "cs9.ks"), good("cs9.ks").replace(/^cloud-init$/m, ""));
            validateKickstarts([
                { distro: "cs9", file: path.join(dir, "cs9.ks"), version: "RHEL9" },
            ]);
        },
        message: (dir) =>
            `kickstart validation failed\n${dir}/cs9.ks: missing cloud-init in %packages`,
    },
    {
        what: "kickstart: the file is missing",
        run: (dir) =>
            validateKickstarts([
                { distro: "cs9", file: path.join(dir, "cs9.ks"), version: "RHEL9" },
            ]),
        message: (dir) => `kickstart validation failed\n${dir}/cs9.ks: missing (kickstart of cs9)`,
    },
];

describe("bad input: a clear error naming file, field and value, and nothing registered", function () {
    this.timeout(120000);
    const cwd = process.cwd();
    let dir: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-bad-"));
    });
    afterEach(() => {
        process.chdir(cwd);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("has at least twenty kinds of bad input", () => {
        const rows =
            STACK_ROWS.length + SECRET_ROWS.length + EVIDENCE_ROWS.length + LOADER_ROWS.length;
        assert.ok(rows >= 20, String(rows));
    });

    for (const row of [...STACK_ROWS, ...SECRET_ROWS, ...EVIDENCE_ROWS]) {
        it(row.what, async () => {
            const config = JSON.parse(JSON.stringify(stackConfig("lab"))) as Parameters<Edit>[0];
            row.edit?.(config);
            // The stack file as `pulumi config set` would leave it; the program reads it for keys.
            fs.mkdirSync(path.join(dir, "stacks"));
            const entries = { ...config, ...row.clear };
            fs.writeFileSync(
                path.join(dir, FILE),
                stringify({
                    config: Object.fromEntries(
                        Object.entries(entries).map(([k, v]) => [`os-image-pipeline:${k}`, v]),
                    ),
                }),
            );
            process.chdir(dir);
            const recorded: Recorded[] = [];
            await assert.rejects(
                runProgram("t", config, { glance: row.glance, secrets: row.clear, recorded }),
                (e: Error) => {
                    const expected = row.glance
                        ? row.message
                        : `invalid stack config\n${row.message}`;
                    assert.strictEqual(e.message, expected);
                    return true;
                },
            );
            // The evidence gate needs the production provider for its lookups; nothing else.
            assert.deepStrictEqual(
                recorded.filter((r) => !r.type.startsWith("pulumi:providers:")),
                [],
            );
        });
    }

    for (const row of LOADER_ROWS) {
        it(row.what, () => {
            assert.throws(
                () => row.run(dir),
                (e: Error) => {
                    assert.strictEqual(e.message, row.message(dir));
                    return true;
                },
            );
        });
    }
});
