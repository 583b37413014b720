import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { UseCase } from "../distros/schema";
import { isPhysical } from "../model/useCases";

// Relative to the project directory, where Pulumi runs commands.
const LAB_INSTANCE = "scripts/program/compute/lab-instance.sh";
const NOVA_INSTANCE = "scripts/program/compute/nova-instance.sh";
/** Seconds nova-instance.sh gives the deletion of one server (bare-metal nodes take longest). */
const NOVA_DELETE_WAIT = 600;

export interface TestInstanceArgs {
    /** `nova` boots a Nova server (Ironic flavor for physical use cases); `lab` a qemu VM on the runner. */
    backend: "nova" | "lab";
    /** Glance image under test. */
    imageId: pulumi.Input<string>;
    /** Use case: decides flavor and user-data. */
    useCase: UseCase;
    /** cloud-init user-data of the use case. */
    userData: string;
    /** Login user of the image: the readiness check logs in as it. */
    user: string;
    /** The `openstack` CLI's environment for the test project; may hold its password (secret). */
    cloudEnvironment: Record<string, pulumi.Input<string>>;
    /** Runner directory: lab machines live there, and the consoles of both backends are kept there. */
    workDir: string;
    /** Flavor names (nova backend). */
    flavors?: { virtual: string; physical?: string };
    /** Neutron network (nova backend). */
    network?: string;
    /** Key pair (nova backend). */
    keyPair?: string;
    /** Private key of the key pair (nova backend, secret): the readiness check logs in with it. */
    sshPrivateKey?: pulumi.Input<string>;
    /** Lab backend: the VM's ARCH and FIRMWARE. */
    labEnvironment?: Record<string, pulumi.Input<string>>;
    /** How long one machine may take to become usable. */
    bootTimeout: string;
    /** Fresh machines tried before the boot fails as the infrastructure's failure (default 1). */
    bootAttempts?: number;
    /** Values whose change boots a new machine (each restart of the tests gets one). */
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

/**
 * The Nova machine's create timeout: every attempt may take the boot timeout and the deletion of
 * its server, plus one deletion of a server left by a killed run before the first.
 */
export function novaCreateTimeout(bootTimeout: string, attempts: number): string {
    return `${(durationSeconds(bootTimeout) + NOVA_DELETE_WAIT) * attempts + NOVA_DELETE_WAIT}s`;
}

/** Parses the `{"id": ..., "address": ..., "attempts": ...}` line the Nova backend prints last. */
export function parseNovaServer(stdout: string): { id: string; address: string; attempts: number } {
    const r = JSON.parse(stdout.trim().split("\n").pop() ?? "") as {
        id?: unknown;
        address?: unknown;
        attempts?: unknown;
    };
    if (typeof r.id !== "string" || typeof r.address !== "string" || typeof r.attempts !== "number")
        throw new Error(`nova instance did not report {"id","address","attempts"}: ${stdout}`);
    return { id: r.id, address: r.address, attempts: r.attempts };
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
    /** The key the test run logs in with (secret): the lab VM's own, or testing.keyPair's. */
    public readonly privateKey: pulumi.Output<string>;
    /** Machines it took to get a usable one (more than 1: infrastructure failures retried). */
    public readonly attempts: pulumi.Output<number>;

    constructor(name: string, args: TestInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("osimages:compute:TestInstance", name, {}, opts);
        // INSTANCE names the machine deterministically: a create killed half-way leaves a machine
        // the next create finds by that name and cleans up.
        const instance = { INSTANCE: name, USE_CASE: args.useCase, IMAGE_ID: args.imageId };
        const bootAttempts = args.bootAttempts ?? 1;
        // A new image, or a new start of the tests, means a new machine: never one left over from
        // an earlier run (or stopped by `npm run lab -- down`).
        const triggers = [args.imageId, ...(args.restartOn ?? [])];
        if (args.backend === "nova") {
            if (!args.flavors || !args.network || !args.keyPair || !args.sshPrivateKey) {
                throw new pulumi.RunError(
                    `${name}: the nova backend needs testing.flavors, network, keyPair and the sshPrivateKey secret of testing.keyPair`,
                );
            }
            const server = new command.local.Command(
                `${name}-server`,
                {
                    create: `bash ${NOVA_INSTANCE} create`,
                    delete: `bash ${NOVA_INSTANCE} delete`,
                    environment: {
                        ...args.cloudEnvironment,
                        ...instance,
                        // One server name per stack: stacks may share a test project.
                        SERVER: `${pulumi.getStack()}-${name}`,
                        WORK_DIR: args.workDir,
                        FLAVOR: flavorFor(args.useCase, args.flavors),
                        NETWORK: args.network,
                        KEY_PAIR: args.keyPair,
                        SSH_USER: args.user,
                        SSH_PRIVATE_KEY: pulumi.secret(args.sshPrivateKey),
                        BOOT_ATTEMPTS: String(bootAttempts),
                        BOOT_WAIT: String(durationSeconds(args.bootTimeout)),
                        DELETE_WAIT: String(NOVA_DELETE_WAIT),
                    },
                    stdin: args.userData,
                    triggers,
                },
                {
                    parent: this,
                    dependsOn: opts?.dependsOn,
                    // Old and new server share the name the script cleans up by: delete first.
                    deleteBeforeReplace: true,
                    customTimeouts: {
                        create: novaCreateTimeout(args.bootTimeout, bootAttempts),
                        // The deletion, and the console kept before it.
                        delete: `${2 * NOVA_DELETE_WAIT}s`,
                    },
                },
            );
            const address = server.stdout.apply(parseNovaServer);
            this.host = address.address;
            this.port = pulumi.output(22);
            this.privateKey = pulumi.secret(args.sshPrivateKey);
            this.attempts = address.attempts;
        } else {
            const vm = new command.local.Command(
                `${name}-vm`,
                {
                    create: `bash ${LAB_INSTANCE} start`,
                    // stdout carries the VM's private key: never in the update's log.
                    logging: "stderr",
                    delete: `bash ${LAB_INSTANCE} stop`,
                    environment: {
                        ...args.cloudEnvironment,
                        WORK_DIR: args.workDir,
                        ...args.labEnvironment,
                        LAB_USER: args.user,
                        ...instance,
                        BOOT_ATTEMPTS: String(bootAttempts),
                        LAB_BOOT_WAIT: String(durationSeconds(args.bootTimeout)),
                    },
                    stdin: args.userData,
                    triggers,
                },
                // The lab key is printed with the address: keep it out of the state in clear.
                {
                    parent: this,
                    // A component's dependsOn does not reach its children: hand it down.
                    dependsOn: opts?.dependsOn,
                    // Old and new machine share the instance directory: stop the old one first.
                    deleteBeforeReplace: true,
                    customTimeouts: {
                        create: labCreateTimeout(args.bootTimeout, bootAttempts),
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
