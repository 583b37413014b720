import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DISTROS_DIR, loadCatalogue, parseEntry } from "../../distros/catalogue";
import { distroEntrySchema } from "../../distros/schema";

const DESIGN_DISTROS = [
    "cc7",
    "c8",
    "cs8",
    "rocky8",
    "alma8",
    "rhel7",
    "rhel8",
    "cs9",
    "cs10",
    "alma9",
    "alma10",
    "rocky9",
    "rocky10",
    "rhel9",
    "rhel10",
    "debian12",
    "debian12cloud",
];

function validEntry(): Record<string, unknown> {
    return {
        key: "xx9",
        displayName: "Example 9",
        shortName: "XX9",
        osDistro: "centos",
        osVersion: "9",
        adminUser: "cloud-user",
        arches: [{ arch: "x86_64", bootModes: ["bios", "uefi"] }],
        build: { backend: "local", suite: "bookworm" },
        container: "base",
        useCases: ["unmanaged-virtual"],
        replaceFrequency: "monthly",
    };
}

/** A scratch distros dir holding one catalogue file (and kickstarts/ if asked). */
function scratchCatalogue(file: string, body: string, kickstarts: string[] = []): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-cat-"));
    fs.mkdirSync(path.join(dir, "catalogue"));
    fs.mkdirSync(path.join(dir, "kickstarts"));
    fs.writeFileSync(path.join(dir, "catalogue", file), body);
    for (const k of kickstarts) fs.writeFileSync(path.join(dir, "kickstarts", k), "text\n");
    return dir;
}

describe("catalogue", () => {
    const catalogue = loadCatalogue();

    it("holds every distro release of the design brief, and debian12 for the lab", () => {
        assert.deepStrictEqual([...catalogue.keys()].sort(), [...DESIGN_DISTROS].sort());
    });

    it("builds Koji distros from a kickstart that exists, RHEL and Debian's cloud image from the vendor, debian12 locally", () => {
        for (const [key, entry] of catalogue) {
            if (key.startsWith("rhel") || key === "debian12cloud")
                assert.strictEqual(entry.build.backend, "vendor", key);
            else if (key === "debian12") assert.strictEqual(entry.build.backend, "local");
            else {
                assert.strictEqual(entry.build.backend, "koji", key);
                if (entry.build.backend === "koji") {
                    assert.ok(
                        fs.existsSync(path.join(DISTROS_DIR, "kickstarts", entry.build.kickstart)),
                        key,
                    );
                }
            }
        }
    });

    it("gives aarch64 UEFI only and x86_64 both firmwares", () => {
        for (const [key, entry] of catalogue) {
            for (const a of entry.arches) {
                assert.deepStrictEqual(
                    a.bootModes,
                    a.arch === "aarch64" ? ["uefi"] : ["bios", "uefi"],
                    key,
                );
            }
        }
    });

    it("uses unique Glance name prefixes", () => {
        const names = [...catalogue.values()].map((e) => e.shortName);
        assert.strictEqual(new Set(names).size, names.length);
    });

    it("refuses an unknown arch, naming the file and the field", () => {
        const entry = { ...validEntry(), arches: [{ arch: "ppc64le", bootModes: ["bios"] }] };
        assert.throws(
            () => parseEntry("distros/catalogue/xx9.yaml", entry),
            /distros\/catalogue\/xx9\.yaml: arches\.0\.arch: /,
        );
    });

    it("refuses BIOS on aarch64", () => {
        const entry = {
            ...validEntry(),
            arches: [{ arch: "aarch64", bootModes: ["bios", "uefi"] }],
        };
        assert.throws(
            () => parseEntry("c/xx9.yaml", entry),
            /c\/xx9\.yaml: arches\.0\.bootModes: aarch64 boots with UEFI only/,
        );
    });

    it("refuses an unknown field and a missing one", () => {
        assert.throws(
            () => parseEntry("c/xx9.yaml", { ...validEntry(), flavour: "x" }),
            /c\/xx9\.yaml: \(root\): .*flavour/,
        );
        const { useCases: _drop, ...noUseCases } = validEntry();
        assert.throws(() => parseEntry("c/xx9.yaml", noUseCases), /c\/xx9\.yaml: useCases: /);
    });

    it("refuses a key that differs from the file name", () => {
        assert.throws(
            () => parseEntry("c/other.yaml", validEntry()),
            /c\/other\.yaml: key: "xx9" must equal the file name "other"/,
        );
    });

    it("refuses a Koji entry whose kickstart file is missing", () => {
        const body =
            "key: xx9\ndisplayName: X\nshortName: XX9\nosDistro: centos\nosVersion: '9'\nadminUser: u\narches: [{arch: x86_64, bootModes: [bios]}]\nbuild: {backend: koji, kickstart: xx9.ks, ksVersion: RHEL9}\ncontainer: none\nuseCases: [unmanaged-virtual]\nreplaceFrequency: monthly\n";
        const dir = scratchCatalogue("xx9.yaml", body);
        assert.throws(
            () => loadCatalogue(dir),
            /catalogue\/xx9\.yaml: build\.kickstart: kickstarts\/xx9\.ks does not exist/,
        );
    });

    it("adds a distro with one entry and one kickstart, nothing else", () => {
        const body =
            "key: xx9\ndisplayName: X\nshortName: XX9\nosDistro: centos\nosVersion: '9'\nadminUser: u\narches: [{arch: x86_64, bootModes: [bios]}]\nbuild: {backend: koji, kickstart: xx9.ks, ksVersion: RHEL9}\ncontainer: none\nuseCases: [unmanaged-virtual]\nreplaceFrequency: monthly\n";
        const dir = scratchCatalogue("xx9.yaml", body, ["xx9.ks"]);
        const cat = loadCatalogue(dir);
        assert.strictEqual(cat.get("xx9")?.build.backend, "koji");
    });

    it("reports YAML syntax errors with the file name", () => {
        const dir = scratchCatalogue("bad.yaml", "key: [unclosed\n");
        assert.throws(() => loadCatalogue(dir), /catalogue\/bad\.yaml: not valid YAML/);
    });

    it("defaults glanceProperties to empty", () => {
        assert.deepStrictEqual(distroEntrySchema.parse(validEntry()).glanceProperties, {});
    });
});
