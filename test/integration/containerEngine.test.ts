import * as assert from "assert";
import { Stack } from "@pulumi/pulumi/automation";
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import * as docker from "@pulumi/docker";
import { ContainerImage, publicTags } from "../../components/containerImage";
import { registryAuthEntry } from "../../components/providers";
import { ImageBuild } from "../../components/imageBuild";
import { loadCatalogue } from "../../distros/catalogue";
import { ROOT, ScratchProject, stateTypes } from "../../scripts/dev/engineWorkspace";

const RELEASE = "2026-11-01";

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** Tags of a repository in a registry, through its /v2/ API. */
async function tags(port: number, repository: string): Promise<string[]> {
    const r = await fetch(`http://127.0.0.1:${port}/v2/${repository}/tags/list`);
    if (r.status === 404) return [];
    const body = (await r.json()) as { tags?: string[] | null };
    return (body.tags ?? []).sort();
}

/** The manifest digest a tag points at. */
async function digest(port: number, repository: string, tag: string): Promise<string> {
    const r = await fetch(`http://127.0.0.1:${port}/v2/${repository}/manifests/${tag}`, {
        method: "HEAD",
        headers: {
            Accept: [
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.oci.image.manifest.v1+json",
            ].join(", "),
        },
    });
    assert.strictEqual(r.status, 200, `${repository}:${tag} on 127.0.0.1:${port}`);
    return r.headers.get("docker-content-digest") ?? "";
}

function service(script: string, ...args: string[]): string {
    return execFileSync("bash", [path.join(ROOT, "scripts", "ci", "services", script), ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    });
}

describe("real engine: command and docker resources (ImageBuild + ContainerImage) against a Docker engine", function () {
    this.timeout(30 * 60 * 1000);
    let project: ScratchProject;
    let stack: Stack;
    let services: string;
    let internal: number;
    let published: number;

    before(async function () {
        if (process.env.OSIP_LAB_TESTS === "0") this.skip();
        assert.strictEqual(process.getuid?.(), 0, "needs root (debootstrap, dockerd)");
        services = fs.mkdtempSync("/tmp/osip-docker-");
        const dockerHost = service("dockerd.sh", "start", `${services}/docker`)
            .trim()
            .replace(/^DOCKER_HOST=/, "");
        [internal, published] = [await freePort(), await freePort()];
        service("registry.sh", "start", `${services}/internal`, String(internal));
        service("registry.sh", "start", `${services}/public`, String(published));
        project = new ScratchProject({ DOCKER_HOST: dockerHost });
        const debian12 = loadCatalogue().get("debian12")!;
        const workDir = path.join(services, "work");
        stack = await project.inlineStack("containers", async () => {
            const build = new ImageBuild(`debian12-x86_64-${RELEASE}`, {
                entry: debian12,
                arch: "x86_64",
                release: RELEASE,
                builders: { local: { workDir } },
                frozen: false,
            });
            const registries = {
                internal: `127.0.0.1:${internal}/osimages`,
                public: `127.0.0.1:${published}/osimages`,
            };
            const dockerProvider = new docker.Provider("docker", {
                registryAuth: [
                    registryAuthEntry(registries.internal, "internal", undefined),
                    registryAuthEntry(registries.public, "public", undefined),
                ],
            });
            const container = new ContainerImage(
                `debian12-x86_64-${RELEASE}-container`,
                {
                    rootfs: build.rootfs.apply((r) => r ?? ""),
                    repository: "debian12",
                    release: RELEASE,
                    major: debian12.osVersion,
                    internalRegistry: registries.internal,
                    publicRegistry: registries.public,
                    publish: new pulumi.Config().getBoolean("publish") ?? false,
                    workDir,
                    platform: "linux/amd64",
                },
                { providers: [dockerProvider] },
            );
            return { testImage: container.testImage, published: container.published };
        });
    });

    after(async () => {
        if (services) {
            for (const r of ["internal", "public"])
                service("registry.sh", "stop", `${services}/${r}`);
            service("dockerd.sh", "stop", `${services}/docker`);
            fs.rmSync(services, { recursive: true, force: true });
        }
        project?.remove();
    });

    it("previews the first release before anything exists (no build context, no Dockerfile yet)", async () => {
        const preview = await stack.preview();
        // The stack, the docker provider, ImageBuild + its command, ContainerImage + context,
        // image and test.
        assert.deepStrictEqual(preview.changeSummary, { create: 8 });
    });

    it("`up` builds the image, pushes the test tag and runs the container suites", async () => {
        const up = await stack.up({ onOutput: () => undefined });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.strictEqual(
            up.outputs.testImage.value,
            `127.0.0.1:${internal}/osimages/debian12:${RELEASE}-test`,
        );
        assert.deepStrictEqual(up.outputs.published.value, []);
        assert.deepStrictEqual(await tags(internal, "osimages/debian12"), [`${RELEASE}-test`]);
        assert.deepStrictEqual(await tags(published, "osimages/debian12"), []);
        const types = await stateTypes(stack);
        for (const t of ["command:local:Command", "docker:index/image:Image"])
            assert.ok(types.includes(t), `${t} in ${types.join(", ")}`);
    });

    it("a second `up` changes nothing", async () => {
        const up = await stack.up();
        assert.deepStrictEqual(Object.keys(up.summary.resourceChanges ?? {}), ["same"]);
    });

    it("publishing (a config change) previews exactly the pull, the tags and the pushes, then publishes the tested digest", async () => {
        await stack.setConfig("publish", { value: "true" });
        const preview = await stack.preview({ diff: true });
        const tagNames = publicTags(loadCatalogue().get("debian12")!.osVersion, RELEASE);
        assert.deepStrictEqual(preview.changeSummary, {
            create: 1 + 2 * tagNames.length,
            same: preview.changeSummary.same,
        });
        for (const t of tagNames)
            assert.match(preview.stdout, new RegExp(`container-push-${t}\\b`));
        const up = await stack.up();
        assert.strictEqual(up.summary.result, "succeeded");
        const tested = await digest(internal, "osimages/debian12", `${RELEASE}-test`);
        assert.deepStrictEqual(await tags(published, "osimages/debian12"), [...tagNames].sort());
        for (const t of tagNames)
            assert.strictEqual(await digest(published, "osimages/debian12", t), tested, t);
    });

    it("`destroy` removes every resource", async () => {
        await stack.destroy();
        assert.deepStrictEqual(await stateTypes(stack), []);
    });
});
