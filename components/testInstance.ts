import * as command from "@pulumi/command";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { UseCase } from "../distros/schema";
import { isPhysical } from "../model/useCases";

// Relative to the project directory, where Pulumi runs commands.
const LAB_INSTANCE = "scripts/program/compute/lab-instance.sh";

export interface TestInstanceArgs {
    /** `nova` boots a Nova server (Ironic flavor for physical use cases); `lab` a qemu VM on the runner. */
    backend: "nova" | "lab";
    /** Glance image under test. */
    imageId: pulumi.Input<string>;
    /** Use case: decides flavor and user-data. */
    useCase: UseCase;
    /** cloud-init user-data of the use case. */
    userData: string;
    /** Flavor names (nova backend). */
    flavors?: { virtual: string; physical?: string };
    /** Neutron network (nova backend). */
    network?: string;
    /** Key pair (nova backend). */
    keyPair?: string;
    /** Provider of the test project (nova backend). */
    provider?: openstack.Provider;
    /** Environment of the lab backend (clouds, work dir); may hold the cloud password (secret). */
    labEnvironment?: Record<string, pulumi.Input<string>>;
    /** How long one machine may take to become usable. */
    bootTimeout: string;
    /** Lab backend: fresh machines tried before the boot fails as the infrastructure's failure (default 1). */
    bootAttempts?: number;
    /** Lab backend: values whose change boots a new machine (each restart of the tests gets one). */
    restartOn?: pulumi.Input<string>[];
}

/** The flavor of a use case; physical use cases need the bare-metal flavor. */
export function flavorFor(
    useCase: UseCase,
    flavors: { virtual: string; physical?: string },
): string {
    if (!isPhysical(useCase)) return flavors.virtual;
    if (!flavors.physical) throw new Error(`use case ${useCase} needs testing.flavors.physical`);
    return flavors.physical;
}

/** Seconds of a `20m`-style duration (the schema allows s, m and h). */
export function durationSeconds(duration: string): number {
    const m = /^(\d+)([smh])$/.exec(duration);
    if (!m) throw new Error(`not a duration: ${duration}`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
}

/**
 * The lab machine's create timeout: every attempt may take the boot timeout, plus 10 minutes for
 * the image download and kernel extraction before the first.
 */
export function labCreateTimeout(bootTimeout: string, attempts: number): string {
    return `${durationSeconds(bootTimeout) * attempts + 600}s`;
}

/** Parses the `{"host": ..., "port": ...}` line the lab backend prints last. */
export function parseLabAddress(stdout: string): {
    host: string;
    port: number;
    privateKey: string;
    attempts: number;
} {
    const last = stdout.trim().split("\n").pop() ?? "";
    const r = JSON.parse(last) as {
        host?: unknown;
        port?: unknown;
        privateKey?: unknown;
        attempts?: unknown;
    };
    if (
        typeof r.host !== "string" ||
        typeof r.port !== "number" ||
        typeof r.privateKey !== "string"
    ) {
        throw new Error(`lab instance did not report {"host","port","privateKey"}`);
    }
    return {
        host: r.host,
        port: r.port,
        privateKey: r.privateKey,
        attempts: typeof r.attempts === "number" ? r.attempts : 1,
    };
}

/** A machine booted from the image under test, for one use case. */
export class TestInstance extends pulumi.ComponentResource {
    /** Address the test run connects to. */
    public readonly host: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    /** Lab backend only: the key the VM was seeded with (secret). */
    public readonly privateKey?: pulumi.Output<string>;
    /** Machines it took to get a usable one (more than 1: infrastructure failures retried). */
    public readonly attempts: pulumi.Output<number>;

    constructor(name: string, args: TestInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("osimages:compute:TestInstance", name, {}, opts);
        if (args.backend === "nova") {
            if (!args.flavors || !args.network || !args.keyPair) {
                throw new Error(
                    `${name}: the nova backend needs testing.flavors, network and keyPair`,
                );
            }
            const server = new openstack.compute.Instance(
                `${name}-server`,
                {
                    imageId: args.imageId,
                    flavorName: flavorFor(args.useCase, args.flavors),
                    keyPair: args.keyPair,
                    networks: [{ name: args.network }],
                    userData: args.userData,
                    metadata: { osimages_use_case: args.useCase },
                },
                {
                    parent: this,
                    provider: args.provider,
                    customTimeouts: { create: args.bootTimeout },
                    dependsOn: opts?.dependsOn,
                },
            );
            this.host = server.accessIpV4;
            this.port = pulumi.output(22);
            this.attempts = pulumi.output(1);
        } else {
            const vm = new command.local.Command(
                `${name}-vm`,
                {
                    create: `bash ${LAB_INSTANCE} start`,
                    // stdout carries the VM's private key: never in the update's log.
                    logging: "stderr",
                    delete: `bash ${LAB_INSTANCE} stop`,
                    environment: {
                        ...args.labEnvironment,
                        INSTANCE: name,
                        USE_CASE: args.useCase,
                        IMAGE_ID: args.imageId,
                        BOOT_ATTEMPTS: String(args.bootAttempts ?? 1),
                        LAB_BOOT_WAIT: String(durationSeconds(args.bootTimeout)),
                    },
                    stdin: args.userData,
                    // A new image, or a new start of the tests, means a new machine: never a
                    // machine left over from an earlier run (or stopped by `npm run lab -- down`).
                    triggers: [args.imageId, ...(args.restartOn ?? [])],
                },
                // The lab key is printed with the address: keep it out of the state in clear.
                {
                    parent: this,
                    // A component's dependsOn does not reach its children: hand it down.
                    dependsOn: opts?.dependsOn,
                    // Old and new machine share the instance directory: stop the old one first.
                    deleteBeforeReplace: true,
                    customTimeouts: {
                        create: labCreateTimeout(args.bootTimeout, args.bootAttempts ?? 1),
                    },
                    additionalSecretOutputs: ["stdout"],
                },
            );
            const address = vm.stdout.apply(parseLabAddress);
            this.host = address.host;
            this.port = address.port;
            this.privateKey = pulumi.secret(address.privateKey);
            this.attempts = address.attempts;
        }
        this.registerOutputs({ host: this.host, port: this.port });
    }
}
