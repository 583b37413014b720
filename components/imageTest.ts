import * as command from "@pulumi/command";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { CloudConfig, KnownFlaky, StackConfig } from "../config";
import { toleratedBy } from "../model/knownFlaky";
import { testInstanceName, testRunName } from "../model/resourceNames";
import { Arch, BootMode, UseCase } from "../distros/schema";
import { TestInstance } from "./testInstance";
import { failedTests, parseSummary, splitRunOutput, suitesDigest, TestRun } from "./testRun";
import { userData } from "./userData";

// Relative to the project directory, where Pulumi runs commands: moving the checkout changes nothing.
const RECORD_EVIDENCE = "scripts/program/record-evidence.sh";

export interface ImageTestArgs {
    /** Glance image under test. */
    imageId: pulumi.Input<string>;
    /** sha256 of the uploaded artefact: the evidence is for these bytes. */
    sha256: pulumi.Input<string>;
    /** Architecture of the image (lab VMs boot it with the matching qemu). */
    arch: Arch;
    /** Firmware of the image (lab VMs boot it with SeaBIOS or UEFI to match). */
    bootMode: BootMode;
    /** Login user of the image. */
    adminUser: string;
    /** Use cases to boot and test, each on its own machine. */
    useCases: UseCase[];
    /** The stack's test settings. */
    testing: StackConfig["testing"];
    /** The clouds of the owner (evidence steps) and of the test project (lab machines). */
    clouds: StackConfig["clouds"];
    /** Password per phase when clouds.yaml has none (secret). */
    cloudPasswords?: pulumi.Output<{ test?: string; production?: string }>;
    /** Private key of `testing.keyPair` (secret); the lab backend brings its own. */
    sshPrivateKey?: pulumi.Output<string>;
    /** Runner directory: lab machines, consoles and results. */
    workDir: string;
    /** Resources the machines wait for (the share to the test project). */
    bootAfter: pulumi.Input<pulumi.Resource>[];
}

/**
 * Environment for the `openstack` CLI steps: the same cloud, project and region as the provider
 * of that phase, and the password only when one is configured (it stays a secret in the state).
 */
export function cliEnvironment(
    cloud: CloudConfig,
    password?: pulumi.Output<string | undefined>,
): Record<string, pulumi.Input<string>> {
    return {
        OS_CLOUD: cloud.cloud,
        OS_PROJECT_NAME: cloud.project,
        ...(cloud.region ? { OS_REGION_NAME: cloud.region } : {}),
        ...(password ? { OS_PASSWORD: password.apply((p) => p ?? "") } : {}),
    };
}

/**
 * Everything that makes a test machine or a run start again: when one changes, the evidence is
 * reset and the tests re-run. (A rotated SSH key re-runs the tests too; being a secret, it is left
 * out: see the README.)
 */
export function testTriggers(args: Pick<ImageTestArgs, "useCases" | "testing">): string[] {
    const { testing, useCases } = args;
    return [
        suitesDigest(),
        JSON.stringify(testing.siteEnvironment),
        useCases.join(","),
        JSON.stringify({
            userData: useCases.map((u) => userData(u, testing.agent)),
            flavors: testing.flavors,
            network: testing.network,
            keyPair: testing.keyPair,
        }),
    ];
}

/**
 * What the runs of one image add up to: the evidence step's mode and its environment. A failure
 * that a known-flaky entry tolerates is reported with its reason and fails nothing.
 */
export function testOutcome(
    runs: { useCase: string; output: string; attempts?: number }[],
    knownFlaky: KnownFlaky[] = [],
): {
    mode: "passed" | "failed";
    summary: string;
    failedTests: string;
    knownFlaky: string;
    /** sha256 of the use cases' JUnit reports, in use-case order. */
    junitSha256: string;
    /** Machines retried per use case (infrastructure failures), e.g. `unmanaged-virtual: 0`. */
    infraRetries: string;
} {
    const failures = runs.flatMap((r) =>
        failedTests(r.output).map((test) => ({
            name: `${r.useCase}: ${test}`,
            tolerated: toleratedBy(knownFlaky, r.useCase, test),
        })),
    );
    const blocking = failures.filter((f) => !f.tolerated);
    return {
        mode: blocking.length > 0 ? "failed" : "passed",
        summary: runs.map((r) => `${r.useCase}: ${parseSummary(r.output)}`).join("; "),
        failedTests: blocking.map((f) => f.name).join(", "),
        knownFlaky: failures
            .flatMap((f) => (f.tolerated ? [`${f.name} (${f.tolerated.reason})`] : []))
            .join(", "),
        junitSha256: crypto
            .createHash("sha256")
            .update(runs.map((r) => splitRunOutput(r.output).junit ?? "").join(""))
            .digest("hex"),
        infraRetries: runs.map((r) => `${r.useCase}: ${(r.attempts ?? 1) - 1}`).join(", "),
    };
}

/** Boots an image per use case, runs the suites, then records the evidence on the image. */
export class ImageTest extends pulumi.ComponentResource {
    /** Runner summary per use case. */
    public readonly summaries: Record<string, pulumi.Output<string>>;
    /** What the evidence step records on the image, beside the summaries. */
    public readonly evidence: pulumi.Output<{
        result: "passed" | "failed";
        suitesVersion: string;
        junitSha256: string;
        infraRetries: string;
        knownFlaky: string;
        failedTests: string;
    }>;

    constructor(name: string, args: ImageTestArgs, opts?: pulumi.ComponentResourceOptions) {
        super("osimages:test:ImageTest", name, {}, opts);
        const { testing } = args;
        const cli = cliEnvironment(
            args.clouds.production,
            args.cloudPasswords?.apply((p) => p?.production),
        );
        // Whenever the tests of this image (re)start, what passed before stops counting: a
        // failing re-run must not leave an old "passed" on the image.
        const reset = new command.local.Command(
            `${name}-evidence-reset`,
            {
                create: `bash ${RECORD_EVIDENCE} pending`,
                environment: { ...cli, IMAGE_ID: args.imageId, SHA256: args.sha256 },
                triggers: [args.imageId, args.sha256, ...testTriggers(args)],
            },
            { parent: this, customTimeouts: { create: "10m" } },
        );
        const runs = args.useCases.map((useCase) => {
            const instance = new TestInstance(
                testInstanceName(name, useCase),
                {
                    backend: testing.backend,
                    imageId: args.imageId,
                    useCase,
                    userData: userData(useCase, testing.agent),
                    user: args.adminUser,
                    cloudEnvironment: cliEnvironment(
                        args.clouds.test,
                        args.cloudPasswords?.apply((p) => p?.test),
                    ),
                    workDir: args.workDir,
                    flavors: testing.flavors,
                    network: testing.network,
                    keyPair: testing.keyPair,
                    sshPrivateKey: args.sshPrivateKey,
                    labEnvironment: { ARCH: args.arch, FIRMWARE: args.bootMode },
                    bootTimeout: testing.bootTimeout,
                    bootAttempts: testing.bootAttempts,
                    restartOn: [reset.id],
                },
                // After the share to the test project exists, and after the evidence reset.
                { parent: this, dependsOn: [...args.bootAfter, reset] },
            );
            const run = new TestRun(
                testRunName(name, useCase),
                {
                    host: instance.host,
                    port: instance.port,
                    user: args.adminUser,
                    privateKey: instance.privateKey,
                    useCase,
                    siteEnvironment: testing.siteEnvironment,
                    suiteTimeout: testing.suiteTimeout,
                },
                { parent: this },
            );
            return { useCase, run, instance };
        });
        const suitesVersion = suitesDigest();
        const outputs = pulumi.all(runs.map((r) => r.run.output));
        const outcome = pulumi
            .all([outputs, pulumi.all(runs.map((r) => r.instance.attempts))])
            .apply(([o, attempts]) =>
                testOutcome(
                    runs.map((r, i) => ({
                        useCase: r.useCase,
                        output: o[i],
                        attempts: attempts[i],
                    })),
                    testing.knownFlaky,
                ),
            );
        new command.local.Command(
            `${name}-evidence`,
            {
                // A failed image is recorded as failed, and the step then fails the update naming
                // the tests: the gate refuses these bytes until new ones pass.
                create: pulumi.interpolate`bash ${RECORD_EVIDENCE} ${outcome.mode}`,
                environment: {
                    ...cli,
                    IMAGE_ID: args.imageId,
                    SHA256: args.sha256,
                    SUMMARY: outcome.summary,
                    FAILED_TESTS: outcome.failedTests,
                    KNOWN_FLAKY: outcome.knownFlaky,
                    SUITES_VERSION: suitesVersion,
                    JUNIT_SHA256: outcome.junitSha256,
                    INFRA_RETRIES: outcome.infraRetries,
                    USE_CASES: args.useCases.join(","),
                    // Each use case's output and JUnit report, kept on the runner.
                    RESULTS_DIR: `${args.workDir}/results/${name}`,
                    RESULTS: outputs.apply((o) =>
                        JSON.stringify(Object.fromEntries(runs.map((r, i) => [r.useCase, o[i]]))),
                    ),
                },
                // Recorded again after every reset, i.e. after every re-run of the tests.
                triggers: [reset.id],
            },
            { parent: this, dependsOn: runs.map((r) => r.run), customTimeouts: { create: "10m" } },
        );
        this.summaries = Object.fromEntries(runs.map((r) => [r.useCase, r.run.summary]));
        this.evidence = outcome.apply((o) => ({
            result: o.mode,
            suitesVersion,
            junitSha256: o.junitSha256,
            infraRetries: o.infraRetries,
            knownFlaky: o.knownFlaky,
            failedTests: o.failedTests,
        }));
        this.registerOutputs({ summaries: this.summaries, evidence: this.evidence });
    }
}
