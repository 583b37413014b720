import { stringify } from "yaml";
import { UseCase } from "../distros/schema";
import { isManaged } from "../model/useCases";

/** Configuration-management bootstrap of the managed use cases. */
export interface AgentSettings {
    /** Puppet server the agent registers with. */
    server: string;
    /** Puppet environment. */
    environment: string;
}

/** Marker the managed suites look for once the bootstrap finished. */
export const BOOTSTRAP_MARKER = "/var/lib/osimages/bootstrap-done";

/**
 * cloud-init user-data of a use case. Unmanaged: only the test user's key. Managed: install and
 * run the configuration-management agent once, then leave the marker the managed suites check.
 */
export function userData(useCase: UseCase, agent?: AgentSettings): string {
    const doc: Record<string, unknown> = {
        ssh_pwauth: false,
        disable_root: false,
        package_upgrade: false,
        write_files: [
            { path: "/etc/osimages-use-case", content: `${useCase}\n`, permissions: "0644" },
        ],
    };
    if (isManaged(useCase)) {
        if (!agent)
            throw new Error(`use case ${useCase} needs testing.agent (server and environment)`);
        doc.packages = ["puppet-agent"];
        doc.runcmd = [
            ["mkdir", "-p", "/var/lib/osimages"],
            [
                "sh",
                "-c",
                `puppet agent --test --server ${agent.server} --environment ${agent.environment} --waitforcert 60; ` +
                    `rc=$?; [ $rc -eq 0 ] || [ $rc -eq 2 ] && touch ${BOOTSTRAP_MARKER}`,
            ],
        ];
    }
    return `#cloud-config\n${stringify(doc)}`;
}
