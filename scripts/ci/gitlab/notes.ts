// One note per stack on a merge request: found again by a hidden marker, edited in place on
// later pipelines (GitLab API: GET/POST /projects/:id/merge_requests/:iid/notes, PUT .../:note_id).
import {
    ApiCall,
    envValue,
    GitLabConnection,
    GitLabError,
    listAll,
    readGitLabConnection,
    RetryOptions,
    UsageError,
    withRetry,
} from "./api";

type Env = Readonly<Record<string, string | undefined>>;

/** GitLab rejects note bodies longer than this many characters. */
export const GITLAB_NOTE_LIMIT = 1_000_000;

/** Stack names as Pulumi allows them (and safe inside an HTML comment). */
export const STACK_NAME = /^[A-Za-z0-9_.\-/]+$/;

export interface GitLabNote {
    id: number;
    body: string;
    system?: boolean;
}

/** Where the note goes: the connection and the merge request of the pipeline. */
export interface NoteTarget {
    connection: GitLabConnection;
    mrIid: string;
}

/** Reads the connection and CI_MERGE_REQUEST_IID; throws a UsageError naming what is missing. */
export function readNoteTarget(env: Env): NoteTarget {
    const connection = readGitLabConnection(env, {
        CI_MERGE_REQUEST_IID:
            "CI_MERGE_REQUEST_IID (set only in merge request pipelines: run this job with " +
            '`rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"`)',
    });
    const mrIid = envValue(env, "CI_MERGE_REQUEST_IID") ?? "";
    if (!/^\d+$/.test(mrIid)) {
        throw new UsageError(`CI_MERGE_REQUEST_IID must be a number, got ${JSON.stringify(mrIid)}`);
    }
    return { connection, mrIid };
}

/** The hidden first line that tells this stack's note apart. */
export function noteMarker(stack: string): string {
    if (!STACK_NAME.test(stack)) throw new Error(`invalid stack name: ${JSON.stringify(stack)}`);
    return `<!-- os-image-pipeline preview: ${stack} -->`;
}

function isNote(value: unknown): value is GitLabNote {
    if (typeof value !== "object" || value === null) return false;
    const v = value as Record<string, unknown>;
    return typeof v.id === "number" && typeof v.body === "string";
}

/**
 * The most recent non-system note whose body starts with this stack's marker (a reply quoting it
 * starts with `>` and does not count).
 */
export function findOwnNote(notes: readonly unknown[], stack: string): GitLabNote | undefined {
    const marker = noteMarker(stack);
    let found: GitLabNote | undefined;
    for (const n of notes) {
        if (!isNote(n) || n.system === true) continue;
        if (!n.body.trimStart().startsWith(marker)) continue;
        if (found === undefined || n.id > found.id) found = n;
    }
    return found;
}

export interface NotesClient {
    listNotes(): Promise<unknown[]>;
    createNote(body: string): Promise<GitLabNote>;
    updateNote(id: number, body: string): Promise<GitLabNote>;
}

/** Single-attempt note calls on one merge request. */
export function notesClient(call: ApiCall, target: NoteTarget): NotesClient {
    const notesPath =
        `/projects/${encodeURIComponent(target.connection.projectId)}` +
        `/merge_requests/${encodeURIComponent(target.mrIid)}/notes`;
    const asNote = (data: unknown, what: string): GitLabNote => {
        if (!isNote(data)) throw new GitLabError(`${what}: unexpected response`, undefined, false);
        return data;
    };
    return {
        listNotes: () => listAll(call, notesPath),
        createNote: async (body) =>
            asNote((await call("POST", notesPath, { body })).data, "create note"),
        updateNote: async (id, body) =>
            asNote((await call("PUT", `${notesPath}/${id}`, { body })).data, "update note"),
    };
}

export interface UpsertResult {
    action: "created" | "updated";
    noteId: number;
}

/**
 * Updates this stack's note when there is one, else creates it. A retried create first looks
 * again, so a POST that succeeded behind a failing proxy does not leave a duplicate.
 */
export async function upsertNote(
    client: NotesClient,
    stack: string,
    body: string,
    retry: RetryOptions = {},
): Promise<UpsertResult> {
    if (body.length > GITLAB_NOTE_LIMIT) {
        throw new Error(
            `the note has ${body.length} characters, GitLab takes ${GITLAB_NOTE_LIMIT}`,
        );
    }
    const existing = findOwnNote(await withRetry(() => client.listNotes(), retry), stack);
    if (existing) {
        await withRetry(() => client.updateNote(existing.id, body), retry);
        return { action: "updated", noteId: existing.id };
    }
    return withRetry(async (attempt): Promise<UpsertResult> => {
        if (attempt > 0) {
            const again = findOwnNote(await client.listNotes(), stack);
            if (again) {
                await client.updateNote(again.id, body);
                return { action: "updated", noteId: again.id };
            }
        }
        const created = await client.createNote(body);
        return { action: "created", noteId: created.id };
    }, retry);
}
