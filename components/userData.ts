import { stringify } from "yaml";
import { UseCase } from "../distros/schema";
import { isManaged } from "../model/useCases";

/** Configuration-management bootstrap of the managed use cases. */
export interface AgentSettings {
    /** Puppet server the agent registers with. */
    server: string;
    /** Puppet environment. */
    environment: string;
    /** Address `server` has on test machines, for a server outside their DNS (the lab's). */
    address?: string;
}

/** Marker the managed suites look for once the bootstrap finished. */
export const BOOTSTRAP_MARKER = "/var/lib/osimages/bootstrap-done";

/** Where cloud-init writes the bootstrap script on a managed machine. */
export const BOOTSTRAP_SCRIPT = "/var/lib/osimages/bootstrap-agent.sh";

/**
 * The managed machine's bootstrap: install the agent when the image lacks it, point it at the
 * server and environment, run it once, and leave the marker when the run applied its catalogue.
 * Settings are checked by the stack schema (host names, environment names, addresses), so they
 * are safe to write into the script as they are.
 */
export function agentBootstrapScript(agent: AgentSettings): string {
    const hosts = agent.address
        ? [
              `# ${agent.server} is outside the machine's DNS.`,
              `grep -qs '[[:space:]]${agent.server}$' /etc/hosts || echo '${agent.address} ${agent.server}' >>/etc/hosts`,
          ]
        : [];
    return [
        "#!/bin/sh",
        "# Written by cloud-init (os-image-pipeline, managed use case).",
        "PATH=$PATH:/opt/puppetlabs/bin",
        ...hosts,
        "if ! command -v puppet >/dev/null 2>&1; then",
        "    if command -v dnf >/dev/null 2>&1; then dnf -y install puppet-agent",
        "    elif command -v yum >/dev/null 2>&1; then yum -y install puppet-agent",
        "    else apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y install puppet-agent",
        "    fi",
        "fi",
        "# The host's own name: without a domain, Puppet's default would be the name and a trailing dot.",
        "certname=$(hostname -f 2>/dev/null || hostname)",
        'puppet config set --section main certname "${certname%.}"',
        `puppet config set --section main server ${agent.server}`,
        `puppet config set --section main environment ${agent.environment}`,
        "puppet agent --test --waitforcert 60",
        "rc=$?",
        "# --test reports 0 (nothing to change) or 2 (changes applied) for a run that applied its catalogue.",
        "[ $rc -eq 0 ] || [ $rc -eq 2 ] || exit $rc",
        `echo "puppet agent exit $rc" >${BOOTSTRAP_MARKER}`,
        "",
    ].join("\n");
}

/**
 * cloud-init user-data of a use case. Unmanaged: only the test user's key. Managed: bootstrap the
 * configuration-management agent once (`agentBootstrapScript`); the managed suites check it.
 */
export function userData(useCase: UseCase, agent?: AgentSettings): string {
    const files: Record<string, string>[] = [
        { path: "/etc/osimages-use-case", content: `${useCase}\n`, permissions: "0644" },
    ];
    const doc: Record<string, unknown> = {
        ssh_pwauth: false,
        disable_root: false,
        package_upgrade: false,
        write_files: files,
    };
    if (isManaged(useCase)) {
        if (!agent)
            throw new Error(`use case ${useCase} needs testing.agent (server and environment)`);
        files.push({
            path: BOOTSTRAP_SCRIPT,
            content: agentBootstrapScript(agent),
            permissions: "0755",
        });
        doc.runcmd = [["sh", BOOTSTRAP_SCRIPT]];
    }
    // Block literals and no folding: the script reads in the user-data as it runs.
    return `#cloud-config\n${stringify(doc, { blockQuote: "literal", lineWidth: 0 })}`;
}
