import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { Arch, BootMode, DistroEntry } from "../distros/schema";
import { Stage, variantLabel, visibility } from "../model/lifecycle";

/** Properties every image carries; the policy pack refuses images without them. */
export const REQUIRED_PROPERTIES = [
    "os_distro",
    "os_version",
    "os_type",
    "architecture",
    "hw_firmware_type",
    "hw_machine_type",
    "hypervisor_type",
    "img_config_drive",
    "image_build_date",
    "image_source",
    "image_original_user",
    "replace_frequency",
    "uuid_validity",
    "osimages_build_key",
    "osimages_sha256",
] as const;

export interface PropertyInputs {
    entry: DistroEntry;
    arch: Arch;
    bootMode: BootMode;
    release: string;
    /** Build key stored on the image, by which evidence is found again. */
    key: string;
    /** Where the bytes come from (Koji target, vendor URL, local builder). */
    source: string;
    /** Kept releases, for `uuid_validity`. */
    keep: number;
}

/** The Glance properties of one image (the artefact's sha256 is added once known). */
export function glanceProperties(p: PropertyInputs): Record<string, string> {
    return {
        os_distro: p.entry.osDistro,
        os_version: p.entry.osVersion,
        os_type: "linux",
        os_admin_user: p.entry.adminUser,
        architecture: p.arch,
        hw_firmware_type: p.bootMode,
        hw_machine_type: p.arch === "x86_64" ? "q35" : "virt",
        hypervisor_type: "qemu",
        hw_qemu_guest_agent: "yes",
        img_config_drive: "optional",
        image_build_date: p.release.slice(0, 10),
        image_source: p.source,
        image_original_user: p.entry.adminUser,
        image_description: `${p.entry.displayName} ${variantLabel(p.entry, p.arch, p.bootMode)}, build ${p.release}`,
        replace_frequency: p.entry.replaceFrequency,
        uuid_validity: `last-${p.keep}`,
        osimages_distro: p.entry.key,
        osimages_release: p.release,
        osimages_build_key: p.key,
        ...p.entry.glanceProperties,
    };
}

export interface GlanceImageArgs {
    /** Glance name for the image's current stage. */
    imageName: string;
    /** Stage of the release: decides visibility and os_hidden. */
    stage: Stage;
    /** Properties from `glanceProperties`, plus evidence once the image passed. */
    properties: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Path of the qcow2 artefact on the runner. */
    artefact: pulumi.Input<string>;
    /** Project that tests TEST images; made a member of them while they are shared. */
    testProjectId?: pulumi.Input<string>;
    /** Provider of the owning (production) project. */
    owner: openstack.Provider;
    /** Provider of the test project, which accepts the share. */
    tester: openstack.Provider;
}

/** One Glance image, updated in place through its stages: no re-upload on promotion. */
export class GlanceImage extends pulumi.ComponentResource {
    public readonly imageId: pulumi.Output<string>;
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: GlanceImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("osimages:glance:GlanceImage", name, {}, opts);
        const vis = visibility(args.stage);
        const image = new openstack.images.Image(
            `${name}-image`,
            {
                name: args.imageName,
                localFilePath: args.artefact,
                diskFormat: "qcow2",
                containerFormat: "bare",
                visibility: vis.visibility,
                hidden: vis.hidden,
                properties: args.properties,
                verifyChecksum: true,
            },
            { parent: this, provider: args.owner, customTimeouts: { create: "2h" } },
        );
        if (vis.visibility === "shared" && args.testProjectId) {
            // Promotion makes the image public before Pulumi deletes these, and Glance refuses
            // member calls on a public image: the share simply lapses with the visibility.
            const member = new openstack.images.ImageAccess(
                `${name}-member`,
                { imageId: image.id, memberId: args.testProjectId },
                { parent: this, provider: args.owner, retainOnDelete: true },
            );
            new openstack.images.ImageAccessAccept(
                `${name}-accept`,
                { imageId: image.id, status: "accepted" },
                { parent: this, provider: args.tester, dependsOn: [member], retainOnDelete: true },
            );
        }
        this.imageId = image.id;
        this.name = image.name;
        this.registerOutputs({ imageId: this.imageId, name: this.name });
    }
}
