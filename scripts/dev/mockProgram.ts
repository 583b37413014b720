// Runs the real program (index.ts) under Pulumi mocks, dryRun false, and records every resource it
// registers with its inputs and the options the engine received. Used by the unit tests and by the
// mocks benchmark; fake outputs stand in for what commands and providers would return.
import * as pulumi from "@pulumi/pulumi";
import * as mocks from "@pulumi/pulumi/runtime/mocks";
import * as crypto from "crypto";
import * as path from "path";
import { PROJECT } from "../../config";

export const ROOT = path.join(__dirname, "..", "..");

/** The project id a mocked getAuthScope reports for the test cloud. */
export const MOCK_SCOPE_PROJECT_ID = "mock-scope-project";

export interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    provider?: string;
    /** Resource options as the engine receives them (read off the registration request). */
    parent: string;
    dependencies: string[];
    customTimeouts: { create: string; update: string };
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
}

interface RegisterRequest {
    getName(): string;
    getType(): string;
    getParent(): string;
    getDependenciesList(): string[];
    getCustomtimeouts(): { getCreate(): string; getUpdate(): string } | undefined;
    getIgnorechangesList(): string[];
    getAdditionalsecretoutputsList(): string[];
}

type Options = Omit<Recorded, "type" | "name" | "inputs" | "provider">;
/** Options by `type name`: two components may share a name (GlanceImage and ImageTest do). */
const requestOptions = new Map<string, Options>();

// setMocks' `newResource` sees no resource options; read them off the request the monitor gets.
const monitorProto = (mocks as unknown as { MockMonitor: { prototype: Record<string, unknown> } })
    .MockMonitor.prototype;
const originalRegister = monitorProto.registerResource as (
    req: RegisterRequest,
    cb: unknown,
) => Promise<void>;
monitorProto.registerResource = function (this: unknown, req: RegisterRequest, cb: unknown) {
    const t = req.getCustomtimeouts();
    requestOptions.set(`${req.getType()} ${req.getName()}`, {
        parent: req.getParent(),
        dependencies: req.getDependenciesList(),
        customTimeouts: { create: t?.getCreate() ?? "", update: t?.getUpdate() ?? "" },
        ignoreChanges: req.getIgnorechangesList(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    });
    return originalRegister.call(this, req, cb);
};

export interface RunOptions {
    /** Glance properties per build key, as the getImage invoke would return them. */
    glance?: Record<string, Record<string, string>>;
    /** Build keys of images that are os_hidden (listed only when asked with hidden: true). */
    hidden?: string[];
    /** Secret config values (`os-image-pipeline:` is implied). */
    secrets?: Record<string, unknown>;
    /** Collects registered resources here too, so tests can inspect a run that failed. */
    recorded?: Recorded[];
    /** Invokes seen, for assertions. */
    invokes?: { token: string; args: Record<string, unknown> }[];
}

export interface RunResult {
    resources: Recorded[];
    outputs: Record<string, unknown>;
}

/** An invoke failure as the engine reports it: a gRPC error whose details carry the message. */
function grpcError(message: string): Error {
    return Object.assign(new Error(message), { details: message, code: 2 });
}

/** sha256 a fake build reports, derived from its name so tests can predict it. */
export function fakeSha(name: string): string {
    return crypto.createHash("sha256").update(name).digest("hex");
}

function computed(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    const inputs = args.inputs as Record<string, unknown>;
    switch (args.type) {
        case "command:local:Command":
            if (args.name.endsWith("-build")) {
                return {
                    stdout: `building...\n${JSON.stringify({
                        artefact: `/runner/${args.name}.qcow2`,
                        sha256: fakeSha(args.name),
                        rootfs: `/runner/${args.name}.tar`,
                        manifest: `/runner/${args.name}.packages`,
                        manifestSha256: fakeSha(`${args.name}.packages`),
                    })}`,
                };
            }
            if (args.name.endsWith("-vm")) {
                return {
                    stdout: JSON.stringify({
                        host: "127.0.0.1",
                        port: 2222,
                        privateKey: "LAB-PRIVATE-KEY",
                    }),
                };
            }
            if (args.name.endsWith("-server")) {
                return {
                    stdout: `creating...\n${JSON.stringify({
                        id: `${args.name}-uuid`,
                        address: "192.0.2.10",
                        attempts: 1,
                    })}`,
                };
            }
            if (args.name.endsWith("-context")) return { stdout: `/runner/${args.name}\n` };
            return { stdout: "" };
        case "command:remote:Command":
            return {
                stdout: "[+] upstream/0_kernel_running ... PASS (0s)\n[=] 9 passed, 0 failed (0 image, 0 infra), 1 skipped\n",
            };
        case "docker:index/image:Image":
            return {
                imageName: inputs.imageName,
                repoDigest: `${String(inputs.imageName)}@sha256:${fakeSha(args.name)}`,
            };
        case "docker:index/remoteImage:RemoteImage":
            return { repoDigest: inputs.name, imageId: `sha256:${fakeSha(args.name)}` };
        case "docker:index/tag:Tag":
            return { targetImage: inputs.targetImage };
        default:
            return {};
    }
}

/** The program's own modules, loaded afresh by every run (config is read at load). */
const PROGRAM_MODULES = ["index.ts", "config", "components", "model", "distros"].map((p) =>
    path.join(ROOT, p),
);

function clearProgramModules(): void {
    for (const key of Object.keys(require.cache)) {
        if (PROGRAM_MODULES.some((p) => key === p || key.startsWith(p + path.sep))) {
            delete require.cache[key];
        }
    }
}

/** Waits until no resource registration happened for a few turns of the event loop. */
async function settle(resources: Recorded[]): Promise<void> {
    let last = -1;
    let stable = 0;
    while (stable < 10) {
        await new Promise((r) => setTimeout(r, 5));
        stable = resources.length === last ? stable + 1 : 0;
        last = resources.length;
    }
}

/** Sets the mocks (dryRun false) so that every registered resource lands in `resources`. */
async function setRecordingMocks(
    stack: string,
    resources: Recorded[],
    opts: RunOptions,
): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const inputs = args.inputs as Record<string, unknown>;
                const custom = args.custom !== false;
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs,
                    provider: args.provider,
                    ...requestOptions.get(`${args.type} ${args.name}`)!,
                });
                const id = custom ? `${args.name}-id` : undefined;
                return { id, state: { ...inputs, ...computed(args) } };
            },
            call(args) {
                opts.invokes?.push({
                    token: args.token,
                    args: args.inputs as Record<string, unknown>,
                });
                if (args.token === "openstack:images/getImage:getImage") {
                    const inputs = args.inputs as {
                        properties?: Record<string, string>;
                        hidden?: boolean;
                        visibility?: string;
                    };
                    if (
                        inputs.visibility !== undefined &&
                        !["public", "private", "shared", "community"].includes(inputs.visibility)
                    ) {
                        throw grpcError(
                            `expected visibility to be one of [public private shared community], got ${inputs.visibility}`,
                        );
                    }
                    const key = inputs.properties?.osimages_build_key ?? "";
                    const props = opts.glance?.[key];
                    // Like Glance: os_hidden images are listed only when asked for, and only then.
                    const listed =
                        props !== undefined &&
                        (opts.hidden?.includes(key) ?? false) === (inputs.hidden === true);
                    if (!listed)
                        throw grpcError(
                            "Your query returned no results. Please change your search criteria and try again.",
                        );
                    return { id: `glance-${key}`, properties: props };
                }
                if (args.token === "openstack:identity/getAuthScope:getAuthScope") {
                    return { projectId: MOCK_SCOPE_PROJECT_ID };
                }
                throw new Error(`Mock call not implemented: ${args.token}`);
            },
        },
        PROJECT,
        stack,
        false,
    );
}

/**
 * Builds components alone under mocks (dryRun false), as pulumi-awsx tests its components, and
 * returns every resource they registered.
 */
export async function runComponents(build: () => void): Promise<Recorded[]> {
    const resources: Recorded[] = [];
    await setRecordingMocks("components", resources, {});
    build();
    await settle(resources);
    return resources;
}

/** Runs index.ts for `stack` with `config` (plain keys) under mocks, dryRun false. */
export async function runProgram(
    stack: string,
    config: Record<string, unknown>,
    opts: RunOptions = {},
): Promise<RunResult> {
    const resources: Recorded[] = opts.recorded ?? [];
    await setRecordingMocks(stack, resources, opts);
    const all: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...config, ...opts.secrets })) {
        all[`${PROJECT}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    pulumi.runtime.setAllConfig(
        all,
        Object.keys(opts.secrets ?? {}).map((k) => `${PROJECT}:${k}`),
    );
    clearProgramModules();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main = require(path.join(ROOT, "index.ts")) as () => Promise<Record<string, unknown>>;
    const outputs = await main();
    await settle(resources);
    return { resources, outputs };
}
