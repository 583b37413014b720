// A fake GitLab API on 127.0.0.1 for the CI scripts' tests: it checks the token header the way
// GitLab does, records every request, serves merge request notes, and can be told to fail.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeNote {
    id: number;
    body: string;
    system: boolean;
}

export interface SeenRequest {
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/** A route of the fake: answers a request whose path (without query) it matches, else undefined. */
export type Route = (
    req: SeenRequest,
    path: string,
) => { status: number; data: unknown; headers?: Record<string, string> } | undefined;

export class FakeGitLab {
    notes: FakeNote[] = [];
    requests: SeenRequest[] = [];
    /** Responses to force, consumed in order by the first request of the same method. */
    failures: { method: string; status: number }[] = [];
    /** Further routes (tried before the notes' own). */
    routes: Route[] = [];
    private nextId = 100;
    private server = http.createServer((req, res) => this.handle(req, res));

    constructor(
        readonly project: string,
        readonly mr: string,
        readonly expectedHeader: "private-token" | "job-token",
        readonly expectedToken: string,
    ) {}

    get notesPath(): string {
        return `/api/v4/projects/${this.project}/merge_requests/${this.mr}/notes`;
    }

    async start(): Promise<string> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        const { port } = this.server.address() as AddressInfo;
        return `http://127.0.0.1:${port}/api/v4`;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const seen: SeenRequest = {
                method: req.method ?? "",
                url: req.url ?? "",
                headers: req.headers,
                body: Buffer.concat(chunks).toString("utf8"),
            };
            this.requests.push(seen);
            const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
                res.writeHead(status, { "Content-Type": "application/json", ...headers });
                res.end(JSON.stringify(data));
            };
            const forced = this.failures.findIndex((f) => f.method === seen.method);
            if (forced >= 0) {
                const [failure] = this.failures.splice(forced, 1);
                res.writeHead(failure.status, { "Content-Type": "text/html" });
                res.end(
                    `<html><body><h1>${failure.status} ${http.STATUS_CODES[failure.status]}</h1></body></html>`,
                );
                return;
            }
            const token = req.headers[this.expectedHeader];
            if (token !== this.expectedToken) {
                // Like some proxies, echo what was sent: the script must redact it.
                send(401, { message: `401 Unauthorized: token '${String(token)}' is not valid` });
                return;
            }
            const path = seen.url.replace(/\?.*$/, "");
            for (const route of this.routes) {
                const answer = route(seen, path);
                if (answer) return send(answer.status, answer.data, answer.headers);
            }
            const answer = this.notesRoute(seen, path);
            if (answer) return send(answer.status, answer.data);
            send(404, { message: "404 Not found" });
        });
    }

    /** GitLab's notes API: list (newest first), create (201), update (200), 400 without a body. */
    private notesRoute(
        req: SeenRequest,
        path: string,
    ): { status: number; data: unknown } | undefined {
        if (path === this.notesPath && req.method === "GET") {
            return { status: 200, data: [...this.notes].sort((a, b) => b.id - a.id) };
        }
        if (req.method !== "POST" && req.method !== "PUT") return undefined;
        const body = jsonBody(req.body).body;
        if (typeof body !== "string" || body === "") {
            return { status: 400, data: { message: "400 Bad request - body is missing" } };
        }
        if (path === this.notesPath && req.method === "POST") {
            const note = { id: this.nextId++, body, system: false };
            this.notes.push(note);
            return { status: 201, data: note };
        }
        const note = this.notes.find((n) => `${this.notesPath}/${n.id}` === path);
        if (req.method === "PUT" && path.startsWith(`${this.notesPath}/`)) {
            if (!note) return { status: 404, data: { message: "404 Not found" } };
            note.body = body;
            return { status: 200, data: note };
        }
        return undefined;
    }
}

/** The JSON body of a request as an object ({} when it is not one). */
export function jsonBody(body: string): Record<string, unknown> {
    try {
        const parsed = JSON.parse(body) as unknown;
        return typeof parsed === "object" && parsed !== null
            ? (parsed as Record<string, unknown>)
            : {};
    } catch {
        return {};
    }
}
