// The GitLab REST API (v4) as the CI jobs use it: settings from GitLab's predefined variables, one
// call at a time with the token redacted from every message, and bounded retries of what may pass.
type Env = Readonly<Record<string, string | undefined>>;

/** A problem with the command line or environment (exit status 2). */
export class UsageError extends Error {
    constructor(
        message: string,
        readonly showUsage = false,
    ) {
        super(message);
    }
}

/** Where the API is and how to authenticate: read once from the job's environment. */
export interface GitLabConnection {
    apiUrl: string;
    projectId: string;
    authHeader: "PRIVATE-TOKEN" | "JOB-TOKEN";
    /** Name of the variable the token came from, for messages. */
    tokenVariable: "GITLAB_TOKEN" | "CI_JOB_TOKEN";
    token: string;
}

const TOKEN_HINT =
    "GITLAB_TOKEN (a token with the api scope; CI_JOB_TOKEN is used when it is unset)";

/** The value of a variable, or undefined when it is unset or blank. */
export function envValue(env: Env, name: string): string | undefined {
    const v = env[name]?.trim();
    return v ? v : undefined;
}

/**
 * Reads the API URL, project and token; `extra` names further variables the caller needs, with
 * a hint each. Throws one UsageError naming everything missing. Job tokens only when `jobToken`.
 */
export function readGitLabConnection(
    env: Env,
    extra: Record<string, string> = {},
    jobToken = true,
): GitLabConnection {
    const apiUrl = envValue(env, "CI_API_V4_URL");
    const projectId = envValue(env, "CI_PROJECT_ID");
    const pat = envValue(env, "GITLAB_TOKEN");
    const job = jobToken ? envValue(env, "CI_JOB_TOKEN") : undefined;
    const missing = [
        apiUrl ? [] : ["CI_API_V4_URL (set by GitLab CI)"],
        projectId ? [] : ["CI_PROJECT_ID (set by GitLab CI)"],
        Object.entries(extra).flatMap(([name, hint]) => (envValue(env, name) ? [] : [hint])),
        pat || job ? [] : [jobToken ? TOKEN_HINT : "GITLAB_TOKEN (a token with the api scope)"],
    ].flat();
    if (missing.length > 0 || !apiUrl || !projectId) {
        throw new UsageError(
            `missing environment variable${missing.length > 1 ? "s" : ""}: ${missing.join("; ")}`,
        );
    }
    let url: URL;
    try {
        url = new URL(apiUrl);
    } catch {
        throw new UsageError(`CI_API_V4_URL is not a URL: ${JSON.stringify(apiUrl)}`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
        throw new UsageError(`CI_API_V4_URL must be an http(s) URL, got ${url.protocol}`);
    }
    const base = { apiUrl: apiUrl.replace(/\/+$/, ""), projectId };
    return pat
        ? { ...base, authHeader: "PRIVATE-TOKEN", tokenVariable: "GITLAB_TOKEN", token: pat }
        : { ...base, authHeader: "JOB-TOKEN", tokenVariable: "CI_JOB_TOKEN", token: job ?? "" };
}

/** Replaces every occurrence of each secret with `[REDACTED]`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
    let out = text;
    const values = new Set<string>();
    for (const s of secrets) {
        if (s) {
            values.add(s);
            if (s.trim()) values.add(s.trim());
        }
    }
    // Longest first, so a secret containing another is replaced whole.
    for (const s of [...values].sort((a, b) => b.length - a.length)) {
        out = out.split(s).join("[REDACTED]");
    }
    return out;
}

/** A failed GitLab API call; `retryable` for network errors, 5xx and 429. */
export class GitLabError extends Error {
    constructor(
        message: string,
        readonly status: number | undefined,
        readonly retryable: boolean,
        readonly retryAfterMs?: number,
    ) {
        super(message);
    }
}

export interface RetryOptions {
    /** Retries after the first attempt (default 3). */
    retries?: number;
    /** Delay before the first retry; doubles each time (default 1000 ms). */
    baseDelayMs?: number;
    maxDelayMs?: number;
    isRetryable?: (err: unknown) => boolean;
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
    sleep?: (ms: number) => Promise<void>;
}

/** Retries after the first attempt of each GitLab call. */
export const RETRIES = 3;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fn(attempt)` until it succeeds, retrying retryable failures with exponential back-off
 * (plus up to 25% jitter, or the server's Retry-After when longer).
 */
export async function withRetry<T>(
    fn: (attempt: number) => Promise<T>,
    options: RetryOptions = {},
): Promise<T> {
    const retries = options.retries ?? RETRIES;
    const base = options.baseDelayMs ?? 1000;
    const maxDelay = options.maxDelayMs ?? 30_000;
    const isRetryable =
        options.isRetryable ?? ((err: unknown) => err instanceof GitLabError && err.retryable);
    const sleep = options.sleep ?? defaultSleep;
    for (let attempt = 0; ; attempt++) {
        try {
            return await fn(attempt);
        } catch (err) {
            if (attempt >= retries || !isRetryable(err)) throw err;
            let delay = Math.min(maxDelay, base * 2 ** attempt);
            delay += Math.floor(Math.random() * delay * 0.25);
            if (err instanceof GitLabError && err.retryAfterMs !== undefined) {
                delay = Math.max(delay, Math.min(maxDelay, err.retryAfterMs));
            }
            options.onRetry?.(err, attempt + 1, delay);
            await sleep(delay);
        }
    }
}

/** The retry options of a command: back-off base from `GITLAB_RETRY_DELAY_MS`, retries logged. */
export function commandRetry(
    env: Env,
    log: (line: string) => void,
    secrets: readonly (string | undefined)[],
): RetryOptions {
    const delay = Number(env.GITLAB_RETRY_DELAY_MS);
    return {
        retries: RETRIES,
        baseDelayMs:
            env.GITLAB_RETRY_DELAY_MS && Number.isFinite(delay) && delay >= 0 ? delay : 1000,
        onRetry: (err, attempt, ms) =>
            log(
                `${redact(err instanceof Error ? err.message : String(err), secrets)}; ` +
                    `retry ${attempt} of ${RETRIES} in ${(ms / 1000).toFixed(1)}s`,
            ),
    };
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface ApiResponse {
    data: unknown;
    headers: Headers;
}

/** One attempt of one call; errors are GitLabErrors with the token redacted. */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

const REQUEST_TIMEOUT_MS = 30_000;

function errorDetail(text: string): string {
    let detail = text.trim();
    try {
        const parsed = JSON.parse(detail) as unknown;
        if (typeof parsed === "object" && parsed !== null) {
            const p = parsed as Record<string, unknown>;
            const m = p.message ?? p.error_description ?? p.error;
            if (m !== undefined) detail = typeof m === "string" ? m : JSON.stringify(m);
        }
    } catch {
        // not JSON: use the text as it is
    }
    if (/^<(!doctype|html)/i.test(detail)) detail = detail.replace(/<[^>]*>/g, " ");
    detail = detail.replace(/\s+/g, " ").trim();
    return detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
}

function networkDetail(err: unknown): string {
    if (!(err instanceof Error)) return String(err);
    const cause = (err as Error & { cause?: unknown }).cause;
    if (err.name === "TimeoutError" || err.name === "AbortError") return "request timed out";
    if (cause instanceof Error) {
        const codeName = (cause as Error & { code?: unknown }).code;
        return typeof codeName === "string" ? `${codeName}: ${cause.message}` : cause.message;
    }
    return err.message;
}

/**
 * Single-attempt calls under the connection's API URL. `notFoundHint` says which settings a 404
 * points at (the project's, by default).
 */
export function gitlabApi(
    conn: GitLabConnection,
    fetchImpl: FetchLike = fetch,
    notFoundHint = "check CI_API_V4_URL and CI_PROJECT_ID",
): ApiCall {
    return async (method, path, body) => {
        const what = `GitLab API ${method} ${path.replace(/\?.*$/, "")}`;
        const headers: Record<string, string> = {
            [conn.authHeader]: conn.token,
            Accept: "application/json",
        };
        if (body !== undefined) headers["Content-Type"] = "application/json";
        let res: Response;
        try {
            res = await fetchImpl(`${conn.apiUrl}${path}`, {
                method,
                headers,
                body: body === undefined ? undefined : JSON.stringify(body),
                signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
        } catch (err) {
            const message = `${what} failed: ${networkDetail(err)}`;
            throw new GitLabError(redact(message, [conn.token]), undefined, true);
        }
        const text = await res.text().catch(() => "");
        if (!res.ok) {
            const retryAfter = Number(res.headers.get("retry-after"));
            let message = `${what} failed with HTTP ${res.status} ${res.statusText}`.trimEnd();
            const detail = errorDetail(text);
            if (detail) message += `: ${detail}`;
            if (res.status === 401 || res.status === 403) {
                message +=
                    ` (check ${conn.tokenVariable}: it needs the api scope and access to the ` +
                    "project; CI job tokens usually cannot write merge requests or their notes)";
            } else if (res.status === 404) {
                message += ` (${notFoundHint})`;
            }
            throw new GitLabError(
                redact(message, [conn.token]),
                res.status,
                res.status >= 500 || res.status === 429,
                Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
            );
        }
        try {
            return { data: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
        } catch {
            throw new GitLabError(
                `${what} returned a response that is not JSON`,
                res.status,
                false,
            );
        }
    };
}

const MAX_PAGES = 50;

/** Every item of a paginated list (GitLab's `x-next-page` header), 100 per page. */
export async function listAll(call: ApiCall, path: string): Promise<unknown[]> {
    const items: unknown[] = [];
    let page = "1";
    const sep = path.includes("?") ? "&" : "?";
    for (let n = 0; n < MAX_PAGES && page; n++) {
        const { data, headers } = await call("GET", `${path}${sep}per_page=100&page=${page}`);
        if (!Array.isArray(data)) {
            throw new GitLabError(`GitLab API GET ${path}: expected a list`, undefined, false);
        }
        items.push(...(data as unknown[]));
        page = headers.get("x-next-page")?.trim() ?? "";
    }
    return items;
}
