import * as assert from "assert";
import { stackConfig } from "../unit/harness";
import { EngineProject } from "./engine";

/** The lab stack's config with no distro enabled: the program runs, nothing needs a provider. */
function emptyLab(): Record<string, unknown> {
    return { ...stackConfig("lab"), distros: {} };
}

describe("real engine: this project through the Pulumi CLI and Node.js language host", function () {
    this.timeout(300000);
    let project: EngineProject;

    before(() => {
        project = new EngineProject();
        project.writeStack("it", emptyLab());
        const init = project.pulumi("stack", "init", "it");
        assert.strictEqual(init.status, 0, init.output);
    });

    after(() => project?.remove());

    it("runs `up`: the program, stack config and catalogue load for real", () => {
        const up = project.pulumi("up", "--yes", "--skip-preview", "--stack", "it");
        assert.strictEqual(up.status, 0, up.output);
        const out = project.pulumi("stack", "output", "report", "--json", "--stack", "it");
        assert.strictEqual(out.status, 0, out.output);
        assert.deepStrictEqual(JSON.parse(out.stdout), {});
        assert.deepStrictEqual(
            project.resources("it").map((r) => r.type),
            ["pulumi:pulumi:Stack"],
        );
    });

    it("reports no changes on a second `up`", () => {
        const up = project.pulumi("up", "--yes", "--expect-no-changes", "--stack", "it");
        assert.strictEqual(up.status, 0, up.output);
    });

    it("fails preview on a malformed stack config, naming the file and the field, and changes nothing", () => {
        const before = project.resources("it");
        project.writeStack("it", { ...emptyLab(), testing: { backend: "vmware" } });
        const preview = project.pulumi("preview", "--stack", "it");
        assert.notStrictEqual(preview.status, 0);
        assert.match(preview.output, /stacks\/Pulumi\.it\.yaml: testing\.backend: /);
        assert.deepStrictEqual(project.resources("it"), before);
        project.writeStack("it", emptyLab());
    });

    it("refuses an unknown distro and a promotion pointer outside the kept releases", () => {
        project.writeStack("it", {
            ...emptyLab(),
            distros: { fedora41: { releases: ["2026-11-01"] } },
        });
        const unknown = project.pulumi("preview", "--stack", "it");
        assert.notStrictEqual(unknown.status, 0);
        assert.match(unknown.output, /distros\.fedora41: unknown distro "fedora41"/);
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
        const pointer = project.pulumi("preview", "--stack", "it");
        assert.notStrictEqual(pointer.status, 0);
        assert.match(
            pointer.output,
            /distros\.debian12\.promote: 2026-10-01 is not one of the kept releases \(2026-11-01\)/,
        );
        project.writeStack("it", emptyLab());
    });

    it("never downloads a plugin: a missing provider plugin is named, offline", function () {
        // Only meaningful while the openstack plugin is missing (it cannot be built here).
        if (project.hasPlugin("openstack", "3.15.2")) this.skip();
        project.writeStack("it", {
            ...emptyLab(),
            distros: { debian12: { releases: ["2026-11-01"] } },
        });
        const preview = project.pulumi("preview", "--stack", "it");
        assert.notStrictEqual(preview.status, 0);
        assert.match(preview.output, /openstack/);
        assert.match(preview.output, /3\.15\.2/);
        project.writeStack("it", emptyLab());
    });

    it("destroys the stack", () => {
        const destroy = project.pulumi("destroy", "--yes", "--stack", "it");
        assert.strictEqual(destroy.status, 0, destroy.output);
        assert.deepStrictEqual(project.resources("it"), []);
    });
});
