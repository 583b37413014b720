// The stack config: its schema and checks (schema.ts), and how it is read (stackInput.ts).
export * from "./schema";
export * from "./stackInput";
