// Branches, commits and merge requests through the GitLab API (v4), for the monthly release bump:
// GET .../repository/branches/:branch, POST .../repository/commits (with `actions`, creating the
// branch from `start_branch`), GET and POST .../merge_requests.
import { ApiCall, GitLabError, listAll, RetryOptions, withRetry } from "./api";

export interface MergeRequest {
    iid: number;
    state: string;
    web_url: string;
}

/** One file of a commit, as the commits API takes it. */
export interface CommitAction {
    action: "create" | "update";
    file_path: string;
    content: string;
}

/** The change to propose: one commit on a new branch, and its merge request. */
export interface ProposedChange {
    branch: string;
    targetBranch: string;
    commitMessage: string;
    actions: CommitAction[];
    title: string;
    description: string;
}

export interface MergeRequestsClient {
    mergeRequestsFrom(branch: string, targetBranch: string): Promise<MergeRequest[]>;
    branchExists(branch: string): Promise<boolean>;
    createCommit(change: ProposedChange): Promise<void>;
    createMergeRequest(change: ProposedChange): Promise<MergeRequest>;
}

function isMergeRequest(value: unknown): value is MergeRequest {
    if (typeof value !== "object" || value === null) return false;
    const v = value as Record<string, unknown>;
    return typeof v.iid === "number" && typeof v.state === "string";
}

/** Single-attempt calls on one project. */
export function mergeRequestsClient(call: ApiCall, projectId: string): MergeRequestsClient {
    const project = `/projects/${encodeURIComponent(projectId)}`;
    return {
        mergeRequestsFrom: async (branch, targetBranch) => {
            const query = new URLSearchParams({
                source_branch: branch,
                target_branch: targetBranch,
                state: "all",
            });
            const list = await listAll(call, `${project}/merge_requests?${query.toString()}`);
            return list.filter(isMergeRequest);
        },
        branchExists: async (branch) => {
            try {
                await call("GET", `${project}/repository/branches/${encodeURIComponent(branch)}`);
                return true;
            } catch (err) {
                if (err instanceof GitLabError && err.status === 404) return false;
                throw err;
            }
        },
        createCommit: async (change) => {
            await call("POST", `${project}/repository/commits`, {
                branch: change.branch,
                start_branch: change.targetBranch,
                commit_message: change.commitMessage,
                actions: change.actions,
            });
        },
        createMergeRequest: async (change) => {
            const { data } = await call("POST", `${project}/merge_requests`, {
                source_branch: change.branch,
                target_branch: change.targetBranch,
                title: change.title,
                description: change.description,
                remove_source_branch: true,
            });
            if (!isMergeRequest(data)) {
                throw new GitLabError(
                    "create merge request: unexpected response",
                    undefined,
                    false,
                );
            }
            return data;
        },
    };
}

export type ProposalOutcome =
    | { action: "exists"; mergeRequest: MergeRequest }
    | { action: "created"; mergeRequest: MergeRequest; committed: boolean };

/**
 * Opens the change's merge request unless one from its branch exists in any state (open, merged
 * or closed: a closed one was closed on purpose). A branch left by an earlier run keeps its commit.
 * Retried creates look again first, so a POST that succeeded behind a failing proxy is not repeated.
 */
export async function proposeChange(
    client: MergeRequestsClient,
    change: ProposedChange,
    retry: RetryOptions = {},
): Promise<ProposalOutcome> {
    const find = async () =>
        (await client.mergeRequestsFrom(change.branch, change.targetBranch))[0];
    const existing = await withRetry(find, retry);
    if (existing) return { action: "exists", mergeRequest: existing };
    const committed = !(await withRetry(() => client.branchExists(change.branch), retry));
    if (committed) {
        await withRetry(async (attempt) => {
            if (attempt > 0 && (await client.branchExists(change.branch))) return;
            await client.createCommit(change);
        }, retry);
    }
    const mergeRequest = await withRetry(
        async (attempt) =>
            (attempt > 0 ? await find() : undefined) ?? client.createMergeRequest(change),
        retry,
    );
    return { action: "created", mergeRequest, committed };
}
