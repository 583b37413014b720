import * as docker from "@pulumi/docker";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { CloudConfig, RegistryCredentials, StackConfig, StackSecrets } from "../config";

export interface Providers {
    /** Owner of every image: the production project. */
    production: openstack.Provider;
    /** The test project: boots TEST images. */
    test: openstack.Provider;
    /** The Docker engine of the runner (DOCKER_HOST), with the auth of both registries. */
    docker: docker.Provider;
}

function cloudProvider(
    phase: "test" | "production",
    cloud: CloudConfig,
    secrets: StackSecrets,
): openstack.Provider {
    return new openstack.Provider(phase, {
        cloud: cloud.cloud,
        tenantName: cloud.project,
        region: cloud.region,
        // Only when clouds.yaml carries no password: it then comes from the stack's secrets.
        password: secrets.cloudPasswords?.apply((p) => p?.[phase]) as
            pulumi.Output<string> | undefined,
    });
}

/** The host[:port] of a registry reference such as `127.0.0.1:5001/osimages`. */
export function registryHost(registry: string): string {
    return registry.split("/")[0];
}

/**
 * The address the provider talks to for a registry. Like Docker itself, a registry on the loopback
 * is spoken to in plain HTTP; the provider assumes HTTPS for an address without a scheme.
 */
export function registryAddress(registry: string): string {
    const host = registryHost(registry);
    return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(host) ? `http://${host}` : host;
}

/**
 * The provider's auth entry of one registry: the `user:token` of `registryAuth` when the stack has
 * one (kept secret), else anonymous. The provider refuses to push to a registry it has no entry for.
 */
export function registryAuthEntry(
    registry: string,
    role: keyof RegistryCredentials,
    credentials: pulumi.Output<RegistryCredentials> | undefined,
): docker.types.input.ProviderRegistryAuth {
    const address = registryAddress(registry);
    if (!credentials) return { address, authDisabled: true };
    const pair = credentials.apply((c) => {
        const v = c[role];
        const i = v?.indexOf(":") ?? -1;
        return v && i > 0 ? { username: v.slice(0, i), password: v.slice(i + 1) } : undefined;
    });
    return {
        address,
        username: pair.apply((p) => p?.username ?? ""),
        password: pulumi.secret(pair.apply((p) => p?.password ?? "")),
        authDisabled: pair.apply((p) => p === undefined),
    };
}

/**
 * The project that TEST images are shared to: none when tests run in the owning project, else the
 * configured id, else the project the test cloud's credentials are scoped to (one Keystone call).
 */
export function testProjectId(
    cfg: StackConfig,
    test: openstack.Provider,
): pulumi.Output<string> | undefined {
    const { production, test: phase } = cfg.clouds;
    if (phase.cloud === production.cloud && phase.project === production.project) return undefined;
    if (phase.projectId) return pulumi.output(phase.projectId);
    return openstack.identity.getAuthScopeOutput({ name: "test" }, { provider: test }).projectId;
}

/** One explicit provider per phase; nothing uses a default provider. */
export function cloudProviders(
    cfg: StackConfig,
    secrets: StackSecrets,
): Pick<Providers, "production" | "test"> {
    return {
        production: cloudProvider("production", cfg.clouds.production, secrets),
        test: cloudProvider("test", cfg.clouds.test, secrets),
    };
}

/** The runner's Docker engine, with an auth entry for each registry of the stack. */
export function dockerProvider(cfg: StackConfig, secrets: StackSecrets): docker.Provider {
    return new docker.Provider("docker", {
        registryAuth: [
            registryAuthEntry(cfg.registries.internal, "internal", secrets.registryAuth),
            registryAuthEntry(cfg.registries.public, "public", secrets.registryAuth),
        ],
    });
}
