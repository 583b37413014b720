import type { StackConfig } from "../config";
import { DistroEntry, UseCase } from "../distros/schema";

/** The suite folders under suites/ that test machines run. */
export type MachineSuite = "upstream" | "site" | "managed";

/** What a test use case means: one row per use case, so adding one is one entry here. */
export interface UseCaseSpec {
    /** Bootstrapped by the configuration-management agent (needs `testing.agent`). */
    managed: boolean;
    /** A VM, or a bare-metal node (the Nova backend needs `testing.flavors.physical`). */
    machine: "virtual" | "physical";
    /** Suites run on the machine, in order. */
    suites: readonly MachineSuite[];
}

/** Every use case of `USE_CASES`: the compiler refuses a missing or extra row. */
export const USE_CASE_SPECS: { readonly [U in UseCase]: UseCaseSpec } = {
    "unmanaged-virtual": { managed: false, machine: "virtual", suites: ["upstream", "site"] },
    "managed-virtual": {
        managed: true,
        machine: "virtual",
        suites: ["upstream", "site", "managed"],
    },
    "unmanaged-physical": { managed: false, machine: "physical", suites: ["upstream", "site"] },
    "managed-physical": {
        managed: true,
        machine: "physical",
        suites: ["upstream", "site", "managed"],
    },
};

/** Whether the use case's machine is bootstrapped by the agent. */
export function isManaged(useCase: UseCase): boolean {
    return USE_CASE_SPECS[useCase].managed;
}

/** Whether the use case runs on a bare-metal node. */
export function isPhysical(useCase: UseCase): boolean {
    return USE_CASE_SPECS[useCase].machine === "physical";
}

/** Use cases run for a distro at a site: those both the catalogue and the stack enable. */
export function useCasesFor(entry: DistroEntry, stack: Pick<StackConfig, "testing">): UseCase[] {
    return stack.testing.useCases.filter((u) => entry.useCases.includes(u));
}
