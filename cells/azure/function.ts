// Placeholder entry, replaced by the Azure adapters (issue 3).
export {};
