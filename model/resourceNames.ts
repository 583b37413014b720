// The logical names of the components a distro pipeline registers, in one place: the components
// name their resources with these, and the merge-request note finds plan records by them.

/** The ImageBuild of one release: `cs9-x86_64-2026-11-01`. */
export function buildName(pipeline: string, release: string): string {
    return `${pipeline}-${release}`;
}

/** The ContainerImage of one release: `cs9-x86_64-2026-11-01-container`. */
export function containerName(pipeline: string, release: string): string {
    return `${pipeline}-${release}-container`;
}

/** The GlanceImage and the ImageTest of one image are named by its build key. */
export function imageComponentName(buildKey: string): string {
    return buildKey;
}

/** The TestRun of one image on one use case: `cs9-x86_64-bios-2026-11-01-managed-virtual-test`. */
export function testRunName(imageTest: string, useCase: string): string {
    return `${imageTest}-${useCase}-test`;
}

/** The TestInstance of one image on one use case. */
export function testInstanceName(imageTest: string, useCase: string): string {
    return `${imageTest}-${useCase}`;
}
