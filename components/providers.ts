import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { CloudConfig, StackConfig, StackSecrets } from "../config";

export interface Providers {
    /** Owner of every image: the production project. */
    production: openstack.Provider;
    /** The test project: boots TEST images. */
    test: openstack.Provider;
}

function provider(
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

/** One explicit provider per phase; nothing uses the default provider. */
export function makeProviders(cfg: StackConfig, secrets: StackSecrets): Providers {
    return {
        production: provider("production", cfg.clouds.production, secrets),
        test: provider("test", cfg.clouds.test, secrets),
    };
}
