import * as assert from "assert";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EVIDENCE_PROPERTIES } from "../../model/evidence";
import { GlanceImage, glanceProperties } from "../../components/glanceImage";
import { imageName } from "../../model/lifecycle";
import { loadCatalogue } from "../../distros/catalogue";
import { errorText, ScratchProject } from "../../scripts/dev/engineWorkspace";

const RELEASE = "2026-11-01";
const SHA = "a".repeat(64);

describe("real engine: the policy pack (`--policy-pack policy`) on a preview", function () {
    this.timeout(300000);
    let project: ScratchProject;
    let artefact: string;

    before(() => {
        project = new ScratchProject();
        artefact = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "osip-policy-")), "a.qcow2");
        fs.writeFileSync(artefact, "not uploaded: preview only");
    });
    after(() => {
        project?.remove();
        fs.rmSync(path.dirname(artefact), { recursive: true, force: true });
    });

    /** A production image of debian12, its evidence as given; the cloud is never called in preview. */
    function program(evidence: Record<string, string>) {
        return async () => {
            const entry = loadCatalogue().get("debian12")!;
            // Nothing listens there: a preview of a create never authenticates.
            const cloud = (name: string) =>
                new openstack.Provider(name, {
                    authUrl: "http://127.0.0.1:9/v3",
                    userName: "policy-test",
                    password: pulumi.secret("unused"),
                    tenantName: name,
                    userDomainName: "Default",
                    projectDomainName: "Default",
                });
            const key = `debian12-x86_64-bios-${RELEASE}`;
            new GlanceImage(key, {
                imageName: imageName(entry, "x86_64", "bios", RELEASE, "production"),
                stage: "production",
                artefact,
                properties: {
                    ...glanceProperties({
                        entry,
                        arch: "x86_64",
                        bootMode: "bios",
                        release: RELEASE,
                        key,
                        source: "debootstrap bookworm",
                        keep: 3,
                    }),
                    osimages_sha256: SHA,
                    ...evidence,
                },
                owner: cloud("production"),
                tester: cloud("test"),
            });
        };
    }

    it("refuses to publish an image without passed evidence, with the rule's message", async () => {
        const stack = await project.inlineStack("unproven", program({}));
        await assert.rejects(
            stack.preview({ policyPacks: [path.join(project.dir, "policy")] }),
            (e) => {
                const text = errorText(e);
                assert.match(text, /no-public-image-without-evidence/);
                assert.match(
                    text,
                    /image "DEBIAN12 - x86_64" is public without passed test evidence \(osimages_test_result=unset\)/,
                );
                return true;
            },
        );
    });

    it("lets the same image through once it carries passed evidence for its own bytes", async () => {
        const stack = await project.inlineStack(
            "proven",
            program({
                [EVIDENCE_PROPERTIES.result]: "passed",
                [EVIDENCE_PROPERTIES.testedSha256]: SHA,
            }),
        );
        const preview = await stack.preview({ policyPacks: [path.join(project.dir, "policy")] });
        // The stack, two providers, the component and its image.
        assert.deepStrictEqual(preview.changeSummary, { create: 5 });
    });
});
