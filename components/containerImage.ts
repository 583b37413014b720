import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface ContainerImageArgs {
    /** Root filesystem tarball of the build. */
    rootfs: pulumi.Input<string>;
    /** Repository name, e.g. `cs9`. */
    repository: string;
    /** Monthly build id. */
    release: string;
    /** Major version, for the `:<major>` tag. */
    major: string;
    /** Internal registry (host[:port]/path) for the test tag. */
    internalRegistry: string;
    /** Public registry (host[:port]/path) for the published tags. */
    publicRegistry: string;
    /** Publish `latest`, major and date tags once the container test passed. */
    publish: boolean;
    /** Directory where the build context is assembled. */
    workDir: string;
    /** Docker platform of the rootfs, e.g. linux/amd64. */
    platform: string;
}

/** Tags published for a promoted release. */
export function publicTags(major: string, release: string): string[] {
    // In push order: `latest` moves last, once the dated and major tags are there.
    return [release, major, "latest"];
}

/** The Dockerfile: the build's rootfs as the only layer. */
export const DOCKERFILE = 'FROM scratch\nADD rootfs.tar /\nCMD ["/bin/sh"]\n';

/** Container image from the rootfs: test tag on the internal registry, tested, then published. */
export class ContainerImage extends pulumi.ComponentResource {
    /** Internal test reference. */
    public readonly testImage: pulumi.Output<string>;
    /** Published references (empty until promotion). */
    public readonly published: pulumi.Output<string[]>;

    constructor(name: string, args: ContainerImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("osimages:container:ContainerImage", name, {}, opts);
        const contextDir = `${args.workDir}/${name}`;
        const context = new command.local.Command(
            `${name}-context`,
            {
                create: `[ -n "$ROOTFS" ] || { echo "the build produced no rootfs tarball" >&2; exit 1; }; mkdir -p "$CONTEXT" && cp "$ROOTFS" "$CONTEXT/rootfs.tar" && printf '%s' "$DOCKERFILE" > "$CONTEXT/Dockerfile" && echo "$CONTEXT"`,
                environment: { CONTEXT: contextDir, ROOTFS: args.rootfs, DOCKERFILE },
                delete: `rm -rf "$CONTEXT"`,
            },
            { parent: this, customTimeouts: { create: "20m" } },
        );
        const testRef = `${args.internalRegistry}/${args.repository}:${args.release}-test`;
        const image = new docker.Image(
            `${name}-image`,
            {
                imageName: testRef,
                // Both from the context step's output: unknown until it ran, so a preview does not
                // look for a Dockerfile that the update has yet to write.
                build: {
                    context: context.stdout.apply((s) => s.trim()),
                    dockerfile: context.stdout.apply((s) => `${s.trim()}/Dockerfile`),
                    platform: args.platform,
                },
            },
            { parent: this, customTimeouts: { create: "30m" } },
        );
        const test = new command.local.Command(
            `${name}-test`,
            {
                create: `docker run --rm --network none -v "$PWD/suites:/osimages-suites:ro" "$IMAGE" bash /osimages-suites/runtests.sh /osimages-suites/container`,
                // The digest just pushed, never a tag that may have moved.
                environment: { IMAGE: image.repoDigest },
            },
            { parent: this, customTimeouts: { create: "20m" } },
        );
        // Promotion may run on another runner than the build: pull the tested image by digest
        // into the local daemon before tagging it.
        const pulled = args.publish
            ? new docker.RemoteImage(
                  `${name}-pull`,
                  { name: image.repoDigest, keepLocally: true },
                  { parent: this, dependsOn: [test] },
              )
            : undefined;
        // One push at a time: parallel pushes of the same layers made docker-registry answer
        // 500 (seen in a CI run), and a failed push then stops the tags after it.
        const pushes: docker.RegistryImage[] = [];
        for (const tag of pulled ? publicTags(args.major, args.release) : []) {
            const tagged = new docker.Tag(
                `${name}-tag-${tag}`,
                {
                    sourceImage: pulled!.repoDigest,
                    targetImage: `${args.publicRegistry}/${args.repository}:${tag}`,
                },
                { parent: this },
            );
            pushes.push(
                new docker.RegistryImage(
                    `${name}-push-${tag}`,
                    {
                        name: tagged.targetImage,
                        keepRemotely: true,
                        triggers: { digest: image.repoDigest },
                    },
                    { parent: this, dependsOn: pushes.slice(-1) },
                ),
            );
        }
        const published = pushes.map((p) => p.name);
        this.testImage = image.imageName;
        this.published = pulumi.all(published);
        this.registerOutputs({ testImage: this.testImage, published: this.published });
    }
}
