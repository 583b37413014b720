import * as assert from "assert";
import { Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { stackConfig } from "../unit/harness";
import { errorText, ROOT, ScratchProject, stateTypes } from "../../scripts/dev/engineWorkspace";

/** The lab stack's config with no distro enabled: the program runs, nothing needs a cloud. */
function emptyLab(): Record<string, unknown> {
    return { ...stackConfig("lab"), distros: {} };
}

/** How a preview fails when the stack's cloud is not there: the provider cannot authenticate. */
const CLOUD_UNREACHABLE =
    /clouds\.yaml|cloud .* (does not exist|not found)|connection refused|no such host|auth_url|Unable to authenticate|authentication/i;

describe("real engine: the project's program through the Automation API", function () {
    this.timeout(300000);
    let project: ScratchProject;
    let stack: Stack;

    before(async () => {
        project = new ScratchProject();
        project.writeStack("it", emptyLab());
        stack = await project.programStack("it");
    });

    after(() => project?.remove());

    it("runs `up`: the program, stack config and catalogue load for real", async () => {
        const up = await stack.up();
        assert.strictEqual(up.summary.result, "succeeded");
        assert.deepStrictEqual(up.outputs.report.value, {});
        assert.deepStrictEqual(await stateTypes(stack), ["pulumi:pulumi:Stack"]);
    });

    it("reports no changes on a second `up`", async () => {
        const up = await stack.up();
        assert.deepStrictEqual(up.summary.resourceChanges, { same: 1 });
    });

    it("fails preview on a malformed stack config, naming the file and the field, and changes nothing", async () => {
        const before = await stack.exportStack();
        project.writeStack("it", { ...emptyLab(), testing: { backend: "vmware" } });
        await assert.rejects(stack.preview(), (e) => {
            assert.match(
                errorText(e),
                /stacks\/Pulumi\.it\.yaml: testing\.backend: expected one of "nova", "lab", got "vmware"/,
            );
            // A RunError: the message only, no Node stack trace.
            assert.doesNotMatch(errorText(e), /unhandled exception|\n\s+at \S+ \(/);
            return true;
        });
        assert.deepStrictEqual(
            (await stack.exportStack()).deployment.resources,
            before.deployment.resources,
        );
        project.writeStack("it", emptyLab());
    });

    it("refuses an unknown distro and a promotion pointer outside the kept releases", async () => {
        project.writeStack("it", {
            ...emptyLab(),
            distros: { fedora41: { releases: ["2026-11-01"] } },
        });
        await assert.rejects(stack.preview(), (e) => {
            assert.match(errorText(e), /distros\.fedora41: unknown distro "fedora41"/);
            return true;
        });
        project.writeStack("it", {
            ...emptyLab(),
            distros: {
                debian12: {
                    releases: ["2026-10-01", "2026-11-01"],
                    keep: 1,
                    promote: "2026-10-01",
                },
            },
        });
        await assert.rejects(stack.preview(), (e) => {
            assert.match(
                errorText(e),
                /distros\.debian12\.promote: 2026-10-01 is not one of the kept releases \(2026-11-01\)/,
            );
            return true;
        });
        project.writeStack("it", emptyLab());
    });

    it("destroys the stack", async () => {
        await stack.destroy();
        assert.deepStrictEqual(await stateTypes(stack), []);
    });
});

describe("real engine: `pulumi preview` of every shipped stack", function () {
    this.timeout(300000);
    const shipped = fs
        .readdirSync(path.join(ROOT, "stacks"))
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined);

    it("ships the lab stacks and the example site", () => {
        assert.deepStrictEqual(shipped.sort(), ["lab", "lab-aarch64", "site-example"]);
    });

    for (const name of shipped) {
        it(`previews ${name}, or fails only because its cloud is not reachable here`, async () => {
            const project = new ScratchProject({
                OS_CLIENT_CONFIG_FILE: "/nonexistent/clouds.yaml",
                // The shipped lab stack file carries the salt of the lab's passphrase.
                PULUMI_CONFIG_PASSPHRASE: "lab",
            });
            try {
                fs.copyFileSync(
                    path.join(ROOT, "stacks", `Pulumi.${name}.yaml`),
                    path.join(project.dir, "stacks", `Pulumi.${name}.yaml`),
                );
                const stack = await project.programStack(name);
                try {
                    const preview = await stack.preview();
                    assert.ok(preview.changeSummary);
                } catch (e) {
                    const text = errorText(e);
                    // Config, catalogue and kickstarts passed: only the cloud is missing.
                    assert.match(text, CLOUD_UNREACHABLE, text);
                    const reason = text
                        .split("\n")
                        .find((l) => CLOUD_UNREACHABLE.test(l))
                        ?.trim();
                    console.log(`      ${name}: preview stops at the cloud: ${reason}`);
                }
            } finally {
                project.remove();
            }
        });
    }
});
