import * as pulumi from "@pulumi/pulumi";
import { archesOf, parseStackConfig, readRawConfig, readSecrets } from "./config";
import { DistroPipeline } from "./components/distroPipeline";
import { planReleases, releaseSet } from "./model/lifecycle";
import {
    evidenceRequests,
    gatherEvidence,
    glanceLookup,
    promotionRefusals,
    releasePassed,
} from "./components/promotionGate";
import { cloudProviders, dockerProvider } from "./components/providers";
import { loadCatalogue } from "./distros/catalogue";
import { kickstartsFor, validateKickstarts } from "./distros/kickstarts";

// Everything that can be checked without a cloud is checked synchronously, before any resource:
// a bad catalogue, stack file or kickstart stops the update with nothing registered.
const config = new pulumi.Config();
const stackFile = `stacks/Pulumi.${pulumi.getStack()}.yaml`;
const catalogue = loadCatalogue();
const stack = parseStackConfig(readRawConfig(config, stackFile), stackFile, catalogue);
validateKickstarts(kickstartsFor(Object.keys(stack.distros), catalogue));
const secrets = readSecrets(config);
// Relative, as written in the stack file: commands must not change when the checkout moves.
const workDir = stack.builders.local?.workDir ?? ".state/work";

/** Per enabled distro: what is kept, skipped and retired, on which arches. */
const distros = Object.entries(stack.distros).map(([key, d]) => {
    const entry = catalogue.get(key)!;
    const releases = releaseSet(d);
    if (d.promote !== undefined && releases.skipped.includes(d.promote)) {
        throw new Error(
            `${stackFile}: distros.${key}.promote: ${d.promote} is skipped (same vendor version as the release before it)`,
        );
    }
    const arches = archesOf(d, entry);
    const kept = { ...d, releases: releases.kept };
    return {
        key,
        entry,
        d: kept,
        arches,
        releases,
        requests: evidenceRequests(key, entry, kept, arches),
    };
});

async function main() {
    if (distros.length === 0) return { report: {} };
    const clouds = cloudProviders(stack, secrets);
    // The evidence gate: read what earlier updates recorded, refuse before registering anything.
    const requests = distros.flatMap((x) => x.requests);
    const evidence = await gatherEvidence(requests, glanceLookup(clouds.production));
    const refusals = promotionRefusals(requests, evidence, (key) => stack.distros[key]?.promote);
    if (refusals.length > 0) {
        throw new Error(
            `promotion refused by the evidence gate (${stackFile})\n${refusals.join("\n")}`,
        );
    }
    const providers = { ...clouds, docker: dockerProvider(stack, secrets) };
    const report: Record<string, unknown> = {};
    for (const { key, entry, d, arches, releases, requests: reqs } of distros) {
        for (const arch of arches) {
            const plan = planReleases(d, (release) => releasePassed(reqs, evidence, arch, release));
            const pipeline = new DistroPipeline(`${key}-${arch}`, {
                entry,
                arch,
                distro: d,
                plan,
                evidence,
                stack,
                providers,
                secrets,
                workDir,
                // One container image per distro, from the first arch the stack builds.
                buildsContainer: arch === arches[0],
            });
            report[`${key}-${arch}`] = {
                production: d.promote ?? null,
                retired: releases.retired,
                vendorSkipped: releases.skipped,
                images: pipeline.images,
                containers: pipeline.containers,
            };
        }
    }
    return { report };
}

export = main;
