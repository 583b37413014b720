import * as pulumi from "@pulumi/pulumi";
import { loadStack, readEngineConfig, readSecrets, stackFilePath, workDirOf } from "./config";
import { DistroPipeline } from "./components/distroPipeline";
import { gatherEvidence, glanceLookup } from "./components/evidenceLookup";
import { cloudProviders, dockerProvider, testProjectId } from "./components/providers";
import { imagesToCheck, planStack } from "./model/plan";

// Everything that can be checked without a cloud is checked synchronously, before any resource:
// a bad catalogue, stack file or kickstart stops the update with nothing registered. Problems are
// RunErrors: the user sees the message, not a stack trace.
const config = new pulumi.Config();
const stackFile = stackFilePath(pulumi.getStack());
const { catalogue, stack } = userError(() =>
    loadStack(readEngineConfig(config, pulumi.getStack())),
);
const secrets = readSecrets(config);
// Relative, as written in the stack file: commands must not change when the checkout moves.
const workDir = workDirOf(stack);

/** Runs `f`, turning its error into a RunError (message only). */
function userError<T>(f: () => T): T {
    try {
        return f();
    } catch (e) {
        throw new pulumi.RunError((e as Error).message);
    }
}

async function main() {
    if (Object.keys(stack.distros).length === 0) return { report: {} };
    const clouds = cloudProviders(stack, secrets);
    // The evidence gate: read what earlier updates recorded, refuse before registering anything.
    const evidence = await gatherEvidence(
        imagesToCheck(stack, catalogue),
        glanceLookup(clouds.production),
    );
    const plan = planStack(stack, catalogue, evidence);
    if (plan.refusals.length > 0) {
        throw new pulumi.RunError(
            `promotion refused by the evidence gate (${stackFile})\n${plan.refusals.join("\n")}`,
        );
    }
    const providers = { ...clouds, docker: dockerProvider(stack, secrets) };
    const shareTo = testProjectId(stack, clouds.test);
    const report: Record<string, unknown> = {};
    for (const p of plan.pipelines) {
        const pipeline = new DistroPipeline(p.name, {
            plan: p,
            keep: stack.distros[p.distro].keep,
            builders: stack.builders,
            registries: stack.registries,
            testing: stack.testing,
            clouds: stack.clouds,
            testProjectId: shareTo,
            providers,
            secrets,
            workDir,
        });
        report[p.name] = {
            production: p.production ?? null,
            retired: p.retired,
            vendorSkipped: p.skipped,
            images: pipeline.images,
            containers: pipeline.containers,
        };
    }
    return { report };
}

export = main;
