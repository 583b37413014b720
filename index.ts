import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { compareReleases, parseStackConfig, readRawConfig, readSecrets } from "./config";
import { DistroPipeline } from "./components/distroPipeline";
import { planReleases, retiredReleases, vendorSkips } from "./components/lifecycle";
import {
    evidenceRequests,
    gatherEvidence,
    glanceLookup,
    promotionRefusals,
    releasePassed,
} from "./components/promotionGate";
import { makeProviders } from "./components/providers";
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
const workDir = path.resolve(stack.builders.local?.workDir ?? ".state/work");

async function main() {
    if (Object.keys(stack.distros).length === 0) return { report: {} };
    const providers = makeProviders(stack, secrets);
    const distros = Object.entries(stack.distros).map(([key, d]) => {
        const entry = catalogue.get(key)!;
        const arches = d.arches ?? entry.arches.map((a) => a.arch);
        const skipped = vendorSkips(d);
        if (d.promote !== undefined && skipped.includes(d.promote)) {
            throw new Error(
                `${stackFile}: distros.${key}.promote: ${d.promote} is skipped (same vendor version as the release before it)`,
            );
        }
        const kept = { ...d, releases: d.releases.filter((r) => !skipped.includes(r)) };
        return {
            key,
            entry,
            d: kept,
            arches,
            skipped,
            requests: evidenceRequests(key, entry, kept, arches),
        };
    });
    // The evidence gate: read what earlier updates recorded, refuse before registering anything.
    const requests = distros.flatMap((x) => x.requests);
    const evidence = await gatherEvidence(requests, glanceLookup(providers.production));
    const refusals = promotionRefusals(requests, evidence, (key) => stack.distros[key]?.promote);
    if (refusals.length > 0) {
        throw new Error(
            `promotion refused by the evidence gate (${stackFile})\n${refusals.join("\n")}`,
        );
    }
    const report: Record<string, unknown> = {};
    for (const { key, entry, d, arches, skipped, requests: reqs } of distros) {
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
            });
            report[`${key}-${arch}`] = {
                production: d.promote ?? null,
                retired: retiredReleases(d).sort(compareReleases),
                vendorSkipped: skipped,
                images: pipeline.images,
            };
        }
    }
    return { report };
}

export = main;
